// The evaluation runner (lmms-eval style): for each benchmark, load items, prompt the policy, score every
// response with the benchmark's official rules, append one record per (item, sample) to samples.jsonl,
// and rebuild the metrics from those records into results.json. An interrupted evaluation resumes and
// skips the records already written.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchItem, ItemRecord, Metrics } from '../benchmarks/common/types.ts';
import { DataError } from '../benchmarks/common/types.ts';
import { getBenchmark, type BenchmarkModule } from '../benchmarks/index.ts';
import { unresolvedImageItems, unresolvedImagesNotice } from '../benchmarks/common/unresolved.ts';
import { miniRows } from '../benchmarks/mini/build.ts';
import { EVAL_SPLIT } from '../benchmarks/mini/formats.ts';
import type { MiniBenchmark } from '../benchmarks/mini/types.ts';
import { MINI_BENCHMARKS } from '../benchmarks/mini/types.ts';
import { backendInfo } from './backend.ts';
import { Policy } from './policy.ts';
import { provenance } from './provenance.ts';
import { appendJsonLine, writeFileAtomic, writeJsonAtomic } from './util/fs.ts';
import { hashString, Rng } from './util/rng.ts';

/** `--data mini` evaluates the built-in mini suite, generated in memory (no files, no downloads). */
export const MINI_DATA = 'mini';

export interface EvalConfig {
  checkpoint: string;
  benchmarks: string[];
  data: string;
  split?: string;
  limit?: number;
  samples: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  batchSize: number;
  seed: number;
  /** Problems per benchmark of the in-memory mini suite (with --data mini). */
  miniCount: number;
  miniSeed: number;
  out: string;
}

export interface EvalProgress {
  start(benchmark: string, total: number, done: number): void;
  advance(n: number): void;
  stop(): void;
}

export interface BenchmarkResult {
  benchmark: string;
  split: string;
  source: string;
  n: number;
  metrics: Metrics;
  /** Words of the prompts the policy's closed vocabulary could not encode (mapped to UNK). */
  unknownWords: number;
  truncatedPrompts: number;
  /** Items whose text names images their row does not have (evaluated with the images that exist). */
  unresolvedImages: number;
}

/** Where a benchmark's files are under --data: `<data>/<name>` when it exists, else `<data>` itself. */
export function benchmarkSource(data: string, name: string): string {
  const sub = join(data, name);
  return existsSync(sub) ? sub : data;
}

async function loadItems(name: string, bench: BenchmarkModule, cfg: EvalConfig): Promise<{ items: BenchItem[]; split: string; source: string }> {
  if (cfg.data === MINI_DATA) {
    if (!(MINI_BENCHMARKS as readonly string[]).includes(name)) throw new DataError(`no mini version of '${name}'`);
    const split = cfg.split ?? EVAL_SPLIT[name as MiniBenchmark];
    const rows = await miniRows(name as MiniBenchmark, split, cfg.miniCount, cfg.miniSeed);
    const items = rows.map((r) => bench.itemFromRow(r, split));
    return { items: cfg.limit ? items.slice(0, cfg.limit) : items, split, source: `mini(seed=${cfg.miniSeed}, n=${cfg.miniCount})` };
  }
  const source = benchmarkSource(cfg.data, name);
  if (!existsSync(source)) throw new DataError(`${source}: no such file or directory (benchmark '${name}')`);
  // Without --split the loader picks its default (e.g. MathVision: test when present, else testmini).
  const items = await bench.load(source, { ...(cfg.split ? { split: cfg.split } : {}), ...(cfg.limit ? { limit: cfg.limit } : {}) });
  const split = cfg.split ?? items[0]?.split ?? bench.splits[0]!;
  if (items.length === 0) throw new DataError(`${source}: no items for split '${split}'`);
  const missing = items.filter((i) => i.imagesMissing);
  if (missing.length > 0)
    throw new DataError(
      `${source}: ${missing.length} of ${items.length} ${name} items have no image in this layout (e.g. id ${missing[0]!.id}); evaluating a model needs the images — use the Hugging Face parquet files (scoring saved responses works without them: rlsd-bench score)`,
    );
  return { items, split, source };
}

function readRecords(file: string): ItemRecord[] {
  if (!existsSync(file)) return [];
  const out: ItemRecord[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        out.push(JSON.parse(line) as ItemRecord);
      } catch {
        // Only a line cut by an interruption (the last one) may be partial: it is dropped and redone.
        if (i < lines.length - 2 || (i === lines.length - 2 && lines[lines.length - 1] !== ''))
          throw new DataError(`${file} line ${i + 1}: malformed record`);
      }
    });
  return out;
}

