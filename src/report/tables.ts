// The report's tables as data: pure functions of SweepRecords (records.ts), so the same records give the same tables
// whatever order the cells finished in. Only `done` cells enter a table; the others are listed by excludedCells.
// Accuracies are in percent (points) from here on; formats.ts turns these structures into Markdown, CSV and LaTeX.
// The report's other tables are declared one file each in sections/ (table-spec.ts); buildTables builds them too.
import { hashString } from '../util/rng.ts';
import { benchmarks } from '../../benchmarks/index.ts';
import { headlineNotes } from '../headline-metrics.ts';
import { MDD_FACTOR, mean, minimumDetectableDifference, pairedBootstrap, summarize, type BootstrapResult, type SeedPair, type Summary } from './stats.ts';
import { responseFromRecords, type CreditRecord } from '../credit/records.ts';
import type { ResponseView } from '../credit/view.ts';
import { EXAMPLE_RULES, type ExampleKind } from '../train/credit-examples.ts';
import { REPORT_BENCHMARKS, type CellRecord, type CellState, type Evaluation, type ReportBenchmark, type SweepRecords } from './types.ts';
import { chosenEvaluation, reportRows, VARIANTS, type ReportRow, type Variant } from './rows.ts';
import { REPORT_TABLES } from './sections/index.ts';
import type { RegisteredTable } from './table-spec.ts';

export { chosenEvaluation, METHOD_LABELS, peakEvaluation, reportRows, ROW_ORDER, rowLabel, rowNames, VARIANTS, type ReportRow, type Variant } from './rows.ts';

export type AccuracyColumn = ReportBenchmark | 'avg';
export const ACCURACY_COLUMNS: readonly AccuracyColumn[] = [...REPORT_BENCHMARKS, 'avg'];
/** Each column's heading: the benchmark's declared label, and the paper's Avg. */
export const COLUMN_LABELS: Readonly<Record<AccuracyColumn, string>> = { ...Object.fromEntries(REPORT_BENCHMARKS.map((b) => [b, benchmarks[b].label])), avg: 'Avg' } as Record<AccuracyColumn, string>;

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
/** How the captions count the benchmarks ("the five benchmarks"). */
const benchmarkCount = (n: number): string => NUMBER_WORDS[n] ?? String(n);

function columnValue(e: Evaluation, col: AccuracyColumn): number {
  const v = col === 'avg' ? e.avg : e.perBenchmark[col];
  return v === undefined ? NaN : 100 * v;
}

// ---- The accuracy table.

export interface AccuracyRow {
  row: string;
  label: string;
  /** Seeds (done cells) averaged. */
  seeds: number;
  /** The evaluation step used, per seed (seed order). */
  steps: number[];
  /** Per column: mean ± 95 % CI over seeds, in points. */
  values: Record<AccuracyColumn, Summary>;
  /** Avg minus the Base row's Avg, and minus GRPO's, in points (NaN for the row itself or when that row is absent). */
  deltaBase: number;
  deltaGrpo: number;
}

