// The report's rows and which evaluation of a run a table reads: the vocabulary every table is built from (tables.ts,
// the registered tables of sections/). Rows are the sweep's methods and override rows in the order the methods declare;
// only `done` cells count.
import { methods, reportOrder } from '../../methods/index.ts';
import type { CellRecord, Evaluation, SweepRecords } from './types.ts';

/** The methods' row order, as each declares it (reportRank: the paper's Table 2 for its methods); override rows follow. */
export const ROW_ORDER: readonly string[] = reportOrder;
/** Each method's label, as it declares it; a method not in the registry is printed by its name. */
export const METHOD_LABELS: Readonly<Record<string, string>> = Object.fromEntries(Object.values(methods).map((m) => [m.name, m.label]));

/** Which evaluation of a run a table reports: its last, or its peak (highest Avg, earliest on ties). */
export type Variant = 'last' | 'peak';
export const VARIANTS: readonly Variant[] = ['last', 'peak'];

/** A row of the tables: one method (or method with an override) and its done cells, in seed order. */
export interface ReportRow {
  row: string;
  label: string;
  method: string;
  override: string | null;
  /** Done cells, by seed. */
  cells: CellRecord[];
  /** All cells of the row, whatever their state. */
  all: CellRecord[];
}

/** The label a row is printed with: the paper's name of the method, and the override in parentheses. */
export function rowLabel(method: string, override: string | null): string {
  const name = METHOD_LABELS[method] ?? method;
  return override === null ? name : `${name} (${override})`;
}

function rowRank(r: { row: string; method: string; override: string | null }): [number, number, string] {
  const main = ROW_ORDER.indexOf(r.row);
  if (main >= 0 && r.override === null) return [0, main, r.row];
  const m = ROW_ORDER.indexOf(r.method);
  return [1, m >= 0 ? m : ROW_ORDER.length, r.row];
}

function compareRank(a: [number, number, string], b: [number, number, string]): number {
  return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

/** The rows of a sweep in the paper's order (Base, GRPO, OPSD, SDPO, GRPO+OPSD, RLSD), then override rows. */
export function reportRows(records: SweepRecords): ReportRow[] {
  const rows = new Map<string, ReportRow>();
  for (const c of records.cells) {
    let r = rows.get(c.row);
    if (!r) rows.set(c.row, (r = { row: c.row, label: rowLabel(c.method, c.override), method: c.method, override: c.override, cells: [], all: [] }));
    r.all.push(c);
    if (c.state === 'done') r.cells.push(c);
  }
  for (const r of rows.values()) {
    r.cells.sort((a, b) => a.seed - b.seed);
    r.all.sort((a, b) => a.seed - b.seed);
  }
  return [...rows.values()].sort((a, b) => compareRank(rowRank(a), rowRank(b)));
}

/** The row names of a sweep (for --compare), in report order. */
export function rowNames(records: SweepRecords): string[] {
  return reportRows(records).map((r) => r.row);
}

// ---- Choosing a cell's evaluation.

/** The evaluation with the highest Avg; on a tie the earliest (step 0 counts, as in summary.json). */
export function peakEvaluation(evals: readonly Evaluation[]): Evaluation | undefined {
  let best: Evaluation | undefined;
  for (const e of evals) if (Number.isFinite(e.avg) && (best === undefined || e.avg > best.avg)) best = e;
  return best;
}

/**
 * The evaluation a table reports for a cell. The base row has one meaningful evaluation, the base checkpoint's at
 * step 0 (its one step of `--method base` makes no update), so it is used for both variants.
 */
export function chosenEvaluation(cell: CellRecord, variant: Variant): Evaluation | undefined {
  if (cell.method === 'base') {
    // The base checkpoint's evaluation over the final set, where its run made one (its last step; no update before it).
    const full = variant === 'last' ? [...cell.evaluations].reverse().find((e) => e.full) : undefined;
    return full ? onFinalSet(full) : (cell.evaluations.find((e) => e.step === 0) ?? cell.evaluations[0]);
  }
  if (variant === 'peak') return peakEvaluation(cell.evaluations);
  const last = cell.evaluations.at(-1);
  return last && onFinalSet(last);
}

/**
 * An evaluation's figures over the final set when it has them (a run's last step with --final-eval-items above
 * --eval-items), else as it is: the last-evaluation tables read the larger set, the curves and the peak the curve's.
 */
function onFinalSet(e: Evaluation): Evaluation {
  return e.full ? { step: e.step, perBenchmark: e.full.perBenchmark, avg: e.full.avg, pooled: e.full.pooled } : e;
}
