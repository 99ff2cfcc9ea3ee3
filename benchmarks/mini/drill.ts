// Option-lookup drills: pre-training-only items that isolate the last step of every multiple-choice
// trace — naming the option whose value the trace has reached (`… 3 (C) Answer: C`). In the benchmark
// items that step is one token of ~20 in a third of the examples, and the base learned the readings but
// left the letter at chance (MMMU and WeMath letters, teacher-forced, 0.23–0.31), which RL cannot lift.
// A drill asks only the lookup: `which is 3 ? 5 (A) 4 (B) 3 (C) 6 (D) Answer:` → `i see 3 (C) Answer: C`,
// with no image, the options drawn like the benchmarks' (four consecutive integers in random order, or
// two to four colours) and the answer statement of WeMath or MMMU. Never evaluated, never rewarded.
// Measured (results/reference/README.md): at 15 % for 1,000 steps, or 90 % for 400, the drills' own letter
// stayed at chance; at 90 % for 1,500 steps it was learned (0.996) after a ~500-step plateau. Off by
// default until a base shows the skill carrying over to the benchmarks' traces.
import type { Rng } from '../../src/util/rng.ts';
import { COLOURS } from './scene.ts';
import { letteredOptions } from './language.ts';
import { miniPrompt, miniTarget } from './formats.ts';

export interface LookupDrill {
  /** The student's prompt: question, lettered options, format hint. */
  prompt: string;
  /** The SFT target: the chosen value, its option marker, the answer statement. */
  target: string;
  /** The option letter of the asked value. */
  answer: string;
}

export function lookupDrill(rng: Rng): LookupDrill {
  const benchmark = rng.next() < 0.5 ? 'wemath' : 'mmmu';
  let texts: string[];
  if (rng.next() < 0.6) {
    // four consecutive integers from 0..24 (the range of the benchmarks' numeric options)
    const start = rng.int(0, 21);
    texts = [0, 1, 2, 3].map((k) => String(start + k));
  } else {
    texts = rng.shuffle([...COLOURS]).slice(0, rng.int(2, 4));
  }
  const gold = rng.pick(texts);
  const { options, answer } = letteredOptions(rng, texts, gold);
  const task = { question: `which is ${gold} ?`, answer, options, trace: `i see ${gold}`, reference: '' };
  return { prompt: miniPrompt(benchmark, task), target: miniTarget(benchmark, task), answer };
}
