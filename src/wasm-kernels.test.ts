import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { Rng } from './util/rng.ts';
import { installedWasmKernels } from './wasm-kernels.ts';

await initBackend('wasm');

test('the wasm backend runs the project\'s Identity, Cast, Slice, SplitV, Concat and Transpose', () => {
  assert.deepEqual([...installedWasmKernels()].sort(), ['Cast', 'Concat', 'Identity', 'Slice', 'SplitV', 'Transpose']);
});

test('wasm Cast to a tensor\'s own dtype shares its data; to another dtype converts; both freed with their tensors', () => {
  const x = tf.tensor1d([1.5, -2, NaN]);
  const buffers = (): number => tf.backend().numDataIds();
  const before = buffers();
  const same = tf.cast(x, 'float32');
  assert.equal(buffers(), before, 'no new buffer');
  const ints = tf.tidy(() => tf.cast(x.slice([0], [2]), 'int32'));
  assert.deepEqual(Array.from(ints.dataSync()), [1, -2]);
  x.dispose();
  assert.deepEqual(bits(same), floatBits([1.5, -2, NaN]), 'the shared data outlives the first tensor');
  tf.dispose([same, ints]);
});

/** x[begin : begin+size] by index arithmetic, the reference the kernels are checked against. */
function referenceSlice(data: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  for (let n = 0; n < total; n++) {
    let rest = n;
    let src = 0;
    for (let a = size.length - 1; a >= 0; a--) {
      src += (begin[a]! + (rest % size[a]!)) * strides[a]!;
      rest = Math.floor(rest / size[a]!);
    }
    out.push(data[src]!);
  }
  return out;
}

/** The bits of a float32 array, so that NaN payloads and -0 count. */
function bits(t: tf.Tensor): number[] {
  const v = t.dataSync();
  return Array.from(v instanceof Float32Array ? new Int32Array(v.buffer, v.byteOffset, v.length) : v);
}

function floatBits(xs: number[]): number[] {
  return Array.from(new Int32Array(Float32Array.from(xs).buffer));
}

test('wasm Slice: every rank 1–5 and every placement equals index arithmetic, bit for bit (NaN, -0, ±Infinity kept)', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 200; trial++) {
    const rank = 1 + (trial % 5);
    const shape = Array.from({ length: rank }, () => 1 + rng.int(0, 5));
    const begin = shape.map((d) => rng.int(0, d - 1));
    const size = shape.map((d, a) => (rng.next() < 0.4 ? d - begin[a]! : rng.int(0, d - begin[a]!)));
    const n = shape.reduce((a, b) => a * b, 1);
    const specials = [NaN, -0, Infinity, -Infinity];
    const data = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? specials[i % 4]! : rng.next() * 100 - 50));
    tf.tidy(() => {
      const x = tf.tensor(data, shape, 'float32');
      const y = tf.slice(x, begin, size);
      assert.deepEqual(y.shape, size);
      assert.deepEqual(bits(y), floatBits(referenceSlice(Float32Array.from(data), shape, begin, size)), `shape [${shape}] begin [${begin}] size [${size}]`);
      const ints = Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);
      assert.deepEqual(Array.from(tf.slice(tf.tensor(ints, shape, 'int32'), begin, size).dataSync()), referenceSlice(ints, shape, begin, size));
      const bools = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
      assert.deepEqual(Array.from(tf.slice(tf.tensor(bools, shape, 'bool'), begin, size).dataSync()), referenceSlice(bools, shape, begin, size));
    });
  }
});

test('wasm Slice: an int32 whose bits read as a float NaN is copied exactly (short and long runs)', () => {
  const nanBits = [0x7fa00001, 0xffc00002 | 0, 0x7f800001];
  for (const width of [3, 40]) {
    const data = Array.from({ length: 4 * width }, (_, i) => nanBits[i % 3]!);
    const y = tf.slice(tf.tensor2d(data, [4, width], 'int32'), [1, 1], [2, width - 1]);
    assert.deepEqual(Array.from(y.dataSync()), referenceSlice(data, [4, width], [1, 1], [2, width - 1]));
    y.dispose();
  }
});

test('wasm SplitV and Concat: the model\'s shapes and uneven splits round-trip bit for bit; empty pieces allowed', () => {
  const rng = new Rng(5);
  for (const [shape, sizes, axis] of [
    [[2944, 192], [64, 64, 64], 1],
    [[512, 848], [480, 368], 1],
    [[4, 6, 5], [1, 0, 3, 1], 2],
    [[7, 3, 2], [2, 5], 0],
    [[3, 9], [9, 0], 1],
  ] as [number[], number[], number][]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => rng.next() - 0.5);
    tf.tidy(() => {
      const x = tf.tensor(data, shape);
      const parts = tf.split(x, sizes, axis);
      let at = 0;
      parts.forEach((p, i) => {
        const begin = shape.map((_, a) => (a === axis ? at : 0));
        const size = shape.map((d, a) => (a === axis ? sizes[i]! : d));
        assert.deepEqual(p.shape, size);
        assert.deepEqual(bits(p), floatBits(referenceSlice(data, shape, begin, size)), `piece ${i} of [${shape}]`);
        at += sizes[i]!;
      });
      assert.deepEqual(bits(tf.concat(parts, axis)), bits(x), `concat of [${shape}] along ${axis}`);
    });
  }
  // Concat of ints and bools, and of one input with empty ones.
  tf.tidy(() => {
    assert.deepEqual(Array.from(tf.concat([tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor2d([5, 6], [2, 1], 'int32')], 1).dataSync()), [1, 2, 5, 3, 4, 6]);
    assert.deepEqual(Array.from(tf.concat([tf.tensor1d([1, 0], 'bool'), tf.tensor1d([1], 'bool')]).dataSync()), [1, 0, 1]);
    assert.deepEqual(Array.from(tf.concat([tf.zeros([2, 0]), tf.tensor2d([1, 2], [2, 1]), tf.zeros([2, 0])], 1).dataSync()), [1, 2]);
  });
});

