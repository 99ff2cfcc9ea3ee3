import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { bmm, bmmT, concatRows, setAttentionKernel } from './ops.ts';
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

// bmmT(a, b) is bmm(a, bᵀ) with the keys kept as rows: the same floats, value and gradients, on every path — shared
// dimensions past WASM's blocks of 48 and convolutions with more than 25 taps included.
for (const [n, p, q, r] of [
  [6, 3, 5, 7],
  [512, 23, 16, 53],
  [10, 17, 53, 61],
] as const) {
  test(`bmmT [${n},${p},${q}]·[${n},${r},${q}]ᵀ equals bmm with the transposed operand bit for bit (wasm conv and matmul, cpu)`, async () => {
    const rng = new Rng(p * 7 + r);
    const a = randomTensor(rng, [n, p, q]);
    const bRows = randomTensor(rng, [n, r, q]);
    const bCols = tf.tidy(() => Array.from(tf.tensor3d(bRows, [n, r, q]).transpose([0, 2, 1]).dataSync()));
    const w = randomTensor(rng, [n, p, r]);
    for (const [backend, kernel] of [['wasm', 'conv'], ['wasm', 'matmul'], ['cpu', 'conv']] as const) {
      await tf.setBackend(backend);
      setAttentionKernel(kernel);
      const before = tf.memory().numTensors;
      const ref = productAndGrads(bmm, a, bCols, w, n, p, q, r);
      const got = tf.tidy(() => {
        const at = tf.tensor3d(a, [n, p, q]);
        const bt = tf.tensor3d(bRows, [n, r, q]);
        const wt = tf.tensor3d(w, [n, p, r]);
        const [da, db] = tf.grads((x: tf.Tensor, z: tf.Tensor) => bmmT(x as tf.Tensor3D, z as tf.Tensor3D).mul(wt).sum())([at, bt]);
        return { y: bmmT(at, bt).dataSync().slice(), da: da!.dataSync().slice(), db: db!.transpose([0, 2, 1]).dataSync().slice() };
      });
      assert.equal(tf.memory().numTensors, before, 'no tensors leak');
      const where = `${backend} ${kernel}`;
      assert.deepEqual(Array.from(got.y), Array.from(ref.y), `${where}: value`);
      assert.deepEqual(Array.from(got.da), Array.from(ref.da), `${where}: ∂a`);
      assert.deepEqual(Array.from(got.db), Array.from(ref.db), `${where}: ∂b`);
    }
    setAttentionKernel('conv');
  });
}

test('concatRows: the value and gradients of tf.concat along axis 1, bit for bit', async () => {
  await tf.setBackend('wasm');
  const rng = new Rng(3);
  const [a, b, w] = [randomTensor(rng, [8, 5, 4]), randomTensor(rng, [8, 3, 4]), randomTensor(rng, [8, 8, 4])];
  const run = (cat: (x: tf.Tensor3D, z: tf.Tensor3D) => tf.Tensor3D): number[][] =>
    tf.tidy(() => {
      const [at, bt, wt] = [tf.tensor3d(a, [8, 5, 4]), tf.tensor3d(b, [8, 3, 4]), tf.tensor3d(w, [8, 8, 4])];
      const [da, db] = tf.grads((x: tf.Tensor, z: tf.Tensor) => cat(x as tf.Tensor3D, z as tf.Tensor3D).mul(wt).sum())([at, bt]);
      return [cat(at, bt), da!, db!].map((t) => Array.from(t.dataSync()));
    });
  assert.deepEqual(run(concatRows), run((x, z) => tf.concat([x, z], 1)));
});
