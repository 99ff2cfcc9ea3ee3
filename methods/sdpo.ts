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
// - loss mask = response mask × self-distillation mask, token-mean over that mask (0 when empty).
// Left to the loop (documented for it): the teacher's demonstration is another response of the
// group with reward ≥ the success threshold (1.0 in their math config), never the response itself
// (`dont_reprompt_on_self_success`), in the template "…Correct solution: … Correctly solve the
// original question."
// Not matched: SDPO distils over the student's top-100 logits plus a tail bucket — we use the exact
// full vocabulary (ours is tiny); SDPO's teacher is an EMA of the student (rate 0.05; 0.01 in their
// math config) while ours is whatever the loop provides (frozen copy re-synced, or the live student);
// no rich environment feedback exists here (scalar rewards only). The RLSD repository's own SDPO
// mode differs again (it samples 8 extra candidates per prompt and also shows the shortest
// incorrect attempt as feedback); not ported.
import * as tf from '@tensorflow/tfjs';
import { metric } from './core.ts';
import { distillationLoss, teacherMask, teacherRows, opsdOptionHelp, opsdOptionRules, type OpsdConfig } from './opsd.ts';
import type { OptionRules } from './options.ts';
import type { Method } from './types.ts';

/** OPSD's options without `privileged`: SDPO's teacher context is always a successful response of the group. */
export type SdpoConfig = Omit<OpsdConfig, 'privileged'>;

export const sdpoDefaults: SdpoConfig = {
  variant: 'jsd',
  beta: 0.5,
  temperature: 1,
  lossAgg: 'token-mean',
  isClip: 2,
};

const { privileged: _help, ...opsdHelpShared } = opsdOptionHelp;
const { privileged: _rule, ...opsdRulesShared } = opsdOptionRules;
export const sdpoOptionHelp: Record<keyof SdpoConfig, string> = opsdHelpShared;
export const sdpoOptionRules: OptionRules<SdpoConfig> = opsdRulesShared;

export const sdpo: Method<SdpoConfig> = {
  name: 'sdpo',
  summary: 'SDPO: self-distillation towards a teacher that sees a successful response of the same group',
  trains: true,
  teacherContext: () => 'group_success',
  needsFullDistributions: (cfg) => cfg.variant === 'jsd',
  needsReference: () => false,
  defaults: sdpoDefaults,
  optionHelp: sdpoOptionHelp,
  loss(x, cfg) {
    const rows = teacherRows(x, 'sdpo', true)!;
    const out = distillationLoss(x, cfg, teacherMask(x, rows), 'sdpo');
    out.metrics['sdpo/teacher_coverage'] = metric(tf.mean(tf.tensor1d(rows)));
    return out;
  },
};
