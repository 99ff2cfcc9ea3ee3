// GRPO + OPSD (the paper's "GRPO+OPSD" row): L = grpoWeight·L_GRPO + opsdWeight·L_OPSD, built by
// calling the two modules' own `loss` functions — no maths of its own. The options are the union of
// both modules' options plus the two weights; `lossAgg` is shared by both terms. Metrics are both
// modules' metrics under their own names (actor/*, opsd/*). A term whose weight is 0 is not
// computed at all (so grpoWeight 0 needs no rewards signal and opsdWeight 0 needs no teacher).
import * as tf from '@tensorflow/tfjs';
import { grpo, grpoDefaults, grpoOptionHelp, grpoOptionRules, type GrpoConfig } from './grpo.ts';
import { opsd, opsdDefaults, opsdOptionHelp, opsdOptionRules, type OpsdConfig } from './opsd.ts';
import type { OptionRules } from './options.ts';
import type { Method, MethodOutput } from './types.ts';

export type HybridConfig = GrpoConfig & OpsdConfig & { grpoWeight: number; opsdWeight: number };

export const hybridDefaults: HybridConfig = { ...grpoDefaults, ...opsdDefaults, grpoWeight: 1, opsdWeight: 1 };

export const hybridOptionHelp: Record<keyof HybridConfig, string> = {
  ...grpoOptionHelp,
  ...opsdOptionHelp,
  lossAgg: 'loss aggregation of both terms: token-mean | seq-mean-token-mean | seq-mean-token-sum',
  grpoWeight: 'weight of the GRPO loss',
  opsdWeight: 'weight of the OPSD loss',
};

export const hybridOptionRules: OptionRules<HybridConfig> = {
  ...grpoOptionRules,
  ...opsdOptionRules,
  grpoWeight: { kind: 'number', min: 0 },
  opsdWeight: { kind: 'number', min: 0 },
};

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
  trains: true,
  teacherContext: (cfg) => (cfg.opsdWeight > 0 ? opsd.teacherContext(cfg) : null),
  needsFullDistributions: (cfg) => cfg.opsdWeight > 0 && opsd.needsFullDistributions(cfg),
  needsReference: (cfg) => cfg.grpoWeight > 0 && grpo.needsReference(cfg),
  defaults: hybridDefaults,
  optionHelp: hybridOptionHelp,
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
    return { loss, metrics };
  },
};
