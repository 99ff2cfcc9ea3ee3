// `rlsd-bench sweep`: the flags of a sweep (its tensor flags for every cell, each executor's own flags), checked
// before anything is written, then src/sweep/run.ts runSweep.
import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { TENSOR_OPTIONS, type TensorSettings } from '../backend.ts';
import { describePreset, EXECUTORS, executorNames, getExecutor, parseShard, presetNames, runSweep, type Executor } from '../sweep/index.ts';
import { UsageError } from '../util/errors.ts';
import type { FlagOption } from '../util/options.ts';
import { choice, flagOptions, num, readFlags, readGivenFlags } from './flags.ts';

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

/** The `sweep` command for the CLI's registry (commands.ts). */
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
