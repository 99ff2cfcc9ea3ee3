// `rlsd-bench regress FILE…`: its flags read into RegressArgs, then src/regress/run.ts runRegress.
import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { runRegress } from '../regress/run.ts';
import { UsageError } from '../util/errors.ts';
import { num } from './flags.ts';

function parseSeeds(raw: unknown): number[] {
  const parts = String(raw).split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError('--seeds is empty (give e.g. 6,7,8)');
  return parts.map((p) => num('seeds', p === '' ? NaN : Number(p), { integer: true, min: 0 }));
}

export const regressCommand = (cli: Argv): Argv =>
  cli.command(
    'regress <files..>',
    'run a regression baseline (golden trajectories or learning bands) and check the runs against it; --update rewrites it',
    (y) =>
      y
        .positional('files', { type: 'string', array: true, describe: 'baseline files (results/reference/regress/golden.json, learning.json, or your own)' })
        .option('update', { type: 'boolean', default: false, describe: 'rerun and rewrite the baseline (golden: the values; learning: the bands from its reference seeds), printing what changed' })
        .option('out', { type: 'string', describe: 'keep the runs under DIR/<baseline name> (default: a temporary folder, removed when every check passed)' })
        .option('runs', { type: 'string', array: true, describe: 'check (or with --update, record) folders of runs already made — the kept --out of an earlier regress; repeat it to merge seeds from several — instead of running' })
        .option('seeds', { type: 'string', describe: "learning baselines: check these seeds instead of the file's (comma-separated), e.g. to measure the false-failure rate" })
        .option('workers', { type: 'number', default: availableParallelism(), defaultDescription: `${availableParallelism()} (the cores here)`, describe: 'runs at once' })
        .epilogue('Exit codes: 0 every check passed · 1 a regression (a value moved, a statistic left its band, a method fell to the shuffled-reward control) · 2 usage error or malformed baseline · 3 the runs failed (nothing to compare) · 130/143 interrupted.'),
    async (argv) => {
      const code = await runRegress({
        files: (argv.files as string[] | undefined) ?? [],
        update: Boolean(argv.update),
        ...(argv.out !== undefined ? { out: String(argv.out) } : {}),
        ...(argv.runs !== undefined ? { runs: (argv.runs as unknown[]).map(String) } : {}),
        ...(argv.seeds !== undefined ? { seeds: parseSeeds(argv.seeds) } : {}),
        workers: num('workers', argv.workers, { integer: true, min: 1, max: 1024 }),
        quiet: Boolean(argv.quiet),
      });
      if (code !== 0) process.exitCode = code;
    },
  );
