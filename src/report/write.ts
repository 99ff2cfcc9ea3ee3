// A report written: a sweep folder's records (records.ts) made into tables (tables.ts), written (formats.ts) to
// DIR/report file by file and atomically, then the charts and the HTML page (html.ts). `rlsd-bench report` (src/cli/report.ts)
// and a sweep whose grid is done both call writeReport.
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/fs.ts';
import { reportFiles, stdoutSummary } from './formats.ts';
import { writeChartsAndHtml } from './html.ts';
import { loadSweepRecords } from './records.ts';
import { buildTables, defaultComparisons, type Comparison, type ReportTables } from './tables.ts';
import type { SweepRecords } from './types.ts';
import type { ArtifactWriter } from './artifacts.ts';

export type { ArtifactWriter, ReportContext } from './artifacts.ts';

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
