// Phase 4, update: the method's loss on the step's batch and Adam with gradient clipping. One update per
// mini-batch of whole groups (--ppo-mini-batch prompts) in each of --ppo-epochs passes; by default a single
// on-policy update on the whole batch. The step's metrics are the mean over its updates.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { meanEntropy, stopGradient } from '../../methods/core.ts';
import type { MethodInputs } from '../../methods/types.ts';
import { atTemperature, tokenLogProbs } from '../policy.ts';
import type { Rollout } from './rollout.ts';
import type { Pending, TeacherPass } from './teacher.ts';
import { TrainingError } from '../util/errors.ts';
import type { RunContext, StepMetrics } from './types.ts';

/**
 * The step's updates; `teacher` and `reference` are read (waited for) inside the loss, after the student's forward pass.
 * `credit`, when given ([B·R], zeros), receives each row's per-token credit from the first update that covers it
 * (MethodOutput.credit; left as it is when the method gives none), and `creditWeight` likewise its weight
 * (MethodOutput.creditWeight).
 */
export function update(
  run: RunContext,
  ro: Rollout,
  rewards: Float32Array,
  teacher: TeacherPass | null,
  reference: Pending<Float32Array> | null,
  step: number,
  credit?: Float32Array,
  creditWeight?: Float32Array,
): StepMetrics {
  const P = ro.prompts.length;
  const perUpdate = run.cfg.ppoMiniBatch > 0 ? run.cfg.ppoMiniBatch : P;
  const sums: StepMetrics = {};
  let updates = 0;
  for (let epoch = 0; epoch < run.cfg.ppoEpochs; epoch++)
    for (let first = 0; first < P; first += perUpdate) {
      const groups = Array.from({ length: Math.min(perUpdate, P - first) }, (_, k) => first + k);
      const into = epoch === 0 ? { credit, creditWeight } : {};
      for (const [k, v] of Object.entries(updateOnce(run, ro, rewards, teacher, reference, groups, step, into))) sums[k] = (sums[k] ?? 0) + v;
      updates++;
    }
  const metrics: StepMetrics = {};
  for (const [k, v] of Object.entries(sums)) metrics[k] = v / updates;
  metrics['actor/lr'] = run.adam.lrAt(step);
  if (updates > 1) metrics['actor/updates'] = updates;
  return metrics;
}

/** What building the loss's inputs reads of the run. */
export type LossContext = Pick<RunContext, 'policy' | 'method' | 'mcfg' | 'cfg'>;

/** The method's inputs for the rows of some groups, built in one place for an optimiser update and for a credit view. */
interface LossBatch {
  /** The rows of the step's layout this batch holds, in its order. */
  rows: number[];
  /** The batch's padded response length (≤ the step's R). */
  R: number;
  /**
   * The student's forward pass and the method's inputs around it (`scaled`: its logits at the rollout temperature);
   * the teacher's and the reference's numbers are read here, after the forward pass is recorded.
   */
  inputs(): { x: MethodInputs; scaled: tf.Tensor3D };
  dispose(): void;
}

