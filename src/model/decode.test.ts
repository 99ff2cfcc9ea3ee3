import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.ts';
import { attentionSimd } from './attention-simd.ts';
import { withCompositeKernels } from './composite.ts';
import { DEFAULT_MODEL, type ModelConfig, numImageTokens, patchDim } from './config.ts';
import { embedRowsAt } from './decode.ts';
import { generate, type Generation } from './generate.ts';
import { initParams, disposeParams } from './params.ts';
import { Rng } from '../util/rng.ts';

await initBackend('wasm');

interface Heap {
  wasm: { HEAPF32: Float32Array; asm: { memory: object } };
  getMemoryOffset(dataId: object): number;
}
const heap = (): Heap => tf.backend() as unknown as Heap;
const at = (t: tf.Tensor): number => heap().getMemoryOffset(t.dataId);

/** The bits of float32 values, every NaN as the canonical one (attention-simd.ts may give a NaN another sign bit). */
function bits(v: Float32Array | ArrayLike<number>): number[] {
  return Array.from(new Int32Array(Float32Array.from(v, (x) => (Number.isNaN(x) ? NaN : x)).buffer));
}

/** Random floats with NaN, ±Infinity, −0 and 0 sprinkled in (when `special`). */
function values(rng: Rng, n: number, special: boolean): Float32Array {
  const pick = [NaN, Infinity, -Infinity, -0, 0];
  return Float32Array.from({ length: n }, () => (special && rng.next() < 0.02 ? pick[rng.int(0, pick.length - 1)]! : (rng.next() - 0.5) * 4));
}

test("attention-simd: scores and weighted sums equal WASM's batched matMul (and the mask's add) bit for bit, NaN's sign aside", () => {
  const simd = attentionSimd(heap().wasm.asm.memory);
  assert.ok(simd, 'WASM SIMD compiles');
  const rng = new Rng(5);
  // Rows past the 48-float blocks of the matMul's loop, heads of 8, 16 and 64 (> 48) floats, a single key.
  for (const [B, H, T, cap, dh, special] of [
    [3, 4, 7, 9, 16, false],
    [2, 4, 58, 61, 16, true],
    [2, 2, 100, 130, 16, false],
    [1, 2, 53, 60, 64, true],
    [2, 3, 1, 5, 8, false],
    [4, 4, 96, 96, 16, true],
    // 16-output steps and a 4-output remainder; heads of 32 floats (two 16-output steps of the weighted sum)
    [2, 4, 40, 43, 16, true],
    [3, 2, 21, 21, 32, false],
    [2, 2, 64, 70, 20, true],
  ] as const) {
    const n = B * H;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const q = tf.tensor3d(values(rng, n * dh, special), [n, 1, dh]);
      const keys = tf.tensor3d(values(rng, n * T * dh, special), [n, T, dh]);
      const mask = tf.tensor4d(Float32Array.from({ length: B * T }, () => (rng.next() < 0.2 ? -1e9 : 0)), [B, 1, 1, T]);
      const expected = tf.matMul(q, keys, false, true).reshape([B, H, 1, T]).add(mask).dataSync();
      // Keys as the cache keeps them, [n, dh, capacity], and room past every buffer's end.
      const byColumn = tf.concat([keys.transpose([0, 2, 1]), tf.fill([n, dh, cap - T], NaN)], 2).reshape([-1]);
      const padded = (t: tf.Tensor): tf.Tensor => tf.concat([t.reshape([-1]), tf.zeros([4])]);
      const [k, m, out] = [padded(byColumn), padded(mask), tf.zeros([n * T + 4])];
      simd!.scores(at(q), at(k), at(out), at(m), B, H, T, cap, dh);
      assert.deepEqual(bits(out.dataSync().subarray(0, n * T)), bits(expected), `scores B${B} H${H} T${T} dh${dh}`);

      const p = tf.tensor3d(Float32Array.from({ length: n * T }, () => rng.next()), [n, 1, T]);
      const v = tf.tensor3d(values(rng, n * T * dh, special), [n, T, dh]);
      const weightedExpected = tf.matMul(p, v).dataSync();
      const vCap = tf.concat([v, tf.fill([n, cap - T, dh], NaN)], 1);
      const weighted = tf.zeros([n * dh]);
      simd!.weighted(at(p), at(vCap), at(weighted), n, T, cap, dh);
      assert.deepEqual(bits(weighted.dataSync()), bits(weightedExpected), `weighted B${B} H${H} T${T} dh${dh}`);
    });
    assert.equal(tf.memory().numTensors, before);
  }
});

const cfg: ModelConfig = { ...DEFAULT_MODEL, vocabSize: 40, maxPositions: 120, prevTokenEmbedding: true };

function same(a: Generation, b: Generation, what: string): void {
  assert.deepEqual(a.responses, b.responses, `${what}: tokens`);
  a.logProbs.forEach((lp, i) => assert.deepEqual(bits(lp), bits(b.logProbs[i]!), `${what}: log-probs of sequence ${i}`));
}

