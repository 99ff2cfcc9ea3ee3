import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { chunkCost, planChunks, type ChunkCost, type GroupShape } from './chunks.ts';
import { Policy } from '../policy.ts';
import { patchDim } from './config.ts';
import { Rng } from '../util/rng.ts';

const UNIT: ChunkCost = { perCall: 100, perToken: 1, perPair: 0 };

test('chunkCost: one call plus n·R·(token + pair·(T+R)) with the chunk maxima', () => {
  const groups: GroupShape[] = [
    { prefixLen: 10, responseLen: 4, size: 2 },
    { prefixLen: 6, responseLen: 8, size: 3 },
  ];
  // n = 5, R = 8, T = 10: 7 + 5·8·(2 + 0.5·18) = 7 + 40·11 = 447
  assert.equal(chunkCost(groups, { perCall: 7, perToken: 2, perPair: 0.5 }), 447);
  assert.equal(chunkCost([], UNIT), 0);
});

test('planChunks: splits two length clusters, keeps one chunk when calls are dear, covers every group once', () => {
  const short = { prefixLen: 20, responseLen: 10, size: 8 };
  const long = { prefixLen: 20, responseLen: 30, size: 8 };
  const groups = [long, short, long, short, short, long];
  // Split: 100 + 24·10 + 100 + 24·30 = 1160 < one chunk 100 + 48·30 = 1540.
  assert.deepEqual(planChunks(groups, UNIT), [[1, 3, 4], [0, 2, 5]]);
  // A call dearer than the padding it saves: one chunk.
  assert.deepEqual(planChunks(groups, { ...UNIT, perCall: 1000 }), [[0, 1, 2, 3, 4, 5]]);
  assert.deepEqual(planChunks([], UNIT), []);
  const rng = new Rng(3);
  const many = Array.from({ length: 40 }, () => ({ prefixLen: rng.int(10, 60), responseLen: rng.int(5, 30), size: 8 }));
  const plan = planChunks(many);
  assert.deepEqual(plan.flat().sort((a, b) => a - b), many.map((_, i) => i));
  const planned = plan.reduce((a, c) => a + chunkCost(c.map((i) => many[i]!)), 0);
  assert.ok(planned <= chunkCost(many), `the plan (${planned}) never costs more than one batch (${chunkCost(many)})`);
});

test('scoreGrouped: chunked log-probs and logits equal one grouped batch, at temperature, without leaking tensors', async () => {
  await tf.setBackend('wasm');
  const policy = Policy.init(5, { vocabSize: 40, dModel: 32, nLayers: 2, nHeads: 2, maxPositions: 64, initStd: 0.5 });
  const rng = new Rng(9);
  const nImg = policy.imageTokens;
  const G = 3;
  const prefixes = Array.from({ length: 5 }, () => ({
    patches: new Float32Array(nImg * patchDim(policy.cfg)).map(() => rng.next()),
    context: Array.from({ length: rng.int(2, 14) }, () => rng.int(4, 39)),
  }));
  const responses = Array.from({ length: 15 }, (_, b) => Array.from({ length: b < 6 ? rng.int(1, 3) : rng.int(8, 12) }, () => rng.int(4, 39)));
  const temperature = 0.7;
  const before = tf.memory().numTensors;
  // perCall 0: every group its own chunk; the default plan; and one batch.
  const apart = policy.scoreGrouped(prefixes, G, responses, { temperature, full: true, cost: { perCall: 0, perToken: 1, perPair: 1 } });
  const planned = policy.scoreGrouped(prefixes, G, responses, { temperature, full: true });
  const gb = policy.groupedBatch(prefixes, G, responses);
  const one = tf.tidy(() => {
    const scaled = policy.groupedLogits(gb).div(temperature);
    const logp = tf.logSoftmax(scaled);
    return { logits: scaled.arraySync() as number[][][], logp: logp.arraySync() as number[][][] };
  });
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  const V = policy.cfg.vocabSize;
  let maxDiff = 0;
  for (const res of [apart, planned]) {
    responses.forEach((r, b) => {
      assert.equal(res.logProbs[b]!.length, r.length);
      assert.equal(res.logits![b]!.length, r.length * V);
      r.forEach((tok, t) => {
        maxDiff = Math.max(maxDiff, Math.abs(res.logProbs[b]![t]! - one.logp[b]![t]![tok]!));
        for (let v = 0; v < V; v++) maxDiff = Math.max(maxDiff, Math.abs(res.logits![b]![t * V + v]! - one.logits[b]![t]![v]!));
      });
    });
  }
  assert.ok(maxDiff < 1e-4, `max |Δ| ${maxDiff}`);
  const noLogits = policy.scoreGrouped(prefixes, G, responses, { temperature, full: false });
  assert.equal(noLogits.logits, null);
  assert.throws(() => policy.scoreGrouped(prefixes, G, responses.slice(1), { temperature, full: false }), /14 responses for 5 prefixes × 3/);
  policy.dispose();
});
