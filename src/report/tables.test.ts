// The report's tables as pure functions of in-memory records: row order and labels, which evaluation each variant
// reads, best-per-column marks with ties, the base row, convergence, dynamics windows, excluded cells, and the
// formats (escaping, determinism whatever order the cells are listed in).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracyCsv, accuracyLatex, accuracyMarkdown, latexEscape, markdownTable, reportFiles } from './formats.ts';
import { tuningTable } from './sections/tuning.ts';
import { accuracyTable, buildTables, commonRandomNumbers, convergenceTable, dynamicsTable, excludedCells, pairedTable, pickSteps, reportRows, verdictWords } from './tables.ts';
import { REPORT_BENCHMARKS, type CellRecord, type CellState, type Evaluation, type SweepRecords } from './types.ts';

/** An evaluation whose five benchmarks all score `acc` (so Avg = acc). */
const ev = (step: number, acc: number): Evaluation => ({ step, perBenchmark: Object.fromEntries(REPORT_BENCHMARKS.map((b) => [b, acc])), avg: acc, pooled: acc });

function cell(row: string, seed: number, evals: [number, number][], opts: { method?: string; override?: string | null; state?: CellState; reason?: string; steps?: number; dynamics?: CellRecord['dynamics'] } = {}): CellRecord {
  const method = opts.method ?? row;
  return {
    id: `${row}/seed-${seed}`,
    row,
    method,
    override: opts.override ?? null,
    seed,
    dir: `/sweep/${row}/seed-${seed}`,
    state: opts.state ?? 'done',
    ...(opts.reason ? { reason: opts.reason } : {}),
    steps: opts.steps ?? 100,
    evalSplit: 'test',
    evaluations: evals.map(([s, a]) => ev(s, a)),
    dynamics: opts.dynamics ?? [],
    items: () => null,
    itemGroups: () => null,
  };
}

const records = (cells: CellRecord[]): SweepRecords => ({ dir: '/sweep', name: 'unit', source: 'sweep.json', cells });

test('tables: rows in the paper order (Base, GRPO, OPSD, SDPO, GRPO+OPSD, RLSD), then override rows and other methods', () => {
  const r = records([
    cell('zeta', 1, [[0, 0.5]]),
    cell('rlsd', 1, [[0, 0.5]]),
    cell('hybrid-opsdWeight=0.25', 1, [[0, 0.5]], { method: 'hybrid', override: 'opsdWeight=0.25' }),
    cell('grpo-lr=3e-5', 1, [[0, 0.5]], { method: 'grpo', override: 'lr=3e-5' }),
    cell('hybrid', 1, [[0, 0.5]]),
    cell('sdpo', 1, [[0, 0.5]]),
    cell('opsd', 1, [[0, 0.5]]),
    cell('grpo', 1, [[0, 0.5]]),
    cell('base', 1, [[0, 0.5]]),
  ]);
  assert.deepEqual(
    reportRows(r).map((x) => x.label),
    ['Base', 'GRPO', 'OPSD', 'SDPO', 'GRPO+OPSD', 'RLSD', 'GRPO (lr=3e-5)', 'GRPO+OPSD (opsdWeight=0.25)', 'zeta'],
  );
});

