import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.ts';
import { activeMatmulKernel, blasInfo, setMatmulKernel } from './blas.ts';
import { bmm, bmmT, linear, linearT, setAttentionKernel } from './ops.ts';
import { Rng } from '../util/rng.ts';
import { blasSkip } from '../../test/fixtures.ts';

await initBackend('wasm', 'matmul');
const skip = await blasSkip();

/** Runs f with the products on BLAS, then back on XNNPACK. */
function onBlas<T>(f: () => T): T {
  setMatmulKernel('blas');
  try {
    return f();
  } finally {
    setMatmulKernel('xnnpack');
  }
}

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

function random(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  assert.equal(x.length, y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

// [[1,2,3],[4,5,6]]·[[7,8],[9,10],[11,12]] = [[58,64],[139,154]], exact in floats.
const A = [1, 2, 3, 4, 5, 6];
const B = [7, 8, 9, 10, 11, 12];
const AB = [58, 64, 139, 154];

test('blas: a 2×3·3×2 product, with each transpose flag, gives the hand-computed values', { skip }, () => {
  onBlas(() =>
    tf.tidy(() => {
      const a = tf.tensor2d(A, [2, 3]);
      const b = tf.tensor2d(B, [3, 2]);
      assert.deepEqual(values(tf.matMul(a, b)), AB);
      assert.deepEqual(values(tf.matMul(a.transpose(), b, true, false)), AB);
      assert.deepEqual(values(tf.matMul(a, b.transpose(), false, true)), AB);
      assert.deepEqual(values(tf.matMul(a.transpose(), b.transpose(), true, true)), AB);
    }),
  );
  assert.equal(activeMatmulKernel(), 'xnnpack');
});

test('blas: batched products, and one operand shared by every batch, give the hand-computed values', { skip }, () => {
  onBlas(() =>
    tf.tidy(() => {
      const a = tf.tensor3d([...A, ...A.map((x) => -x)], [2, 2, 3]);
      const b = tf.tensor3d([...B, ...B.map((x) => 2 * x)], [2, 3, 2]);
      // batch 0: A·B; batch 1: (−A)·(2B) = −2·AB
      assert.deepEqual(values(tf.matMul(a, b)), [...AB, ...AB.map((x) => -2 * x)]);
      const shared = tf.tensor3d(B, [1, 3, 2]);
      const out = tf.matMul(a, shared);
      assert.deepEqual(out.shape, [2, 2, 2]);
      assert.deepEqual(values(out), [...AB, ...AB.map((x) => -x)]);
      // a rank-2 operand against a batch of two
      const mixed = tf.matMul(tf.tensor2d(A, [2, 3]), tf.tensor3d([...B, ...B.map((x) => 2 * x)], [2, 3, 2]));
      assert.deepEqual(mixed.shape, [2, 2, 2]);
      assert.deepEqual(values(mixed), [...AB, ...AB.map((x) => 2 * x)]);
    }),
  );
});

test('blas: fused product adds the bias, then ReLU zeroes the negatives and keeps NaN', { skip }, () => {
  onBlas(() =>
    tf.tidy(() => {
      const a = tf.tensor2d(A, [2, 3]);
      const b = tf.tensor2d(B, [3, 2]);
      const bias = tf.tensor1d([-60, 0.5]);
      assert.deepEqual(values(tf.fused.matMul({ a, b, bias })), [-2, 64.5, 79, 154.5]);
      assert.deepEqual(values(tf.fused.matMul({ a, b, bias, activation: 'relu' })), [0, 64.5, 79, 154.5]);
      const withNaN = tf.tensor2d([NaN, 0, 0, -1, 0, 0], [2, 3]);
      const y = values(tf.fused.matMul({ a: withNaN, b, activation: 'relu' }));
      assert.ok(Number.isNaN(y[0]!) && Number.isNaN(y[1]!), `NaN row stays NaN: ${y}`);
      assert.deepEqual(y.slice(2), [0, 0]);
    }),
  );
});

test('blas: extreme values overflow to ±Infinity as IEEE floats do; empty products give empty or zero outputs', { skip }, () => {
  onBlas(() =>
    tf.tidy(() => {
      const big = tf.tensor2d([1e30, -1e30], [2, 1]);
      assert.deepEqual(values(tf.matMul(big, tf.tensor2d([1e30], [1, 1]))), [Infinity, -Infinity]);
      const empty = tf.matMul(tf.zeros([0, 3]), tf.tensor2d(B, [3, 2]));
      assert.deepEqual(empty.shape, [0, 2]);
      assert.deepEqual(values(tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3]))), [0, 0, 0, 0, 0, 0]);
      // nothing to sum: the output is the bias rows
      assert.deepEqual(values(tf.fused.matMul({ a: tf.zeros([2, 0]), b: tf.zeros([0, 2]), bias: tf.tensor1d([1, -1]), activation: 'relu' })), [1, 0, 1, 0]);
    }),
  );
});

