// The mini suite: each benchmark's mini spec (benchmarks/<name>/mini.ts: its families, answer statement, rows and
// columns) turned into problems, rows and Hugging Face-layout files. Problem i of a benchmark's split draws its
// family from the spec's mix and its task from the family's generator (generate.ts), with seeds that depend only on
// (benchmark, split, seed, i).
import { join } from 'node:path';
import { Rng, hashString } from '../../src/util/rng.ts';
import type { Row } from '../common/parquet.ts';
import type { ColumnSpec } from '../common/parquet-write.ts';
import { MINI_BENCHMARKS, miniSpec, type MiniBenchmark } from '../index.ts';
import type { MiniSpec, MixEntry } from './spec.ts';
import { SUITE_FINAL_EVAL_ITEMS, type MiniSplit, type MiniSuite, type MiniTask } from './types.ts';
import { draftTask, finishTask, PngCache, type MiniTaskDraft } from './generate.ts';

export type { Row } from '../common/parquet.ts';

/**
 * The split name the mini validation rows carry (MMMU's own tuning split is 'dev'; the mini suite uses it for
 * every benchmark, since MMMU's 'validation' already names its test rows).
 */
export const MINI_VALIDATION_SPLIT = 'dev';

/**
 * Validation problems skip the scenes of this many test problems per benchmark (the default test set is the
 * first MINI_EVAL_ITEMS; larger test sets beyond this may share scenes with validation).
 */
export const VALIDATION_EXCLUDES_TEST = 1000;

/** The test problems a suite's validation split skips: at least the suite's final evaluation set. */
export function validationExcludesTest(suite: MiniSuite): number {
  return Math.max(VALIDATION_EXCLUDES_TEST, SUITE_FINAL_EVAL_ITEMS[suite]);
}

/**
 * The mini suite's three splits as the commands name them: 'train' (training prompts), 'validation' (for tuning)
 * and 'test' (the held-out set the tables report; the in-run evaluation of train and pretrain uses it too).
 */
export const MINI_SPLITS = ['train', 'validation', 'test'] as const;
export type MiniSuiteSplit = (typeof MINI_SPLITS)[number];

/**
 * Problems per benchmark of the mini test (and validation) set unless a flag says otherwise: the same number for
 * train's and pretrain's in-run evaluation and `eval --data mini` (449 rows at data seed 1).
 */
export const MINI_EVAL_ITEMS = 60;

/** The split name a mini benchmark's rows carry for a suite split (test: the benchmark's own evaluation split). */
export function miniSplitName(benchmark: MiniBenchmark, split: MiniSuiteSplit): string {
  return split === 'train' ? 'train' : split === 'test' ? miniSpec(benchmark).evalSplit : MINI_VALIDATION_SPLIT;
}

/**
 * Maps a split name ('train', the benchmark's eval split name or 'eval', 'dev' for validation — each optionally with
 * the spec's step suffix) to the mini split.
 */
function miniSplitOf(benchmark: MiniBenchmark, split: string): MiniSplit {
  const spec = miniSpec(benchmark);
  const suffix = spec.stepSplitSuffix;
  const base = suffix && split.endsWith(suffix) ? split.slice(0, -suffix.length) : split;
  if (base === 'train') return 'train';
  if (base === 'eval' || base === spec.evalSplit) return 'eval';
  if (base === MINI_VALIDATION_SPLIT) return 'validation';
  throw new Error(`mini ${benchmark}: unknown split '${split}' (train, ${spec.evalSplit} or ${MINI_VALIDATION_SPLIT})`);
}

function pickMix(rng: Rng, mix: readonly MixEntry[]): MixEntry {
  let u = rng.next() * mix.reduce((s, m) => s + m.weight, 0);
  for (const m of mix) {
    u -= m.weight;
    if (u < 0) return m;
  }
  return mix[mix.length - 1]!;
}

/**
 * Drafts (no images) of the first `count` problems of a mini benchmark's split. The first suite's streams keep their
 * names; another suite's name its version, so no two suites share a stream.
 */
function miniDrafts(benchmark: MiniBenchmark, miniSplit: MiniSplit, count: number, seed: number, suite: MiniSuite, exclude?: ReadonlySet<string>): MiniTaskDraft[] {
  const mix = miniSpec(benchmark).mixes[suite];
  const tag = suite === 'mini-1' ? 'rlsd-mini' : `rlsd-${suite}`;
  const genSeed = hashString(`${tag}-bench|${benchmark}|${seed}`);
  const mixRoot = hashString(`${tag}-mix|${benchmark}|${miniSplit}|${seed}`);
  return Array.from({ length: count }, (_, i) => {
    const m = pickMix(new Rng(mixRoot).fork(i), mix);
    return draftTask(m.family, miniSplit, i, genSeed, m.opts, exclude);
  });
}

