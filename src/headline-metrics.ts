// Which number stands for a benchmark wherever one number does (eval's table and Avg, results.json's average, the
// report's columns and Avg), said the same way in every caption. The metric names per benchmark are in
// src/benchmark-info.ts (`headline`); this file holds only the wording, so the report can use it without loading
// the benchmarks.

/**
 * Which WeMath number the harness reports, for captions. Accuracy over items, because a run's tables are built from
 * per-item verdicts (training's held-out evaluation, evals/step_N.jsonl), the report's paired bootstrap resamples
 * items, and the group score over the few groups of a held-out set moves in coarse steps.
 */
export const WEMATH_HEADLINE_NOTE =
  "WeMath: accuracy over items (every one-step and multi-step item alike), not the official leaderboard's Score (Strict) over whole problem groups (eval's results.json has it as score_strict).";

/** The same for the paper's table printed beside the report's (its WeMath column's metric is not recorded here). */
export const WEMATH_PAPER_NOTE = "Which WeMath metric the paper's WeMath column reports is not recorded in this repository; this report's WeMath is accuracy over items.";

/** A headline metric's name as results.json and captions give it (WeMath's accuracy says that it is over items). */
export function headlineLabel(benchmark: string, metric: string): string {
  return benchmark === 'wemath' && metric === 'accuracy' ? 'accuracy (over items, not score_strict)' : metric;
}
