// RLSD — "Self-Distilled RLVR" (arXiv 2604.03128), the paper's method. The verifier decides the
// direction of each response's update (the GRPO advantage A_i); a self-teacher that sees the
// reference solution decides how much each token gets of it:
//   Δ_t  = sg(log P_T(y_t) − log P_S(y_t))            (sampled token only, no full distributions)
//   w_t  = exp(sign(A_i)·Δ_t)                          (A > 0: tokens the teacher likes more weigh more;
//                                                       A < 0: tokens the teacher likes less are blamed more)
//   Â_it = A_i·[(1−λ) + λ·clip(w_t, 1−ε_w, 1+ε_w)],   ε_w = 0.2
// and Â replaces A inside the unchanged GRPO clipped surrogate (grpo.policyGradientLoss).
// A_i = 0 (a group whose rewards are all equal): sign 0 → w = 1 → Â = 0, as torch.sign in the
// official code; such tokens are never counted as clipped.
//
// Where the official code (iie-ycx/RLSD: dp_opsd_actor._build_stgca_advantages, opsd_trainer,
// examples/visual_rl/rlsd_train.sh) departs from the paper, and what we follow:
// - blend: the paper (and the repository README) state Â = A·clip(w); the code mixes
//   (1−λ) + λ·clip(w) with λ = 0.5 (`rlsd_lambda`). We follow the code; lambdaInit 1 with
//   lambdaDecaySteps 0 gives the paper's form.
// - anneal: the code decays λ linearly to 0 (`rlsd_lambda_decay_steps`), 60 steps in the released
//   script; the paper says 50 — our default (`lambdaDecaySteps`).
// - schedule origin: the code's global_step is 1 at the first update, so its first λ is λ0·(1 − 1/D);
//   our step index starts at 0 and the first λ is λ0 (we reach 0 one update later).
// - teacher resync: paper every 10 steps, released script 20 (a frozen copy re-synced from the
//   student); exported as `teacherSyncInterval` = 10 for the loop to read (it is not used here).
// - ε_w: the code defaults it to the PPO clip_ratio_low when unset; the script sets 0.2 (ours).
// - not ported: the code's `negative_only` and `thought_only` switches (both off in the script).
import * as tf from '@tensorflow/tfjs';
import { maskedMean, maskFill, metric, requireShape, stopGradient } from './core.ts';
import { batchShape, grpoDefaults, grpoOptionHelp, grpoOptionRules, grpoTokenAdvantages, policyGradientLoss, type GrpoConfig } from './grpo.ts';
import type { OptionRules } from './options.ts';
import { PRIVILEGED_CONTEXTS, type Method, type PrivilegedContext } from './types.ts';

export type RlsdConfig = GrpoConfig & {
  lambdaInit: number;
  lambdaDecaySteps: number;
  weightClip: number;
  teacherSyncInterval: number;
  privileged: PrivilegedContext;
};

export const rlsdDefaults: RlsdConfig = {
  ...grpoDefaults,
  lambdaInit: 0.5,
  lambdaDecaySteps: 50,
  weightClip: 0.2,
  teacherSyncInterval: 10,
  privileged: 'reference',
};

export const rlsdOptionHelp: Record<keyof RlsdConfig, string> = {
  ...grpoOptionHelp,
  lambdaInit: 'blend weight λ at step 0: Â = A·[(1−λ) + λ·clip(w)] (1 = the paper\'s pure re-weighting)',
  lambdaDecaySteps: 'steps over which λ decays linearly to 0 (0 = keep λ constant; official script: 60)',
  weightClip: 'ε_w: token weights are clipped to [1−ε_w, 1+ε_w]',
  teacherSyncInterval: 're-sync the frozen self-teacher from the student every N steps (read by the loop; script: 20)',
  privileged: "the self-teacher's privileged context: reference (the reference solution) | answer (only the gold answer)",
};

