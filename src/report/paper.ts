// The RLSD paper's reported accuracies, printed beside the report's own table for reference: they come from
// Qwen3-VL-8B on the real benchmarks, so they show the layout and the ordering to look for, not numbers to match.

/** How the report cites the source of PAPER_TABLE2. */
export const PAPER_CITATION = 'the RLSD paper, Table 2 (arXiv 2604.03128)';
/** The model the paper's numbers are for. */
export const PAPER_MODEL = 'Qwen3-VL-8B';

/** Which WeMath metric the paper's WeMath column is: said beside the paper's table (the report's own WeMath is accuracy over items). */
export const WEMATH_PAPER_NOTE = "Which WeMath metric the paper's WeMath column reports is not recorded in this repository; this report's WeMath is accuracy over items.";

/** The paper's accuracy table's columns in its order (its five benchmarks, then their unweighted mean). */
export const PAPER_COLUMNS = ['MMMU', 'MathVista', 'MathVision', 'ZeroBench', 'WeMath', 'Avg'] as const;

export interface PaperRow {
  /** The paper's row label. */
  label: string;
  /** The report's row (method name) it corresponds to. */
  row: string;
  /** Accuracy in percent, in PAPER_COLUMNS order. */
  values: readonly [number, number, number, number, number, number];
}

export const PAPER_TABLE2: readonly PaperRow[] = [
  { label: 'Base', row: 'base', values: [62.44, 73.8, 47.37, 19.76, 54.1, 51.49] },
  { label: 'GRPO', row: 'grpo', values: [65.11, 76.2, 48.82, 22.6, 56.57, 53.86] },
  { label: 'OPSD', row: 'opsd', values: [63.82, 75.1, 47.53, 21.06, 54.95, 52.49] },
  { label: 'SDPO', row: 'sdpo', values: [65.11, 74.0, 47.27, 25.15, 52.19, 52.74] },
  { label: 'GRPO+OPSD', row: 'hybrid', values: [63.22, 75.9, 48.52, 22.16, 54.76, 52.91] },
  { label: 'RLSD', row: 'rlsd', values: [67.22, 78.1, 52.73, 24.85, 58.0, 56.18] },
];
