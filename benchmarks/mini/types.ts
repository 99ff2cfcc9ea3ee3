// Procedural mini tasks: the embedded default data of rlsd-bench (no downloads).
// Each task carries a privileged reference solution for the self-teacher and an SFT target trace.

import type { Program } from './deep/program.ts';
import type { Segment } from './deep/language.ts';

/** The first suite's families, then the deep world's (benchmarks/mini/deep/families.ts). */
export type FamilyName = 'count' | 'bars' | 'grid' | 'choice' | 'compose' | 'chain' | 'compare' | 'measure' | 'grouped';

/**
 * The versions of the mini suite: 'mini-1', the first (short responses, crisp pictures), and 'mini-2', the deep world
 * (multi-step problems with step-level ground truth, pictures hard to read in places). Runs and evaluations record it.
 */
export const MINI_SUITES = ['mini-1', 'mini-2'] as const;
export type MiniSuite = (typeof MINI_SUITES)[number];

/**
 * Each version's longest response in tokens, EOS included: the first suite's targets fit in 32; the deep world's
 * longest is 79 tokens (benchmarks/mini/deep; measured over 300 problems per benchmark).
 */
export const SUITE_MAX_NEW_TOKENS: Readonly<Record<MiniSuite, number>> = { 'mini-1': 32, 'mini-2': 80 };

/**
 * Each version's held-out test problems per benchmark for a run's final evaluation (train's --final-eval-items 0).
 * mini-2's 2000 put the item standard error of Avg at ≤ 0.5 points (binomial, every benchmark at 50 %:
 * √(0.25 / 2000) / √5 = 0.5 points); its dense curve evaluates the first --eval-items of them. mini-1's 0: the last
 * step evaluates the curve's --eval-items, as every other point.
 */
export const SUITE_FINAL_EVAL_ITEMS: Readonly<Record<MiniSuite, number>> = { 'mini-1': 0, 'mini-2': 2000 };

/**
 * 'train' and 'eval' (the held-out test problems) split the scenes in two halves by a hash of the scene (see
 * generate.ts); 'validation' draws from the held-out half with a stream of its own and skips the scenes of the
 * test problems (build.ts), so tuning on it never touches the test set.
 */
export type MiniSplit = 'train' | 'eval' | 'validation';

/** Side length of every mini image in pixels (RGB); the policy cuts it into PATCH×PATCH patches. */
export const MINI_IMAGE_SIZE = 32;
export const MINI_PATCH = 8;

export interface MiniTask {
  /** Stable id, unique across families and splits, e.g. 'count-eval-000123'. */
  uid: string;
  family: FamilyName;
  split: MiniSplit;
  /** PNG bytes, MINI_IMAGE_SIZE² RGB, pixel-identical on every machine. */
  image: Uint8Array;
  /** The same image as raw interleaved RGB (MINI_IMAGE_SIZE² × 3 bytes, row-major), no PNG decode needed. */
  pixels?: Uint8Array;
  /** The question in the mini language (tokenisable by src/tokenizer.ts). */
  question: string;
  /** Gold answer: an integer as a string, or an option letter ('A'..'D') for multiple choice. */
  answer: string;
  /** Option texts in order (letters A, B, C, …) for multiple-choice tasks. */
  options?: string[];
  /** Step-by-step reference solution (the privileged information the self-teacher sees). */
  reference: string;
  /** The reasoning trace of a correct response, without the final answer statement. */
  trace: string;
  /** For compose tasks: the single-step sub-tasks this task composes (WeMath-style groups). */
  substeps?: MiniTask[];
  /** Family-specific metadata (counts, values, knowledge concept, difficulty …). */
  meta: Record<string, string | number>;
  /** Deep world: the problem's program (every step with its correct value). */
  program?: Program;
  /** Deep world: the spans of the trace's steps and filler, and of the reference's steps (character offsets). */
  traceSegments?: Segment[];
  referenceSegments?: Segment[];
}
