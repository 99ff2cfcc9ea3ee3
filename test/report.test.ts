// `rlsd-bench report DIR` end to end on a sweep folder written by hand: the tables' numbers against means and
// intervals computed by hand below, the best-per-column marks, the excluded cells named, byte-identical reruns,
// a grid of run folders without sweep.json and the refusals of bad input (the time over a 6 × 3 grid: npm run bench:sweep).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorLines, runCli, runCliInProcess } from './fixtures.ts';
import { loadSweepRecords } from '../src/report/records.ts';

const BENCHES = ['mmmu', 'mathvista', 'mathvision', 'zerobench', 'wemath'] as const;
/** Items per benchmark in the synthetic evaluations. */
const ITEMS = 4;

/** Correct answers out of ITEMS per benchmark (BENCHES order), by evaluation step. */
type Counts = Record<number, readonly [number, number, number, number, number]>;

interface CellDef {
  row: string;
  method: string;
  seed: number;
  steps: number;
  /** The steps logged so far (a running cell stops early). */
  until?: number;
  counts: Counts;
  state?: 'done' | 'running' | 'failed' | 'none';
  error?: string;
  /** Extra keys on every training step. */
  extra?: Record<string, number>;
  /** The run folder relative to the root (default `<row>/seed-<seed>`: a sweep's layout). */
  dir?: string;
  /** More of run.json's config (the settings a run was trained with). */
  config?: Record<string, unknown>;
}

const BASE_COUNTS = [2, 3, 2, 0, 2] as const; // Avg 9/20 = 45 %

function writeJsonl(file: string, lines: readonly object[]): void {
  writeFileSync(file, lines.map((l) => JSON.stringify(l) + '\n').join(''));
}

/** One run folder as train writes it: run.json, metrics.jsonl, evals/step_N.jsonl, and cell.json as sweep writes it. */
function writeCell(root: string, c: CellDef): void {
  const dir = join(root, c.dir ?? join(c.row, `seed-${c.seed}`));
  mkdirSync(join(dir, 'evals'), { recursive: true });
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({
      config: { method: c.method, seed: c.seed, steps: c.steps, evalSplit: 'test', lr: 1e-5, lrSchedule: 'cosine', warmupSteps: 2, ...c.config },
      backend: { name: 'wasm', attentionKernel: 'conv', matmulKernel: 'xnnpack' },
      provenance: { commit: '0123456789abcdef0123' },
    }),
  );
  const lines: Record<string, number>[] = [];
  const until = c.until ?? c.steps;
  for (let step = 0; step <= until; step++) {
    const line: Record<string, number> = { step };
    if (step > 0) Object.assign(line, { 'critic/score/mean': step / c.steps, 'actor/entropy': 0.5, 'response_length/mean': 10, 'leakage/rate': 0, 'timing_s/step': 0.5, ...c.extra });
    const counts = c.counts[step];
    if (counts) {
      BENCHES.forEach((b, j) => (line[`val-core/${b}/acc/mean@1`] = counts[j]! / ITEMS));
      const total = counts.reduce((a, b) => a + b, 0);
      line['val-core/all/acc/mean@1'] = total / (ITEMS * BENCHES.length);
      line['val-core/avg/acc/mean@1'] = counts.reduce((a, n) => a + n / ITEMS, 0) / BENCHES.length;
      line['val-aux/n'] = ITEMS * BENCHES.length;
      // Item k of a benchmark is right when k < its count.
      writeJsonl(
        join(dir, 'evals', `step_${String(step).padStart(6, '0')}.jsonl`),
        BENCHES.flatMap((b, j) => Array.from({ length: ITEMS }, (_, k) => ({ uid: `u${k}`, benchmark: b, correct: k < counts[j]! ? 1 : 0 }))),
      );
    }
    lines.push(line);
  }
  writeJsonl(join(dir, 'metrics.jsonl'), lines);
  const state = c.state ?? 'done';
  if (state !== 'none') writeFileSync(join(dir, 'cell.json'), JSON.stringify({ state, startedAt: '2026-01-01T00:00:00Z', attempts: 1, executor: 'local', ...(c.error ? { error: c.error, exitCode: 1 } : {}) }));
}

