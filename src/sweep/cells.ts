// A sweep config's rows (config.ts expandRows) expanded into cells, a row and a seed each: every cell is
// an ordinary `rlsd-bench train` run in `<row>/seed-<n>`. The base row is one cell: `train --method base --steps 1`
// makes no update, and its step-0 evaluation is the base row of every table. The expansion is a pure function of
// the config, so the local executor, shards and Slurm array tasks all agree on which index is which cell. A cell
// carries its settings as data (TrainConfig fields); the library resolves its whole config from them
// (resolveTrainConfig, recorded in cell.json when it starts), and its train command line is their rendering.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMethod, resolveMethodConfig } from '../../methods/index.ts';
import type { OptionValue } from '../../methods/options.ts';
import { DEFAULT_TRAIN, finalEvalItems, TRAIN_OPTIONS, type TrainRequest, type TrainSettings } from '../train/config.ts';
import type { MiniSuite } from '../../benchmarks/mini/types.ts';
import { parseEvalSchedule } from '../train/evaluate.ts';
import { readJsonl } from '../util/jsonl.ts';
import { flagArgs } from '../util/options.ts';
import { expandRows, trains, type SweepConfig, type TrainValue } from './config.ts';

/** One cell as sweep.json records it (docs: the sweep/report contract). */
export interface SweepCell {
  /** Position in sweep.json's cells: what --shard i/n, --print-jobs and Slurm array task ids count. */
  index: number;
  id: string;
  row: string;
  method: string;
  override: string | null;
  seed: number;
  /** Relative to the sweep folder: `<row>/seed-<n>`. */
  dir: string;
  /** Configured training steps (1 for the base cell): the cell is done when summary.json's last step is this. */
  steps: number;
  /** The train settings the config gives the cell, by TrainConfig field (its seed, and the base cell's one step, included). */
  settings: Partial<TrainSettings>;
  /** The method options the config gives it, in their canonical form. */
  methodOptions: Record<string, OptionValue>;
}

/** A row's train flags (by their long name, as a config writes them) as TrainConfig fields. */
export function settingsOf(train: Record<string, TrainValue>): Partial<TrainSettings> {
  const out: Record<string, TrainValue> = {};
  for (const o of TRAIN_OPTIONS) if (train[o.flag] !== undefined) out[o.field] = train[o.flag]!;
  return out as Partial<TrainSettings>;
}

/** What a cell asks of the library (resolveTrainConfig): its method, options and settings, the sweep's base, its folder. */
export function cellRequest(base: string, dir: string, cell: SweepCell): TrainRequest {
  return { method: cell.method, methodOptions: cell.methodOptions, base, out: join(dir, cell.dir), settings: cell.settings, quiet: true };
}

/**
 * A cell's train arguments without --base, --out and the tensor flags (those come from the sweep): its method and
 * seed, its settings in TRAIN_OPTIONS order (booleans as --x / --no-x), its method options.
 */
export function trainArgs(cell: Pick<SweepCell, 'method' | 'settings' | 'methodOptions'>): string[] {
  const { seed, ...rest } = cell.settings;
  const args = ['--method', cell.method, ...(seed !== undefined ? ['--seed', String(seed)] : []), ...flagArgs(TRAIN_OPTIONS, rest)];
  for (const k of Object.keys(cell.methodOptions).sort()) args.push('--opt', `${k}=${String(cell.methodOptions[k])}`);
  return args;
}

/**
 * Every cell of a config, in sweep.json's order: the base cell (`base/seed-<first seed>`, one step) when base is
 * listed, then each row × seed. Throws the config's one-line errors (see expandRows).
 */
export function expandCells(cfg: SweepConfig, file = 'sweep config'): SweepCell[] {
  const cells: SweepCell[] = [];
  for (const r of expandRows(cfg, file)) {
    // A method that makes no update gives the same numbers for every seed: one cell, one step.
    const once = !trains(r.method);
    const rowSettings = settingsOf(once ? { ...r.train, steps: 1 } : r.train);
    const steps = rowSettings.steps ?? DEFAULT_TRAIN.steps;
    for (const seed of once ? cfg.seeds.slice(0, 1) : cfg.seeds) {
      const id = `${r.row}/seed-${seed}`;
      cells.push({ index: cells.length, id, row: r.row, method: r.method, override: r.override, seed, dir: id, steps, settings: { seed, ...rowSettings }, methodOptions: { ...r.opt } });
    }
  }
  return cells;
}

