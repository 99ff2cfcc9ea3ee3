import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.ts';
import { canonicalBits, wasmMemory, wasmOffset } from './wasm-heap-testing.ts';
import { embedLookupComposite, layerNormComposite, withCompositeKernels } from './composite.ts';
import { embedLookup } from './ops.ts';
import { tokenLogProbs } from '../policy.ts';
import { rowKernels } from './row-kernels.ts';
import { Rng } from '../util/rng.ts';

await initBackend('wasm');

const at = wasmOffset;
const bits = canonicalBits;

/** Random floats of magnitudes from 1e-30 to 1e30 (`wide`) or about 1, with NaN, ±Infinity, −0, 0, subnormals and ±3e38 sprinkled in (`special`). */
function values(rng: Rng, n: number, special: boolean, wide: boolean): Float32Array {
  const pick = [NaN, Infinity, -Infinity, -0, 0, 1e-45, -3e-39, 3e38, -3e38];
  return Float32Array.from({ length: n }, () => {
    if (special && rng.next() < 0.03) return pick[rng.int(0, pick.length - 1)]!;
    const v = (rng.next() - 0.5) * 4;
    return wide ? v * 10 ** rng.int(-30, 30) : v;
  });
}

test("row kernels: layerNorm (with and without the residual sum) equals WASM's Add and the layer norm's kernels bit for bit, NaN's sign aside", () => {
  const kernels = rowKernels(wasmMemory());
  assert.ok(kernels, 'the module compiles');
  const rng = new Rng(9);
  // Empty, one column, odd widths, the model's 64; rows of one repeated value (variance 0), of −0s, of huge values, and
  // of values a few ulps apart (variance below ε).
  for (const [N, d, special, wide] of [
    [0, 64, false, false],
    [3, 1, false, false],
    [5, 7, true, false],
    [17, 64, false, false],
    [40, 64, true, false],
    [9, 64, false, true],
    [6, 130, true, true],
  ] as const) {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const xs = values(rng, N * d, special, wide);
      if (N >= 4) {
        xs.fill(2.5, 0, d);
        xs.fill(-0, d, 2 * d);
        xs.fill(3e38, 2 * d, 3 * d);
        for (let c = 0; c < d; c++) xs[3 * d + c] = Math.fround(1 + (c % 3) * 2 ** -23);
      }
      const x = tf.tensor2d(xs, [N, d]);
      const y = tf.tensor2d(values(rng, N * d, special, wide), [N, d]);
      const g = tf.tensor1d(values(rng, d, special, false));
      const b = tf.tensor1d(values(rng, d, special, false));
      const sum = x.add(y) as tf.Tensor2D;
      for (const residual of [false, true]) {
        const expected = layerNormComposite(residual ? sum : x, g, b);
        const [s, out] = [tf.zeros([N, d]), tf.zeros([N, d])];
        kernels!.layerNorm(at(x), residual ? at(y) : 0, residual ? at(s) : at(x), at(out), at(g), at(b), N, d, 0, 0);
        const what = `N ${N} d ${d}${residual ? ', residual' : ''}`;
        if (residual) assert.deepEqual(bits(s.dataSync()), bits(sum.dataSync()), `${what}: the sum`);
        assert.deepEqual(bits(out.dataSync()), bits(expected.dataSync()), `${what}: the layer norm`);
      }
    });
    assert.equal(tf.memory().numTensors, before);
  }
});

/** [N, V] one-hot rows of ids, or their transpose. */
function oneHot(ids: Int32Array, V: number, transposed: boolean): tf.Tensor2D {
  const N = ids.length;
  const out = new Float32Array(N * V);
  ids.forEach((id, i) => (out[transposed ? id * N + i : i * V + id] = 1));
  return tf.tensor2d(out, transposed ? [V, N] : [N, V]);
}

