// MathVista loader: the real GitHub layout in $RLSD_BENCH_DATA/mathvista, Hugging Face parquet
// files written here in the dataset's schema, mini rows, and bad inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { realData } from '../../test/fixtures.ts';
import { writeParquet, type ColumnSpec } from '../common/parquet-write.ts';
import { itemFromRow, load, mathvista, requireImages, validateImages } from './index.ts';
import { DataError } from '../../src/util/errors.ts';

const SHARED = realData('mathvista');
const haveShared = existsSync(join(SHARED, 'testmini.json'));
const skipShared = haveShared ? false : `real data absent (${SHARED}); skipping`;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mathvista-test-'));
}

async function png(r: number, g: number, b: number): Promise<Uint8Array> {
  const buf = await sharp({ create: { width: 4, height: 3, channels: 3, background: { r, g, b } } }).png().toBuffer();
  return new Uint8Array(buf);
}

const METADATA_FIELDS: ColumnSpec['fields'] = [
  { name: 'category', kind: 'string' },
  { name: 'context', kind: 'string' },
  { name: 'grade', kind: 'string' },
  { name: 'img_height', kind: 'int64' },
  { name: 'img_width', kind: 'int64' },
  { name: 'language', kind: 'string' },
  { name: 'skills', kind: 'string_list' },
  { name: 'source', kind: 'string' },
  { name: 'split', kind: 'string' },
  { name: 'task', kind: 'string' },
];

interface FixtureRow {
  pid: string;
  question: string;
  image: Uint8Array | null;
  choices: string[] | null;
  unit: string | null;
  precision: number | null;
  answer: string;
  question_type: string;
  answer_type: string;
  skills: string[];
  query: string;
}

/** Columns in the Hugging Face schema (AI4Math/MathVista dataset_info), optionally minus one / plus extras. */
function hfColumns(rows: FixtureRow[], opts: { drop?: string; extra?: ColumnSpec[] } = {}): ColumnSpec[] {
  const cols: ColumnSpec[] = [
    { name: 'pid', kind: 'string', data: rows.map((r) => r.pid) },
    { name: 'question', kind: 'string', data: rows.map((r) => r.question) },
    { name: 'image', kind: 'string', data: rows.map((r) => `images/${r.pid}.jpg`) },
    { name: 'decoded_image', kind: 'image', data: rows.map((r) => (r.image ? { bytes: r.image, path: null } : null)) },
    { name: 'choices', kind: 'string_list', data: rows.map((r) => r.choices) },
    { name: 'unit', kind: 'string', data: rows.map((r) => r.unit) },
    { name: 'precision', kind: 'double', data: rows.map((r) => r.precision) },
    { name: 'answer', kind: 'string', data: rows.map((r) => r.answer) },
    { name: 'question_type', kind: 'string', data: rows.map((r) => r.question_type) },
    { name: 'answer_type', kind: 'string', data: rows.map((r) => r.answer_type) },
    {
      name: 'metadata',
      kind: 'struct',
      fields: METADATA_FIELDS,
      data: rows.map((r) => ({
        category: 'math-targeted-vqa',
        context: 'geometry diagram',
        grade: 'high school',
        img_height: 3,
        img_width: 4,
        language: 'english',
        skills: r.skills,
        source: 'GeoQA+',
        split: 'testmini',
        task: 'geometry problem solving',
      })),
    },
    { name: 'query', kind: 'string', data: rows.map((r) => r.query) },
    ...(opts.extra ?? []),
  ];
  return cols.filter((c) => c.name !== opts.drop);
}

async function fixtureRows(): Promise<FixtureRow[]> {
  return [
    {
      pid: '1',
      question: 'Which angle?',
      image: await png(255, 0, 0),
      choices: ['135°', '140°', '145°'],
      unit: null,
      precision: null,
      answer: '145°',
      question_type: 'multi_choice',
      answer_type: 'text',
      skills: ['geometry reasoning', 'algebraic reasoning'],
      query: 'Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.\nQuestion: Which angle?\nChoices:\n(A) 135°\n(B) 140°\n(C) 145°',
    },
    {
      pid: '2',
      question: 'How many?',
      image: await png(0, 255, 0),
      choices: null,
      unit: 'g',
      precision: null,
      answer: '1000',
      question_type: 'free_form',
      answer_type: 'integer',
      skills: ['arithmetic reasoning'],
      query: 'Hint: Please answer the question requiring an integer answer and provide the final value, e.g., 1, 2, 3, at the end.\nQuestion: How many? (Unit: g)',
    },
    {
      pid: '3',
      question: 'How far?',
      image: await png(0, 0, 255),
      choices: null,
      unit: null,
      precision: 2.0,
      answer: '0.12',
      question_type: 'free_form',
      answer_type: 'float',
      skills: ['scientific reasoning'],
      query: 'Hint: Please answer the question requiring a floating-point number with two decimal places and provide the final value, e.g., 1.23, 1.34, 1.45, at the end.\nQuestion: How far?',
    },
  ];
}

