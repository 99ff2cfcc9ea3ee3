// The method contract (docs/design.md §3.1). A method is a pure function over one rollout batch: it never
// sees the loop, and the loop never tests a method's name — it reads the flags declared here.
import type * as tf from '@tensorflow/tfjs';
import type { MethodConfig, OptionSpecs, Sourced } from './options.ts';
import type { TeacherRegime } from './teacher-regime.ts';

/** One rollout batch: B = prompts × G responses, T = padded response length, V = vocabulary size. */
export interface MethodInputs {
  /** [B,T] 1 on response tokens (including the EOS the policy emitted), 0 on padding. */
  responseMask: tf.Tensor2D;
  /** [B] which prompt (group) each response answers; responses of a group need not be contiguous. */
  groupIds: Int32Array;
  /** [B] verifier score in [0,1] (NaN is treated as a failed verification: 0). */
  rewards: Float32Array;
  /** [B,T] log π_θ(y_t | x, y_<t) of the sampled tokens under the current policy — differentiable. */
  logProbs: tf.Tensor2D;
  /** [B,T] the same at rollout time (constant). */
  oldLogProbs: tf.Tensor2D;
  /** [B,T] student logits over the vocabulary — differentiable; always provided (entropy is read from it). */
  studentLogits: tf.Tensor3D;
  /** [B,T] self-teacher log-probs of the sampled tokens with privileged context (constant). Only when needsTeacher. */
  teacherLogProbs?: tf.Tensor2D;
  /** [B,T,V] self-teacher logits (constant). Only when needsFullDistributions(cfg). */
  teacherLogits?: tf.Tensor3D;
  /** [B] 1 where the teacher actually had privileged context (SDPO: a group with a successful response), else 0. */
  teacherAvailable?: Float32Array;
  /** [B,T] log-probs under the frozen reference policy (constant). Only when needsReference(cfg). */
  refLogProbs?: tf.Tensor2D;
  /**
   * [B,T] 1 on the tokens of each response's reasoning span, 0 elsewhere (constant). Only when needsThoughtMask(cfg).
   * On the mini suite: every token before the response's final answer statement (benchmarks/mini/thought-span.ts).
   */
  thoughtMask?: tf.Tensor2D;
  /** Training step index, starting at 0 (drives schedules such as RLSD's λ; a step may make several optimiser updates). */
  step: number;
}

export interface MethodOutput {
  /** The scalar to minimise. */
  loss: tf.Scalar;
  /** Scalars to log under stable names (e.g. 'actor/pg_loss', 'rlsd/lambda'). The loop reads and disposes them. */
  metrics: Record<string, tf.Scalar>;
  /**
   * [B,T] each response token's credit as the loss applies it (constant, 0 on padding): the advantage its log-prob is
   * multiplied by in a policy-gradient loss (GRPO's A, RLSD's Â), or a distillation method's per-token signal in its
   * own terms (methods/opsd.ts). The loop reads it for the credit/* metrics (src/train/credit.ts) and disposes it.
   */
  credit?: tf.Tensor2D;
  /**
   * [B,T] for a method whose credit is a sequence advantage re-weighted token by token: the factor each token's
   * advantage is multiplied by (credit = A·creditWeight; RLSD: (1−λ) + λ·clip(w_t, 1 ± ε_w), 1 outside an ablation's
   * scope). Read by credit views (src/credit/); the training loop disposes it.
   */
  creditWeight?: tf.Tensor2D;
}

/** The self-teacher's privileged context: the reference solution, only the gold answer (both in `[ref] … [/ref]`), or a successful response of the group (SDPO). */
export type TeacherContext = 'reference' | 'answer' | 'group_success';
// A method's option values and the privileged contexts a teacher option may name are declared with the options.
export { PRIVILEGED_CONTEXTS, type MethodConfig, type PrivilegedContext } from './options.ts';

export interface Method<C extends MethodConfig = MethodConfig> {
  name: string;
  /** Its help line: one line for `rlsd-bench methods`. */
  summary: string;
  /** Its name in the report's tables and chart legends (the paper's: 'GRPO+OPSD'). */
  label: string;
  /** Its place among the report's rows, lower first (the paper's Table 2 order); without one it follows those with one, by name. */
  reportRank?: number;
  /** Its colour in the report's charts (CSS hex, src/util/palette.ts); without one it takes a spare colour. */
  colour?: string;
  /** False for `base`: the loop then performs no update at all. */
  trains: boolean;
  /** Privileged context the self-teacher sees, or null when the method uses no teacher. */
  teacherContext(cfg: C): TeacherContext | null;
  /** How the self-teacher's weights are kept (methods/teacher-regime.ts); present when teacherContext can be non-null. */
  teacherRegime?(cfg: C): TeacherRegime;
  /** True when the method needs full [B,T,V] teacher logits (OPSD's vocabulary-level divergence). */
  needsFullDistributions(cfg: C): boolean;
  /**
   * Optional: which responses need a teacher pass at all (1 = needed). The loop skips the others (their
   * `teacherAvailable` is 0 and their teacher log-probs equal the rollout's), so a method declares here only
   * responses whose loss cannot depend on the teacher. Absent = every response.
   */
  teacherNeeded?(rewards: Float32Array, groupIds: Int32Array, cfg: C, step: number): Uint8Array;
  /** True when a KL term to the frozen reference policy is active. */
  needsReference(cfg: C): boolean;
  /** True when the loss reads `thoughtMask` (RLSD's thoughtOnly ablation). */
  needsThoughtMask(cfg: C): boolean;
  /** Every option declared once: default, help, rule and where the default comes from (methods/options.ts). */
  options: OptionSpecs<C>;
  /** Every option's default (derived from `options`). */
  defaults: C;
  /** Every option's help line (derived from `options`; shown by `rlsd-bench methods --verbose`). */
  optionHelp: Record<keyof C & string, string>;
  /** Where a privileged context that is not an option comes from (SDPO's group success); shown by `methods --verbose`. */
  teacherContextSource?: string;
  /**
   * The learning rate to train this method with (the default of train's `--lr`), and where it comes from. Without
   * one the method trains at UNTUNED_LR (methods/tuned-lr.ts) and train says so in one line.
   */
  recommendedLr?: Sourced<number>;
  /**
   * A rate tuned on one mini suite's base (keyed by suite version, e.g. 'mini-2'): a run from a base of that suite
   * trains with it; a suite without an entry takes `recommendedLr`, and its source says it was tuned elsewhere.
   */
  recommendedLrBySuite?: Readonly<Record<string, Sourced<number>>>;
  /** What its per-token credit (MethodOutput.credit) is, in its own terms: one line for credit views (src/credit/). */
  creditMeaning?(cfg: C): string;
  loss(x: MethodInputs, cfg: C): MethodOutput;
}