export interface AccuracyTable {
  variant: Variant;
  rows: AccuracyRow[];
  /**
   * The rows marked best in each column: the highest mean at the printed two decimals (all of them on a tie) among rows
   * with at least MIN_SEEDS_FOR_BEST seeds, since one seed says nothing of the spread.
   */
  best: Record<AccuracyColumn, string[]>;
  /** The evaluation splits of the runs (test: the set tables report). */
  splits: string[];
  /** What the table shows, in one paragraph (printed as its caption). */
  caption: string;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Seeds a row needs to be marked best in a column. */
export const MIN_SEEDS_FOR_BEST = 2;

/** The splits the done cells evaluated on, sorted. */
export function evalSplits(records: SweepRecords): string[] {
  return [...new Set(records.cells.filter((c) => c.state === 'done').map((c) => c.evalSplit ?? 'unknown'))].sort();
}

export function accuracyTable(records: SweepRecords, variant: Variant): AccuracyTable {
  const rows: AccuracyRow[] = [];
  const reportRowsList = reportRows(records);
  let baseNote = 'Base: the base checkpoint evaluated at step 0.';
  // A grid run by hand has no base cell, but every run's step-0 evaluation is the base checkpoint on the same items.
  if (!reportRowsList.some((r) => r.method === 'base')) {
    const first = reportRowsList.flatMap((r) => r.cells).find((c) => c.evaluations[0]?.step === 0);
    if (first) {
      rows.push(accuracyRow('base', 'Base', [first.evaluations[0]!]));
      baseNote = `Base: no base cell; the step-0 evaluation of ${first.id} (the same base checkpoint).`;
    }
  }
  for (const r of reportRowsList) {
    const evals = r.cells.map((c) => chosenEvaluation(c, variant)).filter((e): e is Evaluation => e !== undefined);
    rows.push(accuracyRow(r.row, r.label, evals));
  }
  const base = rows.find((r) => r.row === 'base' && r.seeds > 0);
  const grpo = rows.find((r) => r.row === 'grpo' && r.seeds > 0);
  for (const r of rows) {
    r.deltaBase = base && r !== base ? r.values.avg.mean - base.values.avg.mean : NaN;
    r.deltaGrpo = grpo && r !== grpo ? r.values.avg.mean - grpo.values.avg.mean : NaN;
  }
  const best = {} as Record<AccuracyColumn, string[]>;
  for (const col of ACCURACY_COLUMNS) {
    const candidates = rows.filter((r) => Number.isFinite(r.values[col].mean) && r.values[col].n >= MIN_SEEDS_FOR_BEST);
    const top = candidates.length ? Math.max(...candidates.map((r) => round2(r.values[col].mean))) : NaN;
    best[col] = candidates.filter((r) => round2(r.values[col].mean) === top).map((r) => r.row);
  }
  const splits = evalSplits(records);
  // Rows of the final set's size, where runs evaluated one at their last step (train --final-eval-items).
  const finalRows = [...new Set(reportRowsList.flatMap((r) => r.cells).flatMap((c) => c.evaluations.flatMap((e) => (e.full ? [e.full.n] : []))))];
  const finalSet =
    finalRows.length === 0
      ? ''
      : variant === 'last'
        ? ` (over the final set, ${finalRows.join(' / ')} rows, where a run evaluated one at its last step; its curve evaluates the set's first problems)`
        : ' (on the curve\'s problems: the larger final set is evaluated only at the last step)';
  const which =
    variant === 'last'
      ? `each run's last evaluation${finalSet}`
      : `each run's peak evaluation${finalSet} (its highest Avg, the earliest on a tie). The peak is chosen on the reported split itself, so it is optimistic; the last evaluation is the unbiased figure`;
  const caption =
    `Held-out greedy accuracy (%) on the mini ${splits.join('/') || '—'} split at ${which}. ` +
    `Mean ± 95 % CI over seeds (Student t, n−1 df; "n=1": one seed, no interval); where that interval would run past 0–100 it is clipped to 0–100 and printed as [low, high]. ` +
    `n: seeds. Bold: the highest mean of the column among rows with at least ${MIN_SEEDS_FOR_BEST} seeds (one-seed rows are never bold). ` +
    `Avg: the unweighted mean of the ${benchmarkCount(REPORT_BENCHMARKS.length)} benchmarks (the paper's Avg). ${headlineNotes(REPORT_BENCHMARKS).map((n) => `${n} `).join('')}Δ: Avg minus the Base / GRPO row's Avg, in points. ${baseNote}`;
  return { variant, rows, best, splits, caption };
}

function accuracyRow(row: string, label: string, evals: Evaluation[]): AccuracyRow {
  const values = {} as Record<AccuracyColumn, Summary>;
  for (const col of ACCURACY_COLUMNS) values[col] = summarize(evals.map((e) => columnValue(e, col)));
  return { row, label, seeds: evals.length, steps: evals.map((e) => e.step), values, deltaBase: NaN, deltaGrpo: NaN };
}

// ---- Convergence.

export interface CurvePoint extends Summary {
  step: number;
}

/**
 * A row's Avg curve in points: at each evaluation step that every one of the cells evaluated, the mean ± 95 % CI
 * over seeds (the seed band of the convergence chart). Steps some seeds lack are left out, so a point never mixes
 * a different set of seeds.
 */
export function rowCurve(cells: readonly CellRecord[], col: AccuracyColumn = 'avg'): CurvePoint[] {
  if (cells.length === 0) return [];
  const bySeed = cells.map((c) => new Map(c.evaluations.map((e) => [e.step, columnValue(e, col)])));
  const steps = [...bySeed[0]!.keys()].filter((s) => bySeed.every((m) => m.has(s))).sort((a, b) => a - b);
  return steps.map((step) => ({ step, ...summarize(bySeed.map((m) => m.get(step)!)) }));
}

export interface ConvergenceRow {
  row: string;
  label: string;
  seeds: number;
  /** The seed-mean Avg curve (all common steps). */
  curve: CurvePoint[];
  /** Seed-mean Avg at each of the table's steps (NaN where the row has no evaluation there). */
  at: number[];
  /** The same with its 95 % interval over seeds (n = 0 where the row has no evaluation there). */
  atSummary: Summary[];
  peakStep: number;
  peakAcc: number;
  /** The peak point of the seed-mean curve with its interval over seeds. */
  peak: Summary;
  /** First evaluated step whose seed-mean Avg reaches GRPO's final one; null: never. */
  reachStep: number | null;
  /** reachStep over GRPO's own steps to reach it (NaN when either is missing or GRPO's is 0). */
  ratio: number;
}

export interface ConvergenceTable {
  steps: number[];
  /** GRPO's last seed-mean Avg (points), the level every row is timed to; NaN without a GRPO row. */
  target: number;
  targetStep: number;
  rows: ConvergenceRow[];
  caption: string;
}

/** Up to `max` steps of a schedule: the first, the last, and the steps nearest 1/12, 1/6, 1/3 and 2/3 of the way. */
export function pickSteps(steps: readonly number[], max = 6): number[] {
  if (steps.length <= max) return [...steps];
  const first = steps[0]!;
  const last = steps.at(-1)!;
  const picked = new Set([first, last]);
  for (const f of [1 / 12, 1 / 6, 1 / 3, 2 / 3]) {
    if (picked.size >= max) break;
    const t = first + f * (last - first);
    let best: number | undefined;
    for (const s of steps) if (!picked.has(s) && (best === undefined || Math.abs(s - t) < Math.abs(best - t))) best = s;
    if (best !== undefined) picked.add(best);
  }
  return [...picked].sort((a, b) => a - b);
}

const EPS = 1e-9;
/** No value: the summary of an empty set of seeds. */
const NO_SUMMARY: Summary = { n: 0, mean: NaN, sd: NaN, half: NaN };

export function convergenceTable(records: SweepRecords): ConvergenceTable {
  // The base row is one evaluation, not a curve; it is the step-0 column of every other row.
  const rows = reportRows(records).filter((r) => r.method !== 'base' && r.cells.length > 0);
  const curves = rows.map((r) => rowCurve(r.cells));
  const grpoIdx = rows.findIndex((r) => r.row === 'grpo');
  const grpoCurve = grpoIdx >= 0 ? curves[grpoIdx]! : [];
  const target = grpoCurve.length ? grpoCurve.at(-1)!.mean : NaN;
  const targetStep = grpoCurve.length ? grpoCurve.at(-1)!.step : NaN;
  const reach = (curve: CurvePoint[]): number | null => (Number.isFinite(target) ? (curve.find((p) => p.mean >= target - EPS)?.step ?? null) : null);
  const grpoReach = grpoIdx >= 0 ? reach(grpoCurve) : null;
  // Columns: steps every row evaluated when there are enough of them, else every step any row evaluated.
  const stepSets = curves.map((c) => new Set(c.map((p) => p.step)));
  const union = [...new Set(curves.flatMap((c) => c.map((p) => p.step)))].sort((a, b) => a - b);
  const common = union.filter((s) => stepSets.every((set) => set.has(s)));
  const steps = pickSteps(common.length >= 2 ? common : union);
  const out: ConvergenceRow[] = rows.map((r, i) => {
    const curve = curves[i]!;
    let peak: CurvePoint | undefined;
    for (const p of curve) if (peak === undefined || p.mean > peak.mean) peak = p;
    const reachStep = reach(curve);
    const ratio = reachStep !== null && grpoReach !== null && grpoReach > 0 ? reachStep / grpoReach : NaN;
    const byStep = new Map(curve.map(({ step, ...summary }): [number, Summary] => [step, summary]));
    const atSummary = steps.map((s): Summary => byStep.get(s) ?? NO_SUMMARY);
    return { row: r.row, label: r.label, seeds: r.cells.length, curve, at: atSummary.map((p) => p.mean), atSummary, peakStep: peak?.step ?? NaN, peakAcc: peak?.mean ?? NaN, peak: peak ? { n: peak.n, mean: peak.mean, sd: peak.sd, half: peak.half } : NO_SUMMARY, reachStep, ratio };
  });
  const seedCount = Math.max(0, ...out.map((r) => r.seeds));
  const caption =
    `Avg accuracy (%, mean over seeds${seedCount > 1 ? ' ± 95 % CI, Student t over seeds' : ''}) at fixed evaluation steps, the peak of the seed-mean curve (step and value), and the first evaluated ` +
    (Number.isFinite(target)
      ? `step at which each row's seed-mean Avg reaches GRPO's final ${target.toFixed(2)} % (step ${targetStep}); × GRPO: that step over GRPO's own (${grpoReach ?? 'never'}), the paper's "200 vs 400 steps". "never": not reached within the run.`
      : `step reaching GRPO's final Avg: no GRPO row with a done cell, so not computed.`);
  return { steps, target, targetStep, rows: out, caption };
}

// ---- Training dynamics.

export type DynamicsColumnId = 'reward' | 'entropy' | 'length' | 'leakage' | 'clip_ratio' | 'delta_abs' | 'teacher_tokens' | 'step_s';

export interface DynamicsColumn {
  id: DynamicsColumnId;
  label: string;
  /** Decimals printed. */
  digits: number;
  /** A rate in percent: its interval over seeds is kept inside 0–100. */
  percent?: boolean;
  /** The column's value on one training step, or undefined when the step has none of its keys. */
  value: (values: Readonly<Record<string, number>>) => number | undefined;
}

const key = (k: string) => (v: Readonly<Record<string, number>>) => v[k];
/** A rate in percent, as every accuracy of the report. */
const percent = (f: DynamicsColumn['value']): DynamicsColumn['value'] => (v) => {
  const x = f(v);
  return x === undefined ? undefined : 100 * x;
};

export const DYNAMICS_COLUMNS: readonly DynamicsColumn[] = [
  { id: 'reward', label: 'reward (%)', digits: 2, percent: true, value: percent(key('critic/score/mean')) },
  { id: 'entropy', label: 'entropy', digits: 3, value: key('actor/entropy') },
  { id: 'length', label: 'resp. length', digits: 1, value: key('response_length/mean') },
  { id: 'leakage', label: 'leakage (%)', digits: 2, percent: true, value: percent(key('leakage/rate')) },
  {
    id: 'clip_ratio',
    label: 'weight clip ratio (%)',
    digits: 2,
    percent: true,
    value: percent((v) => {
      const lo = v['grpo_opsd/stgca_clip_low_ratio'];
      const hi = v['grpo_opsd/stgca_clip_high_ratio'];
      return lo === undefined && hi === undefined ? undefined : (lo ?? 0) + (hi ?? 0);
    }),
  },
  { id: 'delta_abs', label: 'abs Δ', digits: 4, value: key('rlsd/delta_abs_mean') },
  { id: 'teacher_tokens', label: 'teacher tokens/step', digits: 0, value: key('perf/teacher_tokens') },
  { id: 'step_s', label: 's/step', digits: 3, value: key('timing_s/step') },
];

/** The share of a run's steps each dynamics window covers. */
export const DYNAMICS_WINDOW = 0.1;

export interface DynamicsRow {
  row: string;
  label: string;
  window: 'first' | 'last';
  /** The window's steps, inclusive. */
  from: number;
  to: number;
  seeds: number;
  /** Per DYNAMICS_COLUMNS: the mean over seeds of each seed's mean over the window's steps (NaN: no such key). */
  values: number[];
  /** The same with its 95 % interval over seeds (n: the seeds that log the column). */
  summaries: Summary[];
  /** Per DYNAMICS_COLUMNS, by seed: each seed's window mean (a seed that logs no such key is absent). */
  bySeed: Map<number, number>[];
}

/** A compared pair's dynamics, paired by seed index: per seed, A's window mean minus B's, then mean ± CI over seeds. */
export interface DynamicsDiffRow {
  a: string;
  b: string;
  aLabel: string;
  bLabel: string;
  window: DynamicsRow['window'];
  /** The window's steps; each row's own when the two ran different numbers of steps. */
  steps: string;
  /** Per DYNAMICS_PAIRED_COLUMNS (n: the seeds both rows have that log the column). */
  values: Summary[];
  /** The seeds paired: those both rows ran (a seed one row lacks is left out, and the table's note says so). */
  seeds: number;
}

/** The dynamics columns a paired difference means something for: what every method logs. */
export const DYNAMICS_PAIRED_COLUMNS: readonly DynamicsColumnId[] = ['reward', 'entropy', 'length', 'leakage'];

export interface DynamicsTable {
  columns: readonly DynamicsColumn[];
  rows: DynamicsRow[];
  caption: string;
  /** The comparisons' paired differences (none without comparisons, or where a side has no training dynamics). */
  diffs: DynamicsDiffRow[];
  diffCaption: string;
  /** One line per comparison whose rows ran different seeds (the unmatched ones are not in its differences). */
  diffNotes: string[];
}

/** Steps from … to, inclusive. */
export interface StepWindow {
  from: number;
  to: number;
}

/** A row's steps (its longest run) and the width of its first and last DYNAMICS_WINDOW of them. */
function rowWindow(r: ReportRow): { steps: number; width: number } {
  const steps = Math.max(...r.cells.map((c) => c.steps || (c.dynamics.at(-1)?.step ?? 0)));
  return { steps, width: Math.max(1, Math.ceil(DYNAMICS_WINDOW * steps)) };
}

function dynamicsRows(r: ReportRow): DynamicsRow[] {
  const { steps, width: w } = rowWindow(r);
  if (steps <= 0) return [];
  const windows: [DynamicsRow['window'], number, number][] = [['first', 1, Math.min(w, steps)]];
  if (steps > w) windows.push(['last', steps - w + 1, steps]);
  return windows.map(([window, from, to]) => {
    const perCell = DYNAMICS_COLUMNS.map((col) =>
      r.cells.map((c) =>
        mean(
          c.dynamics
            .filter((d) => d.step >= from && d.step <= to)
            .map((d) => col.value(d.values))
            .filter((x): x is number => x !== undefined),
        ),
      ),
    );
    const summaries = perCell.map((xs) => summarize(xs));
    const bySeed = perCell.map((xs) => new Map(xs.map((x, i): [number, number] => [r.cells[i]!.seed, x]).filter(([, x]) => Number.isFinite(x))));
    return { row: r.row, label: r.label, window, from, to, seeds: r.cells.length, values: summaries.map((x) => (x.n === 0 ? NaN : x.mean)), summaries, bySeed };
  });
}

export function dynamicsTable(records: SweepRecords, comparisons: readonly Comparison[] = []): DynamicsTable {
  const rows: DynamicsRow[] = [];
  for (const r of reportRows(records)) if (r.cells.length > 0) rows.push(...dynamicsRows(r));
  const diffs: DynamicsDiffRow[] = [];
  const diffNotes: string[] = [];
  const paired = DYNAMICS_PAIRED_COLUMNS.map((id) => DYNAMICS_COLUMNS.findIndex((c) => c.id === id));
  const seedsOf = new Map(reportRows(records).map((r) => [r.row, r.cells.map((c) => c.seed)]));
  for (const { a, b } of comparisons) {
    // The base row's one line is not a training window: no difference against it.
    if (a === BASE_ROW || b === BASE_ROW) continue;
    const [sa, sb] = [seedsOf.get(a) ?? [], seedsOf.get(b) ?? []];
    const { common, unmatched } = matchSeeds(sa, sb);
    if (sa.length > 0 && sb.length > 0 && unmatched.length > 0)
      diffNotes.push(`${a} − ${b}: seed${unmatched.length === 1 ? '' : 's'} ${unmatched.join(', ')} ran in one row only, so ${unmatched.length === 1 ? 'it is' : 'they are'} not in the paired differences.`);
    for (const window of ['first', 'last'] as const) {
      const ra = rows.find((r) => r.row === a && r.window === window);
      const rb = rows.find((r) => r.row === b && r.window === window);
      if (!ra || !rb) continue;
      const values = paired.map((j) => {
        const ma = ra.bySeed[j]!;
        const mb = rb.bySeed[j]!;
        return summarize([...ma.keys()].filter((seed) => mb.has(seed)).map((seed) => ma.get(seed)! - mb.get(seed)!));
      });
      const span = (r: DynamicsRow): string => `${r.from}–${r.to}`;
      const steps = span(ra) === span(rb) ? span(ra) : `${span(ra)} / ${span(rb)}`;
      diffs.push({ a, b, aLabel: ra.label, bLabel: rb.label, window, steps, values, seeds: common.length });
    }
  }
  const caption =
    `Training dynamics per row: each seed's mean over the first and the last ${100 * DYNAMICS_WINDOW} % of the row's steps (its longest run; the steps shown), then the mean over seeds` +
    `${rows.some((r) => r.seeds > 1) ? ' ± 95 % CI (Student t over seeds)' : ''}. ` +
    `Rates in percent: reward (%): critic/score/mean × 100; leakage (%): leakage/rate × 100 (responses naming the reference); ` +
    `weight clip ratio (%): (grpo_opsd/stgca_clip_low_ratio + _high_ratio) × 100 (RLSD). entropy: actor/entropy (nats); resp. length: response_length/mean (tokens); abs Δ: rlsd/delta_abs_mean; teacher tokens/step: perf/teacher_tokens; s/step: timing_s/step. ` +
    `—: the method logs no such metric.`;
  const diffCaption =
    `Paired by seed index (the same data order and rollout seeds under common random numbers): per seed, A's window mean minus B's, then the mean ± 95 % CI over the seeds both rows have (Student t, n−1 df; "(n=1)": one seed, no interval). ` +
    `Rates in points; entropy in nats; length in tokens. The comparisons are the report's (--compare, or every method against GRPO).`;
  return { columns: DYNAMICS_COLUMNS, rows, caption, diffs, diffCaption, diffNotes };
}

// ---- Paired comparison.

export interface Comparison {
  a: string;
  b: string;
}

/** The seeds two rows share (in the first row's order) and those only one of them ran (sorted, once each). */
function matchSeeds(a: readonly number[], b: readonly number[]): { common: number[]; unmatched: number[] } {
  const common = a.filter((x) => b.includes(x));
  const unmatched = [...new Set([...a, ...b].filter((x) => !common.includes(x)))].sort((x, y) => x - y);
  return { common, unmatched };
}

/** The name a comparison gives the base checkpoint when the records have no base row (each run's step-0 evaluation). */
export const BASE_ROW = 'base';

/** The base row of the records (method base, no override), if there is one. */
function baseRowOf(rows: readonly ReportRow[]): ReportRow | undefined {
  return rows.find((r) => r.method === 'base' && r.override === null);
}

/** The rows a comparison may name: the report's rows, and `base` (each run's step-0 evaluation) when no row is the base. */
export function comparableRows(records: SweepRecords): string[] {
  const rows = reportRows(records);
  return baseRowOf(rows) ? rows.map((r) => r.row) : [...rows.map((r) => r.row), BASE_ROW];
}

/**
 * The comparisons a report makes unless told: every method (rows without an override, with a done cell) against
 * GRPO, then every one of them against the base checkpoint.
 */
export function defaultComparisons(records: SweepRecords): Comparison[] {
  const rows = reportRows(records);
  const methods = rows.filter((r) => r.override === null && r.method !== 'base' && r.cells.length > 0);
  const grpo = methods.find((r) => r.row === 'grpo');
  const base = baseRowOf(rows)?.row ?? BASE_ROW;
  return [...(grpo ? methods.filter((r) => r !== grpo).map((r) => ({ a: r.row, b: grpo.row })) : []), ...methods.map((r) => ({ a: r.row, b: base }))];
}

export interface PairedRow {
  a: string;
  b: string;
  variant: Variant;
  /** A benchmark, or 'avg' (every benchmark counts once: resampled within benchmarks). */
  benchmark: ReportBenchmark | 'avg' | string;
  /** Difference A − B and its interval in points; p as is. */
  result: BootstrapResult;
}

export interface PairedTable {
  rows: PairedRow[];
  /** Why some seed pairs or comparisons are missing. */
  notes: string[];
  resamples: number;
  seed: number;
  caption: string;
}

const benchmarkOf = (k: string): string => k.slice(0, k.indexOf('/'));

function subset(m: ReadonlyMap<string, number>, bench: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of m) if (benchmarkOf(k) === bench) out.set(k, v);
  return out;
}

