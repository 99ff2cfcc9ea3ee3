import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.ts';
import { canonicalBits, wasmMemory, wasmOffset } from './wasm-heap-testing.ts';
import { type Operand, stridedProduct, stridedProductChunked, stridedProductFromBias, stridedProducts } from './strided-product.ts';
import { Rng } from '../util/rng.ts';

await initBackend('wasm');

const at = wasmOffset;
const bits = canonicalBits;

function values(rng: Rng, n: number, special: boolean): Float32Array {
  const pick = [NaN, Infinity, -Infinity, -0, 0, 1e-45, 3e38, -3e38];
  return Float32Array.from({ length: n }, () => (special && rng.next() < 0.03 ? pick[rng.int(0, pick.length - 1)]! : (rng.next() - 0.5) * 4));
}

/** A matrix operand of a 2-D product (strides in elements: its row axis, its column axis). */
function matrixAt(t: tf.Tensor, row: number, col = 1): Operand {
  return { at: at(t), b: 0, h: 0, row, col };
}

/**
 * A dense layer's operands [N, K]·[K, M] + [M]: every third bias −0, and every other row of x zeros (whose sums are
 * +0 from +0, or the bias itself when the sum starts from it).
 */
function denseOperands(rng: Rng, N: number, K: number, M: number): { xz: tf.Tensor2D; w: tf.Tensor2D; b: tf.Tensor1D } {
  const x = tf.tensor2d(values(rng, N * K, false), [N, K]);
  const w = tf.tensor2d(values(rng, K * M, false), [K, M]);
  const bias = values(rng, M, false);
  for (let j = 0; j < M; j += 3) bias[j] = -0;
  const xz = x.mul(tf.tensor2d(Float32Array.from({ length: N }, (_, i) => (i % 2 ? 0 : 1)), [N, 1])) as tf.Tensor2D;
  return { xz, w, b: tf.tensor1d(bias) };
}

test("strided products: the depthwise convolution's and the batched matMul's sums bit for bit, operands read by strides (NaN's sign aside)", () => {
  const fns = stridedProducts(wasmMemory());
  assert.ok(fns, 'the module compiles');
  const rng = new Rng(21);
  // [b, h, I, J, K]: the deep world's attention (51 queries over 85 keys, heads of 16), widths off the 16- and 4-wide
  // steps, one shared index, more than 48 shared (the matMul's blocks).
  for (const [nb, nh, I, J, K, special] of [
    [2, 4, 51, 85, 16, false],
    [2, 4, 51, 16, 85, true],
    [1, 3, 13, 23, 7, true],
    [3, 2, 12, 3, 100, false],
    [1, 2, 14, 20, 1, false],
    [2, 1, 16, 37, 49, true],
  ] as const) {
    const n = nb * nh;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      // A stored as [b, I, h, K] (a head inside a row), read as [b, h, I, K]; B as [n, K, J].
      const aData = values(rng, nb * I * nh * K, special);
      const a = tf.tensor4d(aData, [nb, I, nh, K]);
      const bMat = tf.tensor3d(values(rng, n * K * J, special), [n, K, J]);
      const cData = tf.tensor3d(values(rng, nb * I * J, special), [nb, I, J]);
      const aHeads = a.transpose([0, 2, 1, 3]).reshape([n, I, K]) as tf.Tensor3D;
      // The convolution's product (ops.ts channelMatMul) and the matMul's.
      const conv = tf.depthwiseConv2d(aHeads.transpose([1, 2, 0]).reshape([I, 1, K, n]) as tf.Tensor4D, bMat.transpose([1, 0, 2]).reshape([1, K, n, J]) as tf.Tensor4D, 1, 'valid').reshape([I, n, J]).transpose([1, 0, 2]);
      const matmul = tf.matMul(aHeads, bMat);
      for (const [blocked, expected] of [[false, conv], [true, matmul]] as const) {
        for (const withC of [false, true]) {
          // The output as [b, I, h, J] (merged heads); with C (broadcast over h) added after the sum.
          const out = tf.zeros([nb, I, nh, J]);
          stridedProduct(
            fns!,
            { at: at(a), b: I * nh * K, h: K, row: nh * K, col: 1 },
            { at: at(bMat), b: nh * K * J, h: K * J, row: J, col: 1 },
            withC ? { at: at(cData), b: I * J, h: 0, row: J, col: 1 } : null,
            { at: at(out), b: I * nh * J, h: J, row: nh * J, col: 1 },
            nb, nh, I, J, K, blocked,
          );
          let want = expected.reshape([nb, nh, I, J]);
          if (withC) want = want.add(cData.reshape([nb, 1, I, J]));
          assert.deepEqual(bits(out.transpose([0, 2, 1, 3]).dataSync()), bits(want.dataSync()), `${blocked ? 'matMul' : 'conv'} b${nb} h${nh} I${I} J${J} K${K}${withC ? ' + C' : ''}`);
        }
      }
      // A read transposed (its row axis the stride-1 one): out = Aᵀ·B.
      const aT = tf.tensor3d(values(rng, n * K * I, special), [n, K, I]);
      const out = tf.zeros([n, I, J]);
      stridedProduct(fns!, { at: at(aT), b: nh * K * I, h: K * I, row: 1, col: I }, { at: at(bMat), b: nh * K * J, h: K * J, row: J, col: 1 }, null, { at: at(out), b: nh * I * J, h: I * J, row: J, col: 1 }, nb, nh, I, J, K, true);
      assert.deepEqual(bits(out.dataSync()), bits(tf.matMul(aT, bMat, true, false).dataSync()), `Aᵀ·B I${I} J${J} K${K}`);
    });
    assert.equal(tf.memory().numTensors, before);
  }
});

