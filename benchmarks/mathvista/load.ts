// MathVista loader. Two layouts, detected from the path:
// - Hugging Face snapshot (AI4Math/MathVista): `<dir>/data/testmini-*.parquet`, `<dir>/data/test-*.parquet`
//   (or that `data/` folder, or one parquet file); images are the `decoded_image` structs.
// - GitHub (lupantech/MathVista): `<dir>/data/testmini.json` (an object keyed by pid) and
//   `<dir>/data/query.json` (the prompt of every pid), or that folder, or the JSON file itself. The
//   repository ships no images: items get `imagesMissing: true` unless an `images/` folder sits beside
//   the JSON (then `image: "images/1.jpg"` is read from it and must exist).
// Images stay encoded; `validateImages` decodes them once to catch corrupt bytes.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeImage } from '../common/images.ts';
import { listParquet, readParquetRows, requireColumns } from '../common/parquet.ts';
import { isDir } from '../common/rows.ts';
import { type LoadOptions } from '../common/types.ts';
import { itemFromRow, type MathVistaItem } from './item.ts';
import { DataError } from '../../src/util/errors.ts';

export const SPLITS = ['testmini', 'test'] as const;

/** Columns every Hugging Face row has (`metadata` and `query` too, except on mini rows). */
const HF_COLUMNS = ['pid', 'question', 'decoded_image', 'choices', 'precision', 'answer', 'question_type', 'answer_type'];

function splitFromName(file: string, fallback: string): string {
  const name = basename(file);
  if (name.startsWith('testmini')) return 'testmini';
  if (name.startsWith('test')) return 'test';
  return fallback;
}

type Layout = { kind: 'parquet'; files: string[]; split: string } | { kind: 'github'; file: string; split: string };

function detectLayout(source: string, opts: LoadOptions): Layout {
  if (!existsSync(source)) throw new DataError(`${source}: no such file or directory`);
  const wanted = opts.split ?? SPLITS[0];
  if (!isDir(source)) {
    const split = opts.split ?? splitFromName(source, SPLITS[0]);
    if (source.endsWith('.parquet')) return { kind: 'parquet', files: [source], split };
    if (source.endsWith('.json')) return { kind: 'github', file: source, split };
    throw new DataError(`${source}: not a MathVista file (expected .parquet or .json)`);
  }
  for (const dir of [join(source, 'data'), source]) {
    const files = listParquet(dir, `${wanted}-`);
    if (files.length > 0) return { kind: 'parquet', files, split: wanted };
  }
  for (const file of [join(source, 'data', `${wanted}.json`), join(source, `${wanted}.json`)]) {
    if (existsSync(file)) return { kind: 'github', file, split: wanted };
  }
  throw new DataError(
    `${source}: no MathVista '${wanted}' data (expected data/${wanted}-*.parquet from Hugging Face or data/${wanted}.json from GitHub)`,
  );
}

async function loadParquet(files: string[], split: string, limit: number): Promise<MathVistaItem[]> {
  const items: MathVistaItem[] = [];
  for (const file of files) {
    const rows = await readParquetRows(file);
    requireColumns(file, rows, HF_COLUMNS);
    const mini = 'rlsd_reference' in rows[0]! || 'rlsd_family' in rows[0]!;
    if (!mini) requireColumns(file, rows, ['metadata', 'query']);
    for (let i = 0; i < rows.length && items.length < limit; i++) {
      items.push(itemFromRow(rows[i]!, split, `${file} row ${i + 1}`));
    }
    if (items.length >= limit) break;
  }
  return items;
}

/** JSON.parse with a one-line DataError naming the file (and the line, when the position is known). */
function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`${file}: cannot read (${(e as Error).message})`);
  }
  if (text.trim() === '') throw new DataError(`${file}: empty file`);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? ` line ${text.slice(0, Number(pos[1])).split('\n').length}` : '';
    throw new DataError(`${file}${line}: malformed JSON (${msg.split('\n')[0]})`);
  }
}

function asObject(v: unknown, file: string, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError(`${file}: ${what}`);
  return v as Record<string, unknown>;
}

function loadGithub(file: string, split: string, limit: number): MathVistaItem[] {
  const dir = dirname(file);
  const problems = asObject(readJson(file), file, 'expected a JSON object keyed by pid');
  const entries = Object.entries(problems).slice(0, limit);
  if (entries.length === 0) throw new DataError(`${file}: no problems`);

  const queryFile = join(dir, 'query.json');
  let queries: Record<string, unknown> | null = null;
  const needQueries = entries.some(([, v]) => typeof v !== 'object' || v === null || !('query' in v));
  if (needQueries) {
    if (!existsSync(queryFile)) throw new DataError(`${queryFile}: missing (the GitHub layout needs it for the official prompt)`);
    queries = asObject(readJson(queryFile), queryFile, 'expected a JSON object mapping pid to query');
  }
  const imageDir = join(dir, 'images');
  const haveImages = isDir(imageDir);

  return entries.map(([key, value]) => {
    const entry = asObject(value, file, `pid ${key}: expected an object`);
    const row: Record<string, unknown> = { ...entry, pid: entry.pid ?? key };
    if (!('query' in row) && queries) {
      const q = queries[String(row.pid)];
      if (typeof q !== 'string') throw new DataError(`${queryFile}: no query for pid ${String(row.pid)}`);
      row.query = q;
    }
    const item = itemFromRow(row, split, file);
    if (haveImages) {
      if (typeof entry.image !== 'string') throw new DataError(`${file} (pid ${item.pid}): missing field 'image'`);
      const path = join(dir, entry.image);
      if (!existsSync(path)) throw new DataError(`${path}: missing image file (pid ${item.pid})`);
      item.images = [{ bytes: new Uint8Array(readFileSync(path)), path: entry.image }];
      delete item.imagesMissing;
    }
    return item;
  });
}

/** Reads MathVista from a Hugging Face snapshot or the GitHub layout (see the module header). */
export async function load(source: string, opts: LoadOptions = {}): Promise<MathVistaItem[]> {
  const limit = opts.limit ?? Infinity;
  if (!(limit >= 0)) throw new DataError(`limit must be a non-negative number, got ${opts.limit}`);
  const layout = detectLayout(source, opts);
  if (layout.kind === 'parquet') return loadParquet(layout.files, layout.split, limit);
  return loadGithub(layout.file, layout.split, limit);
}

/** Throws when any item lacks its image (the GitHub layout ships none). */
export function requireImages(items: readonly MathVistaItem[]): void {
  const missing = items.filter((it) => it.imagesMissing);
  if (missing.length === 0) return;
  throw new DataError(
    `MathVista: ${missing.length} item(s) have no images (first: pid ${missing[0]!.pid}); the GitHub layout ` +
      `(testmini.json) ships none — use the Hugging Face parquet (AI4Math/MathVista, data/testmini-*.parquet) ` +
      `or put the images/ folder beside testmini.json`,
  );
}

/** Decodes every image with sharp; a corrupt one throws a DataError naming the item. */
export async function validateImages(items: readonly MathVistaItem[]): Promise<void> {
  for (const item of items) {
    for (let k = 0; k < item.images.length; k++) {
      await decodeImage(item.images[k]!, undefined, `MathVista pid ${item.pid} image ${k + 1}`);
    }
  }
}
