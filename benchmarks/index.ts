// The benchmark registry. A benchmark is its folder and its line here (docs/guides/add-a-benchmark.md): its folder's
// index.ts declares the unit (load, prompt, extract, score, aggregate, itemFromRow, reward), its title, report
// column, headline metric and mini version (benchmarks/common/module.ts), and `rlsd-bench benchmarks`, eval, the
// mini suite, training's held-out evaluation and the report read everything from this list.
import type { MiniSpec } from './mini/spec.ts';
import { mathvision } from './mathvision/index.ts';
import { mathvista } from './mathvista/index.ts';
import { mmmu } from './mmmu/index.ts';
import { wemath } from './wemath/index.ts';
import { zerobench } from './zerobench/index.ts';
import type { BenchmarkModule } from './common/module.ts';

export type { BenchmarkModule, HeadlineMetric } from './common/module.ts';

// The order `rlsd-bench benchmarks` lists them in and the mini suite generates them in (which its rows depend on);
// the report orders its columns by each benchmark's reportRank.
export const benchmarks = { mmmu, mathvista, mathvision, wemath, zerobench };

export type BenchmarkName = keyof typeof benchmarks;

export function isBenchmarkName(name: string): name is BenchmarkName {
  return Object.hasOwn(benchmarks, name);
}

export const benchmarkNames: readonly BenchmarkName[] = Object.keys(benchmarks).filter(isBenchmarkName);

/** The benchmarks of the built-in mini suite (each has a `mini` spec), in the suite's order. */
export const MINI_BENCHMARKS: readonly BenchmarkName[] = benchmarkNames;
export type MiniBenchmark = BenchmarkName;

/** The report's benchmark columns: by reportRank, then those without one in registry order. */
export const reportColumns: readonly BenchmarkName[] = benchmarkNames
  .map((name, i) => ({ name, rank: benchmarks[name].reportRank ?? Number.POSITIVE_INFINITY, i }))
  .sort((a, b) => (a.rank === b.rank ? 0 : a.rank - b.rank) || a.i - b.i)
  .map((b) => b.name);

export function getBenchmark(name: string): BenchmarkModule {
  if (!isBenchmarkName(name)) throw new Error(`unknown benchmark '${name}' (known: ${benchmarkNames.join(', ')})`);
  return benchmarks[name];
}

/** A mini benchmark's spec (benchmarks/<name>/mini.ts). */
export function miniSpec(name: MiniBenchmark): MiniSpec {
  return benchmarks[name].mini;
}
