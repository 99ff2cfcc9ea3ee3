// The benchmark registry: name → module (load, prompt, extract, score, aggregate, itemFromRow, reward, and its
// version in the mini suite).
import type { Row } from './common/parquet.ts';
import type { BenchItem, Benchmark } from './common/types.ts';
import type { MiniSpec } from './mini/spec.ts';
import { mathvision, itemFromRow as mathvisionRow } from './mathvision/index.ts';
import { mathvisionMini } from './mathvision/mini.ts';
import { mathvista, itemFromRow as mathvistaRow } from './mathvista/index.ts';
import { mathvistaMini } from './mathvista/mini.ts';
import { createMmmu, mmmu, itemFromRow as mmmuRow } from './mmmu/index.ts';
import { mmmuMini } from './mmmu/mini.ts';
import { wemath, itemFromRow as wemathRow } from './wemath/index.ts';
import { wemathMini } from './wemath/mini.ts';
import { zerobench, itemFromRow as zerobenchRow } from './zerobench/index.ts';
import { zerobenchMini } from './zerobench/mini.ts';

export interface BenchmarkModule<I extends BenchItem = BenchItem> extends Benchmark<I> {
  /** One Hugging Face parquet row → item (the loader and the mini suite share it). */
  itemFromRow(row: Row, split: string): I;
  /**
   * The RL reward: the official verdict, except where the official rule gives random credit (MMMU's
   * random-choice fallback), which a reward must not do — an unparseable response earns 0 there.
   */
  reward(item: I, response: string): number;
  /** Its version in the built-in mini suite (benchmarks/<name>/mini.ts). */
  mini: MiniSpec;
}

function module<I extends BenchItem>(bench: Benchmark<I>, parts: { itemFromRow: (row: Row, split: string) => I; mini: MiniSpec; rewardScorer?: Benchmark<I> }): BenchmarkModule<I> {
  const scorer = parts.rewardScorer ?? bench;
  return { ...bench, itemFromRow: parts.itemFromRow, reward: (item, response) => (scorer.score(item, response).correct ? 1 : 0), mini: parts.mini };
}

export const benchmarks = {
  mmmu: module(mmmu, { itemFromRow: (r, s) => mmmuRow(r, s), mini: mmmuMini, rewardScorer: createMmmu({ randomFallback: false }) }),
  mathvista: module(mathvista, { itemFromRow: (r, s) => mathvistaRow(r, s), mini: mathvistaMini }),
  mathvision: module(mathvision, { itemFromRow: (r, s) => mathvisionRow(r, s), mini: mathvisionMini }),
  wemath: module(wemath, { itemFromRow: (r, s) => wemathRow(r, s), mini: wemathMini }),
  zerobench: module(zerobench, { itemFromRow: (r, s) => zerobenchRow(r, s), mini: zerobenchMini }),
};

export type BenchmarkName = keyof typeof benchmarks;

export function isBenchmarkName(name: string): name is BenchmarkName {
  return Object.hasOwn(benchmarks, name);
}

export const benchmarkNames: readonly BenchmarkName[] = Object.keys(benchmarks).filter(isBenchmarkName);

/** The benchmarks of the built-in mini suite (each has a `mini` spec), in the suite's order. */
export const MINI_BENCHMARKS: readonly BenchmarkName[] = benchmarkNames;
export type MiniBenchmark = BenchmarkName;

export function getBenchmark(name: string): BenchmarkModule {
  if (!isBenchmarkName(name)) throw new Error(`unknown benchmark '${name}' (known: ${benchmarkNames.join(', ')})`);
  return benchmarks[name];
}

/** A mini benchmark's spec (benchmarks/<name>/mini.ts). */
export function miniSpec(name: MiniBenchmark): MiniSpec {
  return benchmarks[name].mini;
}
