// RLSD — "Self-Distilled RLVR" (arXiv 2604.03128), the paper's method. The verifier decides the
// direction of each response's update (the GRPO advantage A_i); a self-teacher that sees privileged
// context decides how much each token gets of it:
//   Δ_t  = sg(log P_T(y_t) − log P_S(y_t))            (sampled token only, no full distributions)
//   w_t  = exp(sign(A_i)·Δ_t)                          (A > 0: tokens the teacher likes more weigh more;
//                                                       A < 0: tokens the teacher likes less are blamed more)
//   Â_it = A_i·[(1−λ) + λ·clip(w_t, 1−ε_w, 1+ε_w)],   ε_w = 0.2
// and Â replaces A inside the unchanged GRPO clipped surrogate (grpo.policyGradientLoss).
// A_i = 0 (a group whose rewards are all equal): sign 0 → w = 1 → Â = 0, as torch.sign in the
// official code; such tokens are never counted as clipped.
//
// Setup, each default with its reference (declared once in `rlsdOptions`; `rlsd-bench methods --verbose`):
// - teacher regime `teacher=sync:10`: a frozen copy of the student re-synced every 10 steps, the paper's value.
//   The released iie-ycx/RLSD examples/visual_rl/rlsd_train.sh sets `opsd.freeze_teacher_model=True` with
//   `opsd.rlsd_teacher_sync_interval=20` (`teacher=sync:20`); verl/trainer/opsd_config.py's own defaults
//   (`freeze_teacher_model=False`, interval 0) would make the live student the teacher (`teacher=live`).
// - privileged context `privileged=answer`: rlsd_train.sh `data.trajectory_key=answer` (rlsd_config.yaml
//   `use_gt_as_hint: true`), as the paper says. On the mini suite the self-teacher then sees
//   '[ref] answer X [/ref] <the student's prompt>' (benchmarks/mini/language.ts answerOnlyReference; X = the
//   gold answer: a number, or the option letter): the question, its options and format hint, and the gold
//   answer — none of the solution's steps. `privileged=reference` shows the full reference solution, which on
//   the mini suite is nearly the target response word for word (an oracle teacher; an ablation).
// - λ0 = 0.5 (opsd_config.py `rlsd_lambda=0.5`, the script's RLSD_LAMBDA=0.5), decayed over 50 steps (the
//   paper; the script's `opsd.rlsd_lambda_decay_steps=60`), ε_w = 0.2 (the script's RLSD_REWEIGHT_CLIP_RANGE).
//
// The official ablations (opsd_config.py `rlsd_negative_only`, `rlsd_thought_only`, both False by default and in
// the script), exactly as verl/workers/actor/dp_opsd_actor._build_stgca_advantages applies them, after the blend:
// - `negativeOnly`: rows whose summed token advantage is < 0 (A_i < 0) are re-weighted; every other row keeps
//   the plain GRPO advantage (re-weight 1).
// - `thoughtOnly`: only tokens of the reasoning span (input `thoughtMask`, 1 there) are re-weighted; the others
//   keep weight 1. The official span is the text strictly inside <thought> … </thought> (opsd_trainer
//   ._build_thought_span_mask; an unclosed span runs to the end). The mini responses have no tags: their
//   reasoning span is every token before the final answer statement (benchmarks/mini/thought-span.ts).
// Both together compose as in the official code (a token is re-weighted only in a negative row and in the span).
//
// Metrics. The official set, under its own names (`grpo_opsd/stgca_*`, _build_stgca_advantages and
// opsd_trainer's `stgca_effective_lambda`), with its denominators: every mean is over ALL valid response tokens
// of the batch (VF.masked_mean with the response mask), and the weight statistics are of the pre-ablation
// weights w and clip(w):
//   stgca_delta_mean, stgca_weight_mean, stgca_clipped_weight_mean, stgca_clip_low_ratio, stgca_clip_high_ratio,
//   stgca_adv_mean, stgca_adv_abs_mean (of the final Â, after the ablations), stgca_effective_lambda;
//   with negativeOnly stgca_negative_only (1), stgca_neg_seq_ratio (rows with an A < 0 token / all rows),
//   stgca_neg_delta_mean (Δ over the A < 0 tokens); with thoughtOnly stgca_thought_only (1) and
//   stgca_thought_token_ratio (span tokens / response tokens).
// Ours, kept where they say what the official set does not — each over the tokens of the rows that had a
// teacher pass (`teacherAvailable`; all rows when the loop gives none):
//   rlsd/delta_mean, rlsd/delta_abs_mean, rlsd/weight_clipfrac (low + high).
// Where ours and the official figures part: the loop skips the teacher pass of rows whose loss cannot use it
// (`teacherNeeded`: groups whose rewards are all equal, every row once λ is 0). Such rows have A = 0, so w = 1
// exactly as in the official code and no weight statistic changes; but their Δ is counted as 0 in
// stgca_delta_mean where the official code scores them (rlsd/delta_mean leaves them out), and once λ has decayed
// to 0 no pass runs at all, so the stgca weight statistics read w = 1, ratios 0 where the official code, which
// keeps scoring, would show the teacher's. `negativeOnly` does not narrow `teacherNeeded`: the official weight
// statistics cover the A > 0 rows as well.
//
// Other departures from the official code, and what we follow:
// - blend: the paper (and the repository README) state Â = A·clip(w); the code mixes
//   (1−λ) + λ·clip(w). We follow the code; lambdaInit 1 with lambdaDecaySteps 0 gives the paper's form.
// - schedule origin: the code's global_step is 1 at the first update, so its first λ is λ0·(1 − 1/D);
//   our step index starts at 0 and the first λ is λ0 (we reach 0 one update later). The code's
//   `rlsd_lambda_warmup_steps` (0 in the script) is not ported.
// - Δ is clamped to ±50 nats inside the exponent (the code does not clamp): after the clip this changes
//   nothing for any ε_w < e^50 − 1; it keeps w finite for a −Inf log-prob (stgca_weight_mean then reads e^50,
//   where the code's would be Inf).
// - ε_w: the code defaults it to the PPO clip_ratio_low when unset; the script sets 0.2 (ours).
import * as tf from '@tensorflow/tfjs';
import { groupAdvantages, maskedMean, maskFill, metric, perTokenFromSequence, requireShape, stopGradient } from './core.ts';
import { batchShape, grpoOptions, policyGradientLoss, type GrpoConfig } from './grpo.ts';
import { ANSWER_CONTEXT_SOURCE, defaultsOf, helpOf, privilegedOption, rulesOf, teacherOption, type OptionRules, type OptionSpecs } from './options.ts';
import { requireTeacherRegime } from './teacher-regime.ts';
import type { Method, PrivilegedContext } from './types.ts';
import { TUNED_LR, TUNED_LR_MINI2 } from './tuned-lr.ts';
import { OKABE_ITO } from '../src/util/palette.ts';

