// A report table as one unit: how it is built from the sweep's records and how it reads in report.md, in its own
// .md/.csv files and on the HTML page, and where it goes in the report. Each registered table is one file in
// sections/ and one line of the registry, sections/index.ts (docs/guides/add-a-report-table.md); buildTables builds
// them, reportFiles (formats.ts) and reportSections (html.ts) place them.
import type { SweepRecords } from './types.ts';

/** A cell of a table on the page: text, optionally bold (the best value of a column), or links (a row's run folders). */
export type HtmlCell = string | { text: string; strong: boolean } | { links: readonly { text: string; href: string }[] };

export interface HtmlTable {
  header: readonly string[];
  rows: readonly (readonly HtmlCell[])[];
  /** Per column: l(eft) for labels, r(ight) for numbers. */
  align: readonly ('l' | 'r')[];
  /** Shown under the table. */
  caption?: string;
}

/** What a table's section of the page holds. Text may use `**bold**` and `code` spans; it is escaped. */
export type TableBlock =
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: readonly string[] }
  | { kind: 'table'; title?: string; table: HtmlTable };

/**
 * The report's own parts, in the order report.md and the page show them. A registered table goes right after the one
 * its `after` names (several after the same part keep the registry's order).
 */
export const REPORT_PARTS = ['verdict', 'excluded', 'accuracy', 'convergence', 'dynamics', 'credit', 'paired'] as const;
export type ReportPart = (typeof REPORT_PARTS)[number];

/** What rendering may need beyond the table's data. */
export interface RenderContext {
  /** The report's folder, which links to run folders are relative to (absolute paths without it). */
  out?: string;
}

/** A report table, declared once. T: its data, a function of the records alone. */
export interface ReportTableSpec<T = unknown> {
  /** Its id: the page's section anchor, and the names of its own files (`<name>.md`, `<name>.csv`). */
  name: string;
  /** Its heading: `### <title>` in the Markdown files, the section's heading on the page. */
  title: string;
  /** The part of the report it follows. */
  after: ReportPart;
  build(records: SweepRecords): T;
  /** false: the report leaves it out everywhere (a table with nothing to show). Shown when absent. */
  shown?(t: T): boolean;
  /** Its text under the heading in report.md (and in `<name>.md`): the table and its caption. */
  markdown(t: T, ctx: RenderContext): string;
  /** With it, the table also gets its own files beside report.md: `<name>.md` (with the excluded cells) and `<name>.csv`. */
  csv?(t: T): string;
  /** Its section of report.html; without it the page leaves the table out. */
  html?(t: T, ctx: RenderContext): TableBlock[];
  /** Also printed by `report` (and a sweep at its end) on the terminal: in report.md's order, before the excluded cells and the verdict. */
  terminal?: boolean;
}

/** A registered table built from one sweep's records (ReportTables.registered). */
export interface RegisteredTable {
  spec: ReportTableSpec;
  data: unknown;
}

/** The registered tables to show, each with its data. */
export function shownTables(registered: readonly RegisteredTable[]): RegisteredTable[] {
  return registered.filter((r) => r.spec.shown?.(r.data) ?? true);
}

/** A registered table's text in report.md and in its own file: its heading, then its markdown. */
export function tableMarkdown(r: RegisteredTable, ctx: RenderContext): string {
  return `### ${r.spec.title}\n\n${r.spec.markdown(r.data, ctx)}`;
}
