// What a sweep folder records (the sweep/report contract): DIR/sweep.json, written once and compared on every rerun,
// and DIR/<row>/seed-<n>/cell.json, each cell's status and the config its train resolves. A cell is done only when its train process exited 0 and
// summary.json's last evaluation is at the configured step; everything else (pending, running, stopped, failed)
// runs again on the next sweep, and train resumes it from its last checkpoint.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { TensorSettings } from '../backend.ts';
import { provenance, type Provenance } from '../provenance.ts';
import type { TrainConfig } from '../train/config.ts';
import { BENCHMARK_MEAN, POOLED } from '../train/summary.ts';
import { pidAlive, writeJsonAtomic } from '../util/fs.ts';
import { LOCK_NAME, type LockHolder } from '../util/lock.ts';
import { UsageError } from '../util/errors.ts';
import { textTableLines } from '../util/text-table.ts';
import { expandCells, type SweepCell } from './cells.ts';
import type { SweepConfig } from './config.ts';

export const SWEEP_FILE = 'sweep.json';
export const CELL_FILE = 'cell.json';

export interface SweepFile {
  version: 1;
  name: string;
  config: SweepConfig;
  /** Absolute path of the base checkpoint every cell starts from. */
  base: string;
  /** sha256 of the base's weights.bin when the sweep was started (absent in records of older versions). */
  baseWeightsSha256?: string;
  cells: SweepCell[];
  provenance: Provenance;
}

/** The executor that started a cell (executor.ts: 'local', 'shard', 'slurm', or one added since). */
export type ExecutorName = string;

/** What a cell runs, as the library resolves it when the cell starts (resolveTrainConfig, resolveTensorSettings). */
export interface CellRun {
  /** The whole train config (run.json's config holds the same values). */
  config: TrainConfig;
  tensor: TensorSettings;
}

/** DIR/<cell>/cell.json. */
export interface CellFile extends Partial<CellRun> {
  state: 'running' | 'done' | 'failed';
  /** Why it failed, one line (train's `rlsd-bench: error:` message, or how the process ended). */
  error?: string;
  exitCode?: number;
  startedAt: string;
  endedAt?: string;
  /** Train processes started for this cell so far (a resume is one more). */
  attempts: number;
  host?: string;
  executor: ExecutorName;
  /** sha256 of the base weights the cell's train process started from. */
  baseWeightsSha256?: string;
}

/** A cell as `--status` and the progress display see it. `stopped`: cell.json says running but nobody runs it. */
export type CellStatus = 'pending' | 'running' | 'stopped' | 'done' | 'failed';

export interface CellView {
  cell: SweepCell;
  status: CellStatus;
  /** Last step in metrics.jsonl (null: none yet). */
  step: number | null;
  record: CellFile | null;
  /** The live process holding the cell's folder (train's lock), if any. */
  holder: LockHolder | null;
}

export function readSweepFile(dir: string): SweepFile | null {
  const file = join(dir, SWEEP_FILE);
  if (!existsSync(file)) return null;
  let v: SweepFile;
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as SweepFile;
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message.split('\n')[0]}); it is not a sweep folder this version wrote`);
  }
  if (v.version !== 1 || !Array.isArray(v.cells) || typeof v.config !== 'object') throw new UsageError(`${file}: not a version-1 sweep record`);
  return v;
}

/** The first few differences between two JSON values, as `key: old → new` (for the one-line refusal). */
export function jsonDiff(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (out.length >= 3) return out;
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])]) jsonDiff(a[k], b[k], path ? `${path}.${k}` : k, out);
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path || '(config)'}: ${JSON.stringify(a) ?? 'absent'} → ${JSON.stringify(b) ?? 'absent'}`);
  return out;
}

/** The sweep record of a config (in memory): its cells, the base weights they start from, where its numbers come from. */
export function planSweep(config: SweepConfig, base: string, baseWeightsSha256?: string): SweepFile {
  return { version: 1, name: config.name, config, base, ...(baseWeightsSha256 !== undefined ? { baseWeightsSha256 } : {}), cells: expandCells(config, config.name), provenance: provenance() };
}

/** A weights hash as the refusals print it. */
export function shortSha(sha: string): string {
  return `${sha.slice(0, 12)}…`;
}

/**
 * Refuses a sweep folder whose sweep.json holds another sweep than `planned` (one line naming what differs); the
 * same config (and base) resumes.
 */
