// The one JSONL reader: a file of one JSON object per line, as the run folders (metrics.jsonl, samples.jsonl), the
// predictions `score` reads and the authors' MathVision files are. Every refusal names the file and the line.
//
// - A leading UTF-8 byte-order mark is skipped (editors on Windows write one).
// - Bytes that are not UTF-8 are refused with their line and byte offset, never read as U+FFFD: a file saved in
//   another encoding would otherwise be scored against silently changed text.
// - Blank lines are skipped; line numbers count them, as an editor does.
// - `tornLastLine`: a malformed line followed by nothing but blank lines is dropped instead of refused. That is
//   what an append cut short by a kill leaves (appendJsonLine writes whole lines, so no other line can be torn);
//   the callers that resume from their own files ask for it, the readers of other people's files do not.
import { readFileSync } from 'node:fs';
import { DataError } from './errors.ts';

export interface JsonlLine {
  /** 1-based line number in the file (blank lines and a BOM do not shift it). */
  line: number;
  /** The parsed object. */
  value: Record<string, unknown>;
  /** The line's text as it stands in the file (without its newline), for callers that rewrite a file line for line. */
  text: string;
}

export interface JsonlOptions {
  /** Drop a malformed last line instead of refusing the file (see the top of this file). Default false. */
  tornLastLine?: boolean;
  /** The error a refusal throws (default DataError); the message names file and line. */
  error?: (message: string) => Error;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0; // no overlong forms
      if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return i;
    for (let j = 1; j <= n; j++) {
      const c = bytes[i + j];
      if (c === undefined) return i;
      if (j === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}

function isBlank(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  return true;
}

/**
 * The lines of JSONL bytes, parsed one at a time (a caller that needs only the first few stops early). `name` is
 * what refusals call the source (its path).
 */
export function* jsonlLines(bytes: Uint8Array, name: string, opts: JsonlOptions = {}): Generator<JsonlLine> {
  const fail = opts.error ?? ((m: string) => new DataError(m));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = UTF8_BOM.every((b, i) => bytes[i] === b) ? UTF8_BOM.length : 0;
  for (let line = 1; start < bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const raw = bytes.subarray(start, end);
    const lineStart = start;
    start = end + 1;
    // An interrupted append may also cut a multi-byte character in two: the torn last line is then not UTF-8.
    const torn = (): boolean => opts.tornLastLine === true && isBlank(bytes, end);
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      if (torn()) return;
      const at = firstInvalidUtf8(raw);
      throw fail(`${name} line ${line}: not valid UTF-8 at byte offset ${lineStart + at} (0x${raw[at]!.toString(16).padStart(2, '0')}); save the file as UTF-8`);
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (!text.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (torn()) return;
      throw fail(`${name} line ${line}: not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(`${name} line ${line}: expected a JSON object`);
    yield { line, value: value as Record<string, unknown>, text };
  }
}

/** Every line of a JSONL file (see the top of this file). A missing file or a folder is refused by name. */
export function readJsonl(file: string, opts: JsonlOptions = {}): JsonlLine[] {
  return [...jsonlLines(readJsonlBytes(file, opts), file, opts)];
}

/** The bytes of a JSONL file; a missing file, a folder or an unreadable file is refused naming it. */
export function readJsonlBytes(file: string, opts: Pick<JsonlOptions, 'error'> = {}): Uint8Array {
  const fail = opts.error ?? ((m: string) => new DataError(m));
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fail(`${file}: no such file`);
    if (code === 'EISDIR') throw fail(`${file} is a directory, expected a JSONL file`);
    throw fail(`${file}: cannot read (${(e as Error).message})`);
  }
}