test('row kernels: allFinite, and gatherRows / scatterAddRows equal the one-hot products and their gradient bit for bit', () => {
  const kernels = rowKernels(wasmMemory())!;
  const rng = new Rng(10);
  for (const [n, bad] of [[0, null], [3, null], [17, NaN], [16, Infinity], [9, -Infinity], [64, null]] as const) {
    tf.tidy(() => {
      const v = values(rng, n, false, true);
      if (bad !== null) v[rng.int(0, n - 1)] = bad;
      assert.equal(kernels.allFinite(at(tf.tensor1d(v)), n), bad === null ? 1 : 0, `n ${n} ${bad}`);
    });
  }
  // Tables with zeros of both signs and all-negative columns whose chosen entry is −0; repeated ids; ∂y with −0s.
  for (const [N, V, d] of [[0, 5, 8], [1, 1, 3], [7, 4, 6], [300, 13, 64], [40, 130, 9]] as const) {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const t = values(rng, V * d, false, false);
      for (let i = 0; i < t.length; i += 3) t[i] = i % 2 ? -0 : 0;
      for (let r = 0; r < V; r++) t[r * d] = r % 2 ? -0 : -1 - rng.next();
      const ids = Int32Array.from({ length: N }, () => rng.int(0, V - 1));
      const table = tf.tensor2d(t, [V, d]);
      const idT = tf.tensor1d(ids, 'int32');
      const out = tf.zeros([N, d]);
      kernels.gatherRows(at(table), at(idT), at(out), N, d);
      assert.deepEqual(bits(out.dataSync()), bits(tf.matMul(oneHot(ids, V, false), table).dataSync()), `gather N ${N} V ${V} d ${d}`);
      const dyData = values(rng, N * d, false, false);
      for (let i = 0; i < dyData.length; i += 4) dyData[i] = -0;
      const dy = tf.tensor2d(dyData, [N, d]);
      const grad = tf.fill([V, d], NaN);
      kernels.scatterAddRows(at(dy), at(idT), at(grad), N, d, V);
      // With no rows XNNPACK refuses the product (and leaves its output unwritten): the gradient is zeros.
      const expected = N === 0 ? tf.zeros([V, d]) : tf.matMul(oneHot(ids, V, true), dy);
      assert.deepEqual(bits(grad.dataSync()), bits(expected.dataSync()), `scatter N ${N} V ${V} d ${d}`);
    });
    assert.equal(tf.memory().numTensors, before);
  }
});

test('embedding lookups (composite kernel): rows and gradient as the one-hot products, a non-finite table or ∂y by the products themselves', () => {
  const rng = new Rng(13);
  const [V, d] = [11, 5];
  const ids = Int32Array.from({ length: 30 }, () => rng.int(0, V - 1));
  for (const [tableBad, dyBad] of [[false, false], [true, false], [false, true]]) {
    const t = values(rng, V * d, false, false);
    if (tableBad) t[7] = Infinity;
    const table = tf.variable(tf.tensor2d(t, [V, d]));
    const w = values(rng, ids.length * d, false, false);
    if (dyBad) w[3] = NaN;
    const weights = tf.tensor2d(w, [ids.length, d]);
    const run = (on: boolean): number[][] =>
      withCompositeKernels(on, () => {
        const { value, grads } = tf.variableGrads(() => (on ? embedLookupComposite(ids, table) : embedLookup(ids, table)).mul(weights).sum() as tf.Scalar, [table]);
        const out = [bits(value.dataSync()), bits(grads[table.name]!.dataSync())];
        tf.dispose([value, ...Object.values(grads)]);
        return out;
      });
    assert.deepEqual(run(true), run(false), `table ${tableBad ? 'non-finite' : 'finite'}, ∂y ${dyBad ? 'non-finite' : 'finite'}`);
    tf.dispose([table, weights]);
  }
  assert.throws(() => embedLookupComposite(Int32Array.of(0, V), tf.zeros([V, d]) as tf.Tensor2D), /embedLookup: id 11 out of range \[0, 11\)/);
});

test("row kernels: reluGrad equals WASM's Step and Multiply bit for bit (NaN payloads, −0, ±Infinity, subnormals)", () => {
  const kernels = rowKernels(wasmMemory())!;
  const rng = new Rng(14);
  for (const n of [0, 3, 4, 37, 1000]) {
    tf.tidy(() => {
      // y as a ReLU's output (≥ +0, or a NaN) with every special value besides; ∂y anything.
      const yv = Float32Array.from({ length: n }, (_, i) => [0, -0, NaN, Infinity, 1e-45, -1][i % 9] ?? rng.next() * 3);
      const dy = tf.tensor1d(values(rng, n, true, true));
      const y = tf.tensor1d(yv);
      const out = tf.zeros([n]);
      kernels.reluGrad(at(dy), at(y), at(out), n);
      assert.deepEqual(bits(out.dataSync()), bits(dy.mul(tf.step(y, 0)).dataSync()), `n ${n}`);
    });
  }
});

