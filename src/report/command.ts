// `rlsd-bench report DIR`: reads a sweep folder's records (records.ts), builds the tables (tables.ts) and writes
// them (formats.ts) to DIR/report, file by file and atomically, then prints the accuracy and convergence tables.
// writeReport is the library entry (a sweep calls it when its grid is done); reportCommand is the CLI's builder.
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { UsageError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { num } from '../util/flags.ts';
import { reportFiles, stdoutSummary } from './formats.ts';
import { writeChartsAndHtml } from './html.ts';
import { loadSweepRecords } from './records.ts';
import { buildTables, comparableRows, defaultComparisons, type Comparison, type ReportTables } from './tables.ts';
import type { SweepRecords } from './types.ts';

export const DEFAULT_BOOTSTRAP = 2000;
export const DEFAULT_BOOTSTRAP_SEED = 1;
/** The folder under DIR the report goes to unless --out says otherwise. */
export const REPORT_DIR = 'report';

export interface ReportOptions {
  /** Output folder (default DIR/report). */
  out?: string;
  /** Pairs to compare; default each method against GRPO and against the base checkpoint (tables.ts defaultComparisons). */
  comparisons?: readonly Comparison[];
  resamples?: number;
  seed?: number;
}

/** What the report's other artifacts are built from: the records, the tables, and the text files already written. */
export interface ReportContext {
  records: SweepRecords;
  tables: ReportTables;
  out: string;
  /** File name → text of the tables written (report.md, accuracy.md, …). */
  files: Readonly<Record<string, string>>;
}

/** Writes some of the report's artifacts into ctx.out and returns the names of the files it wrote. */
export type ArtifactWriter = (ctx: ReportContext) => Promise<string[]> | string[];

/**
 * The artifacts written after the tables: the charts and the HTML page (src/report/charts.ts, html.ts). They see
 * the same records and tables, so the page shows exactly the numbers of the Markdown files.
 */
const ARTIFACT_WRITERS: readonly ArtifactWriter[] = [writeChartsAndHtml];

export interface ReportResult {
  records: SweepRecords;
  tables: ReportTables;
  out: string;
  /** Every file written, by name, in the order written. */
  written: string[];
  /** What the command prints (accuracy last and peak, convergence, excluded cells). */
  summary: string;
}

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

/** Builds the report of a sweep folder (or of records already loaded from one) and writes it to opts.out (default DIR/report). */
export async function writeReport(from: string | SweepRecords, opts: ReportOptions = {}, writers: readonly ArtifactWriter[] = ARTIFACT_WRITERS): Promise<ReportResult> {
  const records = typeof from === 'string' ? loadSweepRecords(from) : from;
  const out = resolve(opts.out ?? join(records.dir, REPORT_DIR));
  const tables = buildTables(records, {
    comparisons: opts.comparisons ?? defaultComparisons(records),
    resamples: opts.resamples ?? DEFAULT_BOOTSTRAP,
    seed: opts.seed ?? DEFAULT_BOOTSTRAP_SEED,
  });
  const source = records.source === 'run folders' ? `the run folders of ${records.name}` : `${records.name}'s sweep.json and cell folders`;
  const files = reportFiles(records.name, source, tables, out);
  const written: string[] = [];
  // One file at a time, each atomically: a report killed midway leaves whole files, old or new.
  for (const [name, text] of Object.entries(files)) {
    writeFileAtomic(join(out, name), text);
    written.push(name);
  }
  for (const w of writers) written.push(...(await w({ records, tables, out, files })));
  return { records, tables, out, written, summary: stdoutSummary(tables) };
}

/** The `report` command for the CLI's registry (src/cli/commands.ts). */
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
