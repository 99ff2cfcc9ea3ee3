// The regression checks' arithmetic without training: tolerance, the table of what moved, bands from reference
// seeds (hand-computed), the learning checks and the margin against the control, and the refusals of malformed
// baseline files (one line naming the file and the field).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBaseline, readBaseline, REGRESS_FORMAT, type LearningBaseline } from './baseline.ts';
import type { GoldenCell } from './baseline.ts';
import { compareCell, goldenDiffTable, goldenMetrics, sameNumber, volatileMetric } from './golden.ts';
import { sampleSd } from '../report/stats.ts';
import { learningChecks, learningTable, leaveOneOut, makeBand, normalCdf, referenceBands, runStats } from './learning.ts';

const SWEEP = { name: 't', methods: ['base', 'grpo', 'rlsd'], seeds: [1], train: { steps: 4 }, overrides: [{ name: 'shuffled-rewards', methods: ['grpo'], train: { 'shuffle-rewards': true } }], include_plain: true };

test('sameNumber: |e − g| ≤ tol·max(1, |e|); null and NaN equal only themselves', () => {
  assert.ok(sameNumber(1, 1 + 9e-7, 1e-6));
  assert.ok(!sameNumber(1, 1 + 2e-6, 1e-6));
  assert.ok(sameNumber(1000, 1000.0009, 1e-6), 'relative above 1');
  assert.ok(!sameNumber(1000, 1000.002, 1e-6));
  assert.ok(sameNumber(1e-9, 5e-7, 1e-6), 'absolute below 1');
  assert.ok(sameNumber(null, null, 1e-6) && !sameNumber(null, 0, 1e-6) && !sameNumber(0, null, 1e-6));
  assert.ok(sameNumber(NaN, NaN, 0) && !sameNumber(NaN, 0, 1) && !sameNumber(0, NaN, 1));
  assert.ok(volatileMetric('timing_s/gen') && volatileMetric('perf/rss_mib') && !volatileMetric('perf/total_num_tokens') && !volatileMetric('actor/loss'));
});

test('compareCell: a moved value, a missing key, an extra line and another weights hash are each one row', () => {
  const e: GoldenCell = { weightsSha256: 'a'.repeat(64), metrics: [{ step: 1, 'actor/loss': 0.5, 'critic/score/mean': 0.25 }, { step: 2, 'actor/loss': 0.4 }] };
  assert.deepEqual(compareCell('grpo/seed-1', e, structuredClone(e), 1e-6), []);
  const g: GoldenCell = { weightsSha256: 'b'.repeat(64), metrics: [{ step: 1, 'actor/loss': 0.5000021, 'reward/std': 0.1 }, { step: 2, 'actor/loss': 0.4 }, { step: 3, 'actor/loss': 0.3 }] };
  const d = compareCell('grpo/seed-1', e, g, 1e-6);
  assert.deepEqual(d, [
    { cell: 'grpo/seed-1', step: 1, metric: 'actor/loss', expected: 0.5, got: 0.5000021 },
    { cell: 'grpo/seed-1', step: 1, metric: 'critic/score/mean', expected: 0.25, got: '(absent)' },
    { cell: 'grpo/seed-1', step: 1, metric: 'reward/std', expected: '(absent)', got: 0.1 },
    { cell: 'grpo/seed-1', step: 3, metric: '(metric line)', expected: null, got: 'line 3' },
    { cell: 'grpo/seed-1', step: null, metric: 'final weights sha256', expected: 'a'.repeat(16), got: 'b'.repeat(16) },
  ]);
  const table = goldenDiffTable(d, 2);
  assert.match(table, /^cell\s+step\s+metric\s+expected\s+got\n/);
  assert.match(table, /grpo\/seed-1\s+1\s+actor\/loss\s+0\.500000000\s+0\.500002100/);
  assert.match(table, /… and 3 more \(1 cells\)/);
});