test('tables: last and peak evaluations (peak ties → earliest), the base row at step 0, best per column with ties', () => {
  const r = records([
    // The base cell's later evaluation is ignored: the base row is the base checkpoint at step 0.
    cell('base', 1, [
      [0, 0.4],
      [1, 0.9],
    ], { steps: 1 }),
    cell('grpo', 1, [
      [0, 0.4],
      [50, 0.6],
      [100, 0.5],
    ]),
    cell('grpo', 2, [
      [0, 0.4],
      [50, 0.6],
      [100, 0.6],
    ]),
    cell('rlsd', 1, [
      [0, 0.4],
      [50, 0.7],
      [100, 0.55],
    ]),
  ]);
  const last = accuracyTable(r, 'last');
  const row = (t: typeof last, name: string) => t.rows.find((x) => x.row === name)!;
  assert.equal(row(last, 'base').values.avg.mean, 40);
  assert.deepEqual(row(last, 'base').steps, [0]);
  assert.deepEqual(row(last, 'grpo').steps, [100, 100]);
  assert.ok(Math.abs(row(last, 'grpo').values.avg.mean - 55) < 1e-9);
  // GRPO and RLSD tie at 55.00, but RLSD has one seed: only GRPO is marked (one-seed rows are never best).
  assert.deepEqual(last.best.avg, ['grpo']);
  assert.ok(Math.abs(row(last, 'rlsd').deltaBase - 15) < 1e-9);
  assert.ok(Math.abs(row(last, 'rlsd').deltaGrpo) < 1e-9);
  assert.ok(Number.isNaN(row(last, 'grpo').deltaGrpo) && Number.isNaN(row(last, 'base').deltaBase));
  const peak = accuracyTable(r, 'peak');
  // GRPO seed 2 reaches 0.6 at steps 50 and 100: the earliest counts.
  assert.deepEqual(row(peak, 'grpo').steps, [50, 50]);
  assert.deepEqual(row(peak, 'rlsd').steps, [50]);
  // RLSD's single seed peaks highest (70) but is not marked; GRPO's two seeds peak at 60.
  assert.deepEqual(peak.best.avg, ['grpo']);
  assert.match(peak.caption, /optimistic/);
  const md = accuracyMarkdown(last);
  // 50 and 60: 55 ± 63.53 would run past 0–100, so the clipped interval is printed.
  assert.match(md, /\| GRPO +\| +2 \| +100 \|.*\*\*55\.00 \[0\.00, 100\.00\]\*\*/);
  assert.match(md, /\| RLSD +\| +1 \| +100 \|.* 55\.00 \(n=1\) \|/);
  const csv = accuracyCsv([last, peak]);
  assert.match(csv, /^variant,row,label,seeds,steps,mmmu_mean,mmmu_ci95,mmmu_best,/);
  assert.match(csv, /\npeak,rlsd,RLSD,1,50,70\.0000,,0,/);
});

test('tables: without a base cell the base row is the step-0 evaluation of a run, said in the caption', () => {
  const t = accuracyTable(
    records([
      cell('grpo', 1, [
        [0, 0.3],
        [100, 0.5],
      ]),
    ]),
    'last',
  );
  assert.equal(t.rows[0]!.label, 'Base');
  assert.equal(t.rows[0]!.values.avg.mean, 30);
  assert.equal(t.rows[1]!.deltaBase, 20);
  assert.match(t.caption, /no base cell; the step-0 evaluation of grpo\/seed-1/);
});

test('tables: convergence — common steps, peak, steps to reach GRPO final and the ratio; never', () => {
  const sched: [number, number][] = [0, 50, 100, 150, 200, 250, 300, 350, 400].map((s) => [s, 0.4 + s / 2000]);
  const r = records([
    cell('base', 1, [[0, 0.4]], { steps: 1 }),
    cell('grpo', 1, sched, { steps: 400 }),
    cell(
      'rlsd',
      1,
      sched.map(([s, a]) => [s, Math.min(0.62, a + 0.2 * (s > 0 ? 1 : 0))]),
      { steps: 400 },
    ),
    cell(
      'opsd',
      1,
      sched.map(([s]) => [s, 0.4]),
      { steps: 400 },
    ),
  ]);
  const t = convergenceTable(r);
  // GRPO ends at 0.4 + 400/2000 = 60 %, reached at step 400; RLSD passes it at step 50 (0.4 + 0.025 + 0.2 = 62.5 → 62).
  assert.ok(Math.abs(t.target - 60) < 1e-9);
  assert.deepEqual(
    t.rows.map((x) => [x.row, x.reachStep, Number.isNaN(x.ratio) ? null : x.ratio]),
    [
      ['grpo', 400, 1],
      ['opsd', null, null],
      ['rlsd', 50, 0.125],
    ],
  );
  const rlsd = t.rows.find((x) => x.row === 'rlsd')!;
  assert.equal(rlsd.peakStep, 50);
  assert.equal(t.rows.find((x) => x.row === 'opsd')!.peakStep, 0);
  assert.deepEqual(t.steps, [0, 50, 100, 150, 250, 400]);
  assert.ok(!t.rows.some((x) => x.row === 'base'));
  assert.deepEqual(pickSteps([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, ...Array.from({ length: 22 }, (_, i) => 75 + 25 * i)]), [0, 50, 100, 200, 400, 600]);
  assert.deepEqual(pickSteps([0, 10, 20]), [0, 10, 20]);
});