export const rlsdOptionRules: OptionRules<RlsdConfig> = {
  ...grpoOptionRules,
  lambdaInit: { kind: 'number', min: 0, max: 1 },
  lambdaDecaySteps: { kind: 'number', min: 0, integer: true },
  weightClip: { kind: 'number', min: 0 },
  teacherSyncInterval: { kind: 'number', min: 0, integer: true },
  privileged: { kind: 'choice', choices: PRIVILEGED_CONTEXTS },
};

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
  summary: 'RLSD: GRPO whose token advantages are re-weighted by the self-teacher\'s evidence ratio',
  trains: true,
  teacherContext: (cfg) => cfg.privileged,
  needsFullDistributions: () => false,
  needsReference: (cfg) => cfg.klCoef > 0,
  // Â = A·(…) is exactly 0 in a group whose rewards are all equal (A = 0), whatever the teacher says: such
  // groups need no teacher pass. Once λ has decayed to 0, Â = A for every token: no response needs one.
  teacherNeeded: (rewards, groupIds, cfg, step) =>
    rlsdLambda(step, cfg) > 0 ? groupsWithSpread(rewards, groupIds) : new Uint8Array(groupIds.length),
  defaults: rlsdDefaults,
  optionHelp: rlsdOptionHelp,
  loss(x, cfg) {
    const [B, T] = batchShape(x, 'rlsd');
    requireShape('teacherLogProbs', x.teacherLogProbs, [B, T], 'rlsd');
    const mask = x.responseMask;
    const lambda = rlsdLambda(x.step, cfg);
    const advantages = grpoTokenAdvantages(x, cfg); // [B,T], zero on padding

    const delta = stopGradient(maskFill(tf.sub(x.teacherLogProbs!, x.logProbs), mask)); // Δ_t
    // Δ is clamped to ±50 nats inside the exponent only: after the clip this changes nothing for any
    // ε_w < e^50 − 1, and it keeps w finite (and sign(0)·Δ = 0) even for a −Inf log-prob.
    const weight = tf.exp(tf.mul(tf.sign(advantages), tf.clipByValue(delta, -50, 50))); // w_t = exp(sign(A)·Δ)
    const clippedWeight = tf.clipByValue(weight, 1 - cfg.weightClip, 1 + cfg.weightClip);
    const reweight = tf.add(1 - lambda, tf.mul(clippedWeight, lambda)); // (1−λ) + λ·clip(w)
    const rlsdAdvantages = stopGradient(tf.mul(advantages, reweight)) as tf.Tensor2D; // Â

    const out = policyGradientLoss(x, cfg, rlsdAdvantages, 'rlsd');
    // Δ statistics over the responses that had a teacher pass (all of them unless the loop skipped some).
    const statMask = x.teacherAvailable ? (tf.mul(mask, tf.tensor2d(x.teacherAvailable, [B, 1])) as tf.Tensor2D) : mask;
    const clippedLow = tf.cast(tf.less(weight, 1 - cfg.weightClip), 'float32');
    const clippedHigh = tf.cast(tf.greater(weight, 1 + cfg.weightClip), 'float32');
    out.metrics['rlsd/lambda'] = tf.scalar(lambda);
    out.metrics['rlsd/delta_mean'] = metric(maskedMean(delta, statMask));
    out.metrics['rlsd/delta_abs_mean'] = metric(maskedMean(tf.abs(delta), statMask));
    out.metrics['rlsd/weight_clipfrac'] = metric(maskedMean(tf.add(clippedLow, clippedHigh), statMask));
    out.metrics['rlsd/weight_clipfrac_low'] = metric(maskedMean(clippedLow, statMask));
    out.metrics['rlsd/weight_clipfrac_high'] = metric(maskedMean(clippedHigh, statMask));
    out.metrics['rlsd/adv_abs_mean'] = metric(maskedMean(tf.abs(rlsdAdvantages), mask));
    return out;
  },
};
