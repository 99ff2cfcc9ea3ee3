import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { DEFAULT_MODEL, type ModelConfig, numImageTokens, patchDim } from './config.ts';
import { initParams, disposeParams } from './params.ts';
import { layoutBatch, type SequenceInput } from './layout.ts';
import { forwardLogits, forwardGrouped, prefill, decodeStep } from './transformer.ts';
import { generate } from './generate.ts';
import { Rng } from '../util/rng.ts';

const cfg: ModelConfig = { ...DEFAULT_MODEL, vocabSize: 24, maxPositions: 64, patchHidden: 0, imageAttention: 'causal', prevTokenEmbedding: false };
/** The vision-block variant: an MLP patch encoder and image tokens that see each other. */
const visionCfg: ModelConfig = { ...cfg, patchHidden: 32, imageAttention: 'bidirectional' };
/** The vision block plus an embedding of each text token's previous token. */
const prevCfg: ModelConfig = { ...visionCfg, prevTokenEmbedding: true };
const tag = (c: ModelConfig): string => (c.prevTokenEmbedding ? ', vision block + previous-token embedding' : c.imageAttention === 'bidirectional' ? ', vision block' : '');
const PAD = 0;

function randomSeqs(rng: Rng, n: number): SequenceInput[] {
  const nImg = numImageTokens(cfg);
  return Array.from({ length: n }, () => {
    const patches = new Float32Array(nImg * patchDim(cfg)).map(() => rng.next());
    const ctxLen = rng.int(3, 9);
    const respLen = rng.int(2, 7);
    return {
      patches,
      context: Array.from({ length: ctxLen }, () => rng.int(1, cfg.vocabSize - 1)),
      response: Array.from({ length: respLen }, () => rng.int(1, cfg.vocabSize - 1)),
    };
  });
}

for (const [backend, caseCfg] of [['cpu', cfg], ['wasm', cfg], ['cpu', visionCfg], ['wasm', visionCfg], ['cpu', prevCfg], ['wasm', prevCfg]] as const) {
  test(`KV-cached decoding equals full recomputation to 1e-5 (${backend}${tag(caseCfg)})`, async () => {
    const cfg = caseCfg;
    await tf.setBackend(backend);
    await tf.ready();
    const params = initParams(cfg, 7);
    // Large weights make the check meaningful (tiny init would give near-uniform logits).
    for (const v of params.values()) v.assign(v.mul(25));
    const rng = new Rng(1);
    const seqs = randomSeqs(rng, 5);
    const before = tf.memory().numTensors;
    const full = layoutBatch(cfg, seqs, PAD);
    const fullLogits = tf.tidy(() => forwardLogits(params, cfg, full.batch, full.responseStart - 1, full.responseLen).arraySync()) as number[][][];
    // Incremental: prefill the contexts, then feed the response tokens one by one.
    const ctxOnly = layoutBatch(cfg, seqs.map((s) => ({ patches: s.patches, context: s.context })), PAD);
    const { cache, logits } = prefill(params, cfg, ctxOnly.batch);
    const steps: number[][][] = [logits.arraySync() as number[][]];
    logits.dispose();
    const pos = ctxOnly.nextPos.slice();
    for (let t = 0; t < full.responseLen - 1; t++) {
      const ids = new Int32Array(seqs.map((s) => (s.response![t] ?? PAD)));
      const l = decodeStep(params, cfg, cache, ids, pos);
      steps.push(l.arraySync() as number[][]);
      l.dispose();
      for (let b = 0; b < pos.length; b++) pos[b]!++;
    }
    cache.dispose();
    let maxDiff = 0;
    let maxAbs = 0;
    seqs.forEach((s, b) => {
      for (let t = 0; t < s.response!.length; t++)
        for (let v = 0; v < cfg.vocabSize; v++) {
          maxDiff = Math.max(maxDiff, Math.abs(fullLogits[b]![t]![v]! - steps[t]![b]![v]!));
          maxAbs = Math.max(maxAbs, Math.abs(fullLogits[b]![t]![v]!));
        }
    });
    assert.ok(maxAbs > 0.5, `logits too small to be a meaningful check (${maxAbs})`);
    assert.ok(maxDiff < 1e-5 * Math.max(1, maxAbs), `max |Δlogit| ${maxDiff} (max |logit| ${maxAbs})`);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    disposeParams(params);
  });
}

