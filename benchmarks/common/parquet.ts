// Parquet reading shared by every loader (writing: parquet-write.ts). Reading uses hyparquet with the
// standard compressors; byte arrays without a UTF8 annotation stay Uint8Array (image bytes).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../src/util/errors.ts';

export type Row = Record<string, unknown>;

/** All rows of one parquet file, as plain objects. */
export async function readParquetRows(file: string): Promise<Row[]> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DataError(`${file}: cannot read (${(e as Error).message})`);
  }
  if (bytes.length === 0) throw new DataError(`${file}: empty file`);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  // The reader is loaded when a file is read, not with the module (which the CLI imports for every command).
  const [{ parquetReadObjects }, { compressors }] = await Promise.all([import('hyparquet'), import('hyparquet-compressors')]);
  try {
    return (await parquetReadObjects({ file: buf, compressors, utf8: false } as never)) as Row[];
  } catch (e) {
    throw new DataError(`${file}: not a readable parquet file (${(e as Error).message})`);
  }
}

/** Parquet files in a directory (non-recursive) whose names start with `prefix`, sorted. */
export function listParquet(dir: string, prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.parquet') && n.startsWith(prefix))
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
}

/** Checks that every required column is present in the first row; names the file and column. */
export function requireColumns(file: string, rows: Row[], columns: readonly string[]): void {
  if (rows.length === 0) throw new DataError(`${file}: no rows`);
  const first = rows[0]!;
  for (const c of columns) {
    if (!(c in first)) throw new DataError(`${file}: missing column '${c}'`);
  }
}