function benchmarkOrder(names: Iterable<string>): string[] {
  const known = REPORT_BENCHMARKS as readonly string[];
  const all = [...new Set(names)];
  return [...known.filter((b) => all.includes(b)), ...all.filter((b) => !known.includes(b)).sort()];
}

export function pairedTable(records: SweepRecords, comparisons: readonly Comparison[], opts: { resamples: number; seed: number }): PairedTable {
  const rows: PairedRow[] = [];
  const notes: string[] = [];
  const allRows = reportRows(records);
  const byRow = new Map(allRows.map((r) => [r.row, r]));
  const baseRow = baseRowOf(allRows);
  const isBase = (name: string): boolean => (baseRow ? name === baseRow.row : name === BASE_ROW);
  // The base checkpoint is one deterministic evaluation: every seed of the other side is paired with it — the base
  // cell's, or without one each run's own step-0 evaluation (the same checkpoint on the same items).
  const baseSide = (other: readonly CellRecord[]): CellRecord[] => {
    const cell = baseRow?.cells[0];
    return other.map((c) => (cell ? cell : { ...c, id: `${c.id} (step 0)`, method: 'base', evaluations: c.evaluations.filter((e) => e.step === 0) }));
  };
  for (const { a, b } of comparisons) {
    const own = (name: string): CellRecord[] => (isBase(name) ? [] : (byRow.get(name)?.cells ?? []));
    let A = isBase(a) ? baseSide(own(b)) : own(a);
    let B = isBase(b) ? baseSide(own(a)) : own(b);
    if (A.length === 0 || B.length === 0) {
      notes.push(`${a} vs ${b}: no done cell in ${A.length === 0 ? a : b}, so no comparison.`);
      continue;
    }
    // Two trained rows are paired by seed number (runs of one seed index share their data order and rollout stream);
    // rows with no seed in common fall back to seed order.
    if (!isBase(a) && !isBase(b)) {
      const { common, unmatched } = matchSeeds(A.map((c) => c.seed), B.map((c) => c.seed));
      if (common.length > 0) {
        if (unmatched.length > 0) notes.push(`${a} vs ${b}: seed${unmatched.length === 1 ? '' : 's'} ${unmatched.join(', ')} ran in one row only and ${unmatched.length === 1 ? 'is' : 'are'} left out; the seeds both ran are paired.`);
        A = common.map((x) => A.find((c) => c.seed === x)!);
        B = common.map((x) => B.find((c) => c.seed === x)!);
      } else notes.push(`${a} vs ${b}: the two rows share no seed; the first ${Math.min(A.length, B.length)} of each are paired in seed order.`);
    } else if (A.length !== B.length) notes.push(`${a} vs ${b}: ${a} has ${A.length} done seeds and ${b} ${B.length}; the first ${Math.min(A.length, B.length)} of each are paired in seed order.`);
    const n = Math.min(A.length, B.length);
    for (const variant of VARIANTS) {
      const pairs: SeedPair[] = [];
      const groupOf = new Map<string, string>();
      for (let i = 0; i < n; i++) {
        const verdicts = [A[i]!, B[i]!].map((c) => {
          const e = chosenEvaluation(c, variant);
          if (!e) return null;
          try {
            const v = c.items(e.step);
            if (!v) notes.push(`${c.id}: no per-item records of its ${variant} evaluation (evals/step_${String(e.step).padStart(6, '0')}.jsonl); seed pair ${i + 1} of ${a} vs ${b} (${variant}) left out.`);
            return v;
          } catch (err) {
            notes.push(`${c.id}: ${String((err as Error).message).split('\n')[0]}; seed pair ${i + 1} of ${a} vs ${b} (${variant}) left out.`);
            return null;
          }
        });
        if (verdicts[0] && verdicts[1]) pairs.push({ a: verdicts[0], b: verdicts[1] });
        for (const c of [A[i]!, B[i]!]) {
          const e = chosenEvaluation(c, variant);
          try {
            for (const [k, g] of (e && c.itemGroups(e.step)) ?? []) groupOf.set(k, `${benchmarkOf(k)}/${g.group}`);
          } catch {
            // an unreadable file is noted above, with its verdicts
          }
        }
      }
      // Rows of one problem group (WeMath's one-step items and their composite) are drawn together.
      const cluster = (k: string): string | undefined => groupOf.get(k);
      const rng = (bench: string): number => (opts.seed ^ hashString(`${a}:${b}/${variant}/${bench}`)) >>> 0;
      const benches = benchmarkOrder(pairs.flatMap((p) => [...p.a.keys()].map(benchmarkOf)));
      const points = (r: BootstrapResult): BootstrapResult => ({ ...r, diff: 100 * r.diff, lo: 100 * r.lo, hi: 100 * r.hi, se: 100 * r.se });
      for (const bench of benches) {
        const sub = pairs.map((p) => ({ a: subset(p.a, bench), b: subset(p.b, bench) }));
        rows.push({ a, b, variant, benchmark: bench, result: points(pairedBootstrap(sub, { resamples: opts.resamples, seed: rng(bench), cluster })) });
      }
      if (benches.length > 0) rows.push({ a, b, variant, benchmark: 'avg', result: points(pairedBootstrap(pairs, { resamples: opts.resamples, seed: rng('avg'), stratum: benchmarkOf, cluster })) });
    }
  }
  const caption =
    `Paired bootstrap of the accuracy difference A − B (points) on the same held-out items: seed pairs matched in seed order, items by benchmark and uid; ` +
    `each of ${opts.resamples} resamples (seed ${opts.seed}) draws the seed pairs and the items with replacement. 95 % CI: percentile interval; ` +
    `p: two-sided, 2 × (resamples at or beyond 0 against the observed sign + 1) / (resamples + 1). Avg: the mean of the per-benchmark differences, items resampled within each benchmark. ` +
    `Items of one problem group (WeMath's one-step items and their composite, where the per-item records name the group) are drawn together, as one unit. ` +
    `last / peak: each cell's last or peak (highest Avg) evaluation. Against the base checkpoint every seed is paired with the base's step-0 evaluation.`;
  return { rows, notes, resamples: opts.resamples, seed: opts.seed, caption };
}

