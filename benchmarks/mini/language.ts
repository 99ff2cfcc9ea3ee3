// The mini task language: how traces (what a correct response says) and reference solutions (what the
// self-teacher is shown) are phrased, and how leakage of the reference is recognised.
//
// A trace is   <preamble> [<restatement>] <readings> [so <combination>]
//   e.g.       'in the image red 3 blue 2 so 3 plus 2 is 5'
// (preamble: 'i see' | 'in the image' | 'i see the image'; restatement, with probability 0.3 when the
// question's core is at most 3 words and the combination one step: e.g. 'red plus blue', 'the area')
// The preamble (a few random variants) and the optional restatement decide nothing; the readings, the
// combining step and the final answer decide the reward. A reference is
//              '[ref] red 3 blue 2 hence 3 plus 2 is 5 answer 5 [/ref]'
// Only references use the markers [ref] / [/ref] and the word 'hence' (a trace says 'so'): a student
// response containing any of them has picked up the teacher's template (privileged-information leakage).
import type { Rng } from '../../src/util/rng.ts';

export const REF_OPEN = '[ref]';
export const REF_CLOSE = '[/ref]';
/** Template words that only reference solutions use (besides the markers). */
export const REFERENCE_ONLY_WORDS: readonly string[] = ['hence'];

// At most 4 tokens each: responses must stay short (trace + answer statement ≈ 24 tokens).
const PREAMBLES = ['i see', 'in the image', 'i see the image'] as const;

/** True when a response contains the reference markers or a word only the reference template uses. */
export function mentionsReference(responseText: string): boolean {
  if (responseText.includes(REF_OPEN) || responseText.includes(REF_CLOSE)) return true;
  return REFERENCE_ONLY_WORDS.some((w) => new RegExp(`(^|\\s)${w}(?=\\s|$)`).test(responseText));
}

/** A labelled value read off the image, e.g. ['red', 3] or ['red circles', 2] or ['width', 4]. */
export type Reading = readonly [label: string, value: number];

export function readingsText(readings: readonly Reading[]): string {
  return readings.map(([label, value]) => `${label} ${value}`).join(' ');
}

export type Op = 'plus' | 'minus' | 'times';

export function applyOp(a: number, op: Op, b: number): number {
  return op === 'plus' ? a + b : op === 'minus' ? a - b : a * b;
}

/** Left-to-right chain 'a op b is r r op c is s …' and its result. */
export function chain(first: number, steps: ReadonlyArray<readonly [Op, number]>): { text: string; result: number } {
  let acc = first;
  const parts: string[] = [];
  for (const [op, v] of steps) {
    const next = applyOp(acc, op, v);
    parts.push(`${acc} ${op} ${v} is ${next}`);
    acc = next;
  }
  return { text: parts.join(' '), result: acc };
}

export interface Solution {
  readings: readonly Reading[];
  /** The combining step, without 'so'/'hence' (e.g. '3 plus 2 is 5', 'most is red'); absent for one reading. */
  combination?: string;
  /** Optional restatement of the question's core (decides nothing), e.g. 'red plus blue', 'the area'; at most 3 words are used. */
  restatement?: string;
}

/** The trace of a correct response: preamble, optional restatement (probability 0.3), readings, combination. */
export function traceText(rng: Rng, sol: Solution): string {
  const preamble = rng.pick(PREAMBLES);
  const restate = rng.next() < 0.3;
  const parts: string[] = [preamble];
  // Restatements are used only when short and before a one-step combination, to keep responses short.
  const steps = sol.combination ? sol.combination.split(' is ').length - 1 : 0;
  if (sol.restatement && restate && sol.restatement.split(' ').length <= 3 && steps <= 1) parts.push(sol.restatement);
  parts.push(readingsText(sol.readings));
  if (sol.combination) parts.push('so', sol.combination);
  return parts.join(' ');
}

/** The privileged reference solution: same steps in the teacher's template, ending with the answer. */
export function referenceText(sol: Solution, answer: string): string {
  const parts: string[] = [REF_OPEN, readingsText(sol.readings)];
  if (sol.combination) parts.push('hence', sol.combination);
  parts.push('answer', answer, REF_CLOSE);
  return parts.join(' ');
}

/** A reference that holds only the final answer (the 'answer-only' privileged context of OPSD). */
export function answerOnlyReference(answer: string): string {
  return `${REF_OPEN} answer ${answer} ${REF_CLOSE}`;
}

export const OPTION_LETTERS = ['A', 'B', 'C', 'D'] as const;

/**
 * Options as they appear in a mini prompt: 'red (A) blue (B) green (C)'. The value comes before its letter
 * so that a correct trace, which ends with the chosen value and then names its letter ('… is red (A)'),
 * can find the letter by copying what followed that value in the prompt (an induction lookup). With the
 * letter first ('A red B blue') a 3-layer policy stays at chance on the letter even with the correct trace given.
 */
export function optionsText(options: readonly string[]): string {
  return options.map((o, i) => `${o} (${OPTION_LETTERS[i]})`).join(' ');
}

/**
 * Multiple-choice options for a numeric answer, built so that a policy that ignores the image cannot
 * beat chance: one reading (drawn at random among those that give four distinct, non-negative
 * answers) is replaced by each value of a window of 4 consecutive values of its range, taken
 * cyclically (for range 1..7: 6, 7, 1, 2), and the options are the answers computed from those readings.
 * Every value of the range lies in exactly four windows, so the window tells nothing about which of
 * its values was read, and every option is a plausible answer. `range` is the range the readings are
 * drawn from (uniformly); without one (or when no reading works) the options are four consecutive
 * integers with the gold at a uniformly drawn rank. Options come in random order.
 */
export function numericOptions(
  rng: Rng,
  readings: readonly number[],
  compute: (readings: readonly number[]) => number,
  range?: readonly [number, number],
): { options: string[]; answer: string } {
  const gold = compute(readings);
  let values: number[] | null = null;
  if (range && range[1] - range[0] >= 3) {
    const [lo, hi] = range;
    const n = hi - lo + 1;
    for (const axis of rng.shuffle(readings.map((_, i) => i))) {
      const r = readings[axis]!;
      if (r < lo || r > hi) continue;
      const offset = rng.int(0, 3); // position of the true reading inside its window
      const window = [0, 1, 2, 3].map((k) => lo + ((((r - lo - offset + k) % n) + n) % n));
      const candidate = window.map((v) => compute(readings.map((x, i) => (i === axis ? v : x))));
      if (new Set(candidate).size === 4 && candidate.every((v) => Number.isInteger(v) && v >= 0)) {
        values = candidate;
        break;
      }
    }
  }
  if (!values) {
    const start = rng.int(Math.max(0, gold - 3), gold);
    values = [start, start + 1, start + 2, start + 3];
  }
  rng.shuffle(values);
  const idx = values.indexOf(gold);
  return { options: values.map(String), answer: OPTION_LETTERS[idx]! };
}

/** Shuffles option texts and returns the letter of `gold`. */
export function letteredOptions(rng: Rng, texts: readonly string[], gold: string): { options: string[]; answer: string } {
  const options = rng.shuffle([...texts]);
  const idx = options.indexOf(gold);
  if (idx < 0) throw new Error(`letteredOptions: gold '${gold}' not among options`);
  return { options, answer: OPTION_LETTERS[idx]! };
}
