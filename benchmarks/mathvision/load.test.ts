// MathVision loader and prompt: the real GitHub layout in $RLSD_BENCH_DATA/mathvision (304 testmini
// items, every image decodes), Hugging Face parquet files written here in the dataset's schema (real PNG
// bytes), mini rows, the authors' prompt, and bad inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { realData } from '../../test/fixtures.ts';
import { writeParquet, type ColumnSpec } from '../common/parquet-write.ts';
import { COT_INSTRUCTION, itemFromRow, load, mathvision, officialPrompt, validateImages, type MathVisionItem } from './index.ts';
import { DataError } from '../../src/util/errors.ts';

const SHARED = realData('mathvision');
const skipShared = existsSync(join(SHARED, 'testmini.jsonl')) ? false : `real data absent (${SHARED}); skipping`;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mathvision-test-'));
}

async function png(r: number, g: number, b: number): Promise<Uint8Array> {
  return new Uint8Array(await sharp({ create: { width: 6, height: 4, channels: 3, background: { r, g, b } } }).png().toBuffer());
}

interface Fixture {
  id: string;
  question: string;
  options: string[];
  answer: string;
  level: number;
  subject: string;
  image: Uint8Array | null;
}

async function fixtures(): Promise<Fixture[]> {
  return [
    { id: '1', question: 'What number belongs in the empty circle?\n<image1>', options: [], answer: '60', level: 2, subject: 'arithmetic', image: await png(255, 0, 0) },
    { id: '2', question: 'Which kite flies highest?\n<image1>', options: ['A', 'B', 'C', 'D', 'E'], answer: 'A', level: 2, subject: 'arithmetic', image: await png(0, 255, 0) },
    { id: '9', question: 'On which day?\n<image1>', options: ['Monday', 'Saturday', 'Friday', 'Thursday', 'Sunday'], answer: 'C', level: 3, subject: 'logic', image: await png(0, 0, 255) },
  ];
}

/** Columns in the Hugging Face schema of MathLLMs/MathVision, optionally minus one / plus extras. */
function hfColumns(rows: Fixture[], opts: { drop?: string; extra?: ColumnSpec[] } = {}): ColumnSpec[] {
  const cols: ColumnSpec[] = [
    { name: 'id', kind: 'string', data: rows.map((r) => r.id) },
    { name: 'question', kind: 'string', data: rows.map((r) => r.question) },
    { name: 'options', kind: 'string_list', data: rows.map((r) => r.options) },
    { name: 'image', kind: 'string', data: rows.map((r) => `images/${r.id}.jpg`) },
    { name: 'decoded_image', kind: 'image', data: rows.map((r) => (r.image ? { bytes: r.image, path: null } : null)) },
    { name: 'answer', kind: 'string', data: rows.map((r) => r.answer) },
    { name: 'solution', kind: 'string', data: rows.map(() => null) },
    { name: 'level', kind: 'int64', data: rows.map((r) => r.level) },
    { name: 'subject', kind: 'string', data: rows.map((r) => r.subject) },
    ...(opts.extra ?? []),
  ];
  return cols.filter((c) => c.name !== opts.drop);
}

async function expectDataError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('real GitHub layout: all 304 testmini items load with their images, and every image decodes', { skip: skipShared }, async () => {
  const items = await load(SHARED); // no test.jsonl there: the default falls back to testmini
  assert.equal(items.length, 304);
  assert.deepEqual(await load(SHARED, { split: 'testmini', limit: 3 }).then((x) => x.map((i) => i.id)), ['4', '5', '6']);
  assert.equal((await load(join(SHARED, 'testmini.jsonl'))).length, 304);
  const first = items[0]!;
  assert.equal(first.id, '4');
  assert.equal(first.answer, '6');
  assert.equal(first.split, 'testmini');
  assert.equal(first.level, 1);
  assert.equal(first.subject, 'counting');
  assert.equal(first.images[0]!.path, 'images/4.jpg');
  assert.equal(items.filter((i) => i.options.length === 5).length, 190);
  assert.equal(items.filter((i) => i.options.length === 0).length, 114);
  const levels = new Map<number, number>();
  for (const i of items) levels.set(i.level, (levels.get(i.level) ?? 0) + 1);
  assert.deepEqual([...levels.entries()].sort(), [[1, 53], [2, 82], [3, 56], [4, 45], [5, 68]]);
  const subjects = new Set(items.map((i) => i.subject));
  assert.equal(subjects.size, 16);
  for (const s of subjects) assert.equal(items.filter((i) => i.subject === s).length, 19);
  assert.ok(items.every((i) => i.images.length === 1 && i.images[0]!.bytes.length > 100 && !i.mini));
  const t0 = performance.now();
  await validateImages(items);
  assert.ok(performance.now() - t0 < 20_000);
});

