// `rlsd-bench sweep`: a config (a file or a preset) expanded into cells (cells.ts), recorded in DIR/sweep.json
// (state.ts), run by an executor (executor.ts: the local pool or a shard of it, local.ts; Slurm, slurm.ts; the
// registry, executors.ts), then the report (src/report). The builder is registered in src/cli/commands.ts; flags are
// checked here, before anything is written.
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { TENSOR_OPTIONS, type TensorSettings } from '../backend.ts';
import { weightsSha256 } from '../checkpoint.ts';
import { UsageError } from '../util/errors.ts';
import { choice, num } from '../util/flags.ts';
import { flagOptions, readFlags, readGivenFlags, type FlagOption } from '../util/options.ts';
import type { SweepCell } from './cells.ts';
import { checkSweepConfig, configFolder, readSweepConfig, sweepBase, type SweepConfig } from './config.ts';
import type { ConfigSource, Executor } from './executor.ts';
import { EXECUTORS, executorNames, getExecutor } from './executors.ts';
import { cellCommand, shardExecutor, shellLine } from './local.ts';
import { describePreset, presetFile, presetNames, readPreset } from './presets.ts';
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
  if (a.shard && a.executor !== 'local')
    throw new UsageError(`--shard runs cells in this process; it does not combine with --executor ${a.executor} (whose array tasks are the shards)`);
  const executor: Executor = a.shard ? shardExecutor(a.shard) : getExecutor(a.executor);
  const source: ConfigSource = a.config !== undefined ? { file: a.config } : a.preset !== undefined ? { preset: a.preset } : { stored: true };
  const run = { planned, dir, cells, tensor: a.cell, source, workers: a.workers, report: a.report, quiet: a.quiet, options: a.executorOptions ?? {} };
  return a.dryRun ? executor.dryRun(run) : executor.run(run);
}

/** The flags of an executor, in its name (for the refusal of one given to another executor). */
function executorFlags(): { executor: Executor; flag: FlagOption<Record<string, unknown>> }[] {
  return EXECUTORS.flatMap((executor) => (executor.flags ?? []).map((flag) => ({ executor, flag })));
}

/** Every cell's tensor flags: train's (src/backend.ts TENSOR_OPTIONS); one not given is left to train's default. */
const CELL_TENSOR_OPTIONS: readonly FlagOption<Partial<TensorSettings>>[] = TENSOR_OPTIONS.map((o) => ({
  field: o.field,
  flag: o.flag,
  default: undefined,
  rule: o.rule,
  help: `${o.help}; for every cell (unset: train's, ${o.shownDefault ?? String(o.default)})`,
}));

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

/** The `sweep` command for the CLI's registry (src/cli/commands.ts). */
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
        .option('executor', { type: 'string', default: 'local', describe: EXECUTORS.map((e) => `${e.name} (${e.describe})`).join(' | ') })
        .option('dry-run', { type: 'boolean', default: false, describe: 'print the cells in run order with estimated times and commands (slurm: the batch script); run nothing' })
        .option('shard', { type: 'string', describe: 'run only the cells with index % n == i (i/n, 0-based; e.g. "$JOB_COMPLETION_INDEX/8" in a Kubernetes Indexed Job); no report' })
        .option('print-jobs', { type: 'boolean', default: false, describe: "print one line per cell (index, id, the exact train command) and exit" })
        .option('status', { type: 'boolean', default: false, describe: "print the grid with each cell's state and step and exit (`sweep --status DIR`; takes no lock)" })
        .option('report', { type: 'boolean', default: true, describe: 'write the report (src/report) when the cells are done; --no-report: skip it' })
        .options(flagOptions(CELL_TENSOR_OPTIONS))
        .options(flagOptions(executorFlags().map(({ flag }) => flag)))
        .epilogue(`Presets (src/sweep/presets/*.yaml):\n${presetNames().map((p) => `  ${describePreset(p)}`).join('\n')}\n\n${EXAMPLE}`),
    async (argv) => {
      const executor = choice('executor', argv.executor, executorNames);
      // An executor's own flags do nothing elsewhere: refused rather than silently ignored.
      const stray = executorFlags().find(({ executor: e, flag }) => e.name !== executor && argv[flag.flag] !== undefined && argv[flag.flag] !== flag.default);
      if (stray) throw new UsageError(`--${stray.flag.flag} applies to --executor ${stray.executor.name} only (this sweep runs ${executor === 'local' ? 'locally' : `on ${executor}`})`);
      const own = getExecutor(executor).flags ?? [];
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
        executorOptions: readFlags(own, argv),
        cell: readGivenFlags(CELL_TENSOR_OPTIONS, argv),
      });
      if (code !== 0) process.exitCode = code;
    },
  );