const CELLS: CellDef[] = [
  { row: 'base', method: 'base', seed: 1, steps: 1, counts: { 0: BASE_COUNTS, 1: BASE_COUNTS } },
  { row: 'grpo', method: 'grpo', seed: 1, steps: 20, counts: { 0: BASE_COUNTS, 10: [3, 3, 2, 0, 2], 20: [3, 3, 2, 1, 2] } }, // 50, 55
  { row: 'grpo', method: 'grpo', seed: 2, steps: 20, counts: { 0: BASE_COUNTS, 10: [2, 3, 3, 0, 2], 20: [3, 4, 2, 0, 2] } }, // 50, 55
  { row: 'grpo', method: 'grpo', seed: 3, steps: 20, counts: { 0: BASE_COUNTS, 10: [3, 3, 2, 0, 3], 20: [2, 3, 3, 1, 3] } }, // 55, 60
  { row: 'opsd', method: 'opsd', seed: 1, steps: 20, counts: { 0: BASE_COUNTS, 10: [2, 2, 2, 0, 2], 20: [2, 3, 2, 0, 2] } }, // 40, 45: peak tie → step 0
  { row: 'opsd', method: 'opsd', seed: 2, steps: 20, until: 10, state: 'running', counts: { 0: BASE_COUNTS, 10: [2, 2, 2, 0, 2] } },
  { row: 'rlsd', method: 'rlsd', seed: 1, steps: 20, counts: { 0: BASE_COUNTS, 10: [4, 4, 3, 1, 3], 20: [3, 4, 3, 1, 3] }, extra: { 'grpo_opsd/stgca_clip_low_ratio': 0.1, 'grpo_opsd/stgca_clip_high_ratio': 0.05 } }, // 75, 70
  { row: 'rlsd', method: 'rlsd', seed: 2, steps: 20, counts: { 0: BASE_COUNTS, 10: [3, 4, 3, 0, 3], 20: [4, 4, 3, 0, 3] }, extra: { 'grpo_opsd/stgca_clip_low_ratio': 0.1, 'grpo_opsd/stgca_clip_high_ratio': 0.05 } }, // 65, 70
  { row: 'rlsd', method: 'rlsd', seed: 3, steps: 20, until: 7, state: 'failed', error: 'NaN loss at step 7 (training stopped)', counts: { 0: BASE_COUNTS } },
];

/** A sweep folder: the cells above, plus an SDPO cell that sweep.json lists but that never started. */
function writeSweep(root: string): void {
  for (const c of CELLS) writeCell(root, c);
  // A cell whose metrics.jsonl is broken mid-file: unreadable, named, not dropped.
  const broken = join(root, 'hybrid', 'seed-1');
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, 'run.json'), JSON.stringify({ config: { method: 'hybrid', seed: 1, steps: 20 } }));
  writeFileSync(join(broken, 'metrics.jsonl'), '{"step":0}\n{"step":1,\n{"step":2}\n');
  writeFileSync(join(broken, 'cell.json'), JSON.stringify({ state: 'done', attempts: 1, executor: 'local' }));
  const listed = [...CELLS.map((c) => ({ row: c.row, method: c.method, seed: c.seed })), { row: 'sdpo', method: 'sdpo', seed: 1 }, { row: 'hybrid', method: 'hybrid', seed: 1 }];
  const cells = listed.map((c) => ({ id: `${c.row}/seed-${c.seed}`, row: c.row, method: c.method, override: null, seed: c.seed, dir: `${c.row}/seed-${c.seed}`, args: ['--method', c.method, '--seed', String(c.seed), '--steps', '20'] }));
  writeFileSync(join(root, 'sweep.json'), JSON.stringify({ version: 1, name: 'synthetic', config: {}, base: '/base', cells, provenance: {} }));
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'rlsd-report-'));
}

