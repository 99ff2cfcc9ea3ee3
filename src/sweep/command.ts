// `rlsd-bench sweep`: a config (a file or a preset) expanded into cells (cells.ts), recorded in DIR/sweep.json
// (state.ts), run by the local executor (local.ts) or a shard of it, then the report (src/report). The builder is
// registered in src/commands.ts; flags are checked here, before anything is written.
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { BACKENDS } from '../backend.ts';
import { ATTENTION_KERNELS } from '../model/ops.ts';
import { MATMUL_KERNELS } from '../model/blas.ts';
import { weightsSha256 } from '../checkpoint.ts';
import { formatDuration } from '../progress.ts';
import { writeReport } from '../report/command.ts';
import { LockError, TrainingError, UsageError } from '../util/errors.ts';
import { lockDir, type Lock } from '../util/lock.ts';
import { choice, num } from '../util/flags.ts';
import { calibrateCost, estimateCellSeconds, estimateMakespan, type SweepCell } from './cells.ts';
import { checkSweepConfig, configFolder, readSweepConfig, sweepBase, type SweepConfig } from './config.ts';
import { cellCommand, runCells, shellLine, type CellCommandOptions } from './local.ts';
import { describePreset, presetFile, presetNames, readPreset } from './presets.ts';
import { runSlurmSweep, type SlurmFlags } from './slurm.ts';
import { cellHolder, cellView, checkSameSweep, openSweep, planSweep, readSweepFile, statusText, SWEEP_FILE, type SweepFile } from './state.ts';

/** `i/n`: the cells whose index % n == i (0-based), for array runners (Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX). */
export function parseShard(raw: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new UsageError(`--shard must be i/n with 0 ≤ i < n (got '${raw}'), e.g. --shard "$JOB_COMPLETION_INDEX/8"`);
  return { index, count };
}

export function shardCells(cells: readonly SweepCell[], shard: { index: number; count: number } | null): SweepCell[] {
  return shard ? cells.filter((c) => c.index % shard.count === shard.index) : [...cells];
}