export type RlsdConfig = GrpoConfig & {
  lambdaInit: number;
  lambdaDecaySteps: number;
  weightClip: number;
  negativeOnly: boolean;
  thoughtOnly: boolean;
  privileged: PrivilegedContext;
  teacher: string;
};

const SCRIPT = 'iie-ycx/RLSD examples/visual_rl/rlsd_train.sh';
const CONFIG = 'iie-ycx/RLSD verl/trainer/opsd_config.py';

/** RLSD's options, each declared once (methods/options.ts): GRPO's plus its own. */
export const rlsdOptions: OptionSpecs<RlsdConfig> = {
  ...grpoOptions,
  lambdaInit: {
    default: 0.5,
    help: "blend weight λ at step 0: Â = A·[(1−λ) + λ·clip(w)] (1 = the paper's pure re-weighting)",
    rule: { kind: 'number', min: 0, max: 1 },
    source: `${CONFIG} rlsd_lambda=0.5; ${SCRIPT} RLSD_LAMBDA=0.5`,
  },
  lambdaDecaySteps: {
    default: 50,
    help: 'steps over which λ decays linearly to 0 (0 = keep λ constant)',
    rule: { kind: 'number', min: 0, integer: true },
    source: `paper: 50; released script: 60 (${SCRIPT}: opsd.rlsd_lambda_decay_steps=60)`,
  },
  weightClip: {
    default: 0.2,
    help: 'ε_w: token weights are clipped to [1−ε_w, 1+ε_w]',
    rule: { kind: 'number', min: 0 },
    source: `${SCRIPT} RLSD_REWEIGHT_CLIP_RANGE=0.2`,
  },
  negativeOnly: {
    default: false,
    help: 'ablation: re-weight only rows with A < 0; the others keep the plain GRPO advantage',
    rule: { kind: 'boolean' },
    source: `${CONFIG} rlsd_negative_only=False (not set by the script)`,
  },
  thoughtOnly: {
    default: false,
    help: 'ablation: re-weight only the reasoning span (tokens before the final answer statement); others keep weight 1',
    rule: { kind: 'boolean' },
    source: `${CONFIG} rlsd_thought_only=False (not set by the script)`,
  },
  privileged: privilegedOption('answer', ANSWER_CONTEXT_SOURCE),
  teacher: teacherOption('sync:10', `paper: 10; released script: 20 (${SCRIPT}: freeze_teacher_model=True, rlsd_teacher_sync_interval=20)`),
};