test('decoding in place (one kernel a token, SIMD attention) samples the same tokens and log-probs as decodeStep, bit for bit', () => {
  const params = initParams(cfg, 11);
  for (const v of params.values()) v.assign(v.mul(8));
  const rng = new Rng(2);
  const nImg = numImageTokens(cfg);
  const prompts = Array.from({ length: 5 }, () => ({
    patches: new Float32Array(nImg * patchDim(cfg)).map(() => rng.next()),
    context: Array.from({ length: rng.int(3, 9) }, () => rng.int(1, cfg.vocabSize - 1)),
  }));
  const runs: [string, (on: boolean) => Generation][] = [
    // 70 new tokens: attention over more than 48 keys (the matMul loop's blocks).
    ['greedy, 70 tokens', (on) => withCompositeKernels(on, () => generate(params, cfg, prompts, { maxNewTokens: 70, temperature: 1, topP: 1, greedy: true, rng: new Rng(1), eosId: -1, padId: 0 }))],
    // An EOS that is often sampled: sequences leave the batch (in place, and the last one kept beside another).
    ['sampled, groups of 4, EOS', (on) => withCompositeKernels(on, () => generate(params, cfg, prompts, { maxNewTokens: 40, temperature: 1.3, topP: 0.9, greedy: false, rng: new Rng(7), eosId: 3, padId: 0 }, 4))],
    // Inputs given several times (the same objects, as repeated samples of an item): prefilled once each.
    ['repeated inputs', (on) => withCompositeKernels(on, () => generate(params, cfg, [prompts[0]!, prompts[1]!, prompts[0]!, prompts[2]!, prompts[1]!, prompts[0]!], { maxNewTokens: 25, temperature: 1, topP: 1, greedy: false, rng: new Rng(3), eosId: 4, padId: 0 }))],
    ['one stream per row', (on) => withCompositeKernels(on, () => generate(params, cfg, prompts.slice(0, 2), { maxNewTokens: 30, temperature: 1, topP: 1, greedy: false, rng: new Rng(0), rngs: Array.from({ length: 6 }, (_, i) => new Rng(100 + i)), eosId: 5, padId: 0 }, 3))],
  ];
  for (const [what, run] of runs) {
    const before = tf.memory().numTensors;
    const inPlace = run(true);
    assert.equal(tf.memory().numTensors, before, `${what}: no tensor left behind`);
    same(inPlace, run(false), what);
  }
  disposeParams(params);
});


test("embedding lookups as row copies equal the one-hot products and their sums bit for bit (−0 in the tables, a one-row batch)", () => {
  const rng = new Rng(4);
  for (const [B, prev] of [[1, true], [2, false], [7, true], [128, true]] as const) {
    const [V, P, d] = [13, 11, 8];
    const table = (rows: number): Float32Array => {
      const t = values(rng, rows * d, false);
      // Zeros of both signs, and a column of negatives whose chosen row is −0 (every 0·w of its product is −0).
      for (let i = 0; i < t.length; i += 5) t[i] = i % 2 ? -0 : 0;
      for (let r = 0; r < rows; r++) t[r * d + 1] = r % 4 === 0 ? -0 : -1 - rng.next();
      return t;
    };
    const ids = Int32Array.from({ length: B }, () => rng.int(0, V - 1));
    const prevIds = Int32Array.from({ length: B }, () => rng.int(0, V - 1));
    const posIds = Int32Array.from({ length: B }, () => rng.int(0, P - 1));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const [tok, prv, pos] = [tf.tensor2d(table(V), [V, d]), tf.tensor2d(table(V), [V, d]), tf.tensor2d(table(P), [P, d])];
      const oneHot = (rows: Int32Array, n: number): tf.Tensor2D => tf.oneHot(tf.tensor1d(rows, 'int32'), n).toFloat() as tf.Tensor2D;
      let expected = tf.matMul(oneHot(ids, V), tok);
      if (prev) expected = expected.add(tf.matMul(oneHot(prevIds, V), prv));
      expected = expected.add(tf.matMul(oneHot(posIds, P), pos));
      const out = tf.zeros([B, d]);
      const f = (t: tf.Tensor): number => at(t) / 4;
      embedRowsAt(heap().wasm.HEAPF32, f(out), d, f(tok), prev ? f(prv) : null, f(pos), ids, prevIds, posIds);
      assert.deepEqual(Array.from(new Int32Array(out.dataSync().slice().buffer)), Array.from(new Int32Array(expected.dataSync().slice().buffer)), `B ${B}${prev ? ', previous token' : ''}`);
    });
    assert.equal(tf.memory().numTensors, before);
  }
});

// A non-finite entry makes the prefill's one-hot products NaN in its column for every token, so both paths then decode
// NaN logits; this runs the one-hot products of the in-place step.
test('decoding in place with a non-finite embedding table (the lookups as one-hot products) samples what decodeStep samples', () => {
  const params = initParams(cfg, 12);
  const pos = params.get('pos_emb')!;
  const data = pos.dataSync().slice();
  data[pos.shape[1]! * (cfg.maxPositions - 1) + 3] = Infinity; // a row no token reaches: its column is NaN for all
  pos.assign(tf.tensor(data, pos.shape));
  const rng = new Rng(6);
  const nImg = numImageTokens(cfg);
  const prompts = Array.from({ length: 3 }, () => ({ patches: new Float32Array(nImg * patchDim(cfg)).map(() => rng.next()), context: [1, 2, 3, rng.int(4, 9)] }));
  const run = (on: boolean): Generation => withCompositeKernels(on, () => generate(params, cfg, prompts, { maxNewTokens: 6, temperature: 1, topP: 1, greedy: false, rng: new Rng(1), eosId: -1, padId: 0 }, 2));
  same(run(true), run(false), 'non-finite table');
  disposeParams(params);
});
