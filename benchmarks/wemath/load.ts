// WeMath loader. Layouts, detected from the path:
// - Hugging Face snapshot: `<dir>/data/<split>-*.parquet` (e.g. testmini-00000-of-00001-adbfe22dcd3558e6.parquet),
//   `<dir>/<split>-*.parquet`, or a path to one parquet file. Columns as in We-Math/We-Math: `ID`, `split`,
//   `knowledge concept`, `question`, `option`, `answer`, `image_path` (image struct {bytes, path}), `key`,
//   `question number`, `knowledge concept description` (+ `rlsd_reference`, `rlsd_family` on mini rows).
// - The authors' GitHub layout: `<dir>/<split>.json` or `<dir>/data/<split>.json` (a JSON array of the same
//   fields, `image_path` a path like `2steps/image/1-1.png` relative to the JSON file), or a path to that file.
// Either way `knowledge_structure_nodes.json` (next to the JSON, or in the snapshot root or `data/`) is read
// when present, to give one-step items their domain (`root2`) for accuracy.py's per-domain table.
// Images keep their original bytes; decoding happens in validateImages / at the model's edge.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { listParquet, readParquetRows, requireColumns, type Row } from '../common/parquet.ts';
import { type LoadOptions } from '../common/types.ts';
import { itemFromRow, type WeMathItem } from './item.ts';
import { DataError } from '../../src/util/errors.ts';

export const WEMATH_SPLITS = ['testmini'] as const;
export const NODES_FILE = 'knowledge_structure_nodes.json';

/** Columns every parquet file must have (the scorer and the prompt need them). */
export const REQUIRED_COLUMNS = ['ID', 'question', 'option', 'answer', 'image_path', 'key', 'question number', 'knowledge concept'] as const;

// ---------------------------------------------------------------- JSON with line numbers

/** Maps character offsets to 1-based line numbers (binary search over line starts). */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** Start offsets of the top-level elements of a JSON array (computed only to name a line in an error). */
function elementOffsets(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (expectElement && !/\s/.test(ch)) {
      if (ch !== ']') out.push(i);
      expectElement = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1 && ch === '[') expectElement = true;
    } else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 1) expectElement = true;
  }
  return out;
}

/** Reads a JSON array of objects; a syntax error names the line. Returns rows and a namer for error messages. */
export function readJsonArray(file: string): { rows: Row[]; where: (index: number) => string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`${file}: cannot read (${(e as Error).message})`);
  }
  if (text.trim().length === 0) throw new DataError(`${file}: empty file`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? ` line ${lineIndex(text)(Number(pos[1]))}` : '';
    throw new DataError(`${file}${line}: malformed JSON (${msg.split('\n')[0]})`);
  }
  if (!Array.isArray(value)) throw new DataError(`${file}: expected a JSON array of items, got ${value === null ? 'null' : typeof value}`);
  if (value.length === 0) throw new DataError(`${file}: no items`);
  // Built on first use: element starts and line starts, so naming any item costs O(log n).
  let located: { offsets: number[]; lineAt: (offset: number) => number } | null = null;
  const where = (index: number): string => {
    located ??= { offsets: elementOffsets(text), lineAt: lineIndex(text) };
    const off = located.offsets[index];
    return off === undefined ? `${file} item ${index + 1}` : `${file} line ${located.lineAt(off)} (item ${index + 1})`;
  };
  return { rows: value as Row[], where };
}

// ---------------------------------------------------------------- knowledge structure

/** concept (last part of `full node`) → `root2`, as accuracy.py's `load_knowledge_structure_nodes` keys it. */
export function readKnowledgeNodes(file: string): Map<string, string> {
  const { rows, where } = readJsonArray(file);
  const out = new Map<string, string>();
  rows.forEach((row, i) => {
    const full = row['full node'];
    const root2 = row['root2'];
    if (typeof full !== 'string') throw new DataError(`${where(i)}: missing field 'full node'`);
    if (typeof root2 !== 'string') throw new DataError(`${where(i)}: missing field 'root2'`);
    out.set(full.split('_').at(-1)!, root2);
  });
  return out;
}

function attachDomains(items: WeMathItem[], nodesFile: string | null): void {
  if (!nodesFile) return;
  const nodes = readKnowledgeNodes(nodesFile);
  for (const item of items) {
    const domain = nodes.get(item.concept);
    if (domain !== undefined) item.domain = domain;
  }
}

function firstExisting(paths: string[]): string | null {
  for (const p of paths) if (existsSync(p)) return p;
  return null;
}

// ---------------------------------------------------------------- layouts