export function checkSameSweep(dir: string, existing: SweepFile, planned: SweepFile): void {
  const diff = jsonDiff({ ...existing.config, base: existing.base }, { ...planned.config, base: planned.base });
  if (diff.length > 0) throw new UsageError(`${join(dir, SWEEP_FILE)} holds another sweep (${diff.join('; ')}); rerun it with its own config, or use another --out`);
  // The same path with other weights: the cells still to run would start from another base than the finished ones.
  if (existing.baseWeightsSha256 !== undefined && planned.baseWeightsSha256 !== undefined && existing.baseWeightsSha256 !== planned.baseWeightsSha256)
    throw new UsageError(
      `${join(dir, SWEEP_FILE)} was started from base weights sha256 ${shortSha(existing.baseWeightsSha256)}; ${planned.base} now holds weights sha256 ${shortSha(planned.baseWeightsSha256)}: finish it with the base it started from, or start another sweep (another --out)`,
    );
  // Same config, other cells: this version expands it differently from the one that started the sweep.
  const d = jsonDiff(existing.cells, planned.cells);
  if (d.length > 0) throw new UsageError(`${join(dir, SWEEP_FILE)} was expanded into other cells by another version of rlsd-bench (${d.join('; ')}); use another --out`);
}

/** Writes DIR/sweep.json for `planned`, or checks the one there (checkSameSweep); returns the record the cells run from. */
export function openSweep(dir: string, planned: SweepFile): SweepFile {
  const existing = readSweepFile(dir);
  if (existing) {
    checkSameSweep(dir, existing, planned);
    return existing;
  }
  writeJsonAtomic(join(dir, SWEEP_FILE), planned);
  return planned;
}

export function readCellFile(cellDir: string): CellFile | null {
  try {
    return JSON.parse(readFileSync(join(cellDir, CELL_FILE), 'utf8')) as CellFile;
  } catch {
    return null;
  }
}

export function writeCellFile(cellDir: string, rec: CellFile): void {
  writeJsonAtomic(join(cellDir, CELL_FILE), rec);
}

/** The last complete line of a file (read from its end: metrics.jsonl grows by a line per step), or null. */
function lastLine(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    for (let span = 16_384; ; span *= 4) {
      const from = Math.max(0, size - span);
      const buf = Buffer.alloc(size - from);
      readSync(fd, buf, 0, buf.length, from);
      const lines = buf.toString('utf8').split('\n');
      // The text after the last newline is an append in progress (or torn by a kill): not a line yet.
      const whole = lines.slice(from === 0 ? 0 : 1, -1).filter((l) => l.trim() !== '');
      if (whole.length > 0) return whole[whole.length - 1]!;
      if (from === 0) return null;
    }
  } finally {
    closeSync(fd);
  }
}

/** The last step metrics.jsonl records, with the held-out Avg (the report's figure) when that line is an evaluation. */
export function lastMetrics(cellDir: string): { step: number; avg?: number } | null {
  const line = lastLine(join(cellDir, 'metrics.jsonl'));
  if (line === null) return null;
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v['step'] !== 'number') return null;
    return typeof v[BENCHMARK_MEAN] === 'number' ? { step: v['step'], avg: v[BENCHMARK_MEAN] } : { step: v['step'] };
  } catch {
    return null;
  }
}

/** summary.json's last evaluated step (null: no summary). */
export function summaryLastStep(cellDir: string): number | null {
  try {
    const s = JSON.parse(readFileSync(join(cellDir, 'summary.json'), 'utf8')) as { metrics?: Record<string, { last?: { step?: number } }> };
    const step = s.metrics?.[POOLED]?.last?.step;
    return typeof step === 'number' ? step : null;
  } catch {
    return null;
  }
}

/**
 * Whether a cell's records reach its last step: summary.json's last evaluation, and metrics.jsonl's last whole line
 * (a line cut short after the cell was done leaves the report without it: the cell must run again).
 */
function recordsComplete(cellDir: string, steps: number): boolean {
  return summaryLastStep(cellDir) === steps && lastMetrics(cellDir)?.step === steps;
}

/** Whether a cell is finished: recorded done, and its records reach its last step. */
export function cellDone(cellDir: string, steps: number): boolean {
  return readCellFile(cellDir)?.state === 'done' && recordsComplete(cellDir, steps);
}

/** The process holding a cell's folder (train's lock), when it still runs; a lock of another host counts as live. */
export function cellHolder(cellDir: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(join(cellDir, LOCK_NAME), 'utf8')) as LockHolder;
    if (typeof h.pid !== 'number') return null;
    return h.host !== hostname() || pidAlive(h.pid) ? h : null;
  } catch {
    return null;
  }
}

