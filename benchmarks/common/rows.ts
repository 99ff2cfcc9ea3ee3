// Small helpers the benchmark loaders share: one-line DataErrors that name the file, row and field
// (`fail`, `reqString`, `placeOf`), reading a text cell whatever type the file gave it (`asText`),
// and telling a dataset folder from a single file (`isDir`).
import { statSync } from 'node:fs';
import type { Row } from './parquet.ts';
import { DataError } from '../../src/util/errors.ts';

export type { Row } from './parquet.ts';

/** Throws `<where>: <what>` as a DataError. */
export function fail(where: string, what: string): never {
  throw new DataError(`${where}: ${what}`);
}

/** A field that must be present, non-null and a string. */
export function reqString(row: Row, field: string, where: string): string {
  const v = row[field];
  if (v === undefined) fail(where, `missing field '${field}'`);
  if (v === null) fail(where, `field '${field}' is null`);
  if (typeof v !== 'string') fail(where, `field '${field}' must be a string, got ${typeof v}`);
  return v;
}

/** A cell as text: strings as they are, numbers printed, UTF-8 bytes decoded; anything else null. */
export function asText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return null;
}

/** Where a row came from, for error messages. */
export interface RowPlace {
  file?: string;
  /** 0-based row index in the file. */
  index?: number;
}

/** `<file> row <n> (<idField> <id>)`, each part only when known. */
export function placeOf(where: RowPlace, id?: string, idField = 'id'): string {
  const file = where.file ?? '<row>';
  const row = where.index !== undefined ? ` row ${where.index + 1}` : '';
  return `${file}${row}${id ? ` (${idField} ${id})` : ''}`;
}

/** True for an existing directory; false for a file or a path that does not exist. */
export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
