// SDPO — Self-Distillation Policy Optimization (Hübotter et al. 2026, "Reinforcement Learning via
// Self-Distillation", arXiv 2601.20802; code lasgroup/SDPO, also TRL's experimental SDPOTrainer),
// a row of the RLSD paper's table. It is OPSD's loss (opsd.distillationLoss) with a different
// privileged context: the self-teacher sees a *successful response of the same group* instead of
// the reference solution (teacherContext 'group_success'; the loop builds it). Responses whose
// teacher had no such context (`teacherAvailable` = 0: no other successful response in the group)
// get zero weight.
//
// Matched (lasgroup/SDPO core_algos.compute_self_distillation_loss and its actor config):
// - the distillation loss replaces the policy-gradient loss entirely (loss_mode 'sdpo');
// - full-logit generalised JSD with α = 0.5 (same convention as TRL/GKD: 0 forward, 1 reverse KL);
// - per-token importance weight min(exp(sg(logp − old)), 2) (`is_clip` 2);
// - loss mask = response mask × self-distillation mask, token-mean over that mask (0 when empty);
// - the teacher is an exponential moving average of the student, θ_T ← (1 − 0.05)·θ_T + 0.05·θ_S after every
//   training step (`teacher=ema:0.05`: actor.yaml `teacher_regularization: ema`, `teacher_update_rate: 0.05`;
//   their math config uses 0.01), starting from the initial weights.
// Left to the loop (documented for it): the teacher's demonstration is another response of the group with
// reward ≥ the success threshold (actor.yaml `success_reward_threshold: 0.5`, 1.0 in their math config; the
// loop uses ≥ 1), never the response itself (`dont_reprompt_on_self_success`), in the template "…Correct
// solution: … Correctly solve the original question."
// Not matched: SDPO distils over the student's top-100 logits plus a tail bucket — we use the exact
// full vocabulary (ours is tiny); no rich environment feedback exists here (scalar rewards only). The RLSD
// repository's own SDPO mode differs again (it samples 8 extra candidates per prompt and also shows the shortest
// incorrect attempt as feedback); not ported.
import * as tf from '@tensorflow/tfjs';
import { metric } from './core.ts';
import { distillationCreditMeaning, distillationLoss, teacherMask, teacherRows, opsdOptions, type OpsdConfig } from './opsd.ts';
import { defaultsOf, helpOf, rulesOf, teacherOption, type OptionRules, type OptionSpecs } from './options.ts';
import { requireTeacherRegime } from './teacher-regime.ts';
import type { Method } from './types.ts';
import { TUNED_LR, TUNED_LR_MINI2 } from './tuned-lr.ts';
import { OKABE_ITO } from '../src/util/palette.ts';

/** OPSD's options without `privileged`: SDPO's teacher context is always a successful response of the group. */
export type SdpoConfig = Omit<OpsdConfig, 'privileged'>;

const ACTOR_YAML = 'lasgroup/SDPO verl/trainer/config/actor/actor.yaml';

/** SDPO's options, each declared once (methods/options.ts): OPSD's, with the authors' defaults. */
export const sdpoOptions: OptionSpecs<SdpoConfig> = {
  variant: { ...opsdOptions.variant, source: `${ACTOR_YAML} self_distillation.full_logit_distillation: True` },
  beta: { ...opsdOptions.beta, source: `${ACTOR_YAML} self_distillation.alpha: 0.5 (same convention: 0 forward, 1 reverse KL)` },
  temperature: { ...opsdOptions.temperature },
  lossAgg: { ...opsdOptions.lossAgg, source: `${ACTOR_YAML} loss_agg_mode: token-mean` },
  isClip: { ...opsdOptions.isClip, default: 2, source: `${ACTOR_YAML} self_distillation.is_clip: 2` },
  teacher: teacherOption('ema:0.05', `${ACTOR_YAML} self_distillation.teacher_regularization: ema, teacher_update_rate: 0.05`),
};

export const sdpoDefaults: SdpoConfig = defaultsOf(sdpoOptions);
export const sdpoOptionHelp = helpOf(sdpoOptions);
export const sdpoOptionRules: OptionRules<SdpoConfig> = rulesOf(sdpoOptions);

export const sdpo: Method<SdpoConfig> = {
  name: 'sdpo',
  summary: 'SDPO: self-distillation towards a teacher that sees a successful response of the same group',
  label: 'SDPO',
  reportRank: 3,
  colour: OKABE_ITO.reddishPurple,
  trains: true,
  teacherContext: () => 'group_success',
  teacherContextSource: `${ACTOR_YAML}: another successful response of the group (dont_reprompt_on_self_success: True), never the response itself`,
  teacherRegime: (cfg) => requireTeacherRegime(cfg.teacher, 'sdpo'),
  needsFullDistributions: (cfg) => cfg.variant === 'jsd',
  needsReference: () => false,
  needsThoughtMask: () => false,
  options: sdpoOptions,
  defaults: sdpoDefaults,
  optionHelp: sdpoOptionHelp,
  recommendedLr: TUNED_LR.sdpo,
  recommendedLrBySuite: { 'mini-2': TUNED_LR_MINI2.sdpo },
  creditMeaning: (cfg) => distillationCreditMeaning(cfg),
  loss(x, cfg) {
    const rows = teacherRows(x, 'sdpo', true)!;
    const out = distillationLoss(x, cfg, teacherMask(x, rows), 'sdpo');
    out.metrics['sdpo/teacher_coverage'] = metric(tf.mean(tf.tensor1d(rows)));
    return out;
  },
};
