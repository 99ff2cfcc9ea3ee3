// The local executor: a pool of worker slots, each running one cell at a time as a child process
// `node bin/rlsd-bench.mjs --quiet train … --out DIR/<cell>`, so a crash (or a NaN stop, or a bad flag) ends that
// cell only, and every cell is an ordinary train run that resumes from its own last checkpoint. The shard executor
// (`--shard i/n`) is the same pool over the cells whose index % n == i, sharing the folder with the other shards; a
// Slurm array task is one (slurm.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { resolveTensorSettings, TENSOR_OPTIONS, type TensorSettings } from '../backend.ts';
import { packagePath } from '../paths.ts';
import { formatDuration, pct, startProgress, type ProgressTask } from '../progress.ts';
import { writeReport } from '../report/write.ts';
import { baseSuite, resolveTrainConfig } from '../train/config.ts';
import { LockError, TrainingError } from '../util/errors.ts';
import { ensureDir } from '../util/fs.ts';
import { lockDir, type Lock } from '../util/lock.ts';
import { flagArgs } from '../util/options.ts';
import { calibrateCost, cellRequest, estimateCellSeconds, estimateMakespan, trainArgs, type SweepCell } from './cells.ts';
import type { Executor, SweepRun } from './executor.ts';
import { cellDone, cellHolder, cellView, lastMetrics, markCellEnded, markCellStarted, openSweep, readCellFile, type CellFile, type ExecutorName, type SweepFile } from './state.ts';

/** The launcher users run; cells run through it exactly as a user's own `rlsd-bench train` would. */
export const BIN = packagePath('bin', 'rlsd-bench.mjs');

/**
 * The exact command of one cell: [node, bin/rlsd-bench.mjs, --quiet, train, the tensor flags given, the cell's
 * arguments, --base, --out]. `dir` is the sweep folder as the process running the command sees it (absolute).
 */
export function cellCommand(sweep: SweepFile, dir: string, cell: SweepCell, tensor: Partial<TensorSettings> = {}): string[] {
  return [process.execPath, BIN, '--quiet', 'train', ...flagArgs(TENSOR_OPTIONS, tensor), ...trainArgs(cell), '--base', sweep.base, '--out', join(dir, cell.dir)];
}

/**
 * Records a cell's start in its cell.json (state.ts markCellStarted: the attempt, the executor, the base weights) with
 * what its train will run, as the library resolves it from the cell's settings — the whole config and the tensor
 * settings (its run.json then shows the same). Returns the record markCellEnded completes.
 */
export function startCell(sweep: SweepFile, dir: string, cell: SweepCell, executor: ExecutorName, tensor: Partial<TensorSettings>): CellFile {
  const cellDir = join(dir, cell.dir);
  ensureDir(cellDir);
  const run = { config: resolveTrainConfig(cellRequest(sweep.base, dir, cell)).config, tensor: resolveTensorSettings(tensor) };
  return markCellStarted(cellDir, executor, sweep.baseWeightsSha256, run);
}

/** A command as one shell line (single quotes where needed), for --print-jobs and logs. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export interface RunOptions {
  /** The tensor flags given for every cell. */
  tensor: Partial<TensorSettings>;
  /** Cells run at once. */
  workers: number;
  /** Recorded in each cell.json. */
  executor: ExecutorName;
  /** No progress display and no per-cell lines. */
  quiet: boolean;
  /** Where progress and per-cell lines go (default stderr). */
  stream?: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean };
}

export type CellOutcome = 'done' | 'failed' | 'interrupted';

export interface RunResult {
  /** Per cell id run here: how it ended (cells found done were not run and are not listed). */
  outcomes: Map<string, { outcome: CellOutcome; error?: string; seconds: number }>;
  /** The signal that stopped the run (its running cells were stopped at a step boundary), or null. */
  interrupted: NodeJS.Signals | null;
}

/** train's one-line error (`rlsd-bench: error: …`) from its stderr, or the last line it wrote. */
export function errorOf(stderrTail: string): string | undefined {
  const lines = stderrTail.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.filter((l) => l.startsWith('rlsd-bench: error: ')).at(-1);
  if (err) return err.slice('rlsd-bench: error: '.length);
  return lines.at(-1)?.slice(0, 300);
}

interface Running {
  cell: SweepCell;
  child: ChildProcess | null;
}

