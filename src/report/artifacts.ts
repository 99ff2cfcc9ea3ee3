// What an artifact writer of the report (the charts and the HTML page, html.ts) is given and returns; write.ts runs
// the writers after the tables.
import type { ReportTables } from './tables.ts';
import type { SweepRecords } from './types.ts';

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
