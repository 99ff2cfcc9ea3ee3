// Option-lookup drills: pre-training-only items that isolate the last step of every multiple-choice
// trace — naming the option whose value the trace has reached (`… 3 (C) Answer: C`). In the benchmark
// items that step is one token of ~20 in a third of the examples, so a base can learn the readings and leave the
// letter at chance, which RL cannot lift.
// A drill asks only the lookup: `which is 3 ? 5 (A) 4 (B) 3 (C) 6 (D) Answer:` → `i see 3 (C) Answer: C`,
// with no image, the options drawn like the benchmarks' (four consecutive integers in random order, or
// two to four colours) and the answer statement of WeMath or MMMU. Never evaluated, never rewarded.
// Drills alone do not teach the benchmarks' letter. The `trace` form (pretrain's default) names the value only in the
// trace, because a lookup learned from `question` drills keys on the question and does not carry over to the
// benchmarks' traces; and the lookup needs the fused option markers and the previous-token embedding
// (src/model/config.ts) to be one induction step. src/pretrain.ts's defaults combine the three.
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

/**
 * `question`: the asked value is named in the question (`which is 3 ?`), so the lookup can key on the question.
 * `trace`: a benchmark-shaped question that names no value (`how many red ?`, `which colour has the most ?`);
 * the value appears only in the trace, as in WeMath, where it comes from reading the image (here there is no
 * image, so the value is a draw from the options and only the lookup after it is predictable).
 */
export type DrillForm = 'question' | 'trace';
export const DRILL_FORMS: readonly DrillForm[] = ['question', 'trace'];

export function lookupDrill(rng: Rng, form: DrillForm = 'question'): LookupDrill {
  const benchmark = rng.next() < 0.5 ? 'wemath' : 'mmmu';
  let texts: string[];
  const numeric = rng.next() < 0.6;
  if (numeric) {
    // four consecutive integers from 0..24 (the range of the benchmarks' numeric options)
    const start = rng.int(0, 21);
    texts = [0, 1, 2, 3].map((k) => String(start + k));
  } else {
    texts = rng.shuffle([...COLOURS]).slice(0, rng.int(2, 4));
  }
  const gold = rng.pick(texts);
  const { options, answer } = letteredOptions(rng, texts, gold);
  let question = `which is ${gold} ?`;
  let trace = `i see ${gold}`;
  if (form === 'trace') {
    const colour = rng.pick([...COLOURS]);
    question = numeric ? `how many ${colour} ?` : 'which colour has the most ?';
    trace = numeric ? `i see ${colour} ${gold}` : `i see the most is ${gold}`;
  }
  const task = { question, answer, options, trace, reference: '' };
  return { prompt: miniPrompt(benchmark, task), target: miniTarget(benchmark, task), answer };
}