export const rlsdDefaults: RlsdConfig = defaultsOf(rlsdOptions);
export const rlsdOptionHelp = helpOf(rlsdOptions);
export const rlsdOptionRules: OptionRules<RlsdConfig> = rulesOf(rlsdOptions);

/** 1 for every response of a group whose rewards are not all equal (NaN counts as 0, as in the advantage). */
export function groupsWithSpread(rewards: Float32Array, groupIds: Int32Array): Uint8Array {
  const lo = new Map<number, number>();
  const hi = new Map<number, number>();
  rewards.forEach((r0, i) => {
    const r = Number.isNaN(r0) ? 0 : r0;
    const g = groupIds[i]!;
    lo.set(g, Math.min(lo.get(g) ?? Infinity, r));
    hi.set(g, Math.max(hi.get(g) ?? -Infinity, r));
  });
  return Uint8Array.from(groupIds, (g) => (hi.get(g)! > lo.get(g)! ? 1 : 0));
}

/** λ at training step `step` (0-based): λ0·max(0, 1 − step/D); D = 0 keeps λ0 for ever. */
export function rlsdLambda(step: number, cfg: Pick<RlsdConfig, 'lambdaInit' | 'lambdaDecaySteps'>): number {
  if (cfg.lambdaDecaySteps <= 0) return cfg.lambdaInit;
  const progress = Math.min(Math.max(step / cfg.lambdaDecaySteps, 0), 1);
  return cfg.lambdaInit * (1 - progress);
}

