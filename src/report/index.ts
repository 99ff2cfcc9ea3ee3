// The report's library surface: load a sweep's records, build its tables, format them, write them. The charts and
// the HTML page (charts.ts, html.ts) are built from the same records and tables; the registered tables (sections/,
// table-spec.ts) are built and placed with the others.
export * from './types.ts';
export { DYNAMICS_KEYS, loadSweepRecords, readItemVerdicts } from './records.ts';
export * from './stats.ts';
export * from './tables.ts';
export * from './formats.ts';
export * from './table-spec.ts';
export { REPORT_TABLES } from './sections/index.ts';
export * from './paper.ts';
export { DEFAULT_BOOTSTRAP, DEFAULT_BOOTSTRAP_SEED, REPORT_DIR, writeReport, type ArtifactWriter, type ReportContext, type ReportOptions, type ReportResult } from './write.ts';
