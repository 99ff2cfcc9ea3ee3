// The local executor: a pool of worker slots, each running one cell at a time as a child process
// `node bin/rlsd-bench.mjs --quiet train … --out DIR/<cell>`, so a crash (or a NaN stop, or a bad flag) ends that
// cell only, and every cell is an ordinary train run that resumes from its own last checkpoint. The same
// functions run one cell of a shard or a Slurm array task (runCells with that one cell).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../paths.ts';
import { formatDuration, pct, startProgress, type ProgressTask } from '../progress.ts';
import { ensureDir } from '../util/fs.ts';
import { estimateCellSeconds, type SweepCell } from './cells.ts';
import { cellDone, cellHolder, lastMetrics, markCellEnded, markCellStarted, readCellFile, type Executor, type SweepFile } from './state.ts';

/** The launcher users run; cells run through it exactly as a user's own `rlsd-bench train` would. */
export const BIN = packagePath('bin', 'rlsd-bench.mjs');

/** How a cell's train process is started (the flags a sweep passes through to every cell). */
export interface CellCommandOptions {
  /** --backend for every cell (train's default, auto, when absent). */
  backend?: string;
  /** --attention-kernel for every cell (train's default when absent). */
  attentionKernel?: string;
  /** --matmul for every cell (train's default when absent). */
  matmul?: string;
}

/**
 * The exact command of one cell: [node, bin/rlsd-bench.mjs, --quiet, train, …]. `dir` is the sweep folder as the
 * process running the command sees it (absolute).
 */
export function cellCommand(sweep: SweepFile, dir: string, cell: SweepCell, opts: CellCommandOptions = {}): string[] {
  return [
    process.execPath,
    BIN,
    '--quiet',
    'train',
    ...(opts.backend !== undefined ? ['--backend', opts.backend] : []),
    ...(opts.attentionKernel !== undefined ? ['--attention-kernel', opts.attentionKernel] : []),
    ...(opts.matmul !== undefined ? ['--matmul', opts.matmul] : []),
    ...cell.args,
    '--base',
    sweep.base,
    '--out',
    join(dir, cell.dir),
  ];
}

/** A command as one shell line (single quotes where needed), for --print-jobs and logs. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export interface RunOptions extends CellCommandOptions {
  /** Cells run at once. */
  workers: number;
  /** Recorded in each cell.json. */
  executor: Executor;
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
  const remaining = (c: SweepCell): number => estimateCellSeconds(c) * (1 - Math.min(1, (lastMetrics(join(dir, c.dir))?.step ?? 0) / c.steps));
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
      const started = markCellStarted(cellDir, opts.executor, sweep.baseWeightsSha256);
      const argv = cellCommand(sweep, dir, cell, opts);
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