export const rlsd: Method<RlsdConfig> = {
  name: 'rlsd',
  summary: "RLSD: GRPO whose token advantages are re-weighted by the self-teacher's evidence ratio",
  label: 'RLSD',
  reportRank: 5,
  colour: OKABE_ITO.vermillion,
  trains: true,
  teacherContext: (cfg) => cfg.privileged,
  teacherRegime: (cfg) => requireTeacherRegime(cfg.teacher, 'rlsd'),
  needsFullDistributions: () => false,
  needsReference: (cfg) => cfg.klCoef > 0,
  needsThoughtMask: (cfg) => cfg.thoughtOnly,
  // Â = A·(…) is exactly 0 in a group whose rewards are all equal (A = 0), whatever the teacher says: such
  // groups need no teacher pass. Once λ has decayed to 0, Â = A for every token: no response needs one.
  teacherNeeded: (rewards, groupIds, cfg, step) =>
    rlsdLambda(step, cfg) > 0 ? groupsWithSpread(rewards, groupIds) : new Uint8Array(groupIds.length),
  options: rlsdOptions,
  defaults: rlsdDefaults,
  optionHelp: rlsdOptionHelp,
  recommendedLr: TUNED_LR.rlsd,
  recommendedLrBySuite: { 'mini-2': TUNED_LR_MINI2.rlsd },
  creditMeaning: (cfg) =>
    `Â_t = A·[(1−λ) + λ·clip(w_t, ${1 - cfg.weightClip}, ${1 + cfg.weightClip})], w_t = exp(sign(A)·Δ_t), λ from ${cfg.lambdaInit} to 0 over ${cfg.lambdaDecaySteps} steps (weight: the bracket)` +
    `${cfg.negativeOnly ? '; re-weighted only where A < 0' : ''}${cfg.thoughtOnly ? '; re-weighted only on the reasoning span' : ''}`,
  loss(x, cfg) {
    const [B, T] = batchShape(x, 'rlsd');
    requireShape('teacherLogProbs', x.teacherLogProbs, [B, T], 'rlsd');
    if (cfg.thoughtOnly) requireShape('thoughtMask', x.thoughtMask, [B, T], 'rlsd');
    const mask = x.responseMask;
    const lambda = rlsdLambda(x.step, cfg);
    const perResponse = groupAdvantages(x.rewards, x.groupIds, { stdNorm: cfg.stdNorm });
    const advantages = perTokenFromSequence(perResponse, mask); // [B,T] A, zero on padding

    const delta = stopGradient(maskFill(tf.sub(x.teacherLogProbs!, x.logProbs), mask)); // Δ_t
    // Δ is clamped to ±50 nats inside the exponent only (see the header); sign(0)·Δ = 0 keeps w = 1 on A = 0 rows.
    const weight = tf.exp(tf.mul(tf.sign(advantages), tf.clipByValue(delta, -50, 50))); // w_t = exp(sign(A)·Δ)
    const clippedWeight = tf.clipByValue(weight, 1 - cfg.weightClip, 1 + cfg.weightClip);
    let reweight: tf.Tensor = tf.add(1 - lambda, tf.mul(clippedWeight, lambda)); // (1−λ) + λ·clip(w)
    // The ablations keep re-weight 1 outside their scope: r ← s·r + (1 − s), s ∈ {0, 1} (A is 0 on padding anyway).
    let negative: tf.Tensor2D | undefined;
    if (cfg.negativeOnly) {
      negative = tf.tensor2d(Float32Array.from(perResponse, (a) => (a < 0 ? 1 : 0)), [B, 1]);
      reweight = tf.add(tf.mul(negative, reweight), tf.sub(1, negative));
    }
    let thought: tf.Tensor2D | undefined;
    if (cfg.thoughtOnly) {
      thought = tf.mul(x.thoughtMask!, mask) as tf.Tensor2D; // the span within the response, as the official mask
      reweight = tf.add(tf.mul(thought, reweight), tf.sub(1, thought));
    }
    const rlsdAdvantages = stopGradient(tf.mul(advantages, reweight)) as tf.Tensor2D; // Â

    const out = policyGradientLoss(x, cfg, rlsdAdvantages, 'rlsd');
    const m = out.metrics;
    const clippedLow = tf.cast(tf.less(weight, 1 - cfg.weightClip), 'float32');
    const clippedHigh = tf.cast(tf.greater(weight, 1 + cfg.weightClip), 'float32');
    // Rows with a teacher pass (all unless the loop skipped some): Δ of the others is not the teacher's.
    const passed = x.teacherAvailable ? (tf.mul(mask, tf.tensor2d(x.teacherAvailable, [B, 1])) as tf.Tensor2D) : mask;
    const teacherDelta = x.teacherAvailable ? tf.mul(delta, passed) : delta;

    // The official set: every mean over all valid response tokens, weights before the ablations.
    m['grpo_opsd/stgca_delta_mean'] = metric(maskedMean(teacherDelta, mask));
    m['grpo_opsd/stgca_weight_mean'] = metric(maskedMean(weight, mask));
    m['grpo_opsd/stgca_clipped_weight_mean'] = metric(maskedMean(clippedWeight, mask));
    m['grpo_opsd/stgca_clip_low_ratio'] = metric(maskedMean(clippedLow, mask));
    m['grpo_opsd/stgca_clip_high_ratio'] = metric(maskedMean(clippedHigh, mask));
    m['grpo_opsd/stgca_adv_mean'] = metric(maskedMean(rlsdAdvantages, mask));
    m['grpo_opsd/stgca_adv_abs_mean'] = metric(maskedMean(tf.abs(rlsdAdvantages), mask));
    m['grpo_opsd/stgca_effective_lambda'] = tf.scalar(lambda);
    if (negative) {
      const negTokens = tf.mul(mask, negative); // response tokens of the A < 0 rows
      m['grpo_opsd/stgca_negative_only'] = tf.scalar(1);
      m['grpo_opsd/stgca_neg_seq_ratio'] = metric(tf.mean(tf.cast(tf.greater(tf.sum(negTokens, -1), 0), 'float32')));
      m['grpo_opsd/stgca_neg_delta_mean'] = metric(tf.div(tf.sum(tf.mul(delta, negTokens)), tf.maximum(tf.sum(negTokens), 1)));
    }
    if (thought) {
      m['grpo_opsd/stgca_thought_only'] = tf.scalar(1);
      m['grpo_opsd/stgca_thought_token_ratio'] = metric(tf.div(tf.sum(thought), tf.maximum(tf.sum(mask), 1)));
    }
    // Ours: over the tokens of the rows that had a teacher pass.
    m['rlsd/delta_mean'] = metric(maskedMean(delta, passed));
    m['rlsd/delta_abs_mean'] = metric(maskedMean(tf.abs(delta), passed));
    m['rlsd/weight_clipfrac'] = metric(maskedMean(tf.add(clippedLow, clippedHigh), passed));
    // Built from the stopped Δ and constants: it carries no gradient.
    return { ...out, creditWeight: reweight as tf.Tensor2D };
  },
};
