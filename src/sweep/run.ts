// A sweep run: a config (a file or a preset) expanded into cells (cells.ts), recorded in DIR/sweep.json (state.ts),
// run by an executor (executor.ts: the local pool or a shard of it, local.ts; Slurm, slurm.ts; the registry,
// executors.ts), then the report (src/report). `rlsd-bench sweep` (src/cli/sweep.ts) reads its flags into SweepArgs
// and calls runSweep; regress calls it too.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TensorSettings } from '../backend.ts';
import { weightsSha256 } from '../checkpoint.ts';
import { UsageError } from '../util/errors.ts';
import type { SweepCell } from './cells.ts';
import { checkSweepConfig, configFolder, readSweepConfig, sweepBase, type SweepConfig } from './config.ts';
import type { ConfigSource, Executor } from './executor.ts';
import { getExecutor } from './executors.ts';
import { cellCommand, shardExecutor, shellLine } from './local.ts';
import { presetFile, presetNames, readPreset } from './presets.ts';
import { checkSameSweep, planSweep, readSweepFile, statusText, SWEEP_FILE } from './state.ts';

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

export interface SweepArgs {
  config?: string;
  preset?: string;
  out?: string;
  workers: number;
  /** An executor's name (executors.ts); with a shard, 'local'. */
  executor: string;
  dryRun: boolean;
  shard: { index: number; count: number } | null;
  printJobs: boolean;
  status: boolean;
  report: boolean;
  quiet: boolean;
  /** The tensor flags given for every cell (train's defaults for the others). */
  cell: Partial<TensorSettings>;
  /** The values of the executor's own flags (Slurm's --partition, --time, --cpus, --wait), by field. */
  executorOptions?: Record<string, unknown>;
}

/** Runs (or, per the flags in `a`, shows) a sweep; returns the exit code. */
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
  if (a.shard && a.executor !== 'local')
    throw new UsageError(`--shard runs cells in this process; it does not combine with --executor ${a.executor} (whose array tasks are the shards)`);
  const executor: Executor = a.shard ? shardExecutor(a.shard) : getExecutor(a.executor);
  const source: ConfigSource = a.config !== undefined ? { file: a.config } : a.preset !== undefined ? { preset: a.preset } : { stored: true };
  const run = { planned, dir, cells, tensor: a.cell, source, workers: a.workers, report: a.report, quiet: a.quiet, options: a.executorOptions ?? {} };
  return a.dryRun ? executor.dryRun(run) : executor.run(run);
}
