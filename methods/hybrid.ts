// GRPO + OPSD (the paper's "GRPO+OPSD" row): L = grpoWeight·L_GRPO + opsdWeight·L_OPSD, built by
// calling the two modules' own `loss` functions — no maths of its own. The options are the union of
// both modules' options plus the two weights; `lossAgg` is shared by both terms. The OPSD term is set up as
// OPSD is (methods/opsd.ts): privileged context `answer` (iie-ycx/RLSD rlsd_train.sh
// `data.trajectory_key=answer`) and teacher regime `live` (opsd_config.py `freeze_teacher_model=False`). No reference
// gives the weights: the default 1 : 0.25 is the tuning grid's choice (methods/tuned-lr.ts), a departure from the
// paper's plain sum. Metrics are both
// modules' metrics under their own names (actor/*, opsd/*). A term whose weight is 0 is not
// computed at all (so grpoWeight 0 needs no rewards signal and opsdWeight 0 needs no teacher).
import * as tf from '@tensorflow/tfjs';
import { LOSS_AGG_MODES } from './core.ts';
import { grpo, grpoOptions, type GrpoConfig } from './grpo.ts';
import { opsd, opsdOptions, type OpsdConfig } from './opsd.ts';
import { defaultsOf, helpOf, rulesOf, type OptionRules, type OptionSpecs } from './options.ts';
import type { Method, MethodOutput } from './types.ts';
import { HYBRID_OPSD_WEIGHT_SOURCE, TUNED_LR, TUNED_LR_MINI2 } from './tuned-lr.ts';
import { OKABE_ITO } from '../src/util/palette.ts';

export type HybridConfig = GrpoConfig & OpsdConfig & { grpoWeight: number; opsdWeight: number };

/**
 * The union of both modules' option declarations plus the two weights. The OPSD term's setup is OPSD's own:
 * `privileged=answer` and `teacher=live` (methods/opsd.ts cites both).
 */
export const hybridOptions: OptionSpecs<HybridConfig> = {
  ...grpoOptions,
  ...opsdOptions,
  lossAgg: { ...grpoOptions.lossAgg, help: `loss aggregation of both terms: ${LOSS_AGG_MODES.join(' | ')}` },
  privileged: { ...opsdOptions.privileged, source: `as OPSD: ${opsdOptions.privileged.source}` },
  teacher: { ...opsdOptions.teacher, source: `as OPSD: ${opsdOptions.teacher.source}` },
  grpoWeight: {
    default: 1,
    help: 'weight of the GRPO loss',
    rule: { kind: 'number', min: 0 },
    source: 'held at 1: with Adam only the ratio of the two weights matters, and the grid varies opsdWeight',
  },
  opsdWeight: {
    default: 0.25,
    help: 'weight of the OPSD loss',
    rule: { kind: 'number', min: 0 },
    source: HYBRID_OPSD_WEIGHT_SOURCE,
  },
};

export const hybridDefaults: HybridConfig = defaultsOf(hybridOptions);
export const hybridOptionHelp = helpOf(hybridOptions);
export const hybridOptionRules: OptionRules<HybridConfig> = rulesOf(hybridOptions);

/** Adds `part`'s metrics to `into`; a name both define (actor/entropy) keeps the first and disposes the copy. */
function mergeMetrics(into: Record<string, tf.Scalar>, part: Record<string, tf.Scalar>): void {
  for (const [name, value] of Object.entries(part)) {
    if (name in into) value.dispose();
    else into[name] = value;
  }
}

export const hybrid: Method<HybridConfig> = {
  name: 'hybrid',
  summary: 'GRPO+OPSD: weighted sum of the GRPO and OPSD losses',
  label: 'GRPO+OPSD',
  reportRank: 4,
  // Apart from GRPO's blue for dichromats (methods/grpo.ts).
  colour: OKABE_ITO.bluishGreen,
  trains: true,
  teacherContext: (cfg) => (cfg.opsdWeight > 0 ? opsd.teacherContext(cfg) : null),
  teacherRegime: (cfg) => opsd.teacherRegime!(cfg),
  needsFullDistributions: (cfg) => cfg.opsdWeight > 0 && opsd.needsFullDistributions(cfg),
  needsReference: (cfg) => cfg.grpoWeight > 0 && grpo.needsReference(cfg),
  needsThoughtMask: () => false,
  options: hybridOptions,
  defaults: hybridDefaults,
  optionHelp: hybridOptionHelp,
  recommendedLr: TUNED_LR.hybrid,
  recommendedLrBySuite: { 'mini-2': TUNED_LR_MINI2.hybrid },
  creditMeaning: (cfg) =>
    cfg.grpoWeight > 0
      ? `its GRPO term's ${grpo.creditMeaning!(cfg)}${cfg.opsdWeight > 0 ? ` (the OPSD term, weight ${cfg.opsdWeight}, pulls in other units and is not shown)` : ''}`
      : `its OPSD term's ${opsd.creditMeaning!(cfg)}`,
  loss(x, cfg) {
    const terms: MethodOutput[] = [];
    const weights: number[] = [];
    if (cfg.grpoWeight > 0) {
      terms.push(grpo.loss(x, cfg));
      weights.push(cfg.grpoWeight);
    }
    if (cfg.opsdWeight > 0) {
      terms.push(opsd.loss(x, cfg));
      weights.push(cfg.opsdWeight);
    }
    let loss: tf.Scalar = tf.scalar(0);
    const metrics: Record<string, tf.Scalar> = {};
    terms.forEach((term, i) => {
      loss = tf.add(loss, tf.mul(term.loss, weights[i]!));
      mergeMetrics(metrics, term.metrics);
    });
    // Its credit is the first term's: the GRPO advantage when that term is on (the distillation term's per-token
    // signal is in other units), else the distillation signal.
    const credit = terms[0]?.credit;
    return credit ? { loss, metrics, credit } : { loss, metrics };
  },
};