export function cellView(dir: string, cell: SweepCell): CellView {
  const cellDir = join(dir, cell.dir);
  const record = readCellFile(cellDir);
  const step = lastMetrics(cellDir)?.step ?? null;
  const holder = cellHolder(cellDir);
  let status: CellStatus;
  if (record?.state === 'done' && summaryLastStep(cellDir) === cell.steps && step === cell.steps) status = 'done';
  else if (holder) status = 'running';
  else if (record?.state === 'failed') status = 'failed';
  else if (record !== null || step !== null) status = 'stopped';
  else status = 'pending';
  return { cell, status, step, record, holder };
}

/**
 * Records a cell's start (attempts counts every start, resumes included) with the base weights it starts from; a
 * cell begun from other weights is refused, naming both.
 */
export function markCellStarted(cellDir: string, executor: ExecutorName, baseWeightsSha256?: string, run?: CellRun): CellFile {
  const before = readCellFile(cellDir);
  if (before?.baseWeightsSha256 !== undefined && baseWeightsSha256 !== undefined && before.baseWeightsSha256 !== baseWeightsSha256)
    throw new UsageError(`${join(cellDir, CELL_FILE)}: the cell was started from base weights sha256 ${shortSha(before.baseWeightsSha256)}, the sweep's base now holds ${shortSha(baseWeightsSha256)}; move the cell away to run it again from this base`);
  const rec: CellFile = {
    state: 'running',
    startedAt: new Date().toISOString(),
    attempts: (before?.attempts ?? 0) + 1,
    host: hostname(),
    executor,
    ...(baseWeightsSha256 !== undefined ? { baseWeightsSha256 } : {}),
    ...(run ? { config: run.config, tensor: run.tensor } : {}),
  };
  writeCellFile(cellDir, rec);
  return rec;
}

/** Records how a cell's train process ended: done only with exit code 0 and its records at the last step. */
export function markCellEnded(cellDir: string, started: CellFile, steps: number, exitCode: number, error: string | undefined): CellFile {
  const last = summaryLastStep(cellDir);
  const lastLine = lastMetrics(cellDir)?.step ?? null;
  const ok = exitCode === 0 && recordsComplete(cellDir, steps);
  const incomplete = last !== steps ? `summary.json's last evaluation is at step ${last ?? 'none'}` : `metrics.jsonl's last whole line is at step ${lastLine ?? 'none'}`;
  const why = ok ? undefined : exitCode === 0 ? `train exited 0 but ${incomplete}, not ${steps}` : (error ?? `train exited with code ${exitCode}`);
  const rec: CellFile = { ...started, state: ok ? 'done' : 'failed', ...(why !== undefined ? { error: why } : {}), exitCode, endedAt: new Date().toISOString() };
  writeCellFile(cellDir, rec);
  return rec;
}

/**
 * The grid as `sweep --status` prints it: one line per row, one column per seed, each cell's state and step; then
 * the error of every failed cell.
 */
export function statusText(dir: string, sweep: SweepFile): string {
  const views = sweep.cells.map((c) => cellView(dir, c));
  const rows = [...new Set(sweep.cells.map((c) => c.row))];
  const seeds = [...new Set(sweep.cells.map((c) => c.seed))].sort((a, b) => a - b);
  const count = (s: CellStatus): number => views.filter((v) => v.status === s).length;
  const states: CellStatus[] = ['done', 'running', 'stopped', 'failed', 'pending'];
  const head = `sweep ${sweep.name} (${dir}): ${views.length} cells — ${states.map((s) => `${count(s)} ${s}`).join(', ')}`;
  const cellText = (v: CellView | undefined): string => (v ? `${v.status} ${v.step ?? 0}/${v.cell.steps}` : '·');
  const lines = textTableLines(
    ['row', ...seeds.map((s) => `seed-${s}`)],
    rows.map((r) => [r, ...seeds.map((s) => cellText(views.find((v) => v.cell.row === r && v.cell.seed === s)))]),
  );
  const failed = views.filter((v) => v.status === 'failed').map((v) => `failed ${v.cell.id}: ${v.record?.error ?? 'no error recorded'}`);
  const live = views.filter((v) => v.status === 'running' && v.holder).map((v) => `running ${v.cell.id}: pid ${v.holder!.pid} on ${v.holder!.host}`);
  return [head, ...lines, ...failed, ...live].join('\n') + '\n';
}