test("strided products: softmaxGrad equals the softmax gradient's kernels (Multiply, Sum, Multiply, Sub) bit for bit", () => {
  const fns = stridedProducts(wasmMemory())!;
  const rng = new Rng(22);
  for (const [rows, T, special] of [[0, 5, false], [7, 1, false], [40, 85, true], [9, 130, false]] as const) {
    tf.tidy(() => {
      const dp = tf.tensor2d(values(rng, rows * T, special), [rows, T]);
      const p = tf.tensor2d(Float32Array.from({ length: rows * T }, () => rng.next()), [rows, T]);
      const t = dp.mul(p);
      const expected = t.sub(t.sum(1, true).mul(p));
      const out = tf.zeros([rows, T]);
      fns.softmaxGrad(at(dp), at(p), at(out), rows, T);
      assert.deepEqual(bits(out.dataSync()), bits(expected.dataSync()), `rows ${rows} T ${T}`);
    });
  }
});

test("strided products: with relu, a dense layer's product, bias add and WASM's Relu bit for bit (−0 and negative sums to +0)", () => {
  const fns = stridedProducts(wasmMemory())!;
  const rng = new Rng(23);
  for (const [N, K, M] of [[1, 5, 3], [7, 64, 256], [6, 16, 37], [130, 64, 64]] as const) {
    tf.tidy(() => {
      // Rows of zeros: their sums are +0, plus a −0 bias is +0; plus a negative bias, negative.
      const { xz, w, b } = denseOperands(rng, N, K, M);
      const out = tf.zeros([N, M]);
      stridedProduct(fns, matrixAt(xz, K), matrixAt(w, M), matrixAt(b, 0), matrixAt(out, M), 1, 1, N, M, K, false, true);
      assert.deepEqual(Array.from(new Int32Array(out.dataSync().slice().buffer)), Array.from(new Int32Array(tf.relu(tf.matMul(xz, w).add(b)).dataSync().slice().buffer)), `N ${N} K ${K} M ${M}`);
    });
  }
});

test("strided products: a weight's and a bias's gradient in chunks of the shared axis, resumed, are XNNPACK's sequential sums bit for bit", () => {
  const fns = stridedProducts(wasmMemory())!;
  const rng = new Rng(24);
  // [N tokens, inputs, outputs, chunk]: chunks that divide N, that do not, of one token, longer than N; widths off the
  // 16- and 4-wide steps; special values (NaN's sign aside).
  for (const [N, K, M, chunk, special] of [
    [600, 64, 256, 256, false],
    [601, 13, 37, 64, true],
    [50, 8, 5, 1, false],
    [20, 7, 33, 256, true],
    [1, 3, 4, 2, false],
  ] as const) {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor2d(values(rng, N * K, special), [N, K]);
      const g = tf.tensor2d(values(rng, N * M, special), [N, M]);
      const ones = tf.ones([1, N]);
      const dw = tf.fill([K, M], 7); // stale values, overwritten by the first pass
      stridedProductChunked(fns, matrixAt(x, 1, K), matrixAt(g, M), null, matrixAt(dw, M), 1, 1, K, M, N, chunk);
      assert.deepEqual(bits(dw.dataSync()), bits(tf.matMul(x.transpose(), g).dataSync()), `xᵀ·g N${N} K${K} M${M} chunk ${chunk}`);
      const db = tf.fill([M], 7);
      stridedProductChunked(fns, matrixAt(ones, N), matrixAt(g, M), null, matrixAt(db, M), 1, 1, 1, M, N, chunk);
      assert.deepEqual(bits(db.dataSync()), bits(tf.matMul(ones, g).dataSync()), `1ᵀ·g N${N} M${M} chunk ${chunk}`);
      // C and relu come with the last pass: relu(xᵀ·g + c)
      const c = tf.tensor1d(values(rng, M, false));
      const out = tf.zeros([K, M]);
      stridedProductChunked(fns, matrixAt(x, 1, K), matrixAt(g, M), matrixAt(c, 0), matrixAt(out, M), 1, 1, K, M, N, chunk, true);
      if (!special) assert.deepEqual(bits(out.dataSync()), bits(tf.relu(tf.matMul(x.transpose(), g).add(c)).dataSync()), `relu(xᵀ·g + c) N${N} chunk ${chunk}`);
    });
    assert.equal(tf.memory().numTensors, before);
  }
});

test("strided products: from the bias, tfjs's fused matMul (XNNPACK's fully connected operator) bit for bit, linear and relu", () => {
  const fns = stridedProducts(wasmMemory())!;
  const rng = new Rng(25);
  for (const [N, K, M] of [[1, 5, 3], [7, 64, 256], [6, 16, 37], [130, 64, 64], [9, 1, 19]] as const) {
    for (const relu of [false, true]) {
      tf.tidy(() => {
        // Rows of zeros against negative weights: products of −0, whose sum from a −0 bias stays −0.
        const { xz: x, w, b } = denseOperands(rng, N, K, M);
        const xz = x.abs();
        const wn = w.abs().neg();
        const out = tf.fill([N, M], 7);
        stridedProductFromBias(fns, matrixAt(xz, K), matrixAt(wn, M), matrixAt(b, 0), matrixAt(out, M), N, M, K, relu);
        const want = tf.fused.matMul({ a: xz as tf.Tensor2D, b: wn as tf.Tensor2D, bias: b, activation: relu ? 'relu' : 'linear' });
        assert.deepEqual(Array.from(new Int32Array(out.dataSync().slice().buffer)), Array.from(new Int32Array(want.dataSync().slice().buffer)), `N ${N} K ${K} M ${M}${relu ? ' relu' : ''}`);
      });
    }
  }
});