test('goldenMetrics drops the volatile keys and keeps the logged order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'regress-'));
  try {
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"timing_s/gen":0.3,"actor/loss":0.5,"perf/rss_mib":900}\n{"step":2,"actor/loss":0.25}\n');
    assert.deepEqual(goldenMetrics(dir), [{ 'actor/loss': 0.5, step: 1 }, { 'actor/loss': 0.25, step: 2 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bands: mean ± max(k·sd, floor) with the sample sd (hand-computed)', () => {
  // 0.5, 0.6, 0.7: mean 0.6, sd = sqrt((0.01 + 0 + 0.01) / 2) = 0.1
  const b = makeBand([0.5, 0.6, 0.7], 3, 0.01);
  assert.ok(Math.abs(b.mean - 0.6) < 1e-12 && Math.abs(b.sd - 0.1) < 1e-12);
  assert.ok(Math.abs(b.low - 0.3) < 1e-12 && Math.abs(b.high - 0.9) < 1e-12);
  // Every seed alike (base: no training): the floor is the band.
  const flat = makeBand([0.5, 0.5, 0.5], 3, 0.01);
  assert.deepEqual([flat.sd, flat.low, flat.high], [0, 0.49, 0.51]);
  // One run (a row that does not train): no spread, the floor is the band.
  assert.deepEqual([makeBand([2], 3, 0.01).sd, makeBand([2], 3, 0.01).low, makeBand([2], 3, 0.01).high], [0, 1.99, 2.01]);
  assert.ok(Math.abs(sampleSd([1, 2, 3, 4]) - Math.sqrt(5 / 3)) < 1e-12);
});

const stats = (reward: number, heldout: number): { reward: number; heldout: number } => ({ reward, heldout });

test('learning checks: bands per row and statistic, and the margin over the control at the same seed', () => {
  const ref = {
    grpo: { 1: stats(0.6, 0.55), 2: stats(0.64, 0.53), 3: stats(0.62, 0.54) },
    'grpo-shuffled-rewards': { 1: stats(0.3, 0.3), 2: stats(0.35, 0.4), 3: stats(0.4, 0.35) },
  };
  const b = { k: 3, floor: 0.01, control: 'grpo-shuffled-rewards', beats_control: { grpo: 0.1 }, reference_seeds: [1, 2, 3] };
  const { bands, gaps } = referenceBands(ref, b);
  assert.ok(Math.abs(bands['grpo']!.reward!.mean - 0.62) < 1e-12 && Math.abs(bands['grpo']!.reward!.sd - 0.02) < 1e-12);
  assert.deepEqual(gaps!['grpo']!.values.map((v) => Math.round(v * 100) / 100), [0.3, 0.29, 0.22]);
  const baseline = { ...b, bands, gaps } as unknown as LearningBaseline;
  const good = learningChecks(baseline, { grpo: { 7: stats(0.63, 0.54) }, 'grpo-shuffled-rewards': { 7: stats(0.33, 0.35) } });
  assert.ok(good.every((c) => c.pass), learningTable(good));
  assert.deepEqual(good.map((c) => `${c.row}:${c.what}`), ['grpo:reward', 'grpo:heldout', 'grpo:reward − control', 'grpo-shuffled-rewards:reward', 'grpo-shuffled-rewards:heldout']);
  // A method that stopped learning: its reward falls to the control's, out of its band and under the margin.
  const broken = learningChecks(baseline, { grpo: { 7: stats(0.36, 0.54) }, 'grpo-shuffled-rewards': { 7: stats(0.33, 0.35) } });
  assert.deepEqual(broken.filter((c) => !c.pass).map((c) => c.what), ['reward', 'reward − control']);
  assert.match(learningTable(broken), /grpo\s+7\s+reward − control\s+3\.00\s+≥ 10\.00\s+FAIL/);
  // The pooled statistic says that it is pooled.
  assert.match(learningTable(broken), /\nreward: .*; heldout: greedy accuracy pooled over the held-out items at the last evaluation \(pooled, not the report's Avg over benchmarks\)\n$/);
  assert.throws(() => learningChecks(baseline, { rlsd: { 1: stats(0.5, 0.5) } }), /no band for rlsd: run `rlsd-bench regress FILE --update`/);
});

test('runStats: the mean reward over the second half of the steps, the held-out accuracy at the last evaluation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'regress-'));
  try {
    const lines = [
      { step: 0, 'val-core/all/acc/mean@1': 0.5 },
      ...[0.1, 0.2, 0.3, 0.5].map((r, i) => ({ step: i + 1, 'critic/score/mean': r })),
      { step: 4, 'val-core/all/acc/mean@1': 0.6 },
    ];
    writeFileSync(join(dir, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    assert.deepEqual(runStats(dir), { reward: 0.4, heldout: 0.6 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('baseline files: malformed ones are refused in one line naming the file and the field', () => {
  const golden = { format: REGRESS_FORMAT, kind: 'golden', sweep: SWEEP, backend: 'wasm', tolerance: 1e-6, expected: {} };
  assert.equal(checkBaseline(golden, 'g.json').kind, 'golden');
  const learning = { format: REGRESS_FORMAT, kind: 'learning', sweep: SWEEP, backend: 'wasm', reference_seeds: [1, 2, 3], k: 3, floor: 0.01, control: 'grpo-shuffled-rewards', beats_control: { grpo: 0.1, rlsd: 0.1 }, bands: {} };
  assert.equal(checkBaseline(learning, 'l.json').kind, 'learning');
  const refuse = (raw: object, re: RegExp): void => assert.throws(() => checkBaseline(raw, 'b.json'), (e: Error) => e.name === 'BaselineError' && re.test(e.message) && !e.message.includes('\n'));
  refuse({ ...golden, format: 'x' }, /^b\.json: format must be 'rlsd-bench-regress\/1' \(got "x"\)$/);
  refuse({ ...golden, kind: 'fuzzy' }, /^b\.json: kind must be golden or learning \(got "fuzzy"\)$/);
  refuse({ ...golden, backend: 'auto' }, /^b\.json: backend must name the backend the values were recorded on/);
  refuse({ ...golden, tolerance: -1 }, /^b\.json: tolerance must be a number ≥ 0 \(got -1\)$/);
  refuse({ ...golden, expected: { 'grpo/seed-1': { weightsSha256: 'xyz', metrics: [] } } }, /^b\.json: expected\["grpo\/seed-1"\]\.weightsSha256 must be a sha256 in hex$/);
  refuse({ ...golden, sweep: { ...SWEEP, methods: ['ppo'] } }, /^b\.json: sweep: methods\[0\]: unknown method 'ppo'/);
  refuse({ ...learning, reference_seeds: [1, 2] }, /^b\.json: reference_seeds must list at least 3 different seeds \(got \[1,2\]\): a band needs a spread$/);
  refuse({ ...learning, control: 'opsd' }, /^b\.json: control must name a row of the sweep \(base, grpo, rlsd, grpo-shuffled-rewards; got "opsd"\)$/);
  refuse({ ...learning, beats_control: { sdpo: 0.1 } }, /^b\.json: beats_control\.sdpo is not a row of the sweep/);
  refuse({ ...learning, bands: { grpo: { accuracy: {} } } }, /^b\.json: bands\.grpo\.accuracy is not a statistic \(known: reward, heldout\)$/);
  refuse({ ...learning, bands: { grpo: { reward: { values: [], mean: 0.5, sd: 0, low: 0.6, high: 0.4 } } } }, /^b\.json: bands\.grpo\.reward has low 0\.6 > high 0\.4$/);
  const dir = mkdtempSync(join(tmpdir(), 'regress-'));
  try {
    assert.throws(() => readBaseline(join(dir, 'none.json')), /none\.json: no such file/);
    writeFileSync(join(dir, 'bad.json'), '{"format": ');
    assert.throws(() => readBaseline(join(dir, 'bad.json')), /bad\.json: not valid JSON/);
    assert.throws(() => readBaseline(dir), /is a directory, expected a baseline JSON file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('leave-one-out false failures and the normal tail of the control gap (hand-computed)', () => {
  // grpo's reward at seeds 1–4: 0.60, 0.61, 0.62, 0.70. Without seed 4: mean 0.61, sd 0.01, k = 3 → [0.58, 0.64]: 0.70 fails.
  const stats = {
    base: { 1: stats2(0.5, 0.57) },
    grpo: { 1: stats2(0.6, 0.5), 2: stats2(0.61, 0.5), 3: stats2(0.62, 0.5), 4: stats2(0.7, 0.5) },
    ctl: { 1: stats2(0.3, 0.3), 2: stats2(0.3, 0.3), 3: stats2(0.3, 0.3), 4: stats2(0.3, 0.3) },
  };
  const b = { k: 3, floor: 0.01, control: 'ctl', beats_control: { grpo: 0.1 }, reference_seeds: [1, 2, 3, 4] };
  const loo = leaveOneOut(stats, b, (row) => row !== 'base');
  assert.deepEqual(loo.seedsFailed, [4]);
  assert.deepEqual(loo.checksFailed, ['grpo seed 4 reward 70.00']);
  // per seed: grpo reward, heldout, gap; ctl reward, heldout — the base row (no training) is left out
  assert.equal(loo.checks, 4 * 5);
  const { bands } = referenceBands(stats, b, (row) => row !== 'base');
  assert.deepEqual(Object.keys(bands['base']!), ['heldout'], 'a row that does not train gets a held-out band only');
  assert.ok(Math.abs(normalCdf(0, 0, 1) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(-1.959964, 0, 1) - 0.025) < 1e-6);
  assert.ok(Math.abs(normalCdf(10, 29.22, 7.28) - 0.004144) < 1e-6, 'the margin 10 against the gaps 29.22 ± 7.28: z = −2.64, Φ(z) = 0.004144');
  assert.equal(normalCdf(1, 2, 0), 0);
});

function stats2(reward: number, heldout: number): { reward: number; heldout: number } {
  return { reward, heldout };
}
