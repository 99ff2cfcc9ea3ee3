// ZeroBench: the authors' curly-brace rule (expected values printed by their dataset-card loop run
// in CPython on the same strings), the k-sample aggregates (hand-computed), the prompt, and the
// loader on parquet files written here in the Hugging Face schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { realData } from '../../test/fixtures.ts';
import { writeParquet, type ColumnSpec } from '../common/parquet-write.ts';
import { type ItemRecord } from '../common/types.ts';
import { aggregateZeroBench, extractCurly, itemFromRow, judgeZeroBench, validateImages, zerobench, ZEROBENCH_PROMPT_SUFFIX, type ZeroBenchItem } from './index.ts';
import { DataError } from '../../src/util/errors.ts';

/** [response, ground truth, parsed answer, verdict] — written for this test in the style of ZeroBench answers. */
const CASES: [string, string, string, boolean][] = [
  ["Let's count the bottles: 7 on the top shelf ... so the saving is {11.90}", '11.90', '11.90', true],
  ['{ 11.90 }', '11.90', ' 11.90 ', false], // the group is never stripped
  ['{11.9}', '11.90', '11.9', false], // exact string, no numeric comparison
  ['First guess {A}, but re-checking the figure, the final answer is {B}.', 'B', 'b', true], // last braces
  ['{Paris}', 'paris', 'paris', true], // case-insensitive
  ['{7}', ' 7 ', '7', true], // gold stripped
  ['The answer is 5', '5', '', false], // no braces
  ['{\n5}', '5', '', false], // `.` does not cross a newline
  ['{5\n} then {6}', '6', '6', true],
  ['{{5}}', '5', '{5', false],
  ['{15}', '5', '15', false], // VLMEvalKit's substring test would accept this
  ['{\u{1F600}}', '\u{1F600}', '\u{1F600}', true], // lengths in code points
  ['{5\r}', '5', '5\r', false], // Python's `.` matches \r
  ['{12, 13}', '12, 13', '12, 13', true],
  ['  {X}\n', 'x', 'x', true],
  ['', '3', '', false], // empty response
  ['{a\u2028b}', 'a\u2028b', 'a\u2028b', true],
  ['Final answer: {Thirty-Two}', 'thirty-two', 'thirty-two', true],
  ['{7 }', '7', '7 ', false],
];

test('the authors\' rule: last {...} of the lower-cased response equals the stripped gold', () => {
  for (const [response, gold, parsed, verdict] of CASES) {
    assert.equal(extractCurly(response).parsed, parsed, JSON.stringify(response));
    assert.equal(judgeZeroBench(extractCurly(response).parsed, gold), verdict, JSON.stringify(response));
  }
});

test('score records the extractor and the group fields', () => {
  const item = itemFromRow({ question_id: '3_2', question_text: 'How many?', question_images_decoded: [], question_answer: '11.90' }, 'zerobench_subquestions');
  assert.equal(item.mainQuestionId, '3');
  assert.deepEqual(zerobench.score(item, 'so {11.90}'), {
    id: '3_2',
    response: 'so {11.90}',
    extracted: '11.90',
    gold: '11.90',
    correct: true,
    extractor: 'curly_last',
    split: 'zerobench_subquestions',
    main_question_id: '3',
  });
  const none = zerobench.score(item, '');
  assert.deepEqual([none.extracted, none.extractor, none.correct], [null, 'no_braces', false]);
});

function rec(id: string, correct: boolean, sample: number, split = 'zerobench'): ItemRecord {
  return { id, response: '', extracted: null, gold: '', correct, extractor: 'curly_last', sample, split };
}

test('aggregate: pass@1, pass@k and k/k over 5 samples', () => {
  const records: ItemRecord[] = [];
  const pattern: Record<string, boolean[]> = {
    '1': [true, false, false, false, false],
    '2': [true, true, true, true, true],
    '3': [false, false, false, false, false],
  };
  for (const [id, s] of Object.entries(pattern)) s.forEach((c, i) => records.push(rec(id, c, i)));
  assert.deepEqual(aggregateZeroBench(records), { 'pass@1': (0.2 + 1 + 0) / 3, 'pass@k': 2 / 3, 'k/k': 1 / 3, k: 5, num_questions: 3, num_records: 15 });
});

test('aggregate: one greedy sample, sub-question accuracy, uneven k', () => {
  const subs = [rec('1_1', true, 0, 'zerobench_subquestions'), rec('1_2', true, 0, 'zerobench_subquestions'), rec('2_1', false, 0, 'zerobench_subquestions'), rec('2_2', true, 0, 'zerobench_subquestions')];
  assert.deepEqual(aggregateZeroBench(subs), { 'pass@1': 0.75, 'pass@k': 0.75, 'k/k': 0.75, k: 1, num_questions: 4, num_records: 4, subquestion_accuracy: 0.75 });
  const uneven = aggregateZeroBench([rec('1', true, 0), rec('1', false, 1), rec('2', true, 0)]);
  assert.deepEqual(uneven, { 'pass@1': (0.5 + 1) / 2, 'pass@k': 1, 'k/k': 0.5, k: 2, num_questions: 2, num_records: 3, k_min: 1 });
  assert.deepEqual(aggregateZeroBench([]), { 'pass@1': 0, 'pass@k': 0, 'k/k': 0, k: 0, num_questions: 0, num_records: 0 });
});

