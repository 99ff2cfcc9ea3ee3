// `rlsd-bench report DIR`: the report of a sweep folder or of a folder of runs (src/report/write.ts writeReport),
// then the accuracy and convergence tables on stdout.
import type { Argv } from 'yargs';
import { comparableRows, DEFAULT_BOOTSTRAP, DEFAULT_BOOTSTRAP_SEED, loadSweepRecords, writeReport, type Comparison } from '../report/index.ts';
import { UsageError } from '../util/errors.ts';
import { num } from './flags.ts';

/** Checks --compare pairs `A:B` against the sweep's rows; the error lists the rows there are. */
export function parseComparisons(raw: readonly string[], known: readonly string[]): Comparison[] {
  const out: Comparison[] = [];
  for (const item of raw) {
    const parts = item.split(':');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError(`--compare expects A:B, two rows of the sweep (got '${item}'); rows: ${known.join(', ')}`);
    const [a, b] = parts as [string, string];
    for (const r of [a, b]) if (!known.includes(r)) throw new UsageError(`--compare ${item}: no row '${r}' in this sweep; rows: ${known.join(', ')}`);
    if (a === b) throw new UsageError(`--compare ${item}: compares a row with itself; give two different rows`);
    if (!out.some((c) => c.a === a && c.b === b)) out.push({ a, b });
  }
  return out;
}

/** The `report` command for the CLI's registry (commands.ts). */
export const reportCommand = (cli: Argv): Argv =>
  cli.command(
    'report <dir>',
    "tables of a sweep (accuracy in the paper's layout, convergence, dynamics, paired bootstrap) rebuilt from its records",
    (y) =>
      y
        .positional('dir', {
          type: 'string',
          describe: 'a sweep folder (the --out of `rlsd-bench sweep`, with sweep.json), or a folder of runs trained by hand (each a `train --out` with run.json, up to 4 levels below it, e.g. results/runs): grouped by method and the settings in run.json, with their seeds; laid out <row>/seed-<n>/, the folder names give the rows',
        })
        .option('out', { type: 'string', defaultDescription: 'DIR/report', describe: 'folder to write the report to (accuracy, convergence, dynamics, paired, credit when runs logged it: .md and .csv; accuracy.tex; report.md, report.html and its charts)' })
        .option('compare', { type: 'string', array: true, defaultDescription: 'each method against grpo and against base', describe: 'paired bootstrap of row A against row B (A:B, rows as named in the sweep; `base`: the base checkpoint; repeatable); the report opens with their verdict' })
        .option('bootstrap', { type: 'number', default: DEFAULT_BOOTSTRAP, describe: 'bootstrap resamples of the paired comparison' })
        .option('seed', { type: 'number', default: DEFAULT_BOOTSTRAP_SEED, describe: "seed of the bootstrap's resampling (the same seed gives the same intervals)" }),
    async (argv) => {
      const resamples = num('bootstrap', argv.bootstrap, { integer: true, min: 100, max: 1_000_000 });
      const seed = num('seed', argv.seed, { integer: true, min: 0, max: 2 ** 32 - 1 });
      const records = loadSweepRecords(String(argv.dir));
      const raw = argv.compare === undefined ? [] : (Array.isArray(argv.compare) ? argv.compare : [argv.compare]).map(String);
      const comparisons = raw.length ? parseComparisons(raw, comparableRows(records)) : undefined;
      const res = await writeReport(records, {
        ...(argv.out !== undefined ? { out: String(argv.out) } : {}),
        ...(comparisons ? { comparisons } : {}),
        resamples,
        seed,
      });
      process.stdout.write(`${res.summary}\nreport → ${res.out} (${res.written.join(', ')})\n`);
    },
  );