function checkUniqueIds(items: WeMathItem[], source: string): void {
  const seen = new Map<string, WeMathItem>();
  for (const item of items) {
    const other = seen.get(item.id);
    if (other) throw new DataError(`${source}: duplicate 'question number' ${item.id} (ID ${other.group} key ${other.key} and ID ${item.group} key ${item.key})`);
    seen.set(item.id, item);
  }
}

async function loadParquet(files: string[], split: string, limit: number | undefined): Promise<WeMathItem[]> {
  const items: WeMathItem[] = [];
  for (const file of files) {
    const rows = await readParquetRows(file);
    requireColumns(file, rows, REQUIRED_COLUMNS);
    for (let i = 0; i < rows.length; i++) {
      if (limit !== undefined && items.length >= limit) return items;
      items.push(itemFromRow(rows[i]!, split, `${file} row ${i + 1}`));
    }
  }
  return items;
}

function loadGithubJson(file: string, split: string, limit: number | undefined): WeMathItem[] {
  const { rows, where } = readJsonArray(file);
  const root = dirname(file);
  const count = limit === undefined ? rows.length : Math.min(limit, rows.length);
  const items: WeMathItem[] = [];
  for (let i = 0; i < count; i++) {
    const row = rows[i]!;
    const item = itemFromRow(row, split, where(i));
    const rel = row['image_path'];
    if (typeof rel === 'string') {
      const path = join(root, rel);
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch {
        throw new DataError(`${where(i)}: image file not found: ${path} (field 'image_path')`);
      }
      if (bytes.length === 0) throw new DataError(`${where(i)}: empty image file ${path}`);
      item.images = [{ bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path: rel }];
    }
    items.push(item);
  }
  return items;
}

/** Loads WeMath from any supported layout (see the module header). */
export async function loadWeMath(source: string, opts: LoadOptions = {}): Promise<WeMathItem[]> {
  const split = opts.split ?? WEMATH_SPLITS[0];
  const limit = opts.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new DataError(`limit must be a non-negative integer, got ${limit}`);
  const path = resolve(source);
  if (!existsSync(path)) throw new DataError(`${source}: no such file or directory`);

  let items: WeMathItem[];
  let nodesFile: string | null;
  if (statSync(path).isFile()) {
    const name = basename(path);
    if (name.endsWith('.parquet')) {
      items = await loadParquet([path], split, limit);
      const dir = dirname(path);
      nodesFile = firstExisting([join(dir, NODES_FILE), join(dir, '..', NODES_FILE)]);
    } else if (name.endsWith('.json')) {
      items = loadGithubJson(path, split, limit);
      nodesFile = firstExisting([join(dirname(path), NODES_FILE)]);
    } else {
      throw new DataError(`${source}: not a WeMath file (expected .parquet or .json)`);
    }
  } else {
    const parquet = [...listParquet(join(path, 'data'), `${split}-`), ...listParquet(path, `${split}-`)];
    const json = firstExisting([join(path, `${split}.json`), join(path, 'data', `${split}.json`)]);
    if (parquet.length > 0) {
      items = await loadParquet(parquet, split, limit);
      nodesFile = firstExisting([join(path, NODES_FILE), join(path, 'data', NODES_FILE)]);
    } else if (json) {
      items = loadGithubJson(json, split, limit);
      nodesFile = firstExisting([join(dirname(json), NODES_FILE)]);
    } else {
      throw new DataError(`${source}: no WeMath data for split '${split}' (expected data/${split}-*.parquet or ${split}.json)`);
    }
  }
  checkUniqueIds(items, source);
  attachDomains(items, nodesFile);
  return items;
}

/**
 * Decodes every image fully with sharp (a small concurrent pool over libuv's thread pool) and throws
 * DataError naming the item on corrupt bytes. Returns the number of images decoded. Pixels are discarded:
 * the model's edge decodes again with `decodeImage` (resize, RGB) when it needs them.
 */
export async function validateImages(items: WeMathItem[], concurrency = 4): Promise<number> {
  const { default: sharp } = await import('sharp');
  const jobs: { item: WeMathItem; index: number }[] = [];
  for (const item of items) item.images.forEach((_, index) => jobs.push({ item, index }));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const { item, index } = jobs[next++]!;
      const image = item.images[index]!;
      try {
        await sharp(image.bytes, { failOn: 'error' }).raw().toBuffer();
      } catch (e) {
        const path = image.path ? ` (${image.path})` : '';
        throw new DataError(`wemath item ${item.id} (ID ${item.group}, key ${item.key}) image ${index + 1}${path}: corrupt or unreadable image (${(e as Error).message})`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));
  return jobs.length;
}