export async function evaluate(cfg: EvalConfig, progress?: EvalProgress): Promise<BenchmarkResult[]> {
  const { policy, info } = Policy.load(cfg.checkpoint);
  const results: BenchmarkResult[] = [];
  try {
    policy.assertResponseFits(cfg.maxNewTokens);
    for (const name of cfg.benchmarks) {
      const bench = getBenchmark(name);
      const { items, split, source } = await loadItems(name, bench, cfg);
      const unresolved = unresolvedImageItems(items);
      const notice = unresolvedImagesNotice(name, unresolved);
      if (notice) process.stderr.write(`rlsd-bench: warning: ${notice}\n`);
      const samplesFile = join(cfg.out, name, 'samples.jsonl');
      const existing = readRecords(samplesFile);
      const done = new Set(existing.map((r) => `${r.id}#${r.sample ?? 0}`));
      // Rewrite the file without a possibly cut last line before appending.
      if (existsSync(samplesFile)) writeJsonLines(samplesFile, existing);
      const todo: { item: BenchItem; sample: number }[] = [];
      for (const item of items) for (let s = 0; s < cfg.samples; s++) if (!done.has(`${item.id}#${s}`)) todo.push({ item, sample: s });
      progress?.start(name, items.length * cfg.samples, items.length * cfg.samples - todo.length);
      let unknownWords = 0;
      let truncatedPrompts = 0;
      const prepared = new Map<string, { patches: Float32Array; context: number[] }>();
      const greedy = cfg.samples === 1 && cfg.temperature === 0;
      for (let i = 0; i < todo.length; i += cfg.batchSize) {
        const chunk = todo.slice(i, i + cfg.batchSize);
        const inputs = [];
        for (const { item } of chunk) {
          let input = prepared.get(item.id); // k samples of one item share its prompt and pixels
          if (!input) {
            const p = bench.prompt(item);
            const ctx = policy.encodeContext(p.text, { lenient: true, reserve: cfg.maxNewTokens });
            unknownWords += ctx.unknown;
            truncatedPrompts += ctx.truncated > 0 ? 1 : 0;
            input = { patches: await policy.patches(p.images, `${name} item ${item.id}`), context: ctx.ids };
            prepared.set(item.id, input);
          }
          inputs.push(input);
        }
        // Seeded per chunk position so that a resumed evaluation draws the same samples.
        const rng = new Rng(hashString(`eval|${cfg.seed}|${name}|${i}`));
        const texts = policy.generateText(inputs, { maxNewTokens: cfg.maxNewTokens, greedy, temperature: cfg.temperature || 1, topP: cfg.topP, rng, batchSize: cfg.batchSize });
        chunk.forEach(({ item, sample }, j) => {
          const record = { ...bench.score(item, texts[j]!), sample };
          appendJsonLine(samplesFile, record);
        });
        progress?.advance(chunk.length);
      }
      // Metrics are rebuilt from the records on disk, never from memory.
      const wanted = new Set(items.map((it) => it.id));
      const records = readRecords(samplesFile).filter((r) => wanted.has(r.id) && (r.sample ?? 0) < cfg.samples);
      const metrics = bench.aggregate(records);
      const result: BenchmarkResult = { benchmark: name, split, source, n: items.length, metrics, unknownWords, truncatedPrompts, unresolvedImages: Object.keys(unresolved).length };
      writeJsonAtomic(join(cfg.out, name, 'results.json'), {
        ...result,
        config: { ...cfg, benchmarks: undefined, benchmark: name },
        checkpoint: { path: cfg.checkpoint, info },
        backend: backendInfo(),
        provenance: provenance(),
      });
      results.push(result);
    }
    progress?.stop();
    writeJsonAtomic(join(cfg.out, 'results.json'), {
      results,
      config: cfg,
      checkpoint: { path: cfg.checkpoint, info },
      backend: backendInfo(),
      provenance: provenance(),
    });
    return results;
  } finally {
    policy.dispose();
  }
}

/** Atomic rewrite of a JSONL file (used to drop a partial last line when resuming). */
function writeJsonLines(file: string, records: unknown[]): void {
  writeFileAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** The headline number of a benchmark's metrics (its primary, documented metric). */
export function headline(metrics: Metrics): { name: string; value: number } {
  for (const key of ['accuracy', 'pass@1', 'score_strict']) {
    const v = metrics[key];
    if (typeof v === 'number') return { name: key, value: v };
  }
  const first = Object.entries(metrics).find(([, v]) => typeof v === 'number');
  return first ? { name: first[0], value: first[1] as number } : { name: '—', value: NaN };
}