test('real items get the authors\' CoT prompt; letters-only options are not listed', { skip: skipShared }, async () => {
  const items = await load(SHARED);
  const open = items.find((i) => i.id === '4')!;
  assert.ok(open.question.endsWith('<image1>'));
  assert.equal(mathvision.prompt(open).text, `${COT_INSTRUCTION}${open.question}\n`);
  const letters = items.find((i) => i.id === '6')!;
  assert.deepEqual(letters.options, ['A', 'B', 'C', 'D', 'E']);
  assert.equal(mathvision.prompt(letters).text, `${COT_INSTRUCTION}${letters.question}\n`);
  const texts = items.find((i) => i.id === '27')!;
  assert.equal(texts.options.length, 5);
  const listed = texts.options.map((o, k) => `(${'ABCDE'[k]}) ${o}\n`).join('');
  assert.equal(officialPrompt(texts), `${COT_INSTRUCTION}${texts.question}\n${listed}`);
  assert.ok(officialPrompt(texts).includes('\n(C) '));
  assert.equal(officialPrompt(open, 'direct'), `${open.question}\n\nAnswer the question using a single word or phrase.`);
  assert.equal(mathvision.prompt(open).images, open.images);
  // the real answers score through the official chain
  assert.equal(mathvision.score(open, 'I count six digits: \\boxed{6}').correct, true);
  assert.equal(mathvision.score(letters, 'The answer is D.').correct, true);
});