async function rejects(p: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<void> {
  await assert.rejects(async () => (typeof p === 'function' ? p() : p), (e: unknown) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return true;
  });
}

test('GitHub layout (real data): 1,000 testmini items, no images, official queries', { skip: skipShared }, async () => {
  const items = await load(SHARED);
  assert.equal(items.length, 1000);
  const count = (f: (i: (typeof items)[number]) => string) => {
    const m: Record<string, number> = {};
    for (const i of items) m[f(i)] = (m[f(i)] ?? 0) + 1;
    return m;
  };
  assert.deepEqual(count((i) => i.questionType), { free_form: 460, multi_choice: 540 });
  assert.deepEqual(count((i) => i.answerType), { float: 40, integer: 418, text: 540, list: 2 });
  assert.deepEqual(count((i) => i.metadata.language!), { english: 936, chinese: 62, persian: 2 });
  assert.ok(items.every((i) => i.imagesMissing === true && i.images.length === 0));
  const first = items[0]!;
  assert.equal(first.pid, '1');
  assert.equal(first.answer, '1.2');
  assert.equal(first.precision, 1);
  assert.deepEqual(first.metadata.skills, ['scientific reasoning']);
  assert.ok(first.query.startsWith('Hint: Please answer the question requiring a floating-point number with one decimal place'));
  assert.equal(mathvista.prompt(first).text, first.query);
  assert.equal(items[2]!.choices!.length, 4);
  assert.equal(items[2]!.answer, '145°');
  // every gold answer given back as the response scores correct under the official rules, except
  // the two whose options are themselves '(a)'…'(e)': '(b)' is read as letter B → the second option
  const records = items.map((i) => mathvista.score(i, i.answer));
  assert.deepEqual(records.filter((r) => !r.correct).map((r) => [r.id, r.gold, r.prediction]), [
    ['168', '(b)', '(a)'],
    ['849', '(b)', '(d)'],
  ]);
  const metrics = mathvista.aggregate(records);
  assert.equal(metrics.accuracy, 0.998);
  assert.deepEqual(metrics.question_type, {
    free_form: { accuracy: 1, correct: 460, total: 460 },
    multi_choice: { accuracy: 538 / 540, correct: 538, total: 540 },
  });
  await rejects(() => requireImages(items), /no images.*Hugging Face parquet/);
});