// ---------------------------------------------------------------- loader

async function png(r: number, g: number, b: number): Promise<Uint8Array> {
  return new Uint8Array(await sharp({ create: { width: 4, height: 4, channels: 3, background: { r, g, b } } }).png().toBuffer());
}

interface ZbRow {
  id: string;
  text: string;
  answer: string;
  images: Uint8Array[];
}

function zbColumns(rows: ZbRow[], extra: ColumnSpec[] = [], drop: string[] = []): ColumnSpec[] {
  const cols: ColumnSpec[] = [
    { name: 'question_id', kind: 'string', data: rows.map((r) => r.id) },
    { name: 'question_text', kind: 'string', data: rows.map((r) => r.text) },
    { name: 'question_images_decoded', kind: 'image_list', data: rows.map((r) => r.images.map((bytes, k) => ({ bytes, path: `${r.id}_${k}.png` }))) },
    { name: 'question_answer', kind: 'string', data: rows.map((r) => r.answer) },
    { name: 'question_images', kind: 'string_list', data: rows.map((r) => r.images.map((_, k) => `images/${r.id}_${k}.png`)) },
    { name: 'image_attribution', kind: 'string', data: rows.map(() => 'Own') },
    ...extra,
  ];
  return cols.filter((c) => !drop.includes(c.name));
}

async function snapshot(): Promise<{ dir: string; red: Uint8Array; blue: Uint8Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'zerobench-'));
  mkdirSync(join(dir, 'data'));
  const red = await png(255, 0, 0);
  const blue = await png(0, 0, 255);
  writeParquet(join(dir, 'data', 'zerobench-00000-of-00001.parquet'), zbColumns([
    { id: '1', text: 'How much do I save?', answer: '11.90', images: [red] },
    { id: '2', text: 'Count the geese.', answer: '17', images: [red, blue] },
    { id: '3', text: 'Which word?', answer: 'oar', images: [blue] },
  ]));
  writeParquet(join(dir, 'data', 'zerobench_subquestions-00000-of-00001.parquet'), zbColumns([
    { id: '1_1', text: 'Price of one bottle?', answer: '3.50', images: [red] },
    { id: '1_2', text: 'How many bottles?', answer: '4', images: [red] },
    { id: '2_1', text: 'Geese on the left?', answer: '9', images: [red, blue] },
    { id: '3_1', text: 'First letter?', answer: 'o', images: [blue] },
  ]));
  return { dir, red, blue };
}

test('load: both splits of a Hugging Face snapshot, images kept as bytes, prompt', async () => {
  const { dir, red, blue } = await snapshot();
  const main = await zerobench.load(dir);
  assert.deepEqual(main.map((i) => i.id), ['1', '2', '3']); // 'zerobench-' does not pick up the sub-questions
  const subs = await zerobench.load(dir, { split: 'zerobench_subquestions' });
  assert.deepEqual(subs.map((i) => [i.id, i.mainQuestionId, i.split]), [['1_1', '1', 'zerobench_subquestions'], ['1_2', '1', 'zerobench_subquestions'], ['2_1', '2', 'zerobench_subquestions'], ['3_1', '3', 'zerobench_subquestions']]);
  const two = main[1]!;
  assert.equal(two.answer, '17');
  assert.equal(two.images.length, 2);
  assert.deepEqual([...two.images[0]!.bytes], [...red]);
  assert.deepEqual([...two.images[1]!.bytes], [...blue]);
  assert.equal(two.raw.image_attribution, 'Own');
  const p = zerobench.prompt(main[0]!);
  assert.equal(p.text, "How much do I save?\n\n\nLet's think step by step and give the final answer in curly braces, like this: {final answer}");
  assert.equal(p.images.length, 1);
  assert.equal(ZEROBENCH_PROMPT_SUFFIX.startsWith('\n\n\n'), true);
  assert.deepEqual((await zerobench.load(dir, { limit: 2 })).map((i) => i.id), ['1', '2']);
  const single = await zerobench.load(join(dir, 'data', 'zerobench_subquestions-00000-of-00001.parquet'));
  assert.equal(single.length, 4);
  assert.equal(single[0]!.split, 'zerobench_subquestions'); // split from the file name
  assert.equal((await zerobench.load(join(dir, 'data'))).length, 3);
  await validateImages([...main, ...subs]);

  // End to end: greedy answers for the sub-questions.
  const records = subs.map((item, i) => zerobench.score(item, ['… {3.50}', '{5}', 'so {9}', 'The first letter is o'][i]!));
  assert.deepEqual(records.map((r) => r.correct), [true, false, true, false]);
  assert.equal(zerobench.aggregate(records).subquestion_accuracy, 0.5);
});