// ---- The verdict: each comparison in one sentence.

export interface VerdictRow {
  a: string;
  b: string;
  /** The rows' labels (Base for the base checkpoint). */
  aLabel: string;
  bLabel: string;
  /** The paired bootstrap of Avg at the last evaluation, in points (the paired table's row). */
  result: BootstrapResult;
  /** Minimum detectable difference in points at this comparison's seeds and items (stats.ts MDD_FACTOR × se). */
  mdd: number;
  /**
   * The verdict in words: "RLSD above GRPO", "RLSD below GRPO", "not resolvable at 3 seeds", at one seed "RLSD below
   * GRPO at 1 seed (item noise only)", or why there is none.
   */
  words: string;
  /** What pairing by seed index bought (commonRandomNumbers), when both rows are trained runs with at least 2 seeds. */
  crn?: CommonRandomNumbers;
}

/**
 * The effect of common random numbers on one comparison. Runs of one seed index share their data order and rollout
 * sampling stream across methods, so a paired difference at the same seed cancels the noise the two runs share. Runs
 * without that sharing behave like runs of different seed indices, whose difference has variance Var(A) + Var(B).
 * Both from the per-seed Avg at the last evaluation (points): `matchedSd` the sample sd of A_i − B_i, `unmatchedSd`
 * √(s_A² + s_B²); their variance ratio is the factor by which sharing the streams shrinks the seed variance of the
 * difference (> 1: it helps; an estimate from `seeds` pairs, itself noisy at few seeds).
 */