test('wasm Slice, SplitV and Concat leave no tensor behind', () => {
  const x = tf.tensor2d(Array.from({ length: 60 }, (_, i) => i), [6, 10]);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    tf.concat(tf.split(x, [3, 7], 1), 1);
    tf.slice(x, [1, 2], [3, 4]);
    tf.slice(x, [0, 0], [0, 4]);
  });
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

test('wasm: the tensors a gradient reads are kept without an Identity call, with the same gradients and no tensor left behind', async () => {
  const x = tf.variable(tf.tensor2d([0.5, -1.25, 3, -0, 2, 1], [2, 3]));
  const w = tf.variable(tf.tensor2d([1, 2, 0.25], [3, 1]));
  const loss = (): tf.Scalar => tf.matMul(x.mul(x).sub(x), w).relu().sum() as tf.Scalar;
  const before = tf.memory().numTensors;
  let grads: tf.NamedTensorMap = {};
  const profile = await tf.profile(() => {
    const r = tf.variableGrads(loss, [x, w]);
    r.value.dispose();
    grads = r.grads;
  });
  assert.deepEqual(profile.kernels.filter((k) => k.name === 'Identity'), []);
  // d/dx = w·(2x − 1) on rows where the product is positive (both here); d/dw = Σ rows (x² − x).
  assert.deepEqual(Array.from(grads[x.name]!.dataSync()), [0, -7, 1.25, -1, 6, 0.25]);
  assert.deepEqual(Array.from(grads[w.name]!.dataSync()), [-0.25, 4.8125, 6]);
  assert.equal(tf.memory().numTensors, before + 2, 'only the two gradients remain');
  tf.dispose([...Object.values(grads), x, w]);
});

/** The transpose of `data` (shape, perm) by index arithmetic. */
function referenceTranspose(data: ArrayLike<number>, shape: number[], perm: number[]): number[] {
  const outShape = perm.map((a) => shape[a]!);
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  const total = shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let n = 0; n < total; n++) {
    let rest = n;
    let src = 0;
    for (let j = outShape.length - 1; j >= 0; j--) {
      src += (rest % outShape[j]!) * strides[perm[j]!]!;
      rest = Math.floor(rest / outShape[j]!);
    }
    out.push(data[src]!);
  }
  return out;
}

test('wasm Transpose: every rank 1–5 and permutation (size-1 axes, edges of the 4×4 tiles) and the model\'s shapes equal index arithmetic, bit for bit', () => {
  const rng = new Rng(12);
  const cases: [number[], number[]][] = [
    [[512, 51, 85], [0, 2, 1]],
    [[6528, 256], [1, 0]],
    [[128, 51, 4, 16], [0, 2, 1, 3]],
    [[51, 512, 85], [1, 2, 0]],
    [[512, 85, 16], [2, 0, 1]],
    [[16, 512, 85], [1, 0, 2]],
    [[7, 0, 3], [2, 0, 1]],
    [[1, 1], [1, 0]],
  ];
  for (let trial = 0; trial < 300; trial++) {
    const rank = 1 + (trial % 5);
    const shape = Array.from({ length: rank }, () => (rng.next() < 0.15 ? 1 : 1 + rng.int(0, rank <= 3 ? 13 : 6)));
    const perm = Array.from({ length: rank }, (_, a) => a);
    for (let a = rank - 1; a > 0; a--) {
      const b = rng.int(0, a);
      [perm[a], perm[b]] = [perm[b]!, perm[a]!];
    }
    cases.push([shape, perm]);
  }
  // Float bits with NaN payloads, −0 and ±Infinity among them: a copy keeps every bit.
  const nanBits = [0x7fa00001, 0xffc00002 | 0, 0x7f800000, 0xff800000 | 0, 0x80000000 | 0];
  for (const [shape, perm] of cases) {
    const n = shape.reduce((a, b) => a * b, 1);
    const ints = Int32Array.from({ length: n }, (_, i) => (i % 11 === 5 ? nanBits[i % 5]! : (i * 2654435761) | 0));
    tf.tidy(() => {
      const expected = referenceTranspose(ints, shape, perm);
      const asInt = tf.transpose(tf.tensor(ints, shape, 'int32'), perm);
      assert.deepEqual(asInt.shape, perm.map((a) => shape[a]!));
      assert.deepEqual(Array.from(asInt.dataSync()), expected, `int32 [${shape}] perm [${perm}]`);
      const asFloat = tf.transpose(tf.tensor(new Float32Array(ints.buffer), shape, 'float32'), perm);
      assert.deepEqual(bits(asFloat), expected, `float32 [${shape}] perm [${perm}]`);
    });
  }
  const before = tf.memory().numTensors;
  tf.tidy(() => void tf.transpose(tf.ones([3, 4, 5]), [2, 0, 1]));
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
});