test('mini rows: own question text and images, reference and family', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerobench-mini-'));
  const img = await png(0, 255, 0);
  writeParquet(join(dir, 'zerobench-00000-of-00001.parquet'), zbColumns([{ id: 'm1', text: 'count red then blue answer in braces', answer: '5', images: [img] }], [
    { name: 'rlsd_reference', kind: 'string', data: ['red 3 blue 2 total 5'] },
    { name: 'rlsd_family', kind: 'string', data: ['compose'] },
  ]));
  const [item] = await zerobench.load(dir);
  assert.ok(item);
  assert.equal(item.mini, true);
  assert.equal(item.reference, 'red 3 blue 2 total 5');
  assert.deepEqual(zerobench.prompt(item), { text: item.question, images: item.images });
  const r = zerobench.score(item, 'red 3 blue 2 total {5}');
  assert.equal(r.correct, true);
  assert.deepEqual(zerobench.aggregate([r]).families, { compose: { 'pass@1': 1, 'pass@k': 1, 'k/k': 1, num_questions: 1 } });
});

test('bad inputs: missing column, wrong field type, absent split, empty file, corrupt image', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerobench-bad-'));
  const ok = await png(1, 2, 3);
  const row: ZbRow = { id: '7', text: 'Q', answer: '1', images: [ok] };

  const noAnswer = join(dir, 'zerobench-noanswer.parquet');
  writeParquet(noAnswer, zbColumns([row], [], ['question_answer']));
  await assert.rejects(zerobench.load(noAnswer), (e: Error) => e instanceof DataError && e.message === `${noAnswer}: missing column 'question_answer'`);

  const wrongType = join(dir, 'zerobench-wrongtype.parquet');
  writeParquet(wrongType, [...zbColumns([row], [], ['question_images_decoded']), { name: 'question_images_decoded', kind: 'string', data: ['not images'] }]);
  await assert.rejects(zerobench.load(wrongType), (e: Error) => e instanceof DataError && e.message === `${wrongType} row 1 (question_id 7): field 'question_images_decoded' is not a list of images`);

  await assert.rejects(zerobench.load(dir, { split: 'validation' }), (e: Error) => e instanceof DataError && e.message.includes("no parquet files for split 'validation'"));
  await assert.rejects(zerobench.load(join(dir, 'missing')), DataError);
  mkdirSync(join(dir, 'emptydir'));
  await assert.rejects(zerobench.load(join(dir, 'emptydir')), (e: Error) => e instanceof DataError && e.message.includes("no parquet files for split 'zerobench'"));

  const empty = join(dir, 'zerobench-empty.parquet');
  writeFileSync(empty, '');
  await assert.rejects(zerobench.load(empty), (e: Error) => e instanceof DataError && e.message === `${empty}: empty file`);

  const corrupt = join(dir, 'zerobench-corrupt.parquet');
  writeParquet(corrupt, zbColumns([{ ...row, images: [ok, new Uint8Array([0xff, 0xd8, 0xff, 0, 1])] }]));
  const items: ZeroBenchItem[] = await zerobench.load(corrupt);
  await assert.rejects(validateImages(items), (e: Error) => e instanceof DataError && e.message.includes('ZeroBench item 7 image 2'));

  assert.throws(() => itemFromRow({ question_id: '8', question_text: 'Q', question_images_decoded: [{ bytes: null, path: 'x.png' }], question_answer: '1' }, 'zerobench'), /image 1 has no bytes/);
});

test('scoring 10,000 responses (its speed: npm run bench:benchmarks)', () => {
  const item = itemFromRow({ question_id: '1', question_text: 'Q', question_images_decoded: [], question_answer: '11.90' }, 'zerobench');
  const long = 'Step 1: there are {3} bottles on the first shelf and {4} on the second. '.repeat(20) + 'Final answer: {11.90}';
  let correct = 0;
  for (let n = 0; n < 10_000; n++) if (zerobench.score(item, n % 2 ? long : CASES[n % CASES.length]![0]).correct) correct++;
  assert.ok(correct >= 5000);
});

const SHARED = realData('zerobench');
test('real ZeroBench files ($RLSD_BENCH_DATA/zerobench, when present)', { skip: existsSync(SHARED) ? false : `no ${SHARED}: ZeroBench ships only on Hugging Face (set RLSD_BENCH_DATA to a folder holding zerobench/)` }, async () => {
  assert.equal((await zerobench.load(SHARED)).length, 100);
  assert.equal((await zerobench.load(SHARED, { split: 'zerobench_subquestions' })).length, 334);
});