export interface CommonRandomNumbers {
  matchedSd: number;
  unmatchedSd: number;
  seeds: number;
}

/** CommonRandomNumbers of two rows' per-seed Avg (points, paired in seed order); undefined below 2 pairs. */
export function commonRandomNumbers(a: readonly number[], b: readonly number[]): CommonRandomNumbers | undefined {
  const n = Math.min(a.length, b.length);
  const A = a.slice(0, n);
  const B = b.slice(0, n);
  if (n < 2 || ![...A, ...B].every(Number.isFinite)) return undefined;
  const variance = (xs: readonly number[]): number => {
    const m = mean(xs);
    return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
  };
  return { matchedSd: Math.sqrt(variance(A.map((x, i) => x - B[i]!))), unmatchedSd: Math.sqrt(variance(A) + variance(B)), seeds: n };
}

export interface VerdictTable {
  rows: VerdictRow[];
  caption: string;
}

/** The verdict of one difference: above or below when its 95 % interval excludes 0, else not resolvable at this many seeds. */
export function verdictWords(aLabel: string, bLabel: string, r: BootstrapResult): string {
  if (!Number.isFinite(r.diff)) return 'no comparison (no paired per-item records)';
  // One seed: the interval holds the item noise only, so a resolved difference is between these two runs, not shown
  // to be between the methods (another seed may reverse it).
  const oneSeed = r.seeds === 1 ? ' at 1 seed (item noise only)' : '';
  if (r.lo > 0) return `${aLabel} above ${bLabel}${oneSeed}`;
  if (r.hi < 0) return `${aLabel} below ${bLabel}${oneSeed}`;
  return `not resolvable at ${r.seeds} seed${r.seeds === 1 ? '' : 's'}`;
}

