// Base: no post-training. The starting checkpoint is evaluated like every trained one; `trains`
// false tells the loop to perform no update at all. Its loss is a valid zero scalar so that code
// calling every method uniformly (tests, dry runs) never has to special-case it.
import * as tf from '@tensorflow/tfjs';
import { TUNED_LR } from './tuned-lr.ts';
import type { Method } from './types.ts';
import { REFERENCE_GREY } from '../src/util/palette.ts';

export type BaseConfig = Record<string, never>;

export const base: Method<BaseConfig> = {
  name: 'base',
  summary: 'Base: no update; the starting checkpoint evaluated like the others',
  label: 'Base',
  reportRank: 0, // the paper's Table 2 order
  colour: REFERENCE_GREY,
  trains: false,
  teacherContext: () => null,
  needsFullDistributions: () => false,
  needsReference: () => false,
  needsThoughtMask: () => false,
  options: {},
  defaults: {},
  optionHelp: {},
  // Never used (no update); GRPO's value, so that a base run records an --lr like the others.
  recommendedLr: { value: TUNED_LR.grpo.value, source: 'unused: base makes no update' },
  loss() {
    return { loss: tf.scalar(0), metrics: {} };
  },
};