/** The first `count` problems of a mini benchmark's training split as drafts: their text, no image (listings, statistics). */
export function miniTrainDrafts(benchmark: MiniBenchmark, count: number, seed: number, suite: MiniSuite): MiniTaskDraft[] {
  return miniDrafts(benchmark, 'train', count, seed, suite);
}

/**
 * The first `count` tasks of a mini benchmark (top-level tasks; WeMath/ZeroBench tasks carry their
 * steps in `substeps`). Item i depends only on (benchmark, split, seed, i) — and, for validation, on the
 * scenes of the first validationExcludesTest(suite) test problems, which it skips.
 */
export async function miniTasks(benchmark: MiniBenchmark, split: string, count: number, seed: number, suite: MiniSuite = 'mini-1'): Promise<MiniTask[]> {
  const miniSplit = miniSplitOf(benchmark, split);
  const exclude = miniSplit === 'validation' ? new Set(miniDrafts(benchmark, 'eval', validationExcludesTest(suite), seed, suite).map((d) => d.key)) : undefined;
  const drafts = miniDrafts(benchmark, miniSplit, count, seed, suite, exclude);
  const cache = new PngCache();
  const out: MiniTask[] = [];
  for (let i = 0; i < drafts.length; i += 64) out.push(...(await Promise.all(drafts.slice(i, i + 64).map((d) => finishTask(d, cache)))));
  return out;
}

/**
 * Rows of a mini benchmark in its Hugging Face schema. `split` is 'train' or the benchmark's eval split
 * name (MMMU 'validation', MathVista 'testmini', MathVision 'test', WeMath 'testmini', ZeroBench 'zerobench',
 * or 'zerobench_subquestions' / 'train_subquestions' for ZeroBench's steps). `count` counts top-level
 * problems: rows for most benchmarks, groups for WeMath (3 or 4 rows each), main questions for ZeroBench.
 */
export async function miniRows(benchmark: MiniBenchmark, split: string, count: number, seed: number, suite: MiniSuite = 'mini-1'): Promise<Row[]> {
  const tasks = await miniTasks(benchmark, split, count, seed, suite);
  return miniSpec(benchmark).rows(tasks, split === 'eval' ? miniSpec(benchmark).evalSplit : split);
}

// ---- writing ----

function columnsOf(spec: MiniSpec, rows: Row[]): ColumnSpec[] {
  return spec.columns.map(([name, kind, fields]) => {
    const column: ColumnSpec = { name, kind, data: rows.map((r) => r[name] ?? null) };
    if (fields) column.fields = fields;
    return column;
  });
}

function shardName(split: string): string {
  return `${split}-00000-of-00001.parquet`;
}

export interface MiniSuiteOptions {
  seed: number;
  /** Top-level problems per benchmark and split (see miniRows); defaults: train 1000, eval 300. */
  counts?: Partial<Record<MiniBenchmark, { train?: number; eval?: number }>>;
  /** Which benchmarks to write (default: all five). */
  benchmarks?: readonly MiniBenchmark[];
  /** The suite's version (default mini-1). */
  suite?: MiniSuite;
}

export const DEFAULT_COUNTS = { train: 1000, eval: 300 } as const;

/**
 * Writes the mini suite under `outDir/<benchmark>/` in each benchmark's HF layout:
 *   mmmu/<Subject>/<split>-00000-of-00001.parquet   (split: train, validation)
 *   mathvista|mathvision|wemath/data/<split>-00000-of-00001.parquet
 *   zerobench/data/{train,zerobench,zerobench_subquestions}-00000-of-00001.parquet
 * Returns the written files (sorted). The same seed gives byte-identical files.
 */
export async function writeMiniSuite(outDir: string, opts: MiniSuiteOptions): Promise<string[]> {
  // The parquet writer is loaded here, not with this module, which the CLI loads for every command.
  const { writeParquet } = await import('../common/parquet-write.ts');
  const files: string[] = [];
  for (const benchmark of opts.benchmarks ?? MINI_BENCHMARKS) {
    const spec = miniSpec(benchmark);
    for (const which of ['train', 'eval'] as const) {
      const count = opts.counts?.[benchmark]?.[which] ?? DEFAULT_COUNTS[which];
      if (count <= 0) continue;
      const split = which === 'train' ? 'train' : spec.evalSplit;
      const splits = which === 'eval' && spec.stepSplitSuffix ? [split, `${split}${spec.stepSplitSuffix}`] : [split];
      for (const s of splits) {
        const byFolder = new Map<string, Row[]>();
        for (const r of await miniRows(benchmark, s, count, opts.seed, opts.suite)) {
          const folder = spec.folderOf?.(r, s) ?? 'data';
          byFolder.set(folder, [...(byFolder.get(folder) ?? []), r]);
        }
        for (const [folder, rows] of [...byFolder].sort(([a], [b]) => a.localeCompare(b))) {
          const file = join(outDir, benchmark, folder, shardName(s));
          writeParquet(file, columnsOf(spec, rows));
          files.push(file);
        }
      }
    }
  }
  return files.sort();
}
