// GRPO (Shao et al. 2024) in the veRL / EasyR1 form used by the RLSD paper's baseline:
// group-normalised outcome advantage A_i = (r_i − mean)/(std + 1e-6) broadcast to every token,
// asymmetric clip (0.2 / 0.28, "clip-higher" from DAPO), dual clip c = 3 for A < 0, token-mean
// aggregation, optional KL to the frozen reference (k3 / k1; coefficient 0 as in the paper).
// `stdNorm: false` gives Dr.GRPO (r − mean, no std division).
//
// Departures: none in the loss. The official script sets `algorithm.disable_kl=True`, so `klCoef` 0.
// Singleton groups get advantage 0 (see core.groupAdvantages); the RL loop always samples G > 1.
//
// `policyGradientLoss` is exported so that RLSD can put its re-weighted advantages into the very
// same surrogate; `grpoTokenAdvantages` builds the [B,T] advantages from rewards and groups.
import * as tf from '@tensorflow/tfjs';
import {
  aggregateLoss,
  clippedPolicyLoss,
  groupAdvantages,
  klPenalty,
  maskFill,
  meanEntropy,
  metric,
  perTokenFromSequence,
  requireShape,
  type KlKind,
  type LossAggMode,
  KL_KINDS,
  LOSS_AGG_MODES,
} from './core.ts';
import { defaultsOf, helpOf, rulesOf, type OptionRules, type OptionSpecs } from './options.ts';
import type { Method, MethodInputs, MethodOutput } from './types.ts';
import { TUNED_LR, TUNED_LR_MINI2 } from './tuned-lr.ts';
import { OKABE_ITO } from '../src/util/palette.ts';

export type GrpoConfig = {
  stdNorm: boolean;
  clipLow: number;
  clipHigh: number;
  dualClipC: number;
  lossAgg: LossAggMode;
  klCoef: number;
  klType: KlKind;
};

/** GRPO's options, each declared once (methods/options.ts); defaults from the RLSD paper's released GRPO/RLSD recipe. */
export const grpoOptions: OptionSpecs<GrpoConfig> = {
  stdNorm: {
    default: true,
    help: 'divide the group-centred reward by the group std (false = Dr.GRPO)',
    rule: { kind: 'boolean' },
    source: 'GRPO (Shao et al. 2024); veRL compute_grpo_outcome_advantage norm_adv_by_std_in_grpo=True',
  },
  clipLow: {
    default: 0.2,
    help: 'lower clip range ε_low of the ratio (1 − ε_low)',
    rule: { kind: 'number', min: 0, max: 1 },
    source: 'iie-ycx/RLSD examples/visual_rl/rlsd_train.sh worker.actor.clip_ratio_low=0.2',
  },
  clipHigh: {
    default: 0.28,
    help: 'upper clip range ε_high of the ratio (1 + ε_high; DAPO clip-higher)',
    rule: { kind: 'number', min: 0 },
    source: 'iie-ycx/RLSD rlsd_train.sh worker.actor.clip_ratio_high=0.28 (DAPO clip-higher)',
  },
  dualClipC: {
    default: 3,
    help: 'dual-clip constant c > 1: for A < 0 the token loss is capped at −A·c',
    rule: { kind: 'number', min: 1, minExclusive: true },
    source: 'iie-ycx/RLSD verl/workers/actor/config.py clip_ratio_dual=3.0 (veRL clip_ratio_c)',
  },
  lossAgg: {
    default: 'token-mean',
    help: `loss aggregation: ${LOSS_AGG_MODES.join(' | ')}`,
    rule: { kind: 'choice', choices: LOSS_AGG_MODES },
    source: 'iie-ycx/RLSD verl/workers/actor/config.py loss_avg_mode="token"',
  },
  klCoef: {
    default: 0,
    help: 'coefficient of the KL-to-reference loss (0 = off, as in the paper)',
    rule: { kind: 'number', min: 0 },
    source: 'iie-ycx/RLSD rlsd_train.sh algorithm.disable_kl=True',
  },
  klType: {
    default: 'k3',
    help: 'KL estimator: k3 (veRL low_var_kl) | k1',
    rule: { kind: 'choice', choices: KL_KINDS },
    source: 'iie-ycx/RLSD examples/visual_rl/rlsd_config.yaml kl_penalty: low_var_kl (unused there: disable_kl)',
  },
};

