// `rlsd-bench score`: re-score saved responses with a benchmark's official rules, without generating.
import { readFileSync, existsSync } from 'node:fs';
import type { ItemRecord, Metrics } from '../benchmarks/common/types.ts';
import { DataError } from '../benchmarks/common/types.ts';
import { getBenchmark } from '../benchmarks/index.ts';
import { writeJsonAtomic } from './util/fs.ts';

export interface ScoreConfig {
  benchmark: string;
  data: string;
  split?: string;
  predictions: string;
  out: string;
}

export interface Prediction {
  id: string;
  response: string;
  line: number;
}

/** Reads `{"id", "response"}` lines; names the file and line of anything malformed. */
export function readPredictions(file: string): Prediction[] {
  if (!existsSync(file)) throw new DataError(`${file}: no such file`);
  const text = readFileSync(file, 'utf8');
  const out: Prediction[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new DataError(`${file} line ${i + 1}: not valid JSON`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError(`${file} line ${i + 1}: expected a JSON object`);
    const o = v as Record<string, unknown>;
    if (o['id'] === undefined || o['id'] === null) throw new DataError(`${file} line ${i + 1}: missing field 'id'`);
    if (typeof o['response'] !== 'string') throw new DataError(`${file} line ${i + 1}: field 'response' must be a string`);
    out.push({ id: String(o['id']), response: o['response'], line: i + 1 });
  });
  if (out.length === 0) throw new DataError(`${file}: no predictions`);
  return out;
}

export async function scorePredictions(cfg: ScoreConfig): Promise<{ items: ItemRecord[]; metrics: Metrics; ids: number }> {
  const bench = getBenchmark(cfg.benchmark);
  const preds = readPredictions(cfg.predictions);
  const items = await bench.load(cfg.data, cfg.split ? { split: cfg.split } : {});
  const split = cfg.split ?? items[0]?.split ?? bench.splits[0];
  const byId = new Map(items.map((it) => [it.id, it]));
  const samples = new Map<string, number>();
  const records: ItemRecord[] = [];
  // In file order: MMMU's random fallback draws from one seeded stream, as the original does.
  for (const p of preds) {
    const item = byId.get(p.id);
    if (!item) throw new DataError(`${cfg.predictions} line ${p.line}: id '${p.id}' is not in ${cfg.benchmark} ${split} (${cfg.data})`);
    const k = samples.get(p.id) ?? 0;
    samples.set(p.id, k + 1);
    records.push({ ...bench.score(item, p.response), sample: k });
  }
  const metrics = bench.aggregate(records);
  writeJsonAtomic(cfg.out, { benchmark: cfg.benchmark, split, data: cfg.data, predictions: cfg.predictions, metrics, items: records });
  return { items: records, metrics, ids: samples.size };
}