test('generate: greedy decoding is deterministic and stops at EOS; sampling is reproducible for a seed', async () => {
  await tf.setBackend('cpu');
  const params = initParams(cfg, 3);
  const rng = new Rng(5);
  const seqs = randomSeqs(rng, 4).map((s) => ({ patches: s.patches, context: s.context }));
  const opts = { maxNewTokens: 6, temperature: 1, topP: 1, greedy: true, eosId: 2, padId: PAD };
  const before = tf.memory().numTensors;
  const a = generate(params, cfg, seqs, { ...opts, rng: new Rng(1) });
  const b = generate(params, cfg, seqs, { ...opts, rng: new Rng(99) });
  assert.deepEqual(a.responses, b.responses);
  const s1 = generate(params, cfg, seqs, { ...opts, greedy: false, rng: new Rng(11) });
  const s2 = generate(params, cfg, seqs, { ...opts, greedy: false, rng: new Rng(11) });
  assert.deepEqual(s1.responses, s2.responses);
  for (const r of s1.responses) {
    assert.ok(r.length <= 6);
    const eos = r.indexOf(2);
    assert.ok(eos === -1 || eos === r.length - 1, 'nothing after EOS');
  }
  for (const lp of s1.logProbs) for (const x of lp) assert.ok(x <= 0 && Number.isFinite(x));
  assert.equal(tf.memory().numTensors, before);
  disposeParams(params);
});

test('KVCache.keepRows: the kept sequences decode to the same logits, bit for bit, as in the whole batch', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await tf.setBackend(backend);
    const params = initParams(prevCfg, 5);
    for (const v of params.values()) v.assign(v.mul(10));
    const seqs = randomSeqs(new Rng(8), 16).map((s) => ({ patches: s.patches, context: s.context }));
    const laid = layoutBatch(prevCfg, seqs, PAD);
    const before = tf.memory().numTensors;
    const first = Int32Array.from(seqs, (_, b) => 3 + (b % 7));
    const second = Int32Array.from(seqs, (_, b) => 4 + (b % 5));
    const pos1 = laid.nextPos.slice();
    const pos2 = Int32Array.from(pos1, (p) => p + 1);
    const decodeTwice = (keep: number[] | null): Float32Array => {
      const { cache, logits } = prefill(params, prevCfg, laid.batch);
      logits.dispose();
      decodeStep(params, prevCfg, cache, first, pos1).dispose();
      const rows = keep ?? seqs.map((_, b) => b);
      if (keep) cache.keepRows(keep, prevCfg.nHeads);
      const out = decodeStep(params, prevCfg, cache, Int32Array.from(rows, (b) => second[b]!), Int32Array.from(rows, (b) => pos2[b]!));
      const data = out.dataSync() as Float32Array;
      out.dispose();
      cache.dispose();
      return data;
    };
    const all = decodeTwice(null);
    const V = prevCfg.vocabSize;
    for (const keep of [[0, 15], [3, 4, 9], [1, 2, 5, 8, 13], [0, 2, 4, 6, 8, 10, 12, 14, 15]]) {
      const kept = decodeTwice(keep);
      keep.forEach((b, i) => assert.deepEqual(Array.from(kept.subarray(i * V, (i + 1) * V)), Array.from(all.subarray(b * V, (b + 1) * V)), `${backend}: sequence ${b} kept among ${keep.length}`));
    }
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    disposeParams(params);
  }
});