function lossBatch(run: LossContext, ro: Rollout, rewards: Float32Array, teacher: TeacherPass | null, reference: Pending<Float32Array> | null, groups: number[], step: number): LossBatch {
  const { policy, cfg } = run;
  const { G, R, groupIds } = ro;
  const V = policy.cfg.vocabSize;
  const whole = groups.length === ro.prompts.length;
  const rows = groups.flatMap((g) => Array.from({ length: G }, (_, j) => g * G + j));
  const mb = whole ? ro.batch : policy.groupedBatch(groups.map((g) => ro.promptInputs[g]!), G, rows.map((b) => ro.responses[b]!));
  const [Bm, Rm] = [mb.B, mb.R];
  // The mini-batch's rows of a [B, R, width] array, cut to its own (shorter or equal) padded length.
  const pick = (src: Float32Array, width = 1): Float32Array => {
    if (whole) return src;
    const out = new Float32Array(Bm * Rm * width);
    rows.forEach((b, k) => out.set(src.subarray(b * R * width, (b * R + Rm) * width), k * Rm * width));
    return out;
  };
  const responseMask = tf.tensor2d(mb.responseMask, [Bm, Rm]);
  const oldLp = tf.tensor2d(pick(ro.oldLogProbs), [Bm, Rm]);
  return {
    rows,
    R: Rm,
    inputs: () => {
      const logits = policy.groupedLogits(mb);
      const scaled = atTemperature(logits, cfg.temperature);
      const { tokenLogp } = tokenLogProbs(scaled, mb.targets);
      // The student's forward pass is recorded: now the teacher's and the reference's numbers are needed.
      const t = teacher?.scores.get();
      const ref = reference?.get();
      const x: MethodInputs = {
        responseMask,
        groupIds: whole ? groupIds : Int32Array.from(rows, (b) => groupIds[b]! - groups[0]!),
        rewards: whole ? rewards : Float32Array.from(rows, (b) => rewards[b]!),
        logProbs: tokenLogp,
        oldLogProbs: oldLp,
        studentLogits: scaled,
        step,
        ...(t ? { teacherLogProbs: tf.tensor2d(pick(t.logProbs), [Bm, Rm]) } : {}),
        ...(t?.logits ? { teacherLogits: tf.tensor3d(pick(t.logits, V), [Bm, Rm, V]) } : {}),
        ...(teacher ? { teacherAvailable: whole ? teacher.available : Float32Array.from(rows, (b) => teacher.available[b]!) } : {}),
        ...(ref ? { refLogProbs: tf.tensor2d(pick(ref), [Bm, Rm]) } : {}),
        ...(ro.thoughtMask ? { thoughtMask: tf.tensor2d(pick(ro.thoughtMask), [Bm, Rm]) } : {}),
      };
      return { x, scaled };
    },
    dispose: () => tf.dispose([responseMask, oldLp]),
  };
}

/** A forward pass of the method's loss on a whole step's batch (lossForward). */
export interface LossForward {
  /** [B·R] each token's credit as the loss applies it (MethodOutput.credit, 0 on padding); null when the method gives none. */
  credit: Float32Array | null;
  /** [B·R] MethodOutput.creditWeight: the factor of each token's advantage; null when the method has none. */
  creditWeight: Float32Array | null;
  /** [B·R] the student's log-probs of the sampled tokens in this pass: the log P_S the loss reads. */
  logProbs: Float32Array;
  loss: number;
  /** The method's metrics of this batch (methods/types.ts MethodOutput.metrics). */
  metrics: StepMetrics;
}

/**
 * The method's loss on the whole batch at the policy's current weights, without an optimiser step: the forward pass
 * of the step's first update, so its credit is what training would apply to these responses (after a first
 * mini-batch, --ppo-mini-batch updates see weights this pass does not). The pass runs under the gradient tape, as
 * training's does — tfjs fuses some products only when no tape records, which rounds otherwise — and the only
 * gradient taken is of a zero added to the loss, which reaches no parameter. Leaves no tensor behind.
 */
export function lossForward(run: LossContext, ro: Rollout, rewards: Float32Array, teacher: TeacherPass | null, reference: Pending<Float32Array> | null, step: number): LossForward {
  const lb = lossBatch(run, ro, rewards, teacher, reference, ro.prompts.map((_, g) => g), step);
  const zero = tf.scalar(0);
  try {
    let result: Omit<LossForward, 'loss'> | null = null;
    const { value, grad } = tf.valueAndGrad((z: tf.Scalar) => {
      const { x } = lb.inputs();
      const out = run.method.loss(x, run.mcfg);
      const metrics: StepMetrics = {};
      for (const [k, v] of Object.entries(out.metrics)) metrics[k] = v.dataSync()[0]!;
      result = {
        credit: out.credit ? Float32Array.from(out.credit.dataSync()) : null,
        creditWeight: out.creditWeight ? Float32Array.from(out.creditWeight.dataSync()) : null,
        logProbs: Float32Array.from(x.logProbs.dataSync()),
        metrics,
      };
      return tf.add(out.loss, tf.mul(z, 0)) as tf.Scalar;
    })(zero);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, grad]);
    return { ...result!, loss };
  } finally {
    zero.dispose();
    lb.dispose();
  }
}