test('blas: an activation BLAS does not fuse runs on WASM\'s own kernel, with the same values', { skip }, () => {
  const run = (): number[] => tf.tidy(() => values(tf.fused.matMul({ a: tf.tensor2d(A, [2, 3]).neg(), b: tf.tensor2d(B, [3, 2]), activation: 'elu' })));
  assert.deepEqual(onBlas(run), run());
});

// The model's products with their gradients (ops.ts, which passes transpose flags on BLAS) against XNNPACK's.
test('blas: linear, linearT, bmm and bmmT values and gradients agree with XNNPACK to float rounding', { skip }, () => {
  const rng = new Rng(7);
  const [n, p, q, r] = [12, 23, 16, 53];
  const x = random(rng, 96 * 64);
  const w = random(rng, 64 * 192);
  const bias = random(rng, 192);
  const wt = random(rng, 88 * 64);
  const a3 = random(rng, n * p * q);
  const b3 = random(rng, n * q * r);
  const k3 = random(rng, n * r * q);
  const everything = (): Float32Array[] =>
    tf.tidy(() => {
      const [xt, wt2, bt, wtt, at, b3t, k3t] = [tf.tensor2d(x, [96, 64]), tf.tensor2d(w, [64, 192]), tf.tensor1d(bias), tf.tensor2d(wt, [88, 64]), tf.tensor3d(a3, [n, p, q]), tf.tensor3d(b3, [n, q, r]), tf.tensor3d(k3, [n, r, q])];
      const loss = (...v: tf.Tensor[]): tf.Scalar =>
        tf.addN([
          linear(v[0] as tf.Tensor2D, v[1] as tf.Tensor2D, v[2] as tf.Tensor1D, 'relu').square().sum(),
          linearT(v[0] as tf.Tensor2D, v[3] as tf.Tensor2D).sin().sum(),
          bmm(v[4] as tf.Tensor3D, v[5] as tf.Tensor3D).square().sum(),
          bmmT(v[4] as tf.Tensor3D, v[6] as tf.Tensor3D).cos().sum(),
        ]) as tf.Scalar;
      const { value, grads } = tf.valueAndGrads(loss)([xt, wt2, bt, wtt, at, b3t, k3t]);
      return [value, ...grads].map((t) => t.dataSync() as Float32Array);
    });
  const xnnpack = everything();
  const blas = onBlas(everything);
  for (let i = 0; i < xnnpack.length; i++) {
    const scale = Math.max(1, ...Array.from(xnnpack[i]!, Math.abs));
    assert.ok(maxAbsDiff(blas[i]!, xnnpack[i]!) <= 1e-5 * scale, `output ${i}: ${maxAbsDiff(blas[i]!, xnnpack[i]!)} against scale ${scale}`);
  }
  // the same bytes run to run
  assert.deepEqual(onBlas(everything), blas);
});

