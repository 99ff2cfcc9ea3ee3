// `pretrain` end to end at a toy size: it trains (the loss is finite and the weights move), the same seed
// rebuilds the same checkpoint byte for byte, and lookup drills change what it trains on.
import { test } from 'node:test';
import { loadCheckpoint } from '../src/checkpoint.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend.ts';
import { DEFAULT_PRETRAIN, pretrain, type PretrainConfig } from '../src/pretrain.ts';
import { readJsonl } from '../src/util/jsonl.ts';

await initBackend('wasm');

const TOY: Omit<PretrainConfig, 'out'> = {
  ...DEFAULT_PRETRAIN,
  steps: 3,
  batchSize: 8,
  trainPerBenchmark: 4,
  evalPerBenchmark: 1,
  evalEvery: 0,
  lookupDrillFraction: 0.25,
  lr: 3e-3,
  warmupSteps: 0,
  quiet: true,
};

/** Runs `pretrain` into a fresh directory (recorded in `dirs` for clean-up); its weights file and per-step losses. */
async function pretrainInto(dirs: string[], cfg: Omit<PretrainConfig, 'out'>): Promise<{ out: string; weights: Buffer; losses: number[] }> {
  const out = mkdtempSync(join(tmpdir(), 'rlsd-test-pretrain-'));
  dirs.push(out);
  await pretrain({ ...cfg, out });
  const losses = readJsonl(join(out, 'pretrain_metrics.jsonl')).map((l) => (l.value as { 'sft/loss': number })['sft/loss']);
  return { out, weights: readFileSync(join(out, 'weights.bin')), losses };
}

const asFloats = (b: Buffer): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

test('pretrain: finite losses, same seed → identical checkpoint, drills change the run', async () => {
  const dirs: string[] = [];
  const once = (cfg: Omit<PretrainConfig, 'out'>) => pretrainInto(dirs, cfg);
  try {
    const a = await once(TOY);
    const b = await once(TOY);
    const noDrills = await once({ ...TOY, lookupDrillFraction: 0 });
    assert.equal(a.losses.length, 3);
    assert.ok(a.losses.every(Number.isFinite));
    assert.ok(a.losses[2]! < a.losses[0]!, `loss should fall over 3 steps at lr 3e-3: ${a.losses.join(', ')}`);
    assert.deepEqual(a.losses, b.losses);
    assert.ok(a.weights.equals(b.weights), 'same seed, same backend → same weights');
    assert.notDeepEqual(noDrills.losses, a.losses);
    assert.ok(!noDrills.weights.equals(a.weights));
    // A rebuild into an existing checkpoint starts its metrics afresh; a failed one leaves the checkpoint as it was.
    await pretrain({ ...TOY, out: a.out });
    assert.equal(readFileSync(join(a.out, 'pretrain_metrics.jsonl'), 'utf8').trim().split('\n').length, 3);
    // Its record went in with the weights (one rename): pretrain.json is the checkpoint's own info.
    assert.deepEqual(JSON.parse(readFileSync(join(a.out, 'pretrain.json'), 'utf8')), JSON.parse(JSON.stringify(loadCheckpoint(a.out).meta.info)));
    await assert.rejects(pretrain({ ...TOY, lr: 1e30, out: a.out }), /non-finite loss/);
    assert.ok(readFileSync(join(a.out, 'weights.bin')).equals(a.weights), 'the failed run did not touch the checkpoint');
    assert.equal(readFileSync(join(a.out, 'pretrain_metrics.jsonl'), 'utf8').trim().split('\n').length, 3);
    assert.ok(!existsSync(`${a.out}.pretrain_metrics.partial.jsonl`), 'no partial metrics left behind');
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test('pretrain --init continues from a checkpoint: its weights, not a fresh draw; drill warm-up shares count', async () => {
  const dirs: string[] = [];
  const run = (cfg: Omit<PretrainConfig, 'out'>) => pretrainInto(dirs, cfg);
  try {
    const first = await run(TOY);
    // A vanishing learning rate: continuing leaves the loaded weights (to float noise), a fresh init does not.
    const cont = await run({ ...TOY, seed: 2, steps: 1, lr: 1e-12, init: first.out });
    const fresh = await run({ ...TOY, seed: 2, steps: 1, lr: 1e-12 });
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
    assert.equal(asFloats(cont.weights).length, asFloats(first.weights).length);
    assert.ok(maxDiff(asFloats(cont.weights), asFloats(first.weights)) < 1e-6, 'continued from the checkpoint');
    assert.ok(maxDiff(asFloats(fresh.weights), asFloats(first.weights)) > 1e-3, 'a fresh init differs');
    // All drills in a warm-up phase (0.75 of 8) versus none: different losses from the first step.
    const warm = await run({ ...TOY, steps: 2, lookupDrillFraction: 0, lookupDrillWarmupSteps: 1, lookupDrillWarmupFraction: 0.75 });
    const none = await run({ ...TOY, steps: 2, lookupDrillFraction: 0 });
    assert.notEqual(warm.losses[0], none.losses[0]);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test('pretrain on the deep world (mini-2): the deep vocabulary, both privileged contexts, answer-only accuracy recorded', async () => {
  const dirs: string[] = [];
  try {
    const deep = { ...TOY, suite: 'mini-2' as const, lookupDrillFraction: 0, evalEvery: 2, steps: 2, maxNewTokens: 80, model: { ...TOY.model, maxPositions: 192 } };
    const withAnswers = await pretrainInto(dirs, { ...deep, answerFraction: 0.25 });
    const saved = loadCheckpoint(withAnswers.out).meta;
    const vocab = (saved.tokenizer as { vocab: string[] }).vocab;
    assert.ok(vocab.includes(' rectangle') && vocab.includes(' .'), 'the deep vocabulary');
    assert.equal(saved.model.maxPositions, 192);
    assert.equal((saved.info['config'] as { suite: string }).suite, 'mini-2');
    const line = readJsonl(join(withAnswers.out, 'pretrain_metrics.jsonl')).map((l) => l.value as Record<string, number>)[1]!;
    assert.ok(Number.isFinite(line['eval/accuracy_with_answer']), 'the answer-only context is evaluated');
    // The answer-only rows change what the batch trains on.
    const without = await pretrainInto(dirs, { ...deep, answerFraction: 0 });
    assert.notEqual(withAnswers.losses[0], without.losses[0]);
    // The habit set reaches the student's demonstrations: every one written with a habit where it applies.
    const habitual = { ...deep, answerFraction: 0, referenceFraction: 0, habitRate: 1, steps: 1, evalEvery: 0 };
    const faint = await pretrainInto(dirs, { ...habitual, habits: 'faint' });
    const carry = await pretrainInto(dirs, { ...habitual, habits: 'carry,last-overlooked' });
    assert.notEqual(faint.losses[0], carry.losses[0]);
    assert.equal((loadCheckpoint(carry.out).meta.info['config'] as { habits: string }).habits, 'carry,last-overlooked');
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
