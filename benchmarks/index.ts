// The benchmark registry: name → module (load, prompt, extract, score, aggregate, itemFromRow).
import type { Row } from './common/parquet.ts';
import type { BenchItem, Benchmark } from './common/types.ts';
import { mathvision, itemFromRow as mathvisionRow } from './mathvision/index.ts';
import { mathvista, itemFromRow as mathvistaRow } from './mathvista/index.ts';
import { createMmmu, mmmu, itemFromRow as mmmuRow } from './mmmu/index.ts';
import { wemath, itemFromRow as wemathRow } from './wemath/index.ts';
import { zerobench, itemFromRow as zerobenchRow } from './zerobench/index.ts';

export interface BenchmarkModule extends Benchmark<BenchItem> {
  /** One Hugging Face parquet row → item (the loader and the mini suite share it). */
  itemFromRow(row: Row, split: string): BenchItem;
  /**
   * The RL reward: the official verdict, except where the official rule gives random credit (MMMU's
   * random-choice fallback), which a reward must not do — an unparseable response earns 0 there.
   */
  reward(item: BenchItem, response: string): number;
}

function mod<I extends BenchItem>(b: Benchmark<I>, itemFromRow: (row: Row, split: string) => I, rewardScorer: Benchmark<I> = b): BenchmarkModule {
  const bench = b as unknown as Benchmark<BenchItem>;
  const scorer = rewardScorer as unknown as Benchmark<BenchItem>;
  return {
    name: bench.name,
    splits: bench.splits,
    load: (source, opts) => bench.load(source, opts),
    prompt: (item) => bench.prompt(item),
    extract: (response, item) => bench.extract(response, item),
    score: (item, response) => bench.score(item, response),
    aggregate: (records) => bench.aggregate(records),
    itemFromRow,
    reward: (item, response) => (scorer.score(item, response).correct ? 1 : 0),
  };
}

export const benchmarks: Record<string, BenchmarkModule> = {
  mmmu: mod(mmmu, (r, s) => mmmuRow(r, s), createMmmu({ randomFallback: false })),
  mathvista: mod(mathvista, (r, s) => mathvistaRow(r, s)),
  mathvision: mod(mathvision, (r, s) => mathvisionRow(r, s)),
  wemath: mod(wemath, (r, s) => wemathRow(r, s)),
  zerobench: mod(zerobench, (r, s) => zerobenchRow(r, s)),
};

export const benchmarkNames: readonly string[] = Object.keys(benchmarks);

export function getBenchmark(name: string): BenchmarkModule {
  const b = Object.hasOwn(benchmarks, name) ? benchmarks[name] : undefined;
  if (!b) throw new Error(`unknown benchmark '${name}' (known: ${benchmarkNames.join(', ')})`);
  return b;
}