/**
 * Runs `cells` of a sweep (those not already done), at most `opts.workers` at a time, the longest expected first (a
 * cell with a self-teacher before one without: the makespan is set by the last long cell to start). A cell that
 * fails is recorded and the others go on. SIGINT/SIGTERM while it runs: the signal is passed to the running cells,
 * which stop at their next step boundary; no new cell starts; a second signal kills them. Resolves when every
 * child has exited.
 */
export async function runCells(sweep: SweepFile, dir: string, cells: readonly SweepCell[], opts: RunOptions): Promise<RunResult> {
  const stream = opts.stream ?? process.stderr;
  let task: ProgressTask | null = null;
  const say = (line: string): void => {
    if (opts.quiet) return;
    if (task) task.log(line);
    else stream.write(`${line}\n`);
  };
  const todo = cells.filter((c) => !cellDone(join(dir, c.dir), c.steps));
  // A cell begun from other base weights is refused before any cell starts (markCellStarted names both).
  for (const c of todo) {
    const begun = readCellFile(join(dir, c.dir))?.baseWeightsSha256;
    if (begun !== undefined && sweep.baseWeightsSha256 !== undefined && begun !== sweep.baseWeightsSha256) markCellStarted(join(dir, c.dir), opts.executor, sweep.baseWeightsSha256);
  }
  const suite = baseSuite(sweep.base);
  const remaining = (c: SweepCell): number => estimateCellSeconds(c, suite) * (1 - Math.min(1, (lastMetrics(join(dir, c.dir))?.step ?? 0) / c.steps));
  const cost = new Map(todo.map((c) => [c.id, remaining(c)]));
  const queue = [...todo].sort((a, b) => cost.get(b.id)! - cost.get(a.id)! || a.index - b.index);
  const result: RunResult = { outcomes: new Map(), interrupted: null };
  if (queue.length === 0) return result;

  const stepOf = (c: SweepCell): number => Math.min(c.steps, lastMetrics(join(dir, c.dir))?.step ?? 0);
  const total = todo.reduce((s, c) => s + c.steps, 0);
  const running = new Set<Running>();
  const finished = new Set<string>();
  const doneSteps = (): number => todo.reduce((s, c) => s + (finished.has(c.id) ? c.steps : stepOf(c)), 0);
  task = startProgress({ label: `sweep ${sweep.name}`, total, done: doneSteps(), unit: 'steps', quiet: opts.quiet, stream });
  const lastEvaluated = new Map<string, number>();
  const poll = (): void => {
    for (const r of running) {
      const m = lastMetrics(join(dir, r.cell.dir));
      if (m?.avg !== undefined && lastEvaluated.get(r.cell.id) !== m.step) {
        lastEvaluated.set(r.cell.id, m.step);
        say(`${r.cell.id} step ${m.step}/${r.cell.steps}: held-out Avg ${pct(m.avg)} %`);
      }
    }
    const active = [...running].map((r) => `${r.cell.id} ${stepOf(r.cell)}/${r.cell.steps}`).join(', ');
    task?.update(doneSteps(), `${finished.size}/${todo.length} cells${active ? ` | ${active}` : ''}`);
  };
  const ticker = setInterval(poll, 1000);

  // The sweep owns SIGINT/SIGTERM while its children run: the CLI's handler would exit at once and leave them.
  let stopping: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping === null) {
      stopping = sig;
      say(`rlsd-bench: ${sig}: stopping ${running.size} running cell${running.size === 1 ? '' : 's'} at their next step (again to kill them)`);
      for (const r of running) r.child?.kill(sig);
    } else for (const r of running) r.child?.kill('SIGKILL');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const saved = new Map(signals.map((s) => [s, process.listeners(s)] as const));
  for (const s of signals) {
    process.removeAllListeners(s);
    process.on(s, onSignal);
  }

  const runOne = async (cell: SweepCell): Promise<void> => {
    const cellDir = join(dir, cell.dir);
    ensureDir(cellDir);
    const slot: Running = { cell, child: null };
    running.add(slot);
    try {
      // A train process of this host still holding the cell (one left running by a sweep killed with -9): wait for
      // it rather than fail on its lock; it ends, and the cell is then finished or resumed below. (Another host's
      // lock cannot be checked for life: train refuses it with a line naming the holder.)
      let waited = false;
      const local = (): ReturnType<typeof cellHolder> => {
        const h = cellHolder(cellDir);
        return h && h.host === hostname() ? h : null;
      };
      for (let h = local(); h && stopping === null; h = local()) {
        if (!waited) say(`${cell.id}: in use by pid ${h.pid} on ${h.host} ('${h.command}'); waiting for it to end`);
        waited = true;
        await new Promise((res) => setTimeout(res, 1000));
      }
      if (stopping !== null) return;
      const from = stepOf(cell);
      const started = startCell(sweep, dir, cell, opts.executor, opts.tensor);
      const argv = cellCommand(sweep, dir, cell, opts.tensor);
      say(`${cell.id}: started${started.attempts > 1 ? ` (attempt ${started.attempts}${from > 0 ? `, resuming after step ${from}` : ''})` : ''}`);
      const t0 = performance.now();
      const log = openSync(join(cellDir, 'train.log'), 'a');
      writeSync(log, `--- ${started.startedAt} attempt ${started.attempts}: ${shellLine(argv)}\n`);
      let tail = '';
      const code = await new Promise<number>((res) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', log, 'pipe'], env: { ...process.env, RLSD_BENCH_EXIT_WITH_PARENT: '1' } });
        slot.child = child;
        child.stderr!.on('data', (b: Buffer) => {
          writeSync(log, b);
          tail = (tail + b.toString('utf8')).slice(-8192);
        });
        // A process that cannot be started emits 'error' and may never emit 'close'.
        child.on('error', (e) => {
          tail += `\nrlsd-bench: error: could not start ${argv[0]}: ${e.message}\n`;
          res(127);
        });
        child.on('close', (c, sig) => res(c ?? (sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 137)));
      });
      closeSync(log);
      const seconds = (performance.now() - t0) / 1000;
      if (stopping !== null && code !== 0) {
        // Stopped by the sweep's own interrupt: left as it is (running in cell.json, no process: 'stopped'), to resume.
        result.outcomes.set(cell.id, { outcome: 'interrupted', seconds });
        return;
      }
      const rec = markCellEnded(cellDir, started, cell.steps, code, errorOf(tail));
      finished.add(cell.id);
      if (rec.state === 'done') {
        const m = lastMetrics(cellDir);
        say(`${cell.id}: done in ${formatDuration(seconds)}${m?.avg !== undefined ? ` (held-out Avg ${pct(m.avg)} % at step ${m.step})` : ''}`);
        result.outcomes.set(cell.id, { outcome: 'done', seconds });
      } else {
        say(`${cell.id}: FAILED (exit ${code}): ${rec.error}`);
        result.outcomes.set(cell.id, { outcome: 'failed', error: rec.error!, seconds });
      }
    } finally {
      running.delete(slot);
    }
  };

  try {
    const worker = async (): Promise<void> => {
      for (let cell = queue.shift(); cell !== undefined && stopping === null; cell = queue.shift()) await runOne(cell);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.workers, queue.length)) }, worker));
  } finally {
    clearInterval(ticker);
    poll();
    task.stop();
    for (const s of signals) {
      process.removeListener(s, onSignal);
      for (const l of saved.get(s)!) process.on(s, l as (sig: NodeJS.Signals) => void);
    }
  }
  result.interrupted = stopping;
  return result;
}

