// What a benchmark declares in its folder's index.ts (docs/guides/add-a-benchmark.md): its unit (load → prompt →
// extract → score → aggregate) and everything the rest of the harness shows of it — its title and layouts in
// `rlsd-bench benchmarks`, its column in the report, its headline metric, its version in the mini suite. The
// registry (benchmarks/index.ts) lists these; nothing else names a benchmark.
import type { MiniSpec } from '../mini/spec.ts';
import type { Row } from './parquet.ts';
import type { BenchItem, Benchmark, Metrics } from './types.ts';

/** The one number that stands for a benchmark wherever one number does: eval's table and Avg, results.json's average. */
export interface HeadlineMetric {
  /** Its key in the benchmark's aggregate (`accuracy`, `pass@1`, …). */
  metric: string;
  /** How results.json's average names it, when the key alone would mislead (default: the key). */
  label?: string;
  /** A sentence every caption beside the benchmark's column adds, saying which of its numbers the column is. */
  note?: string;
  /** A line eval prints under the benchmark's row, from its metrics (e.g. an official number left out of the Avg). */
  evalNote?(metrics: Metrics): string | undefined;
}

/** A benchmark as its folder declares it: the unit, plus what the registry needs to show it. */
export interface BenchmarkDefinition<I extends BenchItem = BenchItem> extends Benchmark<I> {
  /** What it is, in a few words (`rlsd-bench benchmarks --verbose`). */
  title: string;
  /** Its column's heading in the report's tables and charts. */
  label: string;
  /**
   * Its column's place in the report (the paper's Table 2 order for the five); a benchmark without one comes after
   * them, in registry order.
   */
  reportRank?: number;
  /** The split tables report by default, as `benchmarks --verbose` says it (a loader may pick another when absent). */
  evaluatedSplit: string;
  headline: HeadlineMetric;
  /** The other metrics its aggregate writes (see its METRICS.md). */
  otherMetrics: readonly string[];
  /**
   * An official number the report prints beside the column, rebuilt by `aggregate` from the per-item records of a
   * run's last evaluation (whose lines carry the fields it needs, e.g. WeMath's group and key).
   */
  officialScore?: { metric: string; label: string };
  /** The file layouts its loader reads, one line each. */
  layouts: readonly string[];
  /** One Hugging Face parquet row → item (the loader and the mini suite share it). */
  itemFromRow(row: Row, split: string): I;
  /** Its version in the built-in mini suite (its folder's mini.ts). */
  mini: MiniSpec;
  /**
   * The RL reward, when it is not the official verdict: where the official rule gives random credit (MMMU's
   * random-choice fallback), which a reward must not do. Default: 1 when `score` says correct, else 0.
   */
  reward?(item: I, response: string): number;
}

export interface BenchmarkModule<I extends BenchItem = BenchItem> extends BenchmarkDefinition<I> {
  reward(item: I, response: string): number;
}

/** A benchmark's registry entry from its folder's declaration. */
export function defineBenchmark<I extends BenchItem>(definition: BenchmarkDefinition<I>): BenchmarkModule<I> {
  return { ...definition, reward: definition.reward ?? ((item, response) => (definition.score(item, response).correct ? 1 : 0)) };
}