test('tables: dynamics over the first and last 10 % of steps, mean over seeds; missing keys are NaN', () => {
  const dyn = (k: number): CellRecord['dynamics'] =>
    Array.from({ length: 600 }, (_, i) => ({ step: i + 1, values: { 'critic/score/mean': k * (i + 1), 'timing_s/step': 1 } }));
  const t = dynamicsTable(records([cell('grpo', 1, [[0, 0.5]], { steps: 600, dynamics: dyn(1) }), cell('grpo', 2, [[0, 0.5]], { steps: 600, dynamics: dyn(3) })]));
  assert.deepEqual(
    t.rows.map((r) => [r.window, r.from, r.to]),
    [
      ['first', 1, 60],
      ['last', 541, 600],
    ],
  );
  // Seed means over steps 1–60: 30.5 and 91.5 → 61; over 541–600: 570.5 and 1711.5 → 1141; the reward in percent.
  assert.equal(t.rows[0]!.values[0], 6100);
  assert.equal(t.rows[1]!.values[0], 114100);
  const clip = t.columns.findIndex((c) => c.id === 'clip_ratio');
  assert.ok(Number.isNaN(t.rows[0]!.values[clip]!));
});

test('tables: excluded cells are listed with state and reason; a comparison without done cells is a note', () => {
  const r = records([
    cell('grpo', 1, [[0, 0.5]]),
    cell('rlsd', 1, [], { state: 'failed', reason: 'NaN stop at step 3' }),
    cell('grpo', 2, [], { state: 'unreadable', reason: 'metrics.jsonl line 4: not valid JSON' }),
  ]);
  assert.deepEqual(excludedCells(r), [
    { id: 'grpo/seed-2', state: 'unreadable', reason: 'metrics.jsonl line 4: not valid JSON' },
    { id: 'rlsd/seed-1', state: 'failed', reason: 'NaN stop at step 3' },
  ]);
  const p = pairedTable(r, [{ a: 'rlsd', b: 'grpo' }], { resamples: 100, seed: 1 });
  assert.equal(p.rows.length, 0);
  assert.deepEqual(p.notes, ['rlsd vs grpo: no done cell in rlsd, so no comparison.']);
});

test('formats: escaping, and the same files whatever order the cells are listed in', () => {
  assert.equal(latexEscape('a_b & 50% #1 {x} ~ ^ \\'), 'a\\_b \\& 50\\% \\#1 \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}');
  assert.equal(markdownTable(['a', 'b'], [['x|y', '1']], ['l', 'r']), '| a    |   b |\n| ---- | --: |\n| x\\|y |   1 |\n');
  const cells = [
    cell('base', 1, [[0, 0.4]], { steps: 1 }),
    cell('grpo', 1, [
      [0, 0.4],
      [100, 0.5],
    ]),
    cell('grpo', 2, [
      [0, 0.4],
      [100, 0.56],
    ]),
    cell('rlsd', 1, [
      [0, 0.4],
      [100, 0.6],
    ]),
    cell('rlsd', 2, [], { state: 'running', reason: 'running (or interrupted) at step 40 of 100' }),
    cell('grpo-lr=3e-5', 1, [
      [0, 0.4],
      [100, 0.45],
    ], { method: 'grpo', override: 'lr=3e-5' }),
  ];
  const opts = { comparisons: [{ a: 'rlsd', b: 'grpo' }], resamples: 200, seed: 1 };
  const a = reportFiles('unit', 'records', buildTables(records(cells), opts));
  const b = reportFiles('unit', 'records', buildTables(records([...cells].reverse()), opts));
  assert.deepEqual(a, b);
  const tex = accuracyLatex([accuracyTable(records(cells), 'last')]);
  assert.match(tex, /\\toprule\n.*\\\\\n\\midrule\n/);
  assert.match(tex, /GRPO \(lr=3e-5\) & 1 & 45\.00 \(n=1\)/);
  assert.match(tex, /\\textbf\{53\.00 \$\\pm\$ 38\.12\}/);
  assert.match(tex, /RLSD & 1 & 60\.00 \(n=1\) &/);
  assert.ok(!/[±Δ−]/.test(tex), 'no bare Unicode symbols for pdflatex');
  assert.match(a['report.md']!, /rlsd\/seed-2 — running: running \(or interrupted\) at step 40 of 100/);
});

