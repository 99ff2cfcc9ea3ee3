import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { bmm } from './ops.ts';
import { Rng } from '../util/rng.ts';

function randomTensor(rng: Rng, shape: number[]): number[] {
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1);
}

/** Value and both gradients of Σ w ⊙ (a·b), for a fixed random weighting w (so every output element counts). */
function productAndGrads(product: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D, a: number[], b: number[], w: number[], n: number, p: number, q: number, r: number) {
  return tf.tidy(() => {
    const at = tf.tensor3d(a, [n, p, q]);
    const bt = tf.tensor3d(b, [n, q, r]);
    const wt = tf.tensor3d(w, [n, p, r]);
    const y = product(at, bt);
    const [da, db] = tf.grads((x: tf.Tensor, z: tf.Tensor) => product(x as tf.Tensor3D, z as tf.Tensor3D).mul(wt).sum())([at, bt]);
    return { y: y.dataSync().slice(), da: da!.dataSync().slice(), db: db!.dataSync().slice() };
  });
}

function maxAbsDiff(x: Float32Array | Int32Array | Uint8Array, y: Float32Array | Int32Array | Uint8Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

// Both WASM paths: few rows (batched matMul) and many rows (the depthwise-convolution path), against cpu's
// batched matMul with tfjs's own gradients.
for (const [n, p, q, r] of [
  [6, 3, 5, 7],
  [6, 23, 16, 29],
  [10, 17, 53, 16],
] as const) {
  test(`bmm [${n},${p},${q}]·[${n},${q},${r}]: WASM value and gradients equal cpu matMul to 1e-5`, async () => {
    const rng = new Rng(p * 100 + q);
    const a = randomTensor(rng, [n, p, q]);
    const b = randomTensor(rng, [n, q, r]);
    const w = randomTensor(rng, [n, p, r]);
    await tf.setBackend('cpu');
    const ref = productAndGrads((x, z) => tf.matMul(x, z), a, b, w, n, p, q, r);
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const got = productAndGrads(bmm, a, b, w, n, p, q, r);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    assert.equal(got.y.length, n * p * r);
    assert.ok(maxAbsDiff(got.y, ref.y) < 1e-5, `value: ${maxAbsDiff(got.y, ref.y)}`);
    assert.ok(maxAbsDiff(got.da, ref.da) < 1e-5, `∂a: ${maxAbsDiff(got.da, ref.da)}`);
    assert.ok(maxAbsDiff(got.db, ref.db) < 1e-5, `∂b: ${maxAbsDiff(got.db, ref.db)}`);
  });
}