test('log-softmax and the cross-entropy gather (composite kernels): values and gradients equal tfjs logSoftmax and the one-hot gather bit for bit', () => {
  const rng = new Rng(15);
  // [B, R, V]: the model's vocabulary, two columns (tf.oneHot's least), an empty batch, a row with equal maxima of both zero signs, rows far
  // apart in scale (one huge logit: probabilities of exactly 0), targets out of range (rows of zeros), and non-finite
  // logits (the kernels themselves).
  for (const [B, R, V, special] of [[2, 3, 130, 'none'], [3, 1, 2, 'none'], [0, 4, 7, 'none'], [4, 5, 9, 'zeros'], [2, 6, 40, 'extreme'], [2, 2, 5, 'nan'], [2, 2, 5, 'inf']] as const) {
    const n = B * R * V;
    const data = values(rng, n, false, special === 'extreme');
    if (special === 'zeros' && n > 0) for (let r = 0; r < B * R; r++) [data[r * V + 2], data[r * V + 5]] = [r % 2 ? -0 : 0, r % 2 ? 0 : -0];
    if (special === 'extreme') data[3] = 3e38;
    if (special === 'nan') data[1] = NaN;
    if (special === 'inf') data[6] = -Infinity;
    const targets = Int32Array.from({ length: B * R }, (_, i) => (i === 1 ? V + 3 : i === 2 ? -1 : rng.int(0, V - 1)));
    const logits = tf.variable(tf.tensor3d(data, [B, R, V]));
    const w1 = tf.tensor2d(values(rng, B * R, false, false), [B, R]);
    const w2 = tf.tensor3d(values(rng, n, false, false), [B, R, V]);
    const run = (on: boolean): number[][] =>
      withCompositeKernels(on, () => {
        const outs: tf.Tensor[] = [];
        const { value, grads } = tf.variableGrads(() => {
          const { logp, tokenLogp } = tokenLogProbs(logits as unknown as tf.Tensor3D, targets);
          outs.push(tf.keep(logp.clone()), tf.keep(tokenLogp.clone()));
          // the gather's gradient and another consumer's, added as the engine adds them
          return tokenLogp.mul(w1).sum().add(logp.mul(w2).sum()) as tf.Scalar;
        }, [logits]);
        const res = [...outs, value, grads[logits.name]!].map((t) => bits(t.dataSync()));
        tf.dispose([...outs, value, ...Object.values(grads)]);
        return res;
      });
    const [mine, reference] = [run(true), run(false)];
    // (The sum of an empty product is whatever WASM's kernels leave in its output: no loss to compare then.)
    ['logp', 'token log-probs', 'loss', 'gradient'].forEach((what, i) => n === 0 && what === 'loss' || assert.deepEqual(mine[i], reference[i], `${what}: B ${B} R ${R} V ${V} ${special}`));
    tf.dispose([logits, w1, w2]);
  }
});

test("layer norm (composite kernel, row-kernels.ts's passes): output and the gradients of x, g and b equal transformer.ts's tf.moments composition bit for bit", () => {
  const rng = new Rng(16);
  const composition = (x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(g).add(b) as tf.Tensor2D;
  };
  // The model's width, odd widths, one row, rows of one value (variance 0) and of values a few ulps apart, huge
  // values, −0s; and non-finite inputs (the kernels themselves).
  for (const [N, d, kind] of [[40, 64, 'plain'], [7, 5, 'plain'], [1, 64, 'plain'], [6, 9, 'flat'], [5, 64, 'wide'], [4, 16, 'nan']] as const) {
    const xs = values(rng, N * d, false, kind === 'wide');
    if (kind === 'flat') for (let r = 0; r < N; r++) for (let c = 0; c < d; c++) xs[r * d + c] = r % 3 === 0 ? 2.5 : r % 3 === 1 ? -0 : Math.fround(1 + (c % 3) * 2 ** -23);
    if (kind === 'nan') xs[5] = NaN;
    const x = tf.variable(tf.tensor2d(xs, [N, d]));
    const g = tf.variable(tf.tensor1d(values(rng, d, false, false)));
    const b = tf.variable(tf.tensor1d(values(rng, d, false, false)));
    const w = tf.tensor2d(values(rng, N * d, false, false), [N, d]);
    const run = (mine: boolean): number[][] => {
      const { value, grads } = tf.variableGrads(() => (mine ? layerNormComposite(x, g, b) : composition(x, g, b)).mul(w).sum() as tf.Scalar, [x, g, b]);
      const out = [value, grads[x.name]!, grads[g.name]!, grads[b.name]!].map((t) => bits(t.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const [mine, reference] = [run(true), run(false)];
    ['loss', '∂x', '∂g', '∂b'].forEach((what, i) => assert.deepEqual(mine[i], reference[i], `${what}: N ${N} d ${d} ${kind}`));
    tf.dispose([x, g, b, w]);
  }
});

test("row kernels: columnSums equals XNNPACK's 1ᵀ·x (the bias gradient's product) bit for bit, NaN's sign aside", () => {
  const kernels = rowKernels(wasmMemory())!;
  const rng = new Rng(41);
  for (const [N, M, special] of [[0, 8, false], [1, 3, false], [600, 256, false], [37, 130, true], [9, 5, true]] as const) {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const xs = values(rng, N * M, special, false);
      if (N > 2) xs.fill(-0, 0, Math.min(M, 3)); // a column of −0 rows and +0 from the others: the sum from +0 stays +0
      const x = tf.tensor2d(xs, [N, M]);
      const out = tf.fill([M], 7);
      kernels.columnSums(at(x), at(out), N, M);
      // No rows: +0 (tfjs's product over an empty shared axis returns whatever its output memory held).
      if (N === 0) assert.deepEqual(Array.from(out.dataSync()), new Array(M).fill(0));
      else assert.deepEqual(bits(out.dataSync()), bits(tf.matMul(tf.ones([1, N]), x).dataSync()), `N ${N} M ${M}`);
    });
    assert.equal(tf.memory().numTensors, before);
  }
});