/** One cell (a shard's or a Slurm array task's): runCells with that cell alone. */
export async function runCell(sweep: SweepFile, dir: string, cell: SweepCell, opts: Omit<RunOptions, 'workers'>): Promise<RunResult> {
  return runCells(sweep, dir, [cell], { ...opts, workers: 1 });
}

/**
 * The sweep folder's lock. Shards of one sweep share the folder: each holds the lock only while it writes or checks
 * sweep.json, and waits (up to a minute) while another shard holds it; a whole local sweep holds it throughout.
 */
async function takeLock(dir: string, shard: boolean): Promise<Lock> {
  const command = shard ? 'sweep --shard' : 'sweep';
  for (let waited = 0; ; waited += 200) {
    try {
      return lockDir(dir, command);
    } catch (e) {
      const h = cellHolder(dir);
      if (!(e instanceof LockError) || !shard || h?.command !== 'sweep --shard' || waited > 60_000) throw e;
      await new Promise((res) => setTimeout(res, 200));
    }
  }
}

/** --dry-run here: the cells in run order with their estimated times and commands, and the total; nothing is run. */
async function printEstimate(run: SweepRun): Promise<number> {
  // Measured here when the folder has finished cells; else the built-in figures.
  const suite = baseSuite(run.planned.base);
  const cost = calibrateCost(run.dir, run.planned.cells, suite);
  const seconds = new Map(run.cells.map((c) => [c.id, estimateCellSeconds(c, suite, cost)]));
  const order = [...run.cells].sort((x, y) => seconds.get(y.id)! - seconds.get(x.id)! || x.index - y.index);
  let total = 0;
  for (const [i, c] of order.entries()) {
    total += seconds.get(c.id)!;
    process.stdout.write(`${c.index}\t${c.id}\t~${formatDuration(seconds.get(c.id)!)}\t${shellLine(cellCommand(run.planned, run.dir, c, run.tensor))}\n`);
    // Let Ctrl-C's handler run during a long listing.
    if (i % 256 === 255) await new Promise((res) => setImmediate(res));
  }
  const wall = estimateMakespan([...seconds.values()], run.workers);
  process.stdout.write(`${run.cells.length} cells, ~${formatDuration(total)} of cell time, ~${formatDuration(wall)} with ${run.workers} workers (${cost.from > 0 ? `estimate from the step times of ${cost.from} finished cell${cost.from === 1 ? '' : 's'} here` : 'estimate'}; nothing was run)\n`);
  return 0;
}