/** Cost figures, with how many finished cells they were measured from (0: the built-in COST_BY_SUITE). */
export type CellCost = { startS: number; stepS: number; teacherStepS: number; evalS: number; from: number };

/**
 * Seconds per unit of work with two cells at once on 2 cores (wasm), at the default 16 prompts × 8 responses and 60
 * evaluation items per benchmark, by the base's mini suite; an evaluation of N items per benchmark costs N/60 × evalS
 * (the last one reads the suite's final set, train/config.ts finalEvalItems). A sweep folder with finished cells
 * calibrates these from their own step times (calibrateCost). Used for ordering cells and for estimates only.
 * - mini-1 (~17-token answers): a GRPO step ~0.75 s (`npm run bench`: 0.64–0.68 s alone), a step with a self-teacher
 *   ~1 s (its worker thread finds no free core), an evaluation ~1.5 s, ~12 s to start a cell (Node, the backend, the
 *   base, the data).
 * - mini-2 (the deep world, ~60-token solutions, up to 80 new tokens): a GRPO step ~1.2 s, a step with a self-teacher
 *   ~1.7 s, an evaluation ~3 s (the paper preset's first cells, 2026-12-07: OPSD at 1.6–1.8 s a step two at once;
 *   one GRPO run alone takes ~1.0 s a step).
 */
export const COST_BY_SUITE: Readonly<Record<MiniSuite, Omit<CellCost, 'from'>>> = {
  'mini-1': { startS: 12, stepS: 0.75, teacherStepS: 1, evalS: 1.5 },
  'mini-2': { startS: 12, stepS: 1.2, teacherStepS: 1.7, evalS: 3 },
};

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A cell's settings with train's defaults for those its config leaves out (none of them depends on the base). */
function cellSettings(cell: SweepCell): TrainSettings {
  return { ...DEFAULT_TRAIN, ...cell.settings };
}

/** A cell's batch and evaluation sizes (the curve's and the last one's) relative to the cost figures' defaults. */
function workScale(cell: SweepCell, suite: MiniSuite): { batch: number; items: number; finalItems: number } {
  const s = cellSettings(cell);
  return {
    batch: (s.promptsPerStep * s.samplesPerPrompt) / (DEFAULT_TRAIN.promptsPerStep * DEFAULT_TRAIN.samplesPerPrompt),
    items: s.evalPerBenchmark / DEFAULT_TRAIN.evalPerBenchmark,
    finalItems: finalEvalItems({ ...s, suite }) / DEFAULT_TRAIN.evalPerBenchmark,
  };
}

/**
 * Cost figures measured on this machine from the finished cells of a sweep folder (cell.json's start and end,
 * metrics.jsonl's timing_s/step and timing_s/testing, per unit of work as COST_BY_SUITE counts it): the median of
 * each; a figure no finished cell measures stays the suite's built-in one.
 */