/**
 * The verdict: for each comparison the difference of Avg at the last evaluation (the unbiased one), its interval and
 * p-value from the paired table, the minimum detectable difference and the verdict in words.
 */
export function verdictTable(records: SweepRecords, paired: PairedTable, comparisons: readonly Comparison[]): VerdictTable {
  const all = reportRows(records);
  const labels = new Map(all.map((r) => [r.row, r.label]));
  const label = (row: string): string => labels.get(row) ?? (row === BASE_ROW ? 'Base' : row);
  const seedAvgs = (row: string): number[] => {
    const r = all.find((x) => x.row === row);
    return !r || r.method === 'base' ? [] : r.cells.map((c) => 100 * (chosenEvaluation(c, 'last')?.avg ?? NaN));
  };
  const rows: VerdictRow[] = [];
  for (const { a, b } of comparisons) {
    const found = paired.rows.find((r) => r.a === a && r.b === b && r.variant === 'last' && r.benchmark === 'avg');
    const result = found?.result ?? { diff: NaN, lo: NaN, hi: NaN, p: NaN, se: NaN, items: 0, seeds: 0, resamples: 0 };
    const aLabel = label(a);
    const bLabel = label(b);
    const crn = commonRandomNumbers(seedAvgs(a), seedAvgs(b));
    rows.push({ a, b, aLabel, bLabel, result, mdd: minimumDetectableDifference(result.se), words: verdictWords(aLabel, bLabel, result), ...(crn ? { crn } : {}) });
  }
  const caption =
    `Avg accuracy at each run's last evaluation, A − B in points, from the paired bootstrap (Paired comparison below: ${paired.resamples} resamples of seed pairs and items). ` +
    `A is above or below B when the 95 % interval excludes 0; otherwise the difference is not resolvable at that many seeds. ` +
    `At 1 seed the interval holds the item noise only: "above" or "below" then says these two runs differ on these items, not that the methods do (the seed-to-seed spread is not in it). ` +
    `MDD, the minimum detectable difference: the smallest true difference this design (these seeds and items) finds with 80 % power in a two-sided test at α = 0.05, ` +
    `(z0.975 + z0.80) × SE = ${MDD_FACTOR.toFixed(2)} × the standard deviation of the bootstrap differences. ` +
    `Common random numbers (two trained rows, 2 seeds or more): runs of one seed index share their data order and rollout sampling stream whatever the method; ` +
    `the seed-level sd of A − B paired at the same seed index, against √(s_A² + s_B²), what it would be with independent streams (from each row's per-seed Avg at the last evaluation); ` +
    `their variance ratio is the reduction sharing the streams buys, estimated from that many seeds. ` +
    `Unless --compare names pairs: each method against GRPO and against the base checkpoint.`;
  return { rows, caption };
}

// ---- Excluded cells.

export interface ExcludedCell {
  id: string;
  state: CellState;
  reason: string;
}

/** Every cell that is not done, with why, in row and seed order: the report names them, never drops them silently. */
export function excludedCells(records: SweepRecords): ExcludedCell[] {
  return reportRows(records)
    .flatMap((r) => r.all)
    .filter((c) => c.state !== 'done')
    .map((c) => ({ id: c.id, state: c.state, reason: c.reason ?? c.state }));
}

// ---- Official scores beside the headline (WeMath's Score (Strict)), from the last evaluation's per-item records.

export interface OfficialColumn {
  benchmark: string;
  metric: string;
  label: string;
}

export interface OfficialRow {
  row: string;
  label: string;
  seeds: number;
  /** Per column: mean ± CI over seeds, in points. */
  values: Summary[];
  /** Per column: the problem groups each seed's score is over (their mean). */
  groups: number[];
}

export interface OfficialTable {
  columns: OfficialColumn[];
  rows: OfficialRow[];
  caption: string;
}

/**
 * The official numbers benchmarks declare (officialScore) at each run's last evaluation, rebuilt by the benchmark's own
 * aggregate from the verdicts and group fields of evals/step_N.jsonl. Empty when no record names its groups.
 */
export function officialTable(records: SweepRecords): OfficialTable {
  const columns: OfficialColumn[] = Object.values(benchmarks).flatMap((b) => (b.officialScore ? [{ benchmark: b.name, ...b.officialScore }] : []));
  const rows: OfficialRow[] = [];
  for (const r of reportRows(records)) {
    const perColumn = columns.map(() => ({ values: [] as number[], groups: [] as number[] }));
    for (const c of r.cells) {
      const e = chosenEvaluation(c, 'last');
      if (!e) continue;
      let verdicts: ReturnType<CellRecord['items']>;
      let groups: ReturnType<CellRecord['itemGroups']>;
      try {
        verdicts = c.items(e.step);
        groups = c.itemGroups(e.step);
      } catch {
        continue; // the paired table notes an unreadable file
      }
      if (!verdicts || !groups || groups.size === 0) continue;
      columns.forEach((col, i) => {
        const itemRecords = [...groups].filter(([k]) => benchmarkOf(k) === col.benchmark).map(([k, g]) => ({ id: k, response: '', extracted: null, gold: '', extractor: '', correct: verdicts!.get(k) === 1, group: g.group, key: g.key }));
        if (itemRecords.length === 0) return;
        const m = benchmarks[col.benchmark as keyof typeof benchmarks].aggregate(itemRecords);
        const v = m[col.metric];
        if (typeof v !== 'number' || !Number.isFinite(v)) return;
        perColumn[i]!.values.push(100 * v);
        if (typeof m['groups'] === 'number') perColumn[i]!.groups.push(m['groups']);
      });
    }
    if (perColumn.some((p) => p.values.length > 0))
      rows.push({ row: r.row, label: r.label, seeds: Math.max(...perColumn.map((p) => p.values.length)), values: perColumn.map((p) => summarize(p.values)), groups: perColumn.map((p) => (p.groups.length ? mean(p.groups) : NaN)) });
  }
  const caption =
    `The official numbers beside a benchmark's column, at each run's last evaluation, rebuilt by the benchmark's own aggregate from the per-item records (${columns.map((c) => `${c.label}: ${c.metric}`).join('; ')}). ` +
    'Mean ± 95 % CI over seeds (Student t; "n=1": one seed). groups: the complete problem groups the score is over (a group missing a row is left out, as the official script cannot score it). ' +
    'These are not in the Avg; the accuracy tables use each benchmark\'s headline metric.';
  return { columns, rows, caption };
}