test('GitHub layout (real data): limit, file path, missing split', { skip: skipShared }, async () => {
  const ten = await load(SHARED, { limit: 10 });
  assert.deepEqual(ten.map((i) => i.pid), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  const viaFile = await load(join(SHARED, 'testmini.json'), { limit: 3 });
  assert.equal(viaFile.length, 3);
  assert.equal(viaFile[1]!.query, ten[1]!.query);
  await rejects(load(SHARED, { split: 'test' }), /no MathVista 'test' data/);
});

test('Hugging Face layout: splits by file prefix, original image bytes, metadata struct, prompt', async () => {
  const dir = tempDir();
  try {
    const rows = await fixtureRows();
    mkdirSync(join(dir, 'data'));
    writeParquet(join(dir, 'data', 'testmini-00000-of-00001-725687bf7a18d64b.parquet'), hfColumns(rows));
    const testRows = rows.slice(0, 2).map((r) => ({ ...r, pid: `t${r.pid}`, answer: '' }));
    writeParquet(join(dir, 'data', 'test-00000-of-00002-6b81bd7f7e2065e6.parquet'), hfColumns(testRows.slice(0, 1)));
    writeParquet(join(dir, 'data', 'test-00001-of-00002-6a611c71596db30f.parquet'), hfColumns(testRows.slice(1)));

    const items = await load(dir);
    assert.deepEqual(items.map((i) => i.pid), ['1', '2', '3']);
    const [mc, int, float] = items as [(typeof items)[0], (typeof items)[0], (typeof items)[0]];
    assert.deepEqual(mc.images[0]!.bytes, rows[0]!.image);
    assert.equal(mc.images[0]!.path, 'images/1.jpg');
    assert.equal(mc.imagesMissing, undefined);
    assert.deepEqual(mc.choices, ['135°', '140°', '145°']);
    assert.equal(mc.questionType, 'multi_choice');
    assert.equal(int.unit, 'g');
    assert.equal(int.choices, null);
    assert.equal(float.precision, 2);
    assert.deepEqual(float.metadata, {
      category: 'math-targeted-vqa',
      context: 'geometry diagram',
      grade: 'high school',
      img_height: 3,
      img_width: 4,
      language: 'english',
      skills: ['scientific reasoning'],
      source: 'GeoQA+',
      split: 'testmini',
      task: 'geometry problem solving',
    });
    assert.equal(mathvista.prompt(mc).text, rows[0]!.query);
    assert.equal(mathvista.prompt(mc).images, mc.images);
    assert.equal(mc.raw.decoded_image, undefined);
    assert.equal(mc.raw.query, rows[0]!.query);
    await validateImages(items);
    requireImages(items);

    assert.deepEqual(mathvista.score(mc, '(C)').correct, true);
    assert.deepEqual(mathvista.score(float, '0.125').prediction, '0.12');

    const test = await load(dir, { split: 'test' });
    assert.deepEqual(test.map((i) => [i.pid, i.split, i.answer]), [['t1', 'test', ''], ['t2', 'test', '']]);
    assert.equal((await load(join(dir, 'data'), { limit: 2 })).length, 2);
    const single = await load(join(dir, 'data', 'test-00001-of-00002-6a611c71596db30f.parquet'));
    assert.deepEqual(single.map((i) => [i.pid, i.split]), [['t2', 'test']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mini rows: HF schema + rlsd_reference/rlsd_family; prompt is the row\'s own mini prompt', async () => {
  const dir = tempDir();
  try {
    const miniPrompt = 'count red then blue total The answer is "';
    const rows = (await fixtureRows()).slice(1, 2).map((r) => ({ ...r, question: 'count red then blue total', answer: '5', query: miniPrompt }));
    const file = join(dir, 'testmini-00000-of-00001.parquet');
    writeParquet(
      file,
      hfColumns(rows, {
        extra: [
          { name: 'rlsd_reference', kind: 'string', data: ['red 3 blue 2 total 5'] },
          { name: 'rlsd_family', kind: 'string', data: ['count'] },
        ],
      }),
    );
    const [it] = await load(dir);
    assert.equal(it!.reference, 'red 3 blue 2 total 5');
    assert.equal(it!.family, 'count');
    assert.deepEqual(mathvista.prompt(it!), { text: miniPrompt, images: it!.images });
    assert.equal(mathvista.score(it!, 'red 3 blue 2 total 5 The answer is "5".').correct, true);
    assert.equal(mathvista.score(it!, 'red 3 blue 2 total 6 The answer is "6".').correct, false);
    // a mini row may leave metadata and query empty: the question is then the prompt
    const bare = itemFromRow({ ...it!.raw, metadata: null, query: null }, 'testmini', 'mini row');
    assert.deepEqual([bare.query, bare.metadata], ['count red then blue total', {}]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad parquet inputs: missing column, empty file, corrupt image, unknown values, missing image', async () => {
  const dir = tempDir();
  try {
    const rows = await fixtureRows();
    const missing = join(dir, 'missing.parquet');
    writeParquet(missing, hfColumns(rows, { drop: 'answer_type' }));
    await rejects(load(missing), /missing\.parquet: missing column 'answer_type'/);

    const empty = join(dir, 'empty.parquet');
    writeFileSync(empty, '');
    await rejects(load(empty), /empty\.parquet: empty file/);

    const corrupt = join(dir, 'corrupt.parquet');
    const bad = rows.map((r, i) => (i === 1 ? { ...r, image: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]) } : r));
    writeParquet(corrupt, hfColumns(bad));
    const items = await load(corrupt); // the loader never decodes pixels
    assert.equal(items.length, 3);
    await rejects(validateImages(items), /MathVista pid 2 image 1.*corrupt or unreadable image/);

    const unknown = join(dir, 'unknown.parquet');
    writeParquet(
      unknown,
      hfColumns(
        rows.map((r, i) => (i === 2 ? { ...r, question_type: 'essay' } : r)),
        { extra: [{ name: 'annotator', kind: 'string', data: ['a', 'b', 'c'] }] },
      ),
    );
    await rejects(load(unknown), /unknown\.parquet row 3 \(pid 3\): unknown question_type 'essay'/);
    const extraOnly = join(dir, 'extra.parquet');
    writeParquet(extraOnly, hfColumns(rows, { extra: [{ name: 'annotator', kind: 'string', data: ['a', 'b', 'c'] }] }));
    assert.equal((await load(extraOnly))[0]!.raw.annotator, 'a'); // unknown columns are kept, untouched

    const noImage = join(dir, 'noimage.parquet');
    writeParquet(noImage, hfColumns(rows.map((r, i) => (i === 0 ? { ...r, image: null } : r))));
    await rejects(load(noImage), /row 1 \(pid 1\): field 'decoded_image' has no image bytes/);

    const wrongGold = join(dir, 'wronggold.parquet');
    writeParquet(wrongGold, hfColumns(rows.map((r, i) => (i === 0 ? { ...r, answer: 'C' } : r))));
    await rejects(load(wrongGold), /pid 1\): multi_choice answer "C" is not one of the choices/);

    await rejects(load(join(dir, 'nowhere')), /nowhere: no such file or directory/);
    await rejects(load(dir), /no MathVista 'testmini' data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad GitHub-layout inputs: empty, malformed JSON, missing field, missing query.json, missing image file', async () => {
  const dir = tempDir();
  try {
    const entry = (pid: string) => ({
      question: 'How many?',
      image: `images/${pid}.jpg`,
      choices: null,
      unit: null,
      precision: null,
      answer: '4',
      question_type: 'free_form',
      answer_type: 'integer',
      pid,
      metadata: { split: 'testmini', language: 'english', source: 'CLEVR-Math', skills: ['arithmetic reasoning'] },
    });
    const file = join(dir, 'testmini.json');
    writeFileSync(file, '');
    await rejects(load(dir), /testmini\.json: empty file/);

    writeFileSync(file, '{\n  "1": {\n    "question": "x",\n  }\n}\n');
    await rejects(load(dir), /testmini\.json line \d+: malformed JSON/);

    writeFileSync(file, JSON.stringify({ '1': entry('1'), '17': { ...entry('17'), answer: undefined } }, null, 2));
    await rejects(load(dir), /query\.json: missing \(the GitHub layout needs it/);
    writeFileSync(join(dir, 'query.json'), JSON.stringify({ '1': 'Q1', '17': 'Q17' }));
    await rejects(load(dir), /testmini\.json \(pid 17\): missing field 'answer'/);

    writeFileSync(file, JSON.stringify({ '1': entry('1'), '2': entry('2') }));
    await rejects(load(dir), /query\.json: no query for pid 2/);

    writeFileSync(join(dir, 'query.json'), JSON.stringify({ '1': 'Q1', '2': 'Q2' }));
    const items = await load(dir);
    assert.deepEqual(items.map((i) => [i.pid, i.query, i.imagesMissing]), [['1', 'Q1', true], ['2', 'Q2', true]]);

    // with an images/ folder beside the JSON, every image must be there
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'images', '1.jpg'), await png(9, 9, 9));
    await rejects(load(dir), /images\/2\.jpg: missing image file \(pid 2\)/);
    writeFileSync(join(dir, 'images', '2.jpg'), await png(8, 8, 8));
    const withImages = await load(dir);
    assert.equal(withImages[1]!.imagesMissing, undefined);
    assert.equal(withImages[1]!.images[0]!.path, 'images/2.jpg');
    await validateImages(withImages);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('itemFromRow names the field it rejects', () => {
  const row = { pid: 9, question: 'q', choices: null, precision: 1, answer: '1.0', question_type: 'free_form', answer_type: 'float', metadata: {}, query: 'q' };
  assert.equal(itemFromRow(row, 'testmini').pid, '9');
  assert.throws(() => itemFromRow({ ...row, answer_type: 'complex' }, 'testmini', 'f.parquet row 2'), /f\.parquet row 2 \(pid 9\): unknown answer_type 'complex'/);
  assert.throws(() => itemFromRow({ ...row, precision: null }, 'testmini'), /float answer needs a 'precision'/);
  assert.throws(() => itemFromRow({ ...row, metadata: undefined }, 'testmini'), /missing field 'metadata'/);
  assert.throws(() => itemFromRow({ ...row, query: undefined }, 'testmini'), /missing field 'query'/);
  assert.throws(() => itemFromRow({ ...row, pid: undefined }, 'testmini'), /missing field 'pid'/);
  assert.throws(() => itemFromRow({ ...row, question: 3 }, 'testmini'), /field 'question' must be a string/);
});