export function calibrateCost(dir: string, cells: readonly SweepCell[], suite: MiniSuite): CellCost {
  const built = COST_BY_SUITE[suite];
  const start: number[] = [];
  const step: number[] = [];
  const teacherStep: number[] = [];
  const evaluation: number[] = [];
  for (const cell of cells) {
    let rec: { state?: string; startedAt?: string; endedAt?: string; attempts?: number };
    let lines: Record<string, unknown>[];
    try {
      rec = JSON.parse(readFileSync(join(dir, cell.dir, 'cell.json'), 'utf8')) as typeof rec;
      lines = readJsonl(join(dir, cell.dir, 'metrics.jsonl'), { tornLastLine: true }).map((l) => l.value);
    } catch {
      continue;
    }
    // One uninterrupted run gives the start-up too: its wall time less its steps and its step-0 evaluation.
    if (rec.state !== 'done' || rec.attempts !== 1 || !rec.startedAt || !rec.endedAt) continue;
    const { batch, items, finalItems } = workScale(cell, suite);
    const teacher = hasTeacher(cell);
    let inSteps = 0;
    for (const l of lines) {
      const testing = typeof l['timing_s/testing'] === 'number' ? l['timing_s/testing'] : 0;
      if (testing > 0) evaluation.push(testing / (l['step'] === cell.steps ? finalItems : items));
      const s = l['timing_s/step'];
      if (typeof s !== 'number') {
        inSteps += testing;
        continue;
      }
      inSteps += s;
      if (getMethod(cell.method).trains) (teacher ? teacherStep : step).push((s - testing) / batch);
    }
    start.push(Math.max(0, (Date.parse(rec.endedAt) - Date.parse(rec.startedAt)) / 1000 - inSteps));
  }
  if (start.length === 0) return { ...built, from: 0 };
  return {
    startS: median(start),
    stepS: step.length ? median(step) : built.stepS,
    teacherStepS: teacherStep.length ? median(teacherStep) : built.teacherStepS,
    evalS: evaluation.length ? median(evaluation) : built.evalS,
    from: start.length,
  };
}

/**
 * How many evaluations a `steps`-step run makes under a schedule (train/evaluate.ts evaluationDue: step 0, the last
 * step, and the multiples of each segment's `every` within it), counted without listing the steps.
 */
export function evaluationCount(evalSchedule: string, steps: number): number {
  const s = parseEvalSchedule(evalSchedule);
  if (typeof s === 'string' || s.segments.length === 0) return 0;
  let count = steps > 0 ? 2 : 1;
  let from = 1;
  for (const seg of s.segments) {
    const to = Math.min(seg.until ?? steps - 1, steps - 1);
    if (to >= from) count += Math.floor(to / seg.every) - Math.floor((from - 1) / seg.every);
    if (seg.until === undefined || to >= steps - 1) break;
    from = seg.until + 1;
  }
  return count;
}

const teacherOf = new Map<string, boolean>();

/** Whether a cell's method runs a self-teacher (slower steps: the cells to start first). */
export function hasTeacher(cell: SweepCell): boolean {
  const m = getMethod(cell.method);
  if (!m.trains) return false;
  const key = `${cell.method} ${JSON.stringify(cell.methodOptions)}`;
  const known = teacherOf.get(key);
  if (known !== undefined) return known;
  const teacher = m.teacherContext(resolveMethodConfig(m, cell.methodOptions)) !== null;
  teacherOf.set(key, teacher);
  return teacher;
}

/**
 * A cell's expected run time in seconds from a base of `suite` (for ordering the longest first, and a first ETA
 * before any step ends), by the suite's built-in figures unless `cost` gives measured ones.
 */
export function estimateCellSeconds(cell: SweepCell, suite: MiniSuite, cost: Omit<CellCost, 'from'> = COST_BY_SUITE[suite]): number {
  const { batch, items, finalItems } = workScale(cell, suite);
  const evals = evaluationCount(cellSettings(cell).evalSchedule, cell.steps);
  const step = getMethod(cell.method).trains ? (hasTeacher(cell) ? cost.teacherStepS : cost.stepS) * batch : 0;
  // The last evaluation reads the final set; the others the curve's items.
  const evalUnits = evals === 0 ? 0 : (evals - 1) * items + finalItems;
  return cost.startS + cell.steps * step + evalUnits * cost.evalS;
}

/** Wall time of jobs of these durations on `workers` slots, longest first, each to the slot that frees first (as runCells does). */
export function estimateMakespan(seconds: readonly number[], workers: number): number {
  const slots = new Array<number>(Math.max(1, workers)).fill(0);
  for (const s of [...seconds].sort((a, b) => b - a)) {
    const i = slots.indexOf(Math.min(...slots));
    slots[i]! += s;
  }
  return Math.max(...slots);
}
