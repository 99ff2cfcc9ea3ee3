// Which number stands for a benchmark wherever one number does (eval's table and Avg, results.json's average,
// `rlsd-bench benchmarks`), and how it is said: each benchmark declares its headline (benchmarks/<name>/index.ts);
// these read the declarations.
import { isBenchmarkName, benchmarks, type BenchmarkName } from '../benchmarks/index.ts';
import type { Metrics } from '../benchmarks/common/types.ts';

/**
 * The headline number of a benchmark's metrics: its declared metric; null: n/a, nothing was scored. Metrics without
 * that key (or an unknown benchmark) give their first number.
 */
export function headline(benchmark: string, metrics: Metrics): { name: string; value: number | null } {
  const declared = isBenchmarkName(benchmark) ? benchmarks[benchmark].headline.metric : undefined;
  if (declared !== undefined && declared in metrics) {
    const v = metrics[declared];
    if (typeof v === 'number' || v === null) return { name: declared, value: v };
  }
  const first = Object.entries(metrics).find(([, v]) => typeof v === 'number');
  return first ? { name: first[0], value: first[1] as number } : { name: '—', value: NaN };
}

/** A headline metric's name as results.json gives it (the benchmark's declared label for its declared metric). */
export function headlineLabel(benchmark: string, metric: string): string {
  const h = isBenchmarkName(benchmark) ? benchmarks[benchmark].headline : undefined;
  return h?.label !== undefined && h.metric === metric ? h.label : metric;
}

/** The sentences a caption beside these benchmarks' columns adds, one per benchmark that declares one. */
export function headlineNotes(names: readonly BenchmarkName[]): string[] {
  return names.flatMap((b) => benchmarks[b].headline.note ?? []);
}

/** The line eval prints under a benchmark's row, when its declaration has one for these metrics. */
export function headlineEvalNote(benchmark: string, metrics: Metrics): string | undefined {
  return isBenchmarkName(benchmark) ? benchmarks[benchmark].headline.evalNote?.(metrics) : undefined;
}
