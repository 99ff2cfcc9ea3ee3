import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonlLines, readJsonl } from './jsonl.ts';
import { DataError, TrainingError } from './errors.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const lines = (s: string | Uint8Array, opts = {}) => [...jsonlLines(typeof s === 'string' ? enc(s) : s, 'f.jsonl', opts)];

test('jsonl: objects with their line numbers; blank lines counted and skipped; CRLF; a leading BOM', () => {
  const got = lines('\uFEFF{"a":1}\n\n  \n{"b":2}\r\n{"c":"é"}');
  assert.deepEqual(
    got.map((l) => [l.line, l.value, l.text]),
    [
      [1, { a: 1 }, '{"a":1}'],
      [4, { b: 2 }, '{"b":2}'],
      [5, { c: 'é' }, '{"c":"é"}'],
    ],
  );
  assert.deepEqual(lines(''), []);
});

test('jsonl: a malformed line, a non-object and bytes that are not UTF-8 are refused naming file and line', () => {
  assert.throws(() => lines('{"a":1}\n{"a":\n{"b":2}\n'), (e: Error) => e instanceof DataError && e.message === 'f.jsonl line 2: not valid JSON');
  assert.throws(() => lines('{"a":1}\n[1,2]\n'), /^DataError: f\.jsonl line 2: expected a JSON object$/);
  const bad = new Uint8Array([...enc('{"a":1}\n{"b":"'), 0xe9, ...enc('"}\n')]);
  assert.throws(() => lines(bad), /f\.jsonl line 2: not valid UTF-8 at byte offset 14 \(0xe9\)/);
  // Without tornLastLine even a cut last line is refused: a file someone else wrote is taken as it is.
  assert.throws(() => lines('{"a":1}\n{"b":'), /line 2: not valid JSON/);
});

test('jsonl: tornLastLine drops only a malformed last line (what a killed append leaves), also a cut character', () => {
  assert.deepEqual(lines('{"a":1}\n{"b":', { tornLastLine: true }).map((l) => l.value), [{ a: 1 }]);
  assert.deepEqual(lines('{"a":1}\n{"b":\n\n', { tornLastLine: true }).map((l) => l.value), [{ a: 1 }]);
  const cut = new Uint8Array([...enc('{"a":1}\n{"b":"'), 0xc3]);
  assert.deepEqual(lines(cut, { tornLastLine: true }).map((l) => l.value), [{ a: 1 }]);
  assert.throws(() => lines('{"a":\n{"b":2}\n', { tornLastLine: true }), /line 1: not valid JSON/);
});

test('jsonl: the caller picks the error class; the generator reads no further than asked', () => {
  assert.throws(() => lines('x\n', { error: (m: string) => new TrainingError(m) }), (e: Error) => e instanceof TrainingError);
  const it = jsonlLines(enc('{"a":1}\nnot json\n'), 'f.jsonl');
  assert.deepEqual(it.next().value?.value, { a: 1 });
});

test('readJsonl: a missing file and a folder are named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-jsonl-'));
  try {
    assert.throws(() => readJsonl(join(dir, 'none.jsonl')), (e: Error) => e instanceof DataError && e.message === `${join(dir, 'none.jsonl')}: no such file`);
    assert.throws(() => readJsonl(dir), new RegExp(`${dir} is a directory, expected a JSONL file`));
    writeFileSync(join(dir, 'ok.jsonl'), '{"step":1}\n{"step":2}\n');
    assert.deepEqual(readJsonl(join(dir, 'ok.jsonl')).map((l) => l.value['step']), [1, 2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