// ---- Where the credit went: the credit/* metrics against the uniform baseline, and the worked examples.

/** A credit measure of the table: the method's share of |credit| on some tokens and what uniform credit gives there. */
export interface CreditMeasure {
  id: 'first_wrong' | 'first_wrong_top' | 'filler';
  label: string;
  /** What the measure's value is, as its column says. */
  value: string;
  share: string;
  /** The baseline's keys, the first a line has wins: over the same responses as the share, else (older runs) over the whole batch. */
  uniform: readonly [string, string];
}

export const CREDIT_MEASURES: readonly CreditMeasure[] = [
  { id: 'first_wrong', label: 'first wrong step', value: 'share (%)', share: 'credit/first_wrong_share', uniform: ['credit/first_wrong_uniform', 'credit/first_wrong_chance'] },
  // Uniform credit ties every token, and a tie counts in proportion (methods/credit.ts): its rate is the step's token share.
  { id: 'first_wrong_top', label: 'first wrong step', value: 'most-credited token in it (%)', share: 'credit/first_wrong_top', uniform: ['credit/first_wrong_uniform', 'credit/first_wrong_chance'] },
  { id: 'filler', label: 'filler', value: 'share (%)', share: 'credit/filler_share', uniform: ['credit/filler_uniform', 'credit/filler_token_share'] },
];

export interface CreditCell {
  /** Mean ± 95 % CI over seeds, in percent: the method's share, the uniform share, and share − uniform (per seed). */
  share: Summary;
  uniform: Summary;
  diff: Summary;
  /** The training step each seed's value was read at (seed order; NaN for a seed that never logs it). */
  steps: number[];
  /** Seeds whose line predates the matched baseline and was read against the whole batch's (credit/*_chance, _token_share). */
  olderBaseline: number;
}

export interface CreditRow {
  row: string;
  label: string;
  /**
   * first: each seed's earliest training step that logs the measure; early: its mean over the first 10 % of the run's
   * steps (the dynamics table's window, `window`); last: its latest step.
   */
  at: 'first' | 'early' | 'last';
  /** The early rows' steps. */
  window?: StepWindow;
  seeds: number;
  /** Per CREDIT_MEASURES. */
  values: CreditCell[];
}

export interface CreditTable {
  rows: CreditRow[];
  caption: string;
}

/** One measure on one training line, in percent (null when the line lacks the share or both baseline keys). */
type CreditReading = { step: number; share: number; uniform: number; older: boolean };

function lineReading(d: CellRecord['dynamics'][number], m: CreditMeasure): CreditReading | null {
  const share = d.values[m.share];
  const key = m.uniform.find((k) => typeof d.values[k] === 'number');
  if (typeof share !== 'number' || key === undefined) return null;
  return { step: d.step, share: 100 * share, uniform: 100 * d.values[key]!, older: key !== m.uniform[0] };
}

/**
 * A seed's value of one measure in percent: at its first or last logged step, or its mean over the steps of `window`
 * (share and uniform each averaged over the steps that log both); null when it never logs it there.
 */
function creditReading(cell: CellRecord, m: CreditMeasure, at: CreditRow['at'], window: StepWindow): CreditReading | null {
  if (at === 'early') {
    const got = cell.dynamics
      .filter((d) => d.step >= window.from && d.step <= window.to)
      .map((d) => lineReading(d, m))
      .filter((x): x is CreditReading => x !== null);
    if (got.length === 0) return null;
    return { step: got.at(-1)!.step, share: mean(got.map((x) => x.share)), uniform: mean(got.map((x) => x.uniform)), older: got.some((x) => x.older) };
  }
  const lines = at === 'first' ? cell.dynamics : [...cell.dynamics].reverse();
  for (const d of lines) {
    const x = lineReading(d, m);
    if (x) return x;
  }
  return null;
}

/**
 * Per training row with credit metrics, at each seed's first logged step, over the first 10 % of the row's steps
 * (early) and at its last logged step: the share of |credit| on the first wrong step, how often the most-credited token
 * lies in it, and the share on filler, each against what uniform credit gives over the same responses, mean ± CI over
 * seeds.
 */
export function creditTable(records: SweepRecords): CreditTable {
  const rows: CreditRow[] = [];
  for (const r of reportRows(records)) {
    if (r.method === 'base' || r.cells.length === 0) continue;
    if (!r.cells.some((c) => CREDIT_MEASURES.some((m) => c.dynamics.some((d) => typeof d.values[m.share] === 'number')))) continue;
    // The early window: the dynamics table's first 10 % of the row's steps.
    const window: StepWindow = { from: 1, to: rowWindow(r).width };
    for (const at of ['first', 'early', 'last'] as const) {
      // A window of one step is the first row again.
      if (at === 'early' && window.to <= 1) continue;
      const values = CREDIT_MEASURES.map((m): CreditCell => {
        const read = r.cells.map((c) => creditReading(c, m, at, window));
        const got = read.filter((x): x is NonNullable<typeof x> => x !== null);
        return {
          share: summarize(got.map((x) => x.share)),
          uniform: summarize(got.map((x) => x.uniform)),
          diff: summarize(got.map((x) => x.share - x.uniform)),
          steps: read.map((x) => x?.step ?? NaN),
          olderBaseline: got.filter((x) => x.older).length,
        };
      });
      rows.push({ row: r.row, label: r.label, at, ...(at === 'early' ? { window } : {}), seeds: r.cells.length, values });
    }
  }
  const older = [...new Set(rows.filter((r) => r.values.some((v) => v.olderBaseline > 0)).map((r) => r.label))];
  const caption =
    `Where each method's per-token credit falls against the deep world's step-level truth (metrics.jsonl, src/train/credit.ts; runs on the mini-2 suite). ` +
    `first wrong step: over the batch's incorrect responses whose first wrong step (benchmarks/mini/deep/parse.ts) lies in the reasoning span, the mean share of |credit| on that step's tokens (credit/first_wrong_share); ` +
    `most-credited token in it: over the same responses, how often the token with the largest |credit| lies in that step (credit/first_wrong_top; a tie counts in proportion, so uniform credit gives the step's token share). ` +
    `filler: over its correct responses, the mean share on filler tokens (credit/filler_share). Only responses with credit count (a group whose rewards are all equal has none). ` +
    `uniform: what uniform credit gives over the same responses, the marked tokens' share of the span (credit/first_wrong_uniform, credit/filler_uniform): GRPO's credit is one number per response, so its Δ is 0. ` +
    `Δ: share − uniform, in points, per seed then averaged: above 0, the method puts more than a uniform share there. ` +
    `first: each seed's earliest training step that logs the measure (normally step 1, the batch the base weights sampled and credited); ` +
    `early: each seed's mean over the first ${100 * DYNAMICS_WINDOW} % of the row's steps (its longest run; the steps shown; share and uniform averaged over the steps that log them, Δ their difference), the dynamics table's window; ` +
    `last: its latest (normally the run's last step). ` +
    `Percent; mean ± 95 % CI over seeds (Student t, n−1 df; "n=1": one seed, no interval).` +
    (older.length > 0
      ? ` ${older.join(', ')}: runs that predate the matched baseline are read against the whole batch's (credit/first_wrong_chance, credit/filler_token_share, which count responses without credit too).`
      : '');
  return { rows, caption };
}

