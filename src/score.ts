// `rlsd-bench score`: re-score saved responses with a benchmark's official rules, without generating.
import { existsSync, realpathSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { ItemRecord, Metrics } from '../benchmarks/common/types.ts';
import { unresolvedImageItems, unresolvedImagesNotice } from '../benchmarks/common/unresolved.ts';
import { getBenchmark } from '../benchmarks/index.ts';
import { writeJsonAtomic } from './util/fs.ts';
import { acquireLock } from './util/lock.ts';
import { DataError } from './util/errors.ts';
import { readJsonl } from './util/jsonl.ts';

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

export interface ScoreResult {
  items: ItemRecord[];
  metrics: Metrics;
  /** Distinct items scored. */
  ids: number;
  /** Responses per item (every item has the same number: uneven repeats are refused). */
  k: number;
  /** Items whose text names images their row does not have (id → tags), scored from their text. */
  unresolvedImages: Record<string, string[]>;
  /** Lines for the user about the data (e.g. the unresolved images), printed by the command. */
  notices: string[];
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Reads `{"id", "response"}` lines (src/util/jsonl.ts: file and line of anything malformed, a leading BOM skipped,
 * bytes that are not UTF-8 refused with their offset rather than read as U+FFFD).
 */
export function readPredictions(file: string): Prediction[] {
  const st = statOrNull(file);
  if (!st) throw new DataError(`${file}: no such file`);
  if (st.isDirectory()) throw new DataError(`${file} is a directory, expected a JSONL file (--predictions)`);
  const out: Prediction[] = [];
  for (const { line, value: o } of readJsonl(file)) {
    if (o['id'] === undefined || o['id'] === null) throw new DataError(`${file} line ${line}: missing field 'id'`);
    if (typeof o['response'] !== 'string') throw new DataError(`${file} line ${line}: field 'response' must be a string`);
    out.push({ id: String(o['id']), response: o['response'], line });
  }
  if (out.length === 0) throw new DataError(`${file}: no predictions`);
  return out;
}

/** The real path a file would have, following symlinks of the file or of its folders (the file may not exist yet). */
function realTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : resolve(realTarget(parent), basename(path));
  }
}

/** Whether writing `out` would replace `input` (same path after symlinks, or a hard link to the same file). */
export function sameFile(out: string, input: string): boolean {
  if (realTarget(out) === realTarget(input)) return true;
  const a = statOrNull(out);
  const b = statOrNull(input);
  return !!a && !!b && a.isFile() && a.dev === b.dev && a.ino === b.ino;
}

/** Refuses an --out that is a folder or one of the inputs, before anything is read or written. */
export function checkOutPath(cfg: ScoreConfig): void {
  if (statOrNull(cfg.out)?.isDirectory()) throw new DataError(`--out ${cfg.out} is a directory, expected a JSON file to write`);
  const refuse = (what: string, input: string): never => {
    const how = resolve(cfg.out) === resolve(input) ? '' : ` ${input} (${realTarget(cfg.out) === realTarget(input) ? 'through a symlink' : 'a hard link'})`;
    throw new DataError(`--out ${cfg.out} is the ${what} file${how}: writing it would overwrite the input; give another --out`);
  };
  if (sameFile(cfg.out, cfg.predictions)) refuse('predictions', cfg.predictions);
  if (statOrNull(cfg.data)?.isFile() && sameFile(cfg.out, cfg.data)) refuse('data', cfg.data);
}

/**
 * Responses per item. Repeated ids are k samples of an item; every item must have the same k, since uneven
 * counts would weight items by their number of responses (the rule: refuse, never weight silently).
 */
export function samplesPerItem(file: string, counts: Map<string, number>): number {
  const tally = new Map<number, number>();
  for (const c of counts.values()) tally.set(c, (tally.get(c) ?? 0) + 1);
  if (tally.size <= 1) return counts.values().next().value ?? 0;
  // The count most items have (ties: the first item's) is the reference; name the first item that differs.
  const first = counts.values().next().value!;
  let k = first;
  for (const [c, n] of tally) if (n > tally.get(k)!) k = c;
  const [id, c] = [...counts].find(([, c]) => c !== k)!;
  const others = tally.get(k)!;
  throw new DataError(
    `${file}: uneven repeats — id '${id}' has ${c} response${c === 1 ? '' : 's'} while ${others} other item${others === 1 ? ' has' : 's have'} ${k}; repeated ids are k samples and every item needs the same k (uneven counts would weight items unequally, so they are refused)`,
  );
}

/** The first folder of `dir`'s chain that does not exist yet (what taking the lock would create), or null. */
function firstMissingFolder(dir: string): string | null {
  let missing: string | null = null;
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing = d;
    if (dirname(d) === d) break;
  }
  return missing;
}

export async function scorePredictions(cfg: ScoreConfig): Promise<ScoreResult> {
  const bench = getBenchmark(cfg.benchmark);
  checkOutPath(cfg);
  const dataStat = statOrNull(cfg.data);
  if (!dataStat) throw new DataError(`${cfg.data}: no such file or directory (--data)`);
  const preds = readPredictions(cfg.predictions);
  const counts = new Map<string, number>();
  for (const p of preds) counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
  const k = samplesPerItem(cfg.predictions, counts);

  // One writer per output: a second `score` to the same --out refuses while this one runs.
  const created = firstMissingFolder(dirname(cfg.out));
  const lock = acquireLock(`${cfg.out}.lock`, `score --benchmark ${cfg.benchmark} --predictions ${cfg.predictions}`);
  let written = false;
  try {
    const items = await bench.load(cfg.data, cfg.split ? { split: cfg.split } : {});
    const split = cfg.split ?? items[0]?.split ?? bench.splits[0];
    const byId = new Map(items.map((it) => [it.id, it]));
    const samples = new Map<string, number>();
    const records: ItemRecord[] = [];
    // In file order: MMMU's random fallback draws from one seeded stream, as the original does.
    for (const p of preds) {
      const item = byId.get(p.id);
      if (!item) throw new DataError(`${cfg.predictions} line ${p.line}: id '${p.id}' is not in ${cfg.benchmark} ${split} (${cfg.data})`);
      const s = samples.get(p.id) ?? 0;
      samples.set(p.id, s + 1);
      records.push({ ...bench.score(item, p.response), sample: s });
    }
    const metrics = bench.aggregate(records);
    const unresolvedImages = unresolvedImageItems([...samples.keys()].map((id) => byId.get(id)!));
    const notice = unresolvedImagesNotice(cfg.benchmark, unresolvedImages);
    writeJsonAtomic(cfg.out, {
      benchmark: cfg.benchmark,
      split,
      data: cfg.data,
      predictions: cfg.predictions,
      samples_per_item: k,
      unresolved_images: { count: Object.keys(unresolvedImages).length, items: unresolvedImages },
      metrics,
      items: records,
    });
    written = true;
    return { items: records, metrics, ids: samples.size, k, unresolvedImages, notices: notice ? [notice] : [] };
  } finally {
    lock.release();
    // Nothing left behind by a refused run: the folders made only to hold the lock go again.
    if (!written && created) {
      for (let d = dirname(cfg.out); ; d = dirname(d)) {
        try {
          rmdirSync(d);
        } catch {
          break;
        }
        if (d === created) break;
      }
    }
  }
}