test('generate: sequences that finish early leave the batch without leaking tensors, and the rest decode on', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await tf.setBackend(backend);
    const params = initParams(prevCfg, 5);
    const seqs = randomSeqs(new Rng(8), 16).map((s) => ({ patches: s.patches, context: s.context }));
    const before = tf.memory().numTensors;
    const out = generate(params, prevCfg, seqs, { maxNewTokens: 20, temperature: 1, topP: 1, greedy: false, rng: new Rng(0), eosId: 2, padId: PAD });
    const lengths = out.responses.map((r) => r.length);
    assert.ok(lengths.filter((n) => n < 10).length >= 4 && lengths.some((n) => n === 20), `${backend}: lengths ${lengths.join(',')}`);
    out.responses.forEach((r, b) => {
      assert.equal(out.logProbs[b]!.length, r.length);
      assert.ok(r.slice(0, -1).every((t) => t !== 2) && (r.length === 20 || r.at(-1) === 2), `${backend}: sequence ${b} stops at its EOS`);
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: no tensors leak`);
    disposeParams(params);
  }
});

test('grouped forward (shared prefixes) equals full per-sequence forward; grouped sampling equals per-sequence sampling', async () => {
  for (const [backend, caseCfg] of [['cpu', cfg], ['wasm', cfg], ['wasm', visionCfg], ['wasm', prevCfg]] as const) {
    const cfg = caseCfg;
    await tf.setBackend(backend);
    const params = initParams(cfg, 9);
    for (const v of params.values()) v.assign(v.mul(20));
    const rng = new Rng(4);
    const prefixes = randomSeqs(rng, 3).map((s) => ({ patches: s.patches, context: s.context }));
    const G = 3;
    const responses = Array.from({ length: 9 }, () => Array.from({ length: rng.int(1, 6) }, () => rng.int(1, cfg.vocabSize - 1)));
    const before = tf.memory().numTensors;
    const full = layoutBatch(cfg, responses.map((r, b) => ({ ...prefixes[Math.floor(b / G)]!, response: r })), PAD);
    const a = tf.tidy(() => forwardLogits(params, cfg, full.batch, full.responseStart - 1, full.responseLen).arraySync()) as number[][][];
    const R = full.responseLen;
    const targets = new Int32Array(9 * R).fill(PAD);
    responses.forEach((r, b) => targets.set(r, b * R));
    const pre = layoutBatch(cfg, prefixes, PAD);
    const g = tf.tidy(() => forwardGrouped(params, cfg, pre.batch, pre.nextPos, G, targets, R).arraySync()) as number[][][];
    let maxDiff = 0;
    responses.forEach((r, b) => {
      for (let t = 0; t < r.length; t++) for (let v = 0; v < cfg.vocabSize; v++) maxDiff = Math.max(maxDiff, Math.abs(a[b]![t]![v]! - g[b]![t]![v]!));
    });
    assert.ok(maxDiff < 1e-4, `${backend}: max |Δlogit| ${maxDiff}`);
    const opts = { maxNewTokens: 5, temperature: 1, topP: 0.9, greedy: false, eosId: 2, padId: PAD };
    const grouped = generate(params, cfg, prefixes, { ...opts, rng: new Rng(8) }, G);
    const flat = generate(params, cfg, prefixes.flatMap((x) => [x, x, x]), { ...opts, rng: new Rng(8) });
    assert.deepEqual(grouped.responses, flat.responses);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    disposeParams(params);
  }
});

test('vision block: image tokens see later patches only when bidirectional; text logits depend on every patch either way', async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(12);
  const [seq] = randomSeqs(rng, 1);
  const nImg = numImageTokens(cfg);
  const changed = { ...seq!, patches: seq!.patches.slice() };
  changed.patches.fill(0.5, (nImg - 1) * patchDim(cfg)); // alter only the last patch
  for (const c of [cfg, visionCfg]) {
    const params = initParams(c, 5);
    for (const v of params.values()) v.assign(v.mul(10));
    const run = (s: SequenceInput) => {
      const laid = layoutBatch(c, [s], PAD);
      // Logits at column 0 (the first image token) and at the last response column.
      const first = tf.tidy(() => forwardLogits(params, c, laid.batch, 0, 1).arraySync()) as number[][][];
      const last = tf.tidy(() => forwardLogits(params, c, laid.batch, laid.responseStart - 1, laid.responseLen).arraySync()) as number[][][];
      return { first: first[0]![0]!, last: last[0]!.at(-1)! };
    };
    const a = run(seq!);
    const b = run(changed);
    const diff = (x: number[], y: number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
    if (c.imageAttention === 'bidirectional') assert.ok(diff(a.first, b.first) > 1e-3, 'the first image token must see the last patch');
    else assert.equal(diff(a.first, b.first), 0, 'causal: the first image token cannot see the last patch');
    assert.ok(diff(a.last, b.last) > 1e-3, 'text sees every patch');
    disposeParams(params);
  }
});

test('previous-token embedding: its table is the last parameter (the others initialise as without it); zeroed, the model is the plain one', async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(21);
  const seqs = randomSeqs(rng, 3);
  const plain = initParams(visionCfg, 5);
  const withPrev = initParams(prevCfg, 5);
  assert.deepEqual([...withPrev.keys()], [...plain.keys(), 'prev_emb']);
  for (const [k, v] of plain) {
    assert.deepEqual(withPrev.get(k)!.dataSync(), v.dataSync(), k);
    v.assign(v.mul(10));
    withPrev.get(k)!.assign(withPrev.get(k)!.mul(10));
  }
  const logits = (c: ModelConfig, params: typeof plain): number[][][] => {
    const laid = layoutBatch(c, seqs, PAD);
    return tf.tidy(() => forwardLogits(params, c, laid.batch, laid.responseStart - 1, laid.responseLen).arraySync()) as number[][][];
  };
  const maxDiff = (a: number[][][], b: number[][][]): number => Math.max(...a.flat(2).map((x, i) => Math.abs(x - b.flat(2)[i]!)));
  const prevTable = withPrev.get('prev_emb')!;
  prevTable.assign(prevTable.mul(10));
  assert.ok(maxDiff(logits(prevCfg, withPrev), logits(visionCfg, plain)) > 1e-3, 'the previous token changes the logits');
  prevTable.assign(tf.zerosLike(prevTable));
  assert.ok(maxDiff(logits(prevCfg, withPrev), logits(visionCfg, plain)) < 1e-5, 'a zero table adds nothing');
  disposeParams(plain);
  disposeParams(withPrev);
});