/** One worked example: a response of a run's last rollout batch as train kept it, read back for the page. */
export interface CreditExample {
  kind: ExampleKind;
  problem: string;
  benchmark: string;
  gold: string | null;
  response: ResponseView;
}

export interface CreditExampleRow {
  row: string;
  label: string;
  method: string;
  /** The run shown (its seed and folder) and the training step of the batch; absent when no run kept examples. */
  seed?: number;
  dir?: string;
  step?: number;
  creditMeaning: string;
  /** The correct example first; a kind the batch held none of is absent. */
  examples: CreditExample[];
  /** Why a kind (or every one) is missing, in a sentence. */
  notes: string[];
}

export interface CreditExamples {
  rows: CreditExampleRow[];
  /** How the examples were chosen, as the report prints it beside them. */
  rule: string;
}

/** The step whose batch a run kept its examples of: its last training step. */
function lastTrainingStep(cell: CellRecord): number {
  return cell.steps > 0 ? cell.steps : (cell.dynamics.at(-1)?.step ?? 0);
}

/**
 * Per training row: the worked examples of its lowest seed that kept them (credit/step_N.jsonl at the run's last step
 * N), read back into the credit view's response model; rows without any say why.
 */
export function creditExamples(records: SweepRecords): CreditExamples {
  const rows: CreditExampleRow[] = [];
  for (const r of reportRows(records)) {
    if (r.method === 'base' || r.cells.length === 0) continue;
    const out: CreditExampleRow = { row: r.row, label: r.label, method: r.method, creditMeaning: 'its per-token credit (MethodOutput.credit)', examples: [], notes: [] };
    rows.push(out);
    for (const c of r.cells) {
      const step = lastTrainingStep(c);
      let kept: ReturnType<NonNullable<CellRecord['creditExamples']>>;
      try {
        kept = c.creditExamples?.(step) ?? null;
      } catch (e) {
        out.notes.push(`seed ${c.seed}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      if (kept === null) continue;
      Object.assign(out, { seed: c.seed, dir: c.dir, step }, c.run?.creditMeaning ? { creditMeaning: c.run.creditMeaning } : {});
      const byResponse = new Map<number, CreditRecord[]>();
      for (const x of kept) byResponse.set(x.response, [...(byResponse.get(x.response) ?? []), x]);
      for (const recs of byResponse.values()) {
        const response = responseFromRecords(recs);
        out.examples.push({ kind: response.verdict >= 1 ? 'correct' : 'misreading', problem: recs[0]!.problem, benchmark: recs[0]!.benchmark, gold: recs[0]!.gold ?? null, response });
      }
      out.examples.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'correct' ? -1 : 1));
      for (const kind of ['correct', 'misreading'] as const)
        if (!out.examples.some((x) => x.kind === kind)) out.notes.push(`its batch at step ${step} held no ${kind === 'correct' ? 'correct multi-step response' : 'misreading'} that met the rule`);
      break;
    }
    if (out.seed === undefined)
      out.notes.push('no worked examples: none of its runs kept them (train keeps them at its last step on the mini-2 suite; runs on mini-1, which has no step-level truth, and runs of versions before this one have none)');
  }
  const rule =
    `Chosen by a rule, never by hand: for each row, the run of its lowest seed that kept examples, and from the rollout batch of that run's last training step ` +
    `(sampled and credited by the weights before its last update, with the credit the update applied), the correct example is ${EXAMPLE_RULES.correct}; ` +
    `the misreading is ${EXAMPLE_RULES.misreading}. train applies the rule when it writes credit/step_N.jsonl (src/train/credit-examples.ts); the report only reads it. ` +
    `Each row's examples come from its own run's batch, so the responses differ between rows.`;
  return { rows, rule };
}

// ---- Everything at once.

export interface ReportTables {
  /** The comparisons in one sentence each (the report opens with it). */
  verdict: VerdictTable;
  accuracy: Record<Variant, AccuracyTable>;
  convergence: ConvergenceTable;
  dynamics: DynamicsTable;
  paired: PairedTable;
  excluded: ExcludedCell[];
  /** Official scores beside the headline, e.g. WeMath's Score (Strict) (no rows when no record names its groups). */
  official: OfficialTable;
  /** Where the credit went: the credit/* shares against uniform credit (no rows without credit metrics), and the worked examples. */
  credit: CreditTable;
  examples: CreditExamples;
  /** The registered tables (sections/index.ts: the configuration, the tuning grid, …), in registry order, each with its data. */
  registered: readonly RegisteredTable[];
}

export interface TableOptions {
  comparisons: readonly Comparison[];
  resamples: number;
  seed: number;
}

export function buildTables(records: SweepRecords, opts: TableOptions): ReportTables {
  const paired = pairedTable(records, opts.comparisons, { resamples: opts.resamples, seed: opts.seed });
  return {
    verdict: verdictTable(records, paired, opts.comparisons),
    accuracy: { last: accuracyTable(records, 'last'), peak: accuracyTable(records, 'peak') },
    convergence: convergenceTable(records),
    dynamics: dynamicsTable(records, opts.comparisons),
    paired,
    excluded: excludedCells(records),
    official: officialTable(records),
    credit: creditTable(records),
    examples: creditExamples(records),
    registered: REPORT_TABLES.map((spec) => ({ spec, data: spec.build(records) })),
  };
}