export const grpoDefaults: GrpoConfig = defaultsOf(grpoOptions);
export const grpoOptionHelp = helpOf(grpoOptions);
export const grpoOptionRules: OptionRules<GrpoConfig> = rulesOf(grpoOptions);

/** Checks the inputs every policy-gradient method needs and returns [B, T]. */
export function batchShape(x: MethodInputs, method: string): [number, number] {
  const [B, T] = x.responseMask.shape;
  if (x.rewards.length !== B || x.groupIds.length !== B) {
    throw new Error(`method '${method}': ${x.rewards.length} rewards and ${x.groupIds.length} group ids for a batch of ${B}`);
  }
  requireShape('logProbs', x.logProbs, [B, T], method);
  requireShape('oldLogProbs', x.oldLogProbs, [B, T], method);
  requireShape('studentLogits', x.studentLogits, [B, T, -1], method);
  return [B, T];
}

/** [B,T] GRPO advantages (constant), zero on padding. */
export function grpoTokenAdvantages(x: MethodInputs, cfg: Pick<GrpoConfig, 'stdNorm'>): tf.Tensor2D {
  const perResponse = groupAdvantages(x.rewards, x.groupIds, { stdNorm: cfg.stdNorm });
  return perTokenFromSequence(perResponse, x.responseMask);
}

/**
 * The clipped surrogate with the given constant per-token advantages, plus the optional KL term.
 * Metrics: actor/pg_loss, actor/pg_clipfrac, actor/pg_clipfrac_lower, actor/ppo_kl,
 * actor/kl_loss (only when klCoef > 0), actor/entropy.
 */
export function policyGradientLoss(x: MethodInputs, cfg: GrpoConfig, tokenAdvantages: tf.Tensor2D, method: string): MethodOutput {
  const mask = x.responseMask;
  const pg = clippedPolicyLoss(x.logProbs, x.oldLogProbs, tokenAdvantages, mask, {
    clipLow: cfg.clipLow,
    clipHigh: cfg.clipHigh,
    dualClipC: cfg.dualClipC,
    agg: cfg.lossAgg,
  });
  const metrics: Record<string, tf.Scalar> = {
    'actor/pg_loss': metric(pg.pgLoss),
    'actor/pg_clipfrac': metric(pg.clipFrac),
    'actor/pg_clipfrac_lower': metric(pg.clipFracLower),
    'actor/ppo_kl': metric(pg.ppoKl),
    'actor/entropy': meanEntropy(x.studentLogits, mask),
  };
  let loss = pg.pgLoss;
  if (cfg.klCoef > 0) {
    requireShape('refLogProbs', x.refLogProbs, mask.shape, method);
    const kl = klPenalty(maskFill(x.logProbs, mask), maskFill(x.refLogProbs!, mask), cfg.klType);
    const klLoss = aggregateLoss(kl, mask, cfg.lossAgg);
    loss = tf.add(loss, tf.mul(klLoss, cfg.klCoef));
    metrics['actor/kl_loss'] = metric(klLoss);
  }
  return { loss, metrics, credit: tokenAdvantages };
}

export const grpo: Method<GrpoConfig> = {
  name: 'grpo',
  summary: 'GRPO: group-normalised outcome advantage, clipped surrogate (0.2/0.28, dual clip 3)',
  label: 'GRPO',
  reportRank: 1,
  // GRPO and GRPO+OPSD (GRPO plus a term, read side by side) take the Okabe–Ito pair furthest apart for dichromats.
  colour: OKABE_ITO.blue,
  trains: true,
  teacherContext: () => null,
  needsFullDistributions: () => false,
  needsReference: (cfg) => cfg.klCoef > 0,
  needsThoughtMask: () => false,
  options: grpoOptions,
  defaults: grpoDefaults,
  optionHelp: grpoOptionHelp,
  recommendedLr: TUNED_LR.grpo,
  recommendedLrBySuite: { 'mini-2': TUNED_LR_MINI2.grpo },
  creditMeaning: (cfg) => `A, the response's group-${cfg.stdNorm ? 'normalised' : 'centred'} advantage, the same on every token`,
  loss(x, cfg) {
    batchShape(x, 'grpo');
    return policyGradientLoss(x, cfg, grpoTokenAdvantages(x, cfg), 'grpo');
  },
};