test('blas: two threads give the same bytes run to run; another thread count may round differently', { skip }, () => {
  const rng = new Rng(3);
  const a = random(rng, 2944 * 64);
  const b = random(rng, 64 * 256);
  const dy = random(rng, 2944 * 256);
  const small = random(rng, 4 * 2944);
  const products = (): Float32Array[] =>
    tf.tidy(() => {
      const [at, bt, dyt, st] = [tf.tensor2d(a, [2944, 64]), tf.tensor2d(b, [64, 256]), tf.tensor2d(dy, [2944, 256]), tf.tensor2d(small, [4, 2944])];
      return [tf.matMul(at, bt), tf.matMul(at, dyt, true, false), tf.matMul(dyt, bt, false, true), tf.matMul(st, at)].map((t) => t.dataSync() as Float32Array);
    });
  setMatmulKernel('blas', 1);
  const one = products();
  setMatmulKernel('blas', 2);
  try {
    assert.equal(blasInfo()!.threads, 2);
    const two = products();
    assert.deepEqual(products(), two, 'the same bytes on the same count');
    // Across counts only closeness holds: how OpenBLAS splits a product between threads depends on its CPU kernels
    // (on a Sapphire Rapids core the model's large products split evenly and give one thread's bytes; on an AMD EPYC
    // core they do not), and a four-row product's edge columns round differently everywhere.
    for (let i = 0; i < 4; i++) assert.ok(maxAbsDiff(two[i]!, one[i]!) <= 1e-4, `product ${i}: ${maxAbsDiff(two[i]!, one[i]!)}`);
  } finally {
    setMatmulKernel('blas', 1);
    setMatmulKernel('xnnpack');
  }
  assert.equal(blasInfo()!.threads, 1);
});

test('blas: no tensor is left behind by a product, its gradient or the fallback path', { skip }, () => {
  onBlas(() => {
    const a = tf.tensor2d(A, [2, 3]);
    const b = tf.tensor2d(B, [3, 2]);
    const bias = tf.tensor1d([1, 2]);
    const once = (): void =>
      tf.tidy(() => {
        tf.grads((x: tf.Tensor, y: tf.Tensor) => linear(x as tf.Tensor2D, y as tf.Tensor2D, bias, 'relu').sum())([a, b]);
        tf.fused.matMul({ a, b, bias, activation: 'elu' });
        tf.matMul(tf.zeros([0, 3]), b);
      });
    once(); // the bias gradient's row of ones is cached (ops.ts cachedTensorCount)
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) once();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([a, b, bias]);
  });
});

test('blas: the backend record names the library and its CPU kernels; one thread', { skip }, async () => {
  const info = await initBackend('wasm', 'matmul', 1, 'blas');
  assert.equal(info.matmulKernel, 'blas');
  assert.equal(info.blas?.library, blasInfo()?.library);
  assert.equal(info.blas?.threads, 1);
  assert.equal(info.threadCount, 1);
  const two = await initBackend('wasm', 'matmul', 2, 'blas');
  assert.equal(two.threadCount, 2, 'with BLAS, --threads is the library\'s');
  assert.equal(two.threads, false, 'and the WASM build stays single-threaded');
  assert.equal(two.blas?.threads, 2);
  await initBackend('wasm', 'matmul', 1, 'blas');
  if (/openblas/i.test(info.blas!.library)) assert.match(info.blas!.config ?? '', /^OpenBLAS \d/);
  setMatmulKernel('xnnpack');
  setAttentionKernel('matmul');
});

test('blas: --matmul blas on the cpu backend is refused in one line', async () => {
  await assert.rejects(() => initBackend('cpu', 'matmul', 1, 'blas'), /--matmul blas applies to the wasm backend only/);
  await initBackend('wasm', 'matmul');
});

test('blas: a library that does not load is named in one line with the advice', () => {
  const code = "import('./src/model/blas.ts').then((m) => m.loadBlas()).catch((e) => { console.error(e.message); process.exit(3); })";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, RLSD_BLAS_LIBRARY: '/nonexistent/libopenblas.so.0' } });
  assert.equal(r.status, 3);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /--matmul blas: no BLAS library loads \(\/nonexistent\/libopenblas\.so\.0: .*\); install OpenBLAS .*apt-get install libopenblas0-pthread/);
});
