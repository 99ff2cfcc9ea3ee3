// Atomic file writes: write to a temporary sibling, then rename, so that an interrupted run never
// leaves a half-written result behind.
import { mkdirSync, renameSync, writeFileSync, appendFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** JSON replacer: parquet INT64 columns arrive as BigInt, which JSON cannot hold. */
export function jsonSafe(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  return v;
}

/** The JSON text the project writes (non-finite numbers as strings, 2-space indent, final newline). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, jsonSafe, 2) + '\n';
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, jsonText(value));
}

/** Appends one JSON line (used for per-step metrics and per-item samples, which resume by reading back). */
export function appendJsonLine(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, JSON.stringify(value, jsonSafe) + '\n');
}