test('tuning: grid rows of one method and key side by side; the value with the highest last Avg is chosen, not the peak', () => {
  const grid = (value: string, evals: [number, number][], seed = 1, method = 'grpo', key = 'lr'): CellRecord => cell(`${method}-${key}=${value}`, seed, evals, { method, override: `${key}=${value}` });
  const r = records([
    grid('3e-4', [[0, 0.6], [50, 0.3]]), // peaks at the base (0.6) and collapses: a high peak, a low last
    grid('1e-4', [[0, 0.6], [25, 0.62], [50, 0.65]]),
    grid('1e-4', [[0, 0.6], [25, 0.7], [50, 0.61]], 2),
    grid('3e-5', [[0, 0.6], [50, 0.64]]),
    grid('0.25', [[0, 0.6], [50, 0.5]], 1, 'hybrid', 'opsdWeight'), // one value of its key: no group
    cell('opsd-answer', 1, [[0, 0.6], [50, 0.1]], { method: 'opsd', override: 'answer' }), // not key=value
    cell('grpo', 1, [[0, 0.6], [50, 0.7]]),
  ]);
  const t = tuningTable(r);
  assert.deepEqual(t.splits, ['test']);
  assert.equal(t.groups.length, 1);
  const g = t.groups[0]!;
  assert.deepEqual([g.method, g.key], ['grpo', 'lr']);
  assert.deepEqual(g.values.map((v) => v.value), ['3e-5', '1e-4', '3e-4'], 'in numeric order');
  const [low, mid, high] = g.values;
  assert.ok(Math.abs(mid!.last - 63) < 1e-9, 'mean over seeds of the last Avg: (65 + 61) / 2');
  assert.ok(Math.abs(mid!.peak - 67.5) < 1e-9, 'mean of each seed’s peak: (65 + 70) / 2');
  assert.equal(high!.peak, 60);
  assert.equal(high!.peakStep, 0);
  assert.deepEqual(g.values.map((v) => v.chosen), [true, false, false], '3e-5: last 64 beats 1e-4 (63) and 3e-4 (30)');
  assert.equal(low!.seeds, 1);
  const files = reportFiles('unit', 'sweep.json', buildTables(r, { comparisons: [], resamples: 100, seed: 1 }));
  assert.match(files['tuning.md']!, /\| GRPO\s+\| lr\s+\| +\*\*3e-5\*\* \|/);
  assert.match(files['tuning.md']!, /Warning: this grid was evaluated on the test split/);
  assert.equal(files['tuning.csv']!.split('\n')[1], 'grpo,lr,3e-5,grpo-lr=3e-5,1,64.0000,64.0000,50,1');
  assert.equal(reportFiles('unit', 'sweep.json', buildTables(records([cell('grpo', 1, [[0, 0.6]])]), { comparisons: [], resamples: 100, seed: 1 }))['tuning.md'], undefined, 'no grid, no tuning file');
});

test('certainty: a 95 % interval that would run past 0–100 is printed clipped, as [lo, hi], and the caption says so', () => {
  const r = records([
    cell('grpo', 1, [[0, 0.4], [100, 0.1]]),
    cell('grpo', 2, [[0, 0.4], [100, 0.9]]),
    cell('rlsd', 1, [[0, 0.4], [100, 0.5]]),
    cell('rlsd', 2, [[0, 0.4], [100, 0.52]]),
  ]);
  const t = accuracyTable(r, 'last');
  const md = accuracyMarkdown(t);
  // GRPO: 50 ± 12.706 · 56.57 / √2 = 50 ± 508.2 → clipped to [0, 100]; RLSD's 51 ± 12.71 stays inside.
  assert.match(md, /\| GRPO +\| +2 \| +100 \| +50\.00 \[0\.00, 100\.00\] \|/);
  assert.match(md, /\| RLSD +\| +2 \| +100 \| +\*\*51\.00 ± 12\.71\*\* \|/);
  assert.doesNotMatch(md, /508/);
  assert.match(t.caption, /clipped to 0–100/);
  const csv = accuracyCsv([t]);
  const header = csv.split('\n')[0]!.split(',');
  const grpo = csv.split('\n').find((l) => l.startsWith('last,grpo,'))!.split(',');
  assert.deepEqual([grpo[header.indexOf('avg_lo')], grpo[header.indexOf('avg_hi')]], ['0.0000', '100.0000']);
});

