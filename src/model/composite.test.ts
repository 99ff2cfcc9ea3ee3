import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.ts';
import { DEFAULT_MODEL, type ModelConfig, numImageTokens, patchDim } from './config.ts';
import { compositeKernels, gradientNormComposite, withCompositeKernels } from './composite.ts';
import { layoutBatch } from './layout.ts';
import { cachedTensorCount, setAttentionKernel, type AttentionKernel } from './ops.ts';
import { initParams, disposeParams, type Params } from './params.ts';
import { forwardGrouped, prefill } from './transformer.ts';
import { Rng } from '../util/rng.ts';

await initBackend('wasm');

const cfg: ModelConfig = { ...DEFAULT_MODEL, vocabSize: 30, maxPositions: 64, prevTokenEmbedding: true };

/** The bits of a float32 tensor (NaN payloads and −0 count). */
function bits(t: tf.Tensor): Int32Array {
  const v = t.dataSync() as Float32Array;
  return new Int32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

interface Grouped {
  prefix: ReturnType<typeof layoutBatch>;
  G: number;
  R: number;
  targets: Int32Array;
  weights: tf.Tensor3D;
}

/** P prefixes (image + `ctx` tokens) shared by G responses of R tokens each, and fixed random weights for a loss. */
function groupedBatch(rng: Rng, P: number, G: number, ctx: number, R: number): Grouped {
  const nImg = numImageTokens(cfg);
  const seqs = Array.from({ length: P }, () => ({
    patches: new Float32Array(nImg * patchDim(cfg)).map(() => rng.next()),
    context: Array.from({ length: ctx - (rng.next() < 0.5 ? 1 : 0) }, () => rng.int(1, cfg.vocabSize - 1)),
  }));
  const targets = Int32Array.from({ length: P * G * R }, () => rng.int(1, cfg.vocabSize - 1));
  const weights = tf.tensor3d(Float32Array.from({ length: P * G * R * cfg.vocabSize }, () => rng.next() - 0.5), [P * G, R, cfg.vocabSize]);
  return { prefix: layoutBatch(cfg, seqs, 0), G, R, targets, weights };
}

/** The loss Σ logits·weights over a grouped batch and its gradient for every parameter, as bits. */
function lossAndGrads(params: Params, g: Grouped): Map<string, Int32Array> {
  const { value, grads } = tf.variableGrads(() => forwardGrouped(params, cfg, g.prefix.batch, g.prefix.nextPos, g.G, g.targets, g.R).mul(g.weights).sum() as tf.Scalar, [...params.values()]);
  const out = new Map<string, Int32Array>([['loss', bits(value)]]);
  for (const [k, v] of params) out.set(k, bits(grads[v.name]!));
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

for (const kernel of ['conv', 'matmul'] as AttentionKernel[])
  test(`composite kernels (${kernel} attention): an update's loss and every parameter's gradient equal the tfjs composition bit for bit`, () => {
    setAttentionKernel(kernel);
    const params = initParams(cfg, 5);
    // Larger weights than the initialisation, so that every op's rounding shows.
    for (const v of params.values()) v.assign(v.mul(7));
    try {
      // Prefix and response lengths on both sides of the convolution's 12 rows; a response of 1 token has no response pass.
      for (const [P, G, ctx, R] of [
        [3, 4, 6, 15],
        [2, 3, 4, 5],
        [2, 2, 3, 1],
      ] as const) {
        const g = groupedBatch(new Rng(P * 100 + R), P, G, ctx, R);
        const live = (): number => tf.memory().numTensors - cachedTensorCount();
        const before = live();
        const composite = withCompositeKernels(true, () => lossAndGrads(params, g));
        assert.equal(live(), before, 'no tensor left behind');
        const reference = withCompositeKernels(false, () => lossAndGrads(params, g));
        for (const [name, expected] of reference) assert.deepEqual(composite.get(name), expected, `${name} (P ${P}, G ${G}, context ${ctx}, R ${R})`);
        g.weights.dispose();
      }
    } finally {
      setAttentionKernel('conv');
      disposeParams(params);
    }
  });

test('composite kernels: prefill (no tape; the fused matMul with its relu) gives the same logits and cache, bit for bit', () => {
  const params = initParams(cfg, 9);
  for (const v of params.values()) v.assign(v.mul(7));
  const g = groupedBatch(new Rng(4), 4, 1, 8, 1);
  const run = (on: boolean): Int32Array[] =>
    withCompositeKernels(on, () => {
      const { cache, logits } = prefill(params, cfg, g.prefix.batch);
      const out = [bits(logits), ...cache.layers.flatMap((l) => [bits(l.k), bits(l.v)])];
      logits.dispose();
      cache.dispose();
      return out;
    });
  const before = tf.memory().numTensors;
  const composite = run(true);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.deepEqual(composite, run(false));
  g.weights.dispose();
  disposeParams(params);
});

test('composite kernels: NaN, ±Infinity and −0 in the hidden state propagate as in the composition, bit for bit', () => {
  const params = initParams(cfg, 3);
  const g = groupedBatch(new Rng(8), 2, 2, 5, 14);
  // Poison one image patch of each prefix: the patch encoder turns it into a hidden row of NaN or Infinity.
  const patches = g.prefix.batch.patches;
  patches[0] = NaN;
  patches[patchDim(cfg) * numImageTokens(cfg) + 3] = Infinity;
  patches[5] = -0;
  const composite = withCompositeKernels(true, () => lossAndGrads(params, g));
  const reference = withCompositeKernels(false, () => lossAndGrads(params, g));
  assert.ok(Number.isNaN(new Float32Array(composite.get('loss')!.buffer)[0]), 'the loss is NaN');
  for (const [name, expected] of reference) assert.deepEqual(composite.get(name), expected, name);
  g.weights.dispose();
  disposeParams(params);
});

test('the gradient norm of Adam\'s clipping: the composition\'s float, bit for bit (and NaN, Infinity through)', () => {
  const rng = new Rng(2);
  const shapes = [[88, 64], [64], [256, 64], [3], [1, 1]];
  const composition = (gs: tf.Tensor[]): number => tf.tidy(() => tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
  for (const special of [null, NaN, Infinity, -0]) {
    const grads = shapes.map((s) => tf.tensor(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => (rng.next() - 0.5) * 3), s));
    if (special !== null) grads[1] = tf.tensor1d(Float32Array.of(1, special, 2));
    const before = tf.memory().numTensors;
    const norm = gradientNormComposite(grads);
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Object.is(Math.fround(norm), composition(grads)), `${norm} (${special})`);
    tf.dispose(grads);
  }
});

test('composite kernels run on wasm only, and a test can turn them off', async () => {
  assert.equal(compositeKernels(), true);
  assert.equal(withCompositeKernels(false, compositeKernels), false);
  assert.equal(compositeKernels(), true, 'restored afterwards');
  await tf.setBackend('cpu');
  assert.equal(compositeKernels(), false);
  await tf.setBackend('wasm');
});
