// `pretrain` end to end at a toy size: it trains (the loss is finite and the weights move), the same seed
// rebuilds the same checkpoint byte for byte, and lookup drills change what it trains on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend.ts';
import { DEFAULT_PRETRAIN, pretrain, type PretrainConfig } from '../src/pretrain.ts';

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

test('pretrain: finite losses, same seed → identical checkpoint, drills change the run', async () => {
  const dirs: string[] = [];
  const once = async (cfg: Omit<PretrainConfig, 'out'>) => {
    const out = mkdtempSync(join(tmpdir(), 'rlsd-test-pretrain-'));
    dirs.push(out);
    await pretrain({ ...cfg, out });
    const losses = readFileSync(join(out, 'pretrain_metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { 'sft/loss': number })['sft/loss']);
    return { weights: readFileSync(join(out, 'weights.bin')), losses };
  };
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
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