/**
 * Runs `run.cells` in this machine's pool: the whole sweep under the folder's lock, then the report; or one shard,
 * which holds the lock only to open sweep.json (each cell is locked by its own train process) and writes no report.
 */
async function runHere(run: SweepRun, shard: { index: number; count: number } | null, executor: ExecutorName): Promise<number> {
  const { dir } = run;
  const lock = await takeLock(dir, shard !== null);
  let sweep: SweepFile;
  try {
    sweep = openSweep(dir, run.planned);
  } catch (e) {
    lock.release();
    throw e;
  }
  if (shard) lock.release();
  try {
    const wanted = new Set(run.cells.map((c) => c.index));
    const mine = sweep.cells.filter((c) => wanted.has(c.index));
    const t0 = performance.now();
    const res = await runCells(sweep, dir, mine, { tensor: run.tensor, workers: run.workers, executor, quiet: run.quiet });
    const views = sweep.cells.map((c) => cellView(dir, c));
    const doneAll = views.filter((v) => v.status === 'done').length;
    const failed = mine.filter((c) => res.outcomes.get(c.id)?.outcome === 'failed');
    const what = shard ? `shard ${shard.index}/${shard.count} (${mine.length} cells)` : `${sweep.cells.length} cells`;
    if (res.interrupted) {
      process.stderr.write(
        `rlsd-bench: interrupted (${res.interrupted}) — ${doneAll} of ${sweep.cells.length} cells done; rerun the same command to resume (finished cells are kept, the others continue from their last checkpoint)\n`,
      );
      return res.interrupted === 'SIGINT' ? 130 : 143;
    }
    process.stdout.write(`sweep ${sweep.name}: ${what} — ${doneAll} of ${sweep.cells.length} done, ${failed.length} failed this run, ${formatDuration((performance.now() - t0) / 1000)} → ${dir}\n`);
    if (shard === null && run.report && views.some((v) => v.status === 'done')) {
      const rep = await writeReport(dir);
      process.stdout.write(`${rep.summary}\nreport → ${rep.out}\n`);
    }
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new TrainingError(
        `${failed.length} of ${mine.length} cells failed (${first.id}: ${res.outcomes.get(first.id)!.error}${failed.length > 1 ? '; …' : ''}); see ${join(dir, first.dir, 'train.log')} and \`rlsd-bench sweep --status ${dir}\` — rerun the same command to retry them (finished cells are kept)`,
      );
    }
    return 0;
  } finally {
    if (!shard) lock.release();
  }
}

/** Worker processes on this machine, the longest cells first (`--workers`). */
export const localExecutor: Executor = {
  name: 'local',
  describe: 'worker processes on this machine',
  dryRun: printEstimate,
  run: (run) => runHere(run, null, 'local'),
};

/**
 * The cells of one shard (`--shard i/n`: index % n == i) in this machine's pool, for array runners (Kubernetes Indexed
 * Jobs, Slurm array tasks); `rlsd-bench report DIR` merges the shards afterwards.
 */
export function shardExecutor(shard: { index: number; count: number }): Executor {
  // A Slurm array task is a shard; its cells record that Slurm ran them.
  const name = process.env['SLURM_JOB_ID'] ? 'slurm' : 'shard';
  return { name, describe: `shard ${shard.index}/${shard.count}`, dryRun: printEstimate, run: (run) => runHere(run, shard, name) };
}