test('Hugging Face parquet: data/<split>-*.parquet, a single file, limit, image bytes kept', async () => {
  const dir = tempDir();
  try {
    const rows = await fixtures();
    mkdirSync(join(dir, 'data'));
    writeParquet(join(dir, 'data', 'testmini-00000-of-00001.parquet'), hfColumns(rows));
    writeParquet(join(dir, 'data', 'test-00000-of-00001.parquet'), hfColumns(rows.slice(0, 2)));
    const test1 = await load(dir); // default split: test
    assert.deepEqual(test1.map((i) => i.id), ['1', '2']);
    const mini = await load(dir, { split: 'testmini' });
    assert.equal(mini.length, 3);
    const [a, b, c] = mini as [MathVisionItem, MathVisionItem, MathVisionItem];
    assert.equal(a.split, 'testmini');
    assert.deepEqual(a.options, []);
    assert.equal(a.level, 2);
    assert.deepEqual(Buffer.from(a.images[0]!.bytes), Buffer.from(rows[0]!.image!));
    assert.equal(a.images[0]!.path, 'images/1.jpg');
    assert.equal(b.answer, 'A');
    assert.deepEqual(c.options, ['Monday', 'Saturday', 'Friday', 'Thursday', 'Sunday']);
    assert.equal(mathvision.score(c, '\\boxed{Friday}').correct, true);
    assert.equal((await load(join(dir, 'data', 'testmini-00000-of-00001.parquet'))).length, 3);
    assert.equal((await load(dir, { split: 'testmini', limit: 2 })).length, 2);
    await validateImages(mini);
    assert.ok(!('decoded_image' in a.raw));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mini rows: reference and family kept, the question is the prompt verbatim, \\boxed answers score', async () => {
  const dir = tempDir();
  try {
    const rows = (await fixtures()).slice(0, 1).map((r) => ({ ...r, question: 'count the red cells on the grid . \\boxed{}', answer: '5' }));
    writeParquet(
      join(dir, 'test-00000-of-00001.parquet'),
      hfColumns(rows, {
        extra: [
          { name: 'rlsd_reference', kind: 'string', data: ['[ref] red 5 answer 5 [/ref]'] },
          { name: 'rlsd_family', kind: 'string', data: ['grid'] },
        ],
      }),
    );
    const [item] = await load(dir, { split: 'test' });
    assert.ok(item!.mini);
    assert.equal(item!.reference, '[ref] red 5 answer 5 [/ref]');
    assert.equal(item!.family, 'grid');
    assert.equal(mathvision.prompt(item!).text, 'count the red cells on the grid . \\boxed{}');
    assert.equal(mathvision.score(item!, 'red 2 red 3 total 5 \\boxed{5}').correct, true);
    assert.equal(mathvision.score(item!, 'red 2 red 3 total 6 \\boxed{6}').correct, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GitHub layout fixture: images beside the jsonl or in the parent folder; extra fields kept in raw', async () => {
  const dir = tempDir();
  try {
    const rows = await fixtures();
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'images'));
    const lines = rows.map((r) => JSON.stringify({ id: r.id, question: r.question, options: r.options, answer: r.answer, solution: null, level: r.level, subject: r.subject, image: `images/${r.id}.jpg`, source: 'kangaroo' }));
    rows.forEach((r) => writeFileSync(join(dir, 'images', `${r.id}.jpg`), r.image!));
    writeFileSync(join(dir, 'data', 'test.jsonl'), `${lines.join('\n')}\n`);
    const items = await load(dir); // data/test.jsonl, images/ next to data/
    assert.deepEqual(items.map((i) => i.id), ['1', '2', '9']);
    assert.equal(items[0]!.raw.source, 'kangaroo'); // an unknown field is kept, not an error
    await validateImages(items);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad inputs: missing column, missing field, corrupt image, empty files, malformed line, missing image, bad answer', async () => {
  const dir = tempDir();
  try {
    const rows = await fixtures();
    const file = join(dir, 'testmini-00000-of-00001.parquet');
    writeParquet(file, hfColumns(rows, { drop: 'answer' }));
    await expectDataError(load(file), /testmini-00000-of-00001\.parquet: missing column 'answer'/);

    writeParquet(file, hfColumns(rows, { drop: 'decoded_image' }));
    await expectDataError(load(file), /missing column 'decoded_image'/);

    const corrupt = rows.map((r, i) => ({ ...r, image: i === 1 ? new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) : r.image }));
    writeParquet(file, hfColumns(corrupt));
    const items = await load(file);
    await expectDataError(validateImages(items), /MathVision id 2 image 1.*corrupt or unreadable image/);

    const noImage = rows.map((r, i) => ({ ...r, image: i === 2 ? null : r.image }));
    writeParquet(file, hfColumns(noImage));
    await expectDataError(load(file), /row 3 \(id 9\): field 'decoded_image' has no image bytes/);

    writeFileSync(file, '');
    await expectDataError(load(file), /empty file/);

    const jsonl = join(dir, 'testmini.jsonl');
    writeFileSync(jsonl, '\n  \n');
    await expectDataError(load(jsonl), /testmini\.jsonl: empty file/);
    writeFileSync(jsonl, '{"id": "1", "question": "q", "options": [], "answer": "1", "level": 1, "subject": "s", "image": "images/1.jpg"}\n{"id": 2,\n');
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'images', '1.jpg'), rows[0]!.image!);
    await expectDataError(load(jsonl), /testmini\.jsonl line 2: not valid JSON/);
    writeFileSync(jsonl, '{"id": "1", "question": "q", "options": [], "level": 1, "subject": "s", "image": "images/1.jpg"}\n');
    await expectDataError(load(jsonl), /testmini\.jsonl line 1 \(id 1\): missing field 'answer'/);
    writeFileSync(jsonl, '{"id": "3", "question": "q", "options": [], "answer": "1", "level": 1, "subject": "s", "image": "images/3.jpg"}\n');
    await expectDataError(load(jsonl), /images\/3\.jpg: missing image file \(id 3/);
    writeFileSync(jsonl, '{"id": "1", "question": "q", "options": ["x", "y"], "answer": "C", "level": 1, "subject": "s", "image": "images/1.jpg"}\n');
    await expectDataError(load(jsonl), /answer 'C' is not an option letter \(A–B\)/);
    writeFileSync(jsonl, '{"id": "1", "question": "q", "options": [], "answer": "1", "level": "high", "subject": "s", "image": "images/1.jpg"}\n');
    await expectDataError(load(jsonl), /field 'level' must be an integer/);

    await expectDataError(load(join(dir, 'nope')), /no such file or directory/);
    await expectDataError(load(dir, { split: 'validation' }), /no MathVision 'validation' data/);
    assert.throws(() => itemFromRow({ id: '5', question: 'q', options: [], level: 1, subject: 's' }, 'test'), /row \(id 5\): missing field 'answer'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