test('certainty: a one-seed row is never marked best, and the caption says what bold means', () => {
  const r = records([
    cell('base', 1, [[0, 0.4]], { steps: 1 }),
    cell('grpo', 1, [[0, 0.4], [100, 0.5]]),
    cell('grpo', 2, [[0, 0.4], [100, 0.52]]),
    cell('rlsd', 1, [[0, 0.4], [100, 0.9]]),
  ]);
  const t = accuracyTable(r, 'last');
  assert.deepEqual(t.best.avg, ['grpo']);
  assert.match(accuracyMarkdown(t), /\| RLSD +\| +1 \| +100 \| +90\.00 \(n=1\) \|/);
  assert.match(t.caption, /bold: the highest mean of the column among rows with at least 2 seeds/i);
});

test('tables: dynamics with intervals over seeds, and each comparison paired by seed (by hand)', () => {
  const t3 = 4.302652729749464; // t(0.975, 2)
  // Ten steps: windows 1–1 and 10–10. GRPO's entropy 0.51, 0.52, 0.53 by seed, reward 50 %; RLSD's entropy above its
  // own seed's GRPO by 0.001, 0.003, 0.002 and its reward by 1, 2, 3 points.
  const line = (entropy: number, reward: number): Readonly<Record<string, number>> => ({ 'actor/entropy': entropy, 'critic/score/mean': reward });
  const dyn = (entropy: number, reward: number): CellRecord['dynamics'] => Array.from({ length: 10 }, (_, i) => ({ step: i + 1, values: line(entropy, reward) }));
  const up = [0.001, 0.003, 0.002];
  const cells = [1, 2, 3].flatMap((seed) => [
    cell('grpo', seed, [[0, 0.5]], { steps: 10, dynamics: dyn(0.5 + 0.01 * seed, 0.5) }),
    cell('rlsd', seed, [[0, 0.5]], { steps: 10, dynamics: dyn(0.5 + 0.01 * seed + up[seed - 1]!, 0.5 + 0.01 * seed) }),
  ]);
  const base = cell('base', 1, [[0, 0.5]], { steps: 1, dynamics: [{ step: 1, values: line(0.5, 0.5) }] });
  const t = dynamicsTable(records([...cells, base]), [
    { a: 'rlsd', b: 'grpo' },
    { a: 'rlsd', b: 'base' },
  ]);
  const entropy = t.columns.findIndex((c) => c.id === 'entropy');
  const grpo = t.rows.find((r) => r.row === 'grpo' && r.window === 'first')!;
  // 0.51, 0.52, 0.53: mean 0.52, sd 0.01, ± t3 · 0.01 / √3 = 0.0248.
  assert.ok(Math.abs(grpo.summaries[entropy]!.half - (t3 * 0.01) / Math.sqrt(3)) < 1e-12);
  const md = reportFiles('unit', '/sweep', buildTables(records([...cells, base]), { comparisons: [{ a: 'rlsd', b: 'grpo' }], resamples: 10, seed: 1 }))['dynamics.md']!;
  assert.match(md, /\| GRPO +\| +1–1 \| +50\.00 ± 0\.00 \| +0\.520 ± 0\.025 \|/);
  // The base row has one seed: its plain mean, no interval.
  assert.match(md, /\| Base +\| +1–1 \| +50\.00 \| +0\.500 \|/);

  // Paired: entropy differences 0.001, 0.003, 0.002 → +0.0020 ± t3 · 0.001 / √3 = 0.0025; reward 1, 2, 3 points →
  // +2.000 ± 2.484. No difference against the base row (not a training window); length and leakage are not logged.
  assert.deepEqual(
    t.diffs.map((d) => [d.a, d.b, d.window, d.steps]),
    [
      ['rlsd', 'grpo', 'first', '1–1'],
      ['rlsd', 'grpo', 'last', '10–10'],
    ],
  );
  assert.ok(Math.abs(t.diffs[0]!.values[1]!.mean - 0.002) < 1e-12);
  assert.ok(Math.abs(t.diffs[0]!.values[1]!.half - (t3 * 0.001) / Math.sqrt(3)) < 1e-12);
  assert.match(md, /#### Training dynamics, paired differences\n\n\| A − B +\| steps \| seeds \| +Δ reward \(%\) \| +Δ entropy \| Δ resp\. length \| Δ leakage \(%\) \|/);
  assert.match(md, /\| RLSD − GRPO \| +1–1 \| +3 \| +\+2\.000 ± 2\.484 \| +\+0\.0020 ± 0\.0025 \| +— \| +— \|/);
  const csvLines = reportFiles('unit', '/sweep', buildTables(records([...cells, base]), { comparisons: [{ a: 'rlsd', b: 'grpo' }], resamples: 10, seed: 1 }))['dynamics.csv']!.trim().split('\n');
  assert.match(csvLines[0]!, /^kind,row,label,window,from_step,to_step,seeds,reward,reward_ci95,entropy,entropy_ci95,/);
  assert.match(csvLines.at(-1)!, /^paired,rlsd:grpo,RLSD − GRPO,last,10,10,3,2\.0000,2\.4841,0\.0020,0\.0025,/);
  // Without comparisons, no paired table.
  assert.deepEqual(dynamicsTable(records(cells)).diffs, []);
  // A seed one row lacks is left out of the pairs, and a note says so.
  const extra = cell('rlsd', 4, [[0, 0.5]], { steps: 10, dynamics: dyn(0.9, 0.9) });
  const withExtra = dynamicsTable(records([...cells, extra]), [{ a: 'rlsd', b: 'grpo' }]);
  assert.deepEqual(withExtra.diffs.map((d) => d.seeds), [3, 3]);
  assert.ok(Math.abs(withExtra.diffs[0]!.values[1]!.mean - 0.002) < 1e-12);
  assert.deepEqual(withExtra.diffNotes, ['rlsd − grpo: seed 4 ran in one row only, so it is not in the paired differences.']);
});

test('tables: convergence gives each step and the peak with its interval over seeds; one seed, the plain mean', () => {
  const t3 = 4.302652729749464;
  const r = records([1, 2, 3].map((seed) => cell('grpo', seed, [[0, 0.4], [10, 0.5 + 0.01 * seed]], { steps: 10 })));
  const t = convergenceTable(r);
  const row = t.rows[0]!;
  // Step 10: 51, 52, 53 → 52.00 ± t3 · 1 / √3 = 2.48; the peak is that point.
  assert.ok(Math.abs(row.peak.half - t3 / Math.sqrt(3)) < 1e-9);
  const md = reportFiles('unit', '/sweep', buildTables(r, { comparisons: [], resamples: 10, seed: 1 }))['convergence.md']!;
  assert.match(md, /\| GRPO +\| +3 \| 40\.00 ± 0\.00 \| 52\.00 ± 2\.48 \| +10 \| 52\.00 ± 2\.48 \|/);
  assert.match(md, /mean over seeds ± 95 % CI, Student t over seeds/);
  const one = reportFiles('unit', '/sweep', buildTables(records([cell('grpo', 1, [[0, 0.4], [10, 0.51]], { steps: 10 })]), { comparisons: [], resamples: 10, seed: 1 }))['convergence.md']!;
  assert.match(one, /\| GRPO +\| +1 \| +40\.00 \| +51\.00 \| +10 \| 51\.00 \|/);
});

test('certainty: the dynamics table gives rates (reward, leakage, clip ratio) in percent', () => {
  const dyn: CellRecord['dynamics'] = [1, 2].map((step) => ({ step, values: { 'critic/score/mean': 0.25, 'leakage/rate': 0.1, 'grpo_opsd/stgca_clip_low_ratio': 0.01, 'grpo_opsd/stgca_clip_high_ratio': 0.02 } }));
  const t = dynamicsTable(records([cell('rlsd', 1, [[0, 0.5]], { steps: 2, dynamics: dyn })]));
  const col = (id: string): number => t.rows[0]!.values[t.columns.findIndex((c) => c.id === id)]!;
  assert.deepEqual(['reward', 'leakage', 'clip_ratio'].map((id) => Number(col(id).toFixed(9))), [25, 10, 3]);
  for (const id of ['reward', 'leakage', 'clip_ratio']) assert.match(t.columns.find((c) => c.id === id)!.label, /%/);
});

test('tables: a last evaluation over a larger final set (val-full) is what the last-evaluation tables read; the peak and curves read the curve\'s problems', () => {
  const withFull = (step: number, acc: number, full: number): Evaluation => ({ ...ev(step, acc), full: { perBenchmark: Object.fromEntries(REPORT_BENCHMARKS.map((b) => [b, full])), avg: full, pooled: full, n: 10000 } });
  const base = { ...cell('base', 1, [[0, 0.3]]), evaluations: [ev(0, 0.3), withFull(1, 0.3, 0.32)] };
  const grpo = { ...cell('grpo', 1, [[0, 0.3]]), evaluations: [ev(0, 0.3), ev(50, 0.6), withFull(100, 0.5, 0.45)] };
  const r = records([base, grpo]);
  const last = accuracyTable(r, 'last');
  assert.equal(last.rows.find((x) => x.row === 'grpo')!.values.avg.mean, 45);
  assert.equal(last.rows.find((x) => x.row === 'base')!.values.avg.mean, 32, "the base's final-set evaluation");
  assert.match(last.caption, /over the final set, 10000 rows/);
  const peak = accuracyTable(r, 'peak');
  assert.equal(peak.rows.find((x) => x.row === 'grpo')!.values.avg.mean, 60);
  assert.equal(peak.rows.find((x) => x.row === 'base')!.values.avg.mean, 30);
  const conv = convergenceTable(r);
  assert.equal(conv.rows.find((x) => x.row === 'grpo')!.at.at(-1), 50, 'the convergence table keeps the curve');
});

test("tables: WeMath's Score (Strict) rebuilt from the last evaluation's records by its own aggregate; its bootstrap draws whole groups", async () => {
  const { aggregateRecords } = await import('../../benchmarks/wemath/score.ts');
  // Two 2-step groups: g1 all right, g2 with the composite wrong; items of other benchmarks carry no group.
  const wemath: [string, string, string, 0 | 1][] = [
    ['1', 'g1', '2steps_1', 1], ['2', 'g1', '2steps_2', 1], ['3', 'g1', '2steps_multi', 1],
    ['4', 'g2', '2steps_1', 1], ['5', 'g2', '2steps_2', 1], ['6', 'g2', '2steps_multi', 0],
  ];
  const verdicts = new Map<string, 0 | 1>([...wemath.map(([u, , , c]): [string, 0 | 1] => [`wemath/${u}`, c]), ['mmmu/a', 1], ['mmmu/b', 0]]);
  const groups = new Map(wemath.map(([u, g, k]) => [`wemath/${u}`, { group: g, key: k }]));
  const grpo = { ...cell('grpo', 1, [[0, 0.5], [10, 0.5]]), items: () => verdicts, itemGroups: () => groups };
  const t = buildTables(records([grpo]), { comparisons: [], resamples: 100, seed: 1 }).official;
  assert.deepEqual(t.columns.map((c) => c.metric), ['score_strict']);
  const want = aggregateRecords(wemath.map(([u, g, k, c]) => ({ id: u, response: '', extracted: null, gold: '', extractor: '', correct: c === 1, group: g, key: k })))['score_strict'] as number;
  assert.equal(t.rows[0]!.values[0]!.mean, 100 * want);
  assert.equal(t.rows[0]!.groups[0], 2);
  assert.ok(reportFiles('unit', '/sweep', buildTables(records([grpo]), { comparisons: [], resamples: 100, seed: 1 }))['report.md']!.includes('### Official scores (last evaluation)'));
  // Without group fields there is no official table.
  assert.equal(buildTables(records([{ ...grpo, itemGroups: () => new Map() }]), { comparisons: [], resamples: 100, seed: 1 }).official.rows.length, 0);
  // The paired bootstrap draws WeMath's rows by group: the same pairs give another interval than rows drawn alone.
  const other = new Map([...verdicts].map(([k, v]): [string, 0 | 1] => [k, k.startsWith('wemath/') && Number(k.slice(7)) <= 3 ? 0 : v]));
  const rlsd = { ...cell('rlsd', 1, [[0, 0.5], [10, 0.5]]), items: () => other, itemGroups: () => groups };
  const seWith = pairedTable(records([grpo, rlsd]), [{ a: 'grpo', b: 'rlsd' }], { resamples: 4000, seed: 3 }).rows.find((x) => x.benchmark === 'wemath' && x.variant === 'last')!.result.se;
  const noGroups = (c: CellRecord): CellRecord => ({ ...c, itemGroups: () => new Map() });
  const seWithout = pairedTable(records([noGroups(grpo), noGroups(rlsd)]), [{ a: 'grpo', b: 'rlsd' }], { resamples: 4000, seed: 3 }).rows.find((x) => x.benchmark === 'wemath' && x.variant === 'last')!.result.se;
  // Differences [1, 1, 1, 0, 0, 0] in two groups of three: a group draw gives 100, 50 or 0 (SE √(1/8) = 35.4 points),
  // rows drawn alone give SE √(0.25 / 6) = 20.4 points.
  assert.ok(Math.abs(seWith - 35.36) < 2, `group SE ${seWith}`);
  assert.ok(Math.abs(seWithout - 20.41) < 2, `row SE ${seWithout}`);
});

test('commonRandomNumbers: seed sd of the paired difference against the unpaired √(s_A² + s_B²), hand-computed', () => {
  // A − B = [2, 1, 2]: mean 5/3, variance ((1/3)² + (2/3)² + (1/3)²) / 2 = 1/3. s_A² = (4 + 0 + 4) / 2 = 4;
  // B's mean 181/3, deviations −7/3, 2/3, 5/3: s_B² = (49 + 4 + 25) / 9 / 2 = 13/3. Unpaired: √(4 + 13/3) = √(25/3).
  const r = commonRandomNumbers([60, 62, 64], [58, 61, 62])!;
  assert.equal(r.seeds, 3);
  assert.ok(Math.abs(r.matchedSd - Math.sqrt(1 / 3)) < 1e-12);
  assert.ok(Math.abs(r.unmatchedSd - Math.sqrt(25 / 3)) < 1e-12);
  // Pairs in seed order, the longer row cut to the shorter.
  assert.deepEqual(commonRandomNumbers([1, 2, 9], [1, 2]), { matchedSd: 0, unmatchedSd: 1, seeds: 2 });
  assert.equal(commonRandomNumbers([60], [58]), undefined, 'one seed: no seed variance');
  assert.equal(commonRandomNumbers([60, NaN], [58, 59]), undefined, 'a missing evaluation: no estimate');
  assert.equal(commonRandomNumbers([], []), undefined);
});

test('verdict words: at 1 seed a resolved difference is said to be item noise only; at 2 seeds or more, between the methods', () => {
  const r = (lo: number, hi: number, seeds: number) => ({ diff: (lo + hi) / 2, lo, hi, p: 0.01, se: 0.01, items: 100, seeds, resamples: 100 });
  assert.equal(verdictWords('RLSD', 'GRPO', r(-0.04, -0.01, 1)), 'RLSD below GRPO at 1 seed (item noise only)');
  assert.equal(verdictWords('RLSD', 'GRPO', r(0.01, 0.04, 1)), 'RLSD above GRPO at 1 seed (item noise only)');
  assert.equal(verdictWords('RLSD', 'GRPO', r(-0.01, 0.04, 1)), 'not resolvable at 1 seed');
  assert.equal(verdictWords('RLSD', 'GRPO', r(0.01, 0.04, 3)), 'RLSD above GRPO');
  assert.equal(verdictWords('RLSD', 'GRPO', r(-0.01, 0.04, 3)), 'not resolvable at 3 seeds');
});

test('paired comparison: two trained rows are paired by seed number; a seed one row lacks is left out with a note', () => {
  // Each seed's verdicts on one MMMU item: GRPO right at seeds 1 and 3, wrong at 2; RLSD right at seeds 2 and 3, and
  // seed 4 right. Paired by seed number (2↔2, 3↔3): differences +1 and 0 → +50 points; by position (1↔2, 2↔3, 3↔4)
  // it would be 0, +1, 0 → +33.33.
  const right = (seed: number, rights: number[]): Map<string, 0 | 1> => new Map([['mmmu/a', rights.includes(seed) ? 1 : 0]]);
  const grpo = [1, 2, 3].map((seed) => ({ ...cell('grpo', seed, [[0, 0.5], [10, 0.5]]), items: () => right(seed, [1, 3]) }));
  const rlsd = [2, 3, 4].map((seed) => ({ ...cell('rlsd', seed, [[0, 0.5], [10, 0.5]]), items: () => right(seed, [2, 3, 4]) }));
  const p = pairedTable(records([...grpo, ...rlsd]), [{ a: 'rlsd', b: 'grpo' }], { resamples: 200, seed: 1 });
  const avg = p.rows.find((x) => x.variant === 'last' && x.benchmark === 'avg')!;
  assert.equal(avg.result.seeds, 2);
  assert.ok(Math.abs(avg.result.diff - 50) < 1e-9, `diff ${avg.result.diff}`);
  assert.deepEqual(p.notes, ['rlsd vs grpo: seeds 1, 4 ran in one row only and are left out; the seeds both ran are paired.']);
});
