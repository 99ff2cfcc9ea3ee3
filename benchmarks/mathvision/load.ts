// MathVision loader. Layouts, detected from the path:
// - Hugging Face snapshot (MathLLMs/MathVision): `<dir>/data/<split>-*.parquet` (or `<dir>/<split>-*.parquet`,
//   or one parquet file); the image is the `decoded_image` struct {bytes, path}.
// - The authors' GitHub layout (mathllm/MATH-V): `<dir>/<split>.jsonl` or `<dir>/data/<split>.jsonl` (or the
//   file itself), one JSON object per line, `image` a path like `images/4.jpg` relative to the JSONL's folder
//   (or, as in the repository where `data/` and `images/` are siblings, to its parent).
// Splits: `test` (3,040) and `testmini` (304); any other name (`train` of the mini suite) selects files the
// same way. Without a split, `test` is used when present, else `testmini`.
// Images keep their original bytes; `validateImages` decodes each once with sharp to catch corrupt files.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeImage } from '../common/images.ts';
import { listParquet, readParquetRows, requireColumns } from '../common/parquet.ts';
import { isDir, type Row } from '../common/rows.ts';
import { type LoadOptions } from '../common/types.ts';
import { itemFromRow, type MathVisionItem } from './item.ts';
import { DataError } from '../../src/util/errors.ts';
import { jsonlLines, readJsonlBytes } from '../../src/util/jsonl.ts';

export const SPLITS = ['test', 'testmini'] as const;

/** Columns every Hugging Face parquet file must have. */
export const HF_COLUMNS = ['id', 'question', 'options', 'answer', 'level', 'subject', 'decoded_image'] as const;

/** `testmini-00000-of-00001.parquet` → testmini, `test.jsonl` → test, else the fallback. */
function splitFromName(file: string, fallback: string): string {
  const m = /^([A-Za-z_]+?)(?:-\d{5}-of-\d{5}.*)?\.(?:parquet|jsonl)$/.exec(basename(file));
  return m ? m[1]! : fallback;
}

type Layout = { kind: 'parquet'; files: string[]; split: string } | { kind: 'github'; file: string; split: string };

function findSplit(source: string, split: string): Layout | null {
  for (const dir of [join(source, 'data'), source]) {
    const files = listParquet(dir, `${split}-`);
    if (files.length > 0) return { kind: 'parquet', files, split };
  }
  for (const file of [join(source, `${split}.jsonl`), join(source, 'data', `${split}.jsonl`)]) {
    if (existsSync(file)) return { kind: 'github', file, split };
  }
  return null;
}

function detectLayout(source: string, opts: LoadOptions): Layout {
  if (!existsSync(source)) throw new DataError(`${source}: no such file or directory`);
  if (!isDir(source)) {
    const split = opts.split ?? splitFromName(source, SPLITS[0]);
    if (source.endsWith('.parquet')) return { kind: 'parquet', files: [source], split };
    if (source.endsWith('.jsonl')) return { kind: 'github', file: source, split };
    throw new DataError(`${source}: not a MathVision file (expected .parquet or .jsonl)`);
  }
  const wanted = opts.split ? [opts.split] : [...SPLITS];
  for (const split of wanted) {
    const layout = findSplit(source, split);
    if (layout) return layout;
  }
  const name = wanted[0]!;
  throw new DataError(
    `${source}: no MathVision '${name}' data (expected data/${name}-*.parquet from Hugging Face or ${name}.jsonl from GitHub)`,
  );
}

async function loadParquet(files: string[], split: string, limit: number): Promise<MathVisionItem[]> {
  const items: MathVisionItem[] = [];
  for (const file of files) {
    if (items.length >= limit) break;
    const rows = await readParquetRows(file);
    requireColumns(file, rows, HF_COLUMNS);
    for (let i = 0; i < rows.length && items.length < limit; i++) {
      items.push(itemFromRow(rows[i]!, split, `${file} row ${i + 1}`));
    }
  }
  return items;
}

function loadJsonl(file: string, split: string, limit: number): MathVisionItem[] {
  const bytes = readJsonlBytes(file);
  if (new TextDecoder().decode(bytes).trim() === '') throw new DataError(`${file}: empty file`);
  const here = dirname(file);
  const roots = [here, dirname(here)];
  const items: MathVisionItem[] = [];
  for (const { line, value } of limit > 0 ? jsonlLines(bytes, file) : []) {
    const where = `${file} line ${line}`;
    const item = itemFromRow(value as Row, split, where);
    if (item.imagePath === null) throw new DataError(`${where} (id ${item.id}): missing field 'image'`);
    const path = roots.map((r) => join(r, item.imagePath!)).find((p) => existsSync(p));
    if (!path) throw new DataError(`${join(here, item.imagePath)}: missing image file (id ${item.id}, ${where})`);
    item.images = [{ bytes: new Uint8Array(readFileSync(path)), path: item.imagePath }];
    items.push(item);
    if (items.length >= limit) break; // the lines after the limit are not read
  }
  if (items.length === 0 && limit > 0) throw new DataError(`${file}: no items`);
  return items;
}

/** Reads MathVision from a Hugging Face snapshot or the GitHub layout (see the module header). */
export async function load(source: string, opts: LoadOptions = {}): Promise<MathVisionItem[]> {
  const limit = opts.limit ?? Infinity;
  if (!(limit >= 0)) throw new DataError(`limit must be a non-negative number, got ${opts.limit}`);
  const layout = detectLayout(source, opts);
  if (layout.kind === 'parquet') return loadParquet(layout.files, layout.split, limit);
  return loadJsonl(layout.file, layout.split, limit);
}

/** Decodes every image with sharp; a corrupt one throws a DataError naming the item. */
export async function validateImages(items: readonly MathVisionItem[]): Promise<void> {
  for (const item of items) {
    for (let k = 0; k < item.images.length; k++) {
      await decodeImage(item.images[k]!, undefined, `MathVision id ${item.id} image ${k + 1}`);
    }
  }
}