/** One optimiser update on the rows of `groups`; `into` receives their credit and its weight (see update). */
function updateOnce(
  run: RunContext,
  ro: Rollout,
  rewards: Float32Array,
  teacher: TeacherPass | null,
  reference: Pending<Float32Array> | null,
  groups: number[],
  step: number,
  into: { credit?: Float32Array | undefined; creditWeight?: Float32Array | undefined },
): StepMetrics {
  const { policy, method, mcfg, cfg, adam } = run;
  const lb = lossBatch(run, ro, rewards, teacher, reference, groups, step);
  const kept: Record<string, tf.Scalar> = {};
  // Set inside the loss closure (a holder, so the type checker sees it change).
  const keptCredit: { credit: tf.Tensor2D | null; weight: tf.Tensor2D | null } = { credit: null, weight: null };
  const lossOf = (): tf.Scalar => {
    const { x, scaled } = lb.inputs();
    const out = method.loss(x, mcfg);
    for (const [k, v] of Object.entries(out.metrics)) kept[k] = tf.keep(v);
    if (into.credit && out.credit) keptCredit.credit = tf.keep(out.credit);
    if (into.creditWeight && out.creditWeight) keptCredit.weight = tf.keep(out.creditWeight);
    if (!kept['actor/entropy']) kept['actor/entropy'] = tf.keep(meanEntropy(stopGradient(scaled), x.responseMask));
    return out.loss;
  };
  let result: ReturnType<typeof tf.variableGrads>;
  try {
    result = tf.variableGrads(lossOf, [...policy.params.values()]);
  } catch (e) {
    tf.dispose(Object.values(kept));
    keptCredit.credit?.dispose();
    keptCredit.weight?.dispose();
    throw e;
  } finally {
    lb.dispose();
  }
  for (const [tensor, target] of [
    [keptCredit.credit, into.credit],
    [keptCredit.weight, into.creditWeight],
  ] as const) {
    if (!tensor || !target) continue;
    // The mini-batch's rows back to their places in the step's [B, R] layout (its padded length ≤ R).
    const values = tensor.dataSync();
    tensor.dispose();
    lb.rows.forEach((b, k) => target.set(values.subarray(k * lb.R, (k + 1) * lb.R), b * ro.R));
  }
  const { value, grads } = result;
  const loss = value.dataSync()[0]!;
  value.dispose();
  const read = (): StepMetrics => {
    const m: StepMetrics = { 'actor/loss': loss };
    for (const [k, v] of Object.entries(kept)) {
      m[k] = v.dataSync()[0]!;
      v.dispose();
    }
    return m;
  };
  if (!Number.isFinite(loss)) {
    tf.dispose(Object.values(grads));
    read();
    throw new TrainingError(`non-finite loss (${loss}) at step ${step}; stopping — the last good checkpoint is kept in ${join(cfg.out, 'checkpoints')}`);
  }
  const named: Record<string, tf.Tensor> = {};
  for (const [k, v] of policy.params) if (grads[v.name]) named[k] = grads[v.name]!;
  // The learning-rate schedule runs over training steps, however many updates each makes.
  const norm = adam.apply(named, step);
  tf.dispose(Object.values(grads));
  const m = read();
  if (!Number.isFinite(norm)) throw new TrainingError(`non-finite gradient norm at step ${step}; stopping — the last good checkpoint is kept in ${join(cfg.out, 'checkpoints')}`);
  m['actor/grad_norm'] = norm;
  return m;
}
