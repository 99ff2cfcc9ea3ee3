// The report's data model: what `report` reads back from a sweep folder's records (sweep.json, each cell's
// run.json, metrics.jsonl, summary.json, evals/step_N.jsonl, cell.json). Tables and charts are functions of it
// alone, so a report is rebuilt from records, never from memory, and is the same whatever order cells finished in.
import { reportColumns, type BenchmarkName } from '../../benchmarks/index.ts';
import type { CreditRecord } from '../credit/records.ts';

/** The registry's benchmarks in the report's column order (each one's reportRank: the paper's for the five). */
export const REPORT_BENCHMARKS: readonly BenchmarkName[] = reportColumns;
export type ReportBenchmark = BenchmarkName;

/**
 * A cell's state as the report sees it; only `done` cells enter the tables, the others are named and excluded.
 * `duplicate`: a run trained by hand with the same method, settings and seed as another, reported once.
 */
export type CellState = 'done' | 'running' | 'failed' | 'pending' | 'unreadable' | 'duplicate';

/** One held-out evaluation of one cell at one step. */
export interface Evaluation {
  step: number;
  /** val-core/<benchmark>/acc/mean@1 per benchmark, in [0, 1]. */
  perBenchmark: Partial<Record<ReportBenchmark, number>>;
  /** The paper's Avg: the unweighted mean of the benchmarks (val-core/avg/acc/mean@1). */
  avg: number;
  /** Pooled over all evaluated rows (val-core/all/acc/mean@1). */
  pooled: number;
  /**
   * The last step's evaluation over the larger final set (val-full/*, train --final-eval-items), when the run has
   * one; the fields above are then its first problems, the curve's.
   */
  full?: { perBenchmark: Partial<Record<ReportBenchmark, number>>; avg: number; pooled: number; n: number };
}

/** Per-item verdicts of one evaluation (evals/step_N.jsonl), keyed `${benchmark}/${uid}`. */
export type ItemVerdicts = Map<string, 0 | 1>;

/** The problem group and place of the items that have one (WeMath's `ID` and `key`), keyed as ItemVerdicts. */
export type ItemGroups = Map<string, { group: string; key: string }>;

/** How a cell ran, from its run.json (the report's configuration section); a field is absent when not recorded. */
export interface RunDescription {
  lr?: number;
  lrSchedule?: string;
  warmupSteps?: number;
  /** The self-teacher's regime ('sync:10', 'frozen', …); '' for a method without a self-teacher. */
  teacherRegime?: string;
  /** The teacher's privileged context ('reference', 'answer', 'group_success'); '' for none. */
  teacherContext?: string;
  backend?: string;
  attentionKernel?: string;
  matmulKernel?: string;
  /** The threads the products ran on (backend.threadCount), when recorded. */
  threads?: number;
  commit?: string;
  /** What the method's per-token credit is, in its own terms (Method.creditMeaning with the run's options). */
  creditMeaning?: string;
}

export interface CellRecord {
  id: string; // "grpo/seed-1"
  row: string; // "grpo" | "grpo-lr=3e-5"
  method: string;
  override: string | null;
  seed: number;
  dir: string; // absolute
  state: CellState;
  /** Why a cell is not done (the error line of a failed cell, "running at step 40 of 100", "no metrics.jsonl", …). */
  reason?: string;
  /** Configured training steps (run.json's config.steps; 0 when unknown). */
  steps: number;
  /** The split the run evaluated on (run.json's config.evalSplit: `test` is the set tables report), when known. */
  evalSplit?: string;
  /** Evaluations in step order (step 0 = the base checkpoint). */
  evaluations: Evaluation[];
  /** Training-step metrics (step → key → value) for the dynamics panels; only the keys the report uses. */
  dynamics: { step: number; values: Record<string, number> }[];
  /** How the run was configured (run.json), when its run.json was readable. */
  run?: RunDescription;
  /** Loads the per-item verdicts of the evaluation at `step` (null when that file is missing). */
  items(step: number): ItemVerdicts | null;
  /** The groups of the items of that evaluation (empty when none has one; null when the file is missing). */
  itemGroups(step: number): ItemGroups | null;
  /**
   * The worked examples train kept of training step `step`'s rollout batch (credit/step_N.jsonl: a record per token;
   * src/train/credit-examples.ts), or null when the run kept none there. Throws a DataError on a malformed file.
   */
  creditExamples?(step: number): CreditRecord[] | null;
}

export interface SweepRecords {
  dir: string;
  name: string;
  /** Where the cells were listed: the sweep's sweep.json, or run folders `<row>/seed-<n>/run.json` found under dir. */
  source?: 'sweep.json' | 'run folders';
  cells: CellRecord[];
}
