// Builds MethodInputs tensors from the plain test batch (methods/test-reference.ts). Test-only.
// `logProbsFromLogits` recomputes the sampled-token log-probs from the logits differentiably
// (one-hot × log-softmax, no gather), the way the training loop does on the WASM backend.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { MethodInputs } from './types.ts';
import type { PlainBatch } from './test-reference.ts';

export function logProbsFromLogits(logits: tf.Tensor3D, tokens: number[][], V: number): tf.Tensor2D {
  const oneHot = tf.oneHot(tf.tensor2d(tokens, undefined, 'int32'), V);
  return tf.sum(tf.mul(tf.logSoftmax(logits, -1), oneHot), -1) as tf.Tensor2D;
}

export function toInputs(p: PlainBatch, step = 0, overrides: Partial<MethodInputs> = {}): MethodInputs {
  return {
    responseMask: tf.tensor2d(p.mask),
    groupIds: Int32Array.from(p.groupIds),
    rewards: Float32Array.from(p.rewards),
    logProbs: tf.tensor2d(p.logp),
    oldLogProbs: tf.tensor2d(p.oldLogp),
    studentLogits: tf.tensor3d(p.studentLogits),
    teacherLogProbs: tf.tensor2d(p.teacherLogp),
    teacherLogits: tf.tensor3d(p.teacherLogits),
    teacherAvailable: Float32Array.from(p.teacherAvailable),
    refLogProbs: tf.tensor2d(p.refLogp),
    step,
    ...overrides,
  };
}

/** Reads every metric to a number (and the loss). */
export function readOutput(out: { loss: tf.Scalar; metrics: Record<string, tf.Scalar> }): { loss: number; metrics: Record<string, number> } {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(out.metrics)) metrics[k] = v.dataSync()[0]!;
  return { loss: out.loss.dataSync()[0]!, metrics };
}

export function close(actual: number, expected: number, tol = 1e-5, what = ''): void {
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);
}