/** The Markdown row of a table whose first cell is `label`, split into cells. */
function mdRow(md: string, label: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${label} `));
  assert.ok(line, `no row ${label} in\n${md}`);
  return line.split('|').slice(1, -1).map((s) => s.trim());
}

/** The part of a Markdown text from a heading to the next one of the same level. */
function section(md: string, heading: string): string {
  const at = md.indexOf(heading);
  assert.ok(at >= 0, `no ${heading}`);
  const next = md.indexOf('\n### ', at + heading.length);
  return md.slice(at, next < 0 ? undefined : next);
}

test('report: accuracy (last and peak), convergence, dynamics, paired and excluded cells from a sweep folder', () => {
  const dir = tmp();
  try {
    writeSweep(dir);
    const r = runCli(['report', dir]);
    assert.equal(r.code, 0, r.stderr);
    const out = join(dir, 'report');
    const tablesWritten = ['accuracy.csv', 'accuracy.md', 'accuracy.tex', 'convergence.csv', 'convergence.md', 'dynamics.csv', 'dynamics.md', 'paired.csv', 'paired.md', 'report.md'];
    for (const f of [...tablesWritten, 'report.html']) assert.ok(readdirSync(out).includes(f), f);
    const md = readFileSync(join(out, 'report.md'), 'utf8');

    // Last evaluation. Columns: Method, n, step(s), MMMU, MathVista, MathVision, ZeroBench, WeMath, Avg, Δ Base, Δ GRPO.
    // GRPO at step 20: MMMU 75/75/50 → mean 66.67, sd 14.43, t(0.975, 2) = 4.3027 → ± 4.3027 · 14.43 / √3 = 35.86;
    // Avg 55/55/60 → 56.67 ± 4.3027 · 2.887 / √3 = 7.17. RLSD (2 seeds, the third failed): MMMU 75/100 → 87.50 ±
    // 12.706 · 17.68 / √2 = 158.83; Avg 70/70 → 70.00 ± 0.00. OPSD: one seed done (n=1). An interval that would run past
    // 0–100 is printed clipped as [low, high]: GRPO's MMMU 66.67 ± 35.86 → [30.81, 100.00], RLSD's 87.50 ± 158.83 → [0, 100].
    const last = section(md, '### Accuracy (last evaluation)');
    assert.deepEqual(mdRow(last, 'Base'), ['Base', '1', '0', '50.00 (n=1)', '75.00 (n=1)', '50.00 (n=1)', '0.00 (n=1)', '50.00 (n=1)', '45.00 (n=1)', '—', '−11.67']);
    assert.deepEqual(mdRow(last, 'GRPO'), ['GRPO', '3', '20', '66.67 [30.81, 100.00]', '83.33 [47.48, 100.00]', '58.33 ± 35.86', '**16.67 [0.00, 52.52]**', '58.33 ± 35.86', '56.67 ± 7.17', '+11.67', '—']);
    assert.deepEqual(mdRow(last, 'OPSD'), ['OPSD', '1', '20', '50.00 (n=1)', '75.00 (n=1)', '50.00 (n=1)', '0.00 (n=1)', '50.00 (n=1)', '45.00 (n=1)', '0.00', '−11.67']);
    assert.deepEqual(mdRow(last, 'SDPO'), ['SDPO', '0', '—', '—', '—', '—', '—', '—', '—', '—', '—']);
    assert.deepEqual(mdRow(last, 'RLSD'), ['RLSD', '2', '20', '**87.50 [0.00, 100.00]**', '**100.00 ± 0.00**', '**75.00 ± 0.00**', '12.50 [0.00, 100.00]', '**75.00 ± 0.00**', '**70.00 ± 0.00**', '+25.00', '+13.33']);
    // Paper order: Base, GRPO, OPSD, SDPO, (GRPO+OPSD), RLSD.
    const order = last.split('\n').filter((l) => /^\| (Base|GRPO|OPSD|SDPO|RLSD) /.test(l)).map((l) => l.split('|')[1]!.trim());
    assert.deepEqual(order, ['Base', 'GRPO', 'OPSD', 'SDPO', 'RLSD']);

    // Peak: RLSD seed 1 peaks at step 10 (75), seed 2 at 20 (70) → Avg 72.50 ± 12.706 · 3.536 / √2 = 31.77, clipped to
    // [40.73, 100.00]; OPSD's
    // 45 at step 0 and step 20 tie → the earliest, step 0.
    const peak = section(md, '### Accuracy (peak evaluation)');
    assert.deepEqual(mdRow(peak, 'RLSD'), ['RLSD', '2', '10/20', '**100.00 ± 0.00**', '**100.00 ± 0.00**', '**75.00 ± 0.00**', '12.50 [0.00, 100.00]', '**75.00 ± 0.00**', '**72.50 [40.73, 100.00]**', '+27.50', '+15.83']);
    assert.equal(mdRow(peak, 'OPSD')[2], '0');
    assert.match(peak, /optimistic/);
    assert.match(md, /the RLSD paper, Table 2 \(arXiv 2604\.03128\)/);
    assert.deepEqual(mdRow(section(md, '### For reference'), 'GRPO+OPSD'), ['GRPO+OPSD', '63.22', '75.90', '48.52', '22.16', '54.76', '52.91']);

    // Convergence: seed-mean Avg GRPO 45, 51.67, 56.67; RLSD 45, 70, 70 → reaches GRPO's final 56.67 at step 10,
    // GRPO at 20: × 0.50; OPSD never. Rows of several seeds give each value ± its interval over seeds (RLSD's step 10:
    // seeds at 75 and 65, ± 12.706 · 7.071 / √2 = 63.53, clipped); OPSD's one seed, the plain mean.
    const conv = section(md, '### Convergence');
    assert.deepEqual(mdRow(conv, 'GRPO'), ['GRPO', '3', '45.00 ± 0.00', '51.67 ± 7.17', '56.67 ± 7.17', '20', '56.67 ± 7.17', '20', '1.00']);
    assert.deepEqual(mdRow(conv, 'RLSD'), ['RLSD', '2', '45.00 ± 0.00', '70.00 [6.47, 100.00]', '70.00 ± 0.00', '10', '70.00 [6.47, 100.00]', '10', '0.50']);
    assert.deepEqual(mdRow(conv, 'OPSD'), ['OPSD', '1', '45.00', '40.00', '45.00', '0', '45.00', 'never', '—']);

    // Dynamics: reward = step / 20, windows of 10 % of 20 steps → steps 1–2 (7.50 %) and 19–20 (97.50 %); the weight
    // clip ratio (0.15 → 15.00 %) only where logged.
    const dyn = readFileSync(join(out, 'dynamics.md'), 'utf8');
    const rlsdRows = dyn.split('\n').filter((l) => /^\| RLSD +\| /.test(l));
    assert.deepEqual(rlsdRows.map((l) => l.split('|').map((s) => s.trim()).slice(1, 4)), [
      ['RLSD', '1–2', '7.50 ± 0.00'],
      ['RLSD', '19–20', '97.50 ± 0.00'],
    ]);
    assert.match(rlsdRows[0]!, /\| +15\.00 ± 0\.00 \|/);
    assert.equal(mdRow(dyn, 'GRPO')[6], '—');
    // The default comparison RLSD − GRPO, paired by seed (seeds 1 and 2 in both rows).
    assert.deepEqual(mdRow(dyn, 'RLSD − GRPO').slice(0, 3), ['RLSD − GRPO', '1–2', '2']);

    // Paired RLSD − GRPO at the last evaluation, seeds 1 and 2 of each: MMMU (0 + 1/4) / 2 = +12.50, ZeroBench 0
    // (p = 1); Avg: the per-benchmark mean 15.00 = 70 − 55.
    const paired = section(md, '### Paired comparison');
    const prow = (bench: string, variant = 'last'): string[] => paired.split('\n').find((l) => l.startsWith('| rlsd − grpo') && l.includes(`| ${variant} `) && l.includes(`| ${bench} `))!.split('|').slice(1, -1).map((s) => s.trim());
    assert.equal(prow('MMMU')[3], '+12.50');
    assert.equal(prow('ZeroBench')[3], '0.00');
    assert.equal(prow('ZeroBench')[5], '1.000');
    assert.equal(prow('Avg')[3], '+15.00');
    assert.equal(prow('Avg')[6], '20 × 2');
    assert.match(paired, /rlsd vs grpo: seed 3 ran in one row only and is left out; the seeds both ran are paired\./);

    // Excluded cells: named with their state and reason, in the report and in stdout.
    for (const text of [md, r.stdout]) {
      assert.match(text, /rlsd\/seed-3 — failed: NaN loss at step 7 \(training stopped\)/);
      assert.match(text, /opsd\/seed-2 — running: running \(or interrupted\) at step 10 of 20/);
      assert.match(text, /sdpo\/seed-1 — pending: not started/);
      assert.match(text, /hybrid\/seed-1 — unreadable: \S*metrics\.jsonl line 2: not valid JSON/);
    }
    // stdout: both accuracy tables and the convergence table.
    for (const h of ['### Accuracy (last evaluation)', '### Accuracy (peak evaluation)', '### Convergence']) assert.ok(r.stdout.includes(h), h);

    // CSV: a best flag; LaTeX: booktabs and \textbf on the best.
    const csv = readFileSync(join(out, 'accuracy.csv'), 'utf8').split('\n');
    const header = csv[0]!.split(',');
    const rlsdLast = csv.find((l) => l.startsWith('last,rlsd,'))!.split(',');
    assert.equal(rlsdLast[header.indexOf('avg_mean')], '70.0000');
    assert.equal(rlsdLast[header.indexOf('avg_best')], '1');
    assert.equal(rlsdLast[header.indexOf('zerobench_best')], '0');
    const tex = readFileSync(join(out, 'accuracy.tex'), 'utf8');
    for (const s of ['\\toprule', '\\midrule', '\\bottomrule', '\\textbf{70.00 $\\pm$ 0.00}']) assert.ok(tex.includes(s), s);

    // Rebuilt from the records alone: a second report is byte-identical, stdout included.
    const first = Object.fromEntries(tablesWritten.map((f) => [f, readFileSync(join(out, f), 'utf8')]));
    const again = runCli(['report', dir]);
    assert.equal(again.code, 0, again.stderr);
    for (const f of tablesWritten) assert.equal(readFileSync(join(out, f), 'utf8'), first[f], f);
    assert.equal(again.stdout, r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: a grid of run folders without sweep.json (row, method and seed from the folders and run.json)', () => {
  const dir = tmp();
  try {
    for (const c of CELLS) writeCell(dir, { ...c, state: c.state === 'done' || c.state === undefined ? 'none' : c.state });
    const out = join(dir, 'elsewhere');
    const r = runCli(['report', dir, '--out', out, '--compare', 'rlsd:grpo', '--compare', 'opsd:grpo', '--bootstrap', '500', '--seed', '7']);
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.deepEqual(mdRow(section(md, '### Accuracy (last evaluation)'), 'RLSD').slice(0, 9), ['RLSD', '2', '20', '**87.50 [0.00, 100.00]**', '**100.00 ± 0.00**', '**75.00 ± 0.00**', '12.50 [0.00, 100.00]', '**75.00 ± 0.00**', '**70.00 ± 0.00**']);
    assert.match(md, /opsd − grpo/);
    assert.match(md, /rlsd\/seed-3 — failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report records: old metric names read under today\'s, per-item verdicts loaded on demand', () => {
  const dir = tmp();
  try {
    const run = join(dir, 'grpo', 'seed-4');
    mkdirSync(join(run, 'evals'), { recursive: true });
    writeFileSync(join(run, 'run.json'), JSON.stringify({ config: { method: 'grpo', seed: 4, steps: 2 } }));
    // The names of runs written before the veRL names (src/train/metrics.ts RENAMED_METRICS).
    writeJsonl(join(run, 'metrics.jsonl'), [
      { step: 0, 'eval/accuracy': 0.5, 'eval/benchmark_mean': 0.4, 'eval/mmmu': 0.25 },
      { step: 1, 'reward/mean': 0.3, 'timing/step_s': 2 },
      { step: 2, 'reward/mean': 0.6, 'eval/accuracy': 0.7, 'eval/benchmark_mean': 0.6, 'eval/mmmu': 0.5 },
    ]);
    writeJsonl(join(run, 'evals', 'step_000002.jsonl'), [
      { uid: 'a', benchmark: 'mmmu', correct: 1 },
      { uid: 7, benchmark: 'wemath', correct: 0 },
    ]);
    const rec = loadSweepRecords(dir);
    assert.equal(rec.source, 'run folders');
    const c = rec.cells[0]!;
    assert.deepEqual([c.id, c.row, c.method, c.override, c.seed, c.state], ['grpo/seed-4', 'grpo', 'grpo', null, 4, 'done']);
    assert.deepEqual(c.evaluations, [
      { step: 0, perBenchmark: { mmmu: 0.25 }, avg: 0.4, pooled: 0.5 },
      { step: 2, perBenchmark: { mmmu: 0.5 }, avg: 0.6, pooled: 0.7 },
    ]);
    assert.deepEqual(c.dynamics, [
      { step: 1, values: { 'critic/score/mean': 0.3, 'timing_s/step': 2 } },
      { step: 2, values: { 'critic/score/mean': 0.6 } },
    ]);
    assert.deepEqual([...c.items(2)!], [
      ['mmmu/a', 1],
      ['wemath/7', 0],
    ]);
    assert.equal(c.items(0), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: bad input is refused with one line and exit 2', async () => {
  const dir = tmp();
  try {
    // The first through the real binary, the others in this process (runCliInProcess: the same entry and output).
    const missing = runCli(['report', join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.equal(errorLines(missing.stderr).length, 1);
    assert.match(missing.stderr, /nope: no such folder/);

    const empty = await runCliInProcess(['report', dir]);
    assert.equal(empty.code, 2);
    assert.match(errorLines(empty.stderr)[0]!, /sweep\.json: no such file, and no run folders/);

    const sweep = join(dir, 'sweep');
    mkdirSync(sweep);
    writeSweep(sweep);
    const unknown = await runCliInProcess(['report', sweep, '--compare', 'rlsd:ppo']);
    assert.equal(unknown.code, 2);
    assert.deepEqual(errorLines(unknown.stderr), ["rlsd-bench: error: --compare rlsd:ppo: no row 'ppo' in this sweep; rows: base, grpo, opsd, sdpo, hybrid, rlsd"]);
    const malformed = await runCliInProcess(['report', sweep, '--compare', 'rlsd']);
    assert.equal(malformed.code, 2);
    assert.match(errorLines(malformed.stderr)[0]!, /--compare expects A:B/);
    const few = await runCliInProcess(['report', sweep, '--bootstrap', '5']);
    assert.equal(few.code, 2);
    assert.match(errorLines(few.stderr)[0]!, /--bootstrap must be ≥ 100 \(got 5\)$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Rewrites line `lineNo` (1-based) of a metrics.jsonl through `edit`. */
function editMetricsLine(file: string, lineNo: number, edit: (line: Record<string, unknown>) => void): void {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const line = JSON.parse(lines[lineNo - 1]!) as Record<string, unknown>;
  edit(line);
  lines[lineNo - 1] = JSON.stringify(line);
  writeFileSync(file, lines.join('\n') + '\n');
}

test('report: a null, a string, 5.0 or a missing benchmark in an evaluation refuses the cell, naming file, line and field', async () => {
  const { writeSyntheticSweep } = await import('../src/report/synthetic.ts');
  const dir = tmp();
  try {
    const bad: [string, (l: Record<string, unknown>) => void, RegExp][] = [
      ['null', (l) => (l['val-core/mmmu/acc/mean@1'] = null), /val-core\/mmmu\/acc\/mean@1 is null; expected a number in 0–1/],
      ['string', (l) => (l['val-core/all/acc/mean@1'] = '0.5'), /val-core\/all\/acc\/mean@1 is the string "0\.5"; expected a number in 0–1/],
      ['five', (l) => (l['val-core/wemath/acc/mean@1'] = 5.0), /val-core\/wemath\/acc\/mean@1 is 5; expected a number in 0–1/],
      ['missing', (l) => delete l['val-core/zerobench/acc/mean@1'], /val-core\/zerobench\/acc\/mean@1 is missing \(line 1 has it\)/],
    ];
    for (const [name, edit, reason] of bad) {
      const sweep = writeSyntheticSweep(join(dir, name), { methods: ['grpo'], seeds: [1, 2, 3], steps: 4, evalEvery: 2, items: 4 });
      const metrics = join(sweep.dir, 'grpo', 'seed-2', 'metrics.jsonl');
      // The last line (step 4) is an evaluation: spoiling it must not let step 2 stand in as "last".
      editMetricsLine(metrics, 5, edit);
      const cell = loadSweepRecords(sweep.dir).cells.find((c) => c.id === 'grpo/seed-2')!;
      assert.equal(cell.state, 'unreadable', name);
      assert.ok(cell.reason!.startsWith(`${metrics} line 5: `), `${name}: ${cell.reason}`);
      assert.match(cell.reason!, reason, name);
      if (name !== 'null') continue;
      const r = runCli(['report', sweep.dir, '--bootstrap', '100']);
      assert.equal(r.code, 0, r.stderr);
      const md = readFileSync(join(sweep.dir, 'report', 'report.md'), 'utf8');
      assert.doesNotMatch(md, /every cell is done/);
      assert.match(md, /grpo\/seed-2 — unreadable: \S*metrics\.jsonl line 5: val-core\/mmmu\/acc\/mean@1 is null/);
      // GRPO's row averages the two good seeds, at their last step.
      assert.deepEqual(mdRow(section(md, '### Accuracy (last evaluation)'), 'GRPO').slice(1, 3), ['2', '4']);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: runs trained by hand anywhere under a folder are grouped by method and settings, with seeds and the paired bootstrap', () => {
  const dir = tmp();
  try {
    const runs = join(dir, 'runs');
    const byRow = (row: string): CellDef[] => CELLS.filter((c) => c.row === row && (c.state ?? 'done') === 'done');
    // `train --out results/runs/<method>-s<seed>` (the default), one of them a level deeper, and a run with another
    // setting, which must not be averaged with the others.
    for (const c of byRow('grpo')) writeCell(runs, { ...c, state: 'none', dir: `grpo-s${c.seed}` });
    const [rlsd1, rlsd2] = byRow('rlsd');
    writeCell(runs, { ...rlsd1!, state: 'none', dir: 'rlsd-s1' });
    writeCell(runs, { ...rlsd2!, state: 'none', dir: 'tiny/rlsd-s2' });
    writeCell(runs, { ...rlsd1!, state: 'none', dir: 'rlsd-bal-s1', config: { trainMix: 'balanced' } });
    // The same method, settings and seed twice: one is reported, the other named.
    writeCell(runs, { ...rlsd1!, state: 'none', dir: 'zz-rlsd-again' });
    // Not run folders: a pretrain checkpoint, an eval folder.
    mkdirSync(join(runs, 'pretrain'), { recursive: true });
    writeFileSync(join(runs, 'pretrain', 'info.json'), '{}');
    const r = runCli(['report', runs, '--compare', 'rlsd:grpo', '--bootstrap', '200']);
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(join(runs, 'report', 'report.md'), 'utf8');
    const last = section(md, '### Accuracy (last evaluation)');
    assert.deepEqual(mdRow(last, 'GRPO').slice(1, 3), ['3', '20']);
    assert.deepEqual(mdRow(last, 'RLSD').slice(1, 3), ['2', '20']);
    assert.deepEqual(mdRow(last, 'RLSD (trainMix=balanced)').slice(1, 3), ['1', '20']);
    // GRPO's Avg over its three seeds: 55, 55, 60.
    assert.match(mdRow(last, 'GRPO')[8]!, /^56\.67 /);
    const paired = section(md, '### Paired comparison');
    const avg = paired.split('\n').find((l) => l.startsWith('| rlsd − grpo') && l.includes('| last ') && l.includes('| Avg '));
    assert.ok(avg, paired);
    assert.match(avg, /\| +\+15\.00 \|/);
    assert.match(avg, /\| +20 × 2 \|/);
    assert.match(md, /zz-rlsd-again — duplicate: the same method, settings and seed as rlsd-s1/);
    assert.doesNotMatch(md, /pretrain/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: opens with the verdict (each method vs GRPO and vs Base by default) and the configuration, rows linked to their run folders', () => {
  const dir = tmp();
  try {
    writeSweep(dir);
    const r = runCli(['report', dir]);
    assert.equal(r.code, 0, r.stderr);
    const out = join(dir, 'report');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const headings = md.split('\n').filter((l) => l.startsWith('### ')).slice(0, 3);
    assert.deepEqual(headings, ['### Verdict', '### Configuration', '### Excluded cells']);
    const verdict = section(md, '### Verdict');
    const sentence = (a: string, b: string): string => {
      const line = verdict.split('\n').find((l) => l.startsWith(`- ${a} vs ${b}: `));
      assert.ok(line, `${a} vs ${b} in\n${verdict}`);
      return line;
    };
    // Difference, interval, p-value and minimum detectable difference at the seed count, what common random numbers
    // bought (two trained rows of 2 seeds), then the verdict in words.
    const number = '[+−]?\\d+\\.\\d\\d';
    const crn = `; common random numbers: seed sd of the difference \\d+\\.\\d\\d paired by seed against \\d+\\.\\d\\d unpaired \\(variance ×(\\d+\\.\\d\\d|—)\\)`;
    const shape = new RegExp(`^- RLSD vs GRPO: ${number} points \\(95 % CI ${number} to ${number}, p (= |< )\\d\\.\\d{3}, MDD \\d+\\.\\d\\d points at 2 seeds${crn}\\) — (RLSD above GRPO|RLSD below GRPO|not resolvable at 2 seeds)\\.$`);
    assert.match(sentence('RLSD', 'GRPO'), shape);
    assert.match(sentence('RLSD', 'GRPO'), /^- RLSD vs GRPO: \+15\.00 points/);
    for (const [a, b] of [['OPSD', 'GRPO'], ['GRPO', 'Base'], ['OPSD', 'Base'], ['RLSD', 'Base']] as const) sentence(a, b);
    // GRPO's three seeds against the base checkpoint, each seed paired with the base's step-0 verdicts.
    assert.match(sentence('GRPO', 'Base'), /^- GRPO vs Base: \+11\.67 points .* at 3 seeds\)/);
    assert.match(sentence('OPSD', 'GRPO'), /at 1 seed\) — /);
    assert.match(verdict, /MDD.*80 % power.*2\.80/);
    // Printed at the end of what the command prints, after the tables.
    assert.ok(r.stdout.indexOf('### Verdict') > r.stdout.indexOf('### Convergence'), r.stdout);
    assert.match(r.stdout, /- RLSD vs GRPO: \+15\.00 points/);

    const config = section(md, '### Configuration');
    const grpo = mdRow(config, 'GRPO');
    const header = config.split('\n').find((l) => l.startsWith('| Method'))!.split('|').slice(1, -1).map((x) => x.trim());
    const col = (name: string): string => grpo[header.indexOf(name)]!;
    assert.equal(col('lr (schedule)'), '1e-5 (cosine, warmup 2)');
    assert.equal(col('steps'), '20');
    assert.equal(col('seeds'), '1, 2, 3');
    assert.equal(col('backend (kernels)'), 'wasm (attention conv, matmul xnnpack)');
    assert.equal(col('commit'), '0123456789ab');
    // Σ timing_s/step: 20 steps × 0.5 s per seed.
    assert.equal(col('wall time / seed'), '10 s');
    assert.equal(mdRow(config, 'RLSD')[header.indexOf('teacher')], 'sync:10');
    // RLSD's default: the answer only (methods/rlsd.ts privileged=answer).
    assert.equal(mdRow(config, 'RLSD')[header.indexOf('privileged context')], 'answer');
    assert.equal(col('teacher'), '—');
    // Each row links to its run folders, relative to the report.
    const links = [...col('runs').matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
    assert.deepEqual(links, ['../grpo/seed-1', '../grpo/seed-2', '../grpo/seed-3']);
    for (const l of links) assert.ok(existsSync(join(out, l, 'run.json')), l);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sweep: prints the verdict at its end', () => {
  const dir = tmp();
  try {
    const config = join(dir, 'sweep.yaml');
    writeFileSync(config, 'name: tiny\nmethods: [base, grpo]\nseeds: [1]\ntrain: { steps: 2, prompts: 2, samples: 2, eval-items: 2, train-items: 4, eval-schedule: every:1 }\n');
    const r = runCli(['sweep', config, '--out', join(dir, 'out'), '--workers', '2', '--backend', 'wasm']);
    assert.equal(r.code, 0, r.stderr);
    const verdict = r.stdout.indexOf('### Verdict');
    assert.ok(verdict > r.stdout.indexOf('### Accuracy (last evaluation)'), r.stdout);
    assert.match(r.stdout.slice(verdict), /^- GRPO vs Base: .* at 1 seed\) — /m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