/** Where the config comes from: a file, a preset, or (a rerun naming neither) the sweep.json already in --out. */
function chooseConfig(file: string | undefined, preset: string | undefined, dir: string): { config: SweepConfig; from: string; base: string } {
  if (file !== undefined && preset !== undefined) throw new UsageError(`give a config file or --preset, not both (got ${file} and --preset ${preset})`);
  if (file !== undefined) {
    const config = readSweepConfig(resolve(file), file);
    // A path in a config is the config's: it means the same from whatever folder the sweep is started.
    return { config, from: file, base: sweepBase(config, configFolder(file)) };
  }
  if (preset !== undefined) {
    const config = readPreset(preset);
    return { config, from: `preset ${preset}`, base: sweepBase(config, configFolder(presetFile(preset))) };
  }
  // A rerun naming no config resumes the recorded sweep, with the base it recorded (a relative `base` was read
  // against the folder of the first run's config file, which this one does not name).
  const stored = readSweepFile(dir);
  if (stored) return { config: checkSweepConfig(stored.config, join(dir, SWEEP_FILE)), from: join(dir, SWEEP_FILE), base: stored.base };
  throw new UsageError(`give a config file or --preset (${presetNames().join(', ')}); ${dir} holds no ${SWEEP_FILE} to resume`);
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

export interface SweepArgs {
  config?: string;
  preset?: string;
  out?: string;
  workers: number;
  executor: 'local' | 'slurm';
  dryRun: boolean;
  shard: { index: number; count: number } | null;
  printJobs: boolean;
  status: boolean;
  report: boolean;
  quiet: boolean;
  cell: CellCommandOptions;
  /** --executor slurm: --partition, --time, --cpus, --wait (src/sweep/slurm.ts). */
  slurm?: SlurmFlags;
}

/** The sweep command without yargs (tests and scripts call it directly); returns the exit code. */
export async function runSweep(a: SweepArgs): Promise<number> {
  // `sweep --status DIR`: the folder may come as the positional argument.
  const positionalDir = a.config !== undefined && existsSync(a.config) && statSync(a.config).isDirectory();
  if (positionalDir && !a.status) throw new UsageError(`${a.config} is a folder: give a config file (or --status ${a.config} to see a sweep there)`);
  const outRaw = a.out ?? (positionalDir || a.status ? a.config : undefined);
  if (outRaw === undefined) throw new UsageError('--out DIR is required (the sweep folder)');
  const dir = resolve(outRaw);

  if (a.status) {
    const sweep = readSweepFile(dir);
    if (!sweep) throw new UsageError(`${dir} holds no ${SWEEP_FILE}: no sweep was started there`);
    process.stdout.write(statusText(dir, sweep));
    return 0;
  }

  const { config, from, base } = chooseConfig(a.config, a.preset, dir);
  if (!existsSync(base)) throw new UsageError(`${from}: base: ${base} does not exist`);
  // The base's weights, not its path, say which base the cells start from (a path's files can be replaced).
  const planned = planSweep(config, base, weightsSha256(base));
  const existing = readSweepFile(dir);
  if (existing) checkSameSweep(dir, existing, planned);
  const cells = shardCells(planned.cells, a.shard);

  if (a.printJobs) {
    for (const c of cells) process.stdout.write(`${c.index}\t${c.id}\t${shellLine(cellCommand(planned, dir, c, a.cell))}\n`);
    return 0;
  }
  // --executor slurm (src/sweep/slurm.ts): sweep.json, DIR/slurm/sweep.sbatch (one array task per cell), sbatch.
  if (a.executor === 'slurm') {
    if (a.shard) throw new UsageError('--shard runs cells in this process; it does not combine with --executor slurm (whose array tasks are the shards)');
    const source = a.config !== undefined ? { file: a.config } : a.preset !== undefined ? { preset: a.preset } : { stored: true as const };
    return runSlurmSweep({ planned, dir, source, flags: a.slurm ?? { wait: false }, dryRun: a.dryRun, report: a.report, quiet: a.quiet, cell: a.cell });
  }
  if (a.dryRun) {
    // Measured here when the folder has finished cells; else the built-in figures.
    const cost = calibrateCost(dir, planned.cells);
    const seconds = new Map(cells.map((c) => [c.id, estimateCellSeconds(c, cost)]));
    const order = [...cells].sort((x, y) => seconds.get(y.id)! - seconds.get(x.id)! || x.index - y.index);
    let total = 0;
    for (const [i, c] of order.entries()) {
      total += seconds.get(c.id)!;
      process.stdout.write(`${c.index}\t${c.id}\t~${formatDuration(seconds.get(c.id)!)}\t${shellLine(cellCommand(planned, dir, c, a.cell))}\n`);
      // Let Ctrl-C's handler run during a long listing.
      if (i % 256 === 255) await new Promise((res) => setImmediate(res));
    }
    const wall = estimateMakespan([...seconds.values()], a.workers);
    process.stdout.write(`${cells.length} cells, ~${formatDuration(total)} of cell time, ~${formatDuration(wall)} with ${a.workers} workers (${cost.from > 0 ? `estimate from the step times of ${cost.from} finished cell${cost.from === 1 ? '' : 's'} here` : 'estimate'}; nothing was run)\n`);
    return 0;
  }

  const lock = await takeLock(dir, a.shard !== null);
  let sweep: SweepFile;
  try {
    sweep = openSweep(dir, planned);
  } catch (e) {
    lock.release();
    throw e;
  }
  if (a.shard) lock.release(); // shards share the folder; each cell is locked by its own train process
  try {
    const mine = shardCells(sweep.cells, a.shard);
    const executor = a.shard ? (process.env['SLURM_JOB_ID'] ? 'slurm' : 'shard') : 'local';
    const t0 = performance.now();
    const res = await runCells(sweep, dir, mine, { ...a.cell, workers: a.workers, executor, quiet: a.quiet });
    const views = sweep.cells.map((c) => cellView(dir, c));
    const doneAll = views.filter((v) => v.status === 'done').length;
    const failed = mine.filter((c) => res.outcomes.get(c.id)?.outcome === 'failed');
    const what = a.shard ? `shard ${a.shard.index}/${a.shard.count} (${mine.length} cells)` : `${sweep.cells.length} cells`;
    if (res.interrupted) {
      process.stderr.write(
        `rlsd-bench: interrupted (${res.interrupted}) — ${doneAll} of ${sweep.cells.length} cells done; rerun the same command to resume (finished cells are kept, the others continue from their last checkpoint)\n`,
      );
      return res.interrupted === 'SIGINT' ? 130 : 143;
    }
    process.stdout.write(`sweep ${sweep.name}: ${what} — ${doneAll} of ${sweep.cells.length} done, ${failed.length} failed this run, ${formatDuration((performance.now() - t0) / 1000)} → ${dir}\n`);
    if (a.shard === null && a.report && views.some((v) => v.status === 'done')) {
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
    if (!a.shard) lock.release();
  }
}

const EXAMPLE = `A config (YAML or JSON; every key but methods and seeds optional):
  name: quick                       # default: the file's name (quick.yaml → quick)
  base: ../reference/base           # relative to the config's folder; default: the committed base
  methods: all                      # every method; trainable: those that train; or a list: [base, grpo, rlsd]
  seeds: [1]
  train: { steps: 60, eval-schedule: '5@50,25', eval-items: 60 }   # any train flag by its long name
  opt: { rlsd: { teacher: sync:10 } }                               # method options per method
  grid: { lr: [3e-5, 1e-4] }                # adds rows grpo-lr=3e-5, … for every method that trains
  overrides:                                # named ablation rows <method>-<name>
    - { name: full-solution, methods: [opsd], opt: { privileged: reference } }
  include_plain: true                       # with a grid or overrides: also the plain rows`;

/** The `sweep` command for the CLI's registry (src/commands.ts). */
export const sweepCommand = (cli: Argv): Argv =>
  cli.command(
    'sweep [config]',
    'run a grid of methods × seeds (× overrides) from one base under one budget, in parallel, resumable; then the report',
    (y) =>
      y
        .positional('config', { type: 'string', describe: 'sweep config (YAML or JSON); omit to resume the sweep in --out' })
        .option('preset', { type: 'string', describe: `a config shipped with rlsd-bench: ${presetNames().join(' | ')}` })
        .option('out', { type: 'string', describe: 'the sweep folder (sweep.json, one train run folder per cell <row>/seed-<n>, report/)' })
        .option('workers', { type: 'number', default: availableParallelism(), defaultDescription: `${availableParallelism()} (the cores here)`, describe: 'cells run at once (a cell uses one core; a self-teacher method a second when free)' })
        .option('executor', { type: 'string', default: 'local', describe: 'local (worker processes on this machine) | slurm (one sbatch array task per cell)' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'print the cells in run order with estimated times and commands (slurm: the batch script); run nothing' })
        .option('shard', { type: 'string', describe: 'run only the cells with index % n == i (i/n, 0-based; e.g. "$JOB_COMPLETION_INDEX/8" in a Kubernetes Indexed Job); no report' })
        .option('print-jobs', { type: 'boolean', default: false, describe: "print one line per cell (index, id, the exact train command) and exit" })
        .option('status', { type: 'boolean', default: false, describe: "print the grid with each cell's state and step and exit (`sweep --status DIR`; takes no lock)" })
        .option('report', { type: 'boolean', default: true, describe: 'write the report (src/report) when the cells are done; --no-report: skip it' })
        .option('backend', { type: 'string', describe: `tensor backend of every cell (${BACKENDS.join(' | ')}; train's default: auto)` })
        .option('attention-kernel', { type: 'string', describe: `attention kernel of every cell on WASM (${ATTENTION_KERNELS.join(' | ')}; train's default)` })
        .option('matmul', { type: 'string', describe: `what computes every cell's products on WASM (${MATMUL_KERNELS.join(' | ')}; train's default: xnnpack)` })
        .option('partition', { type: 'string', describe: 'slurm: partition' })
        .option('time', { type: 'string', describe: 'slurm: time limit per cell (e.g. 02:00:00)' })
        .option('cpus', { type: 'number', describe: 'slurm: CPUs per cell' })
        .option('wait', { type: 'boolean', default: false, describe: 'slurm: follow the submitted array until it ends, then write the report' })
        .epilogue(`Presets (src/sweep/presets/*.yaml):\n${presetNames().map((p) => `  ${describePreset(p)}`).join('\n')}\n\n${EXAMPLE}`),
    async (argv) => {
      const executor = choice('executor', argv.executor, ['local', 'slurm'] as const);
      // Slurm's flags do nothing elsewhere: refused rather than silently ignored.
      const slurmOnly = ['partition', 'time', 'cpus', 'wait'].filter((f) => (f === 'wait' ? Boolean(argv.wait) : argv[f] !== undefined));
      if (executor !== 'slurm' && slurmOnly.length) throw new UsageError(`--${slurmOnly[0]} applies to --executor slurm only (this sweep runs ${executor}ly)`);
      const code = await runSweep({
        ...(argv.config !== undefined ? { config: String(argv.config) } : {}),
        ...(argv.preset !== undefined ? { preset: String(argv.preset) } : {}),
        ...(argv.out !== undefined ? { out: String(argv.out) } : {}),
        workers: num('workers', argv.workers, { integer: true, min: 1, max: 1024 }),
        executor,
        dryRun: Boolean(argv['dry-run']),
        shard: argv.shard === undefined ? null : parseShard(String(argv.shard)),
        printJobs: Boolean(argv['print-jobs']),
        status: Boolean(argv.status),
        report: Boolean(argv.report),
        quiet: Boolean(argv.quiet),
        slurm: {
          ...(argv.partition !== undefined ? { partition: String(argv.partition) } : {}),
          ...(argv.time !== undefined ? { time: String(argv.time) } : {}),
          ...(argv.cpus !== undefined ? { cpus: num('cpus', argv.cpus, { integer: true, min: 1, max: 4096 }) } : {}),
          wait: Boolean(argv.wait),
        },
        cell: {
          ...(argv.backend !== undefined ? { backend: choice('backend', argv.backend, BACKENDS) } : {}),
          ...(argv['attention-kernel'] !== undefined ? { attentionKernel: choice('attention-kernel', argv['attention-kernel'], ATTENTION_KERNELS) } : {}),
          ...(argv.matmul !== undefined ? { matmul: choice('matmul', argv.matmul, MATMUL_KERNELS) } : {}),
        },
      });
      if (code !== 0) process.exitCode = code;
    },
  );
