// WeMath loader: the real GitHub layout in $RLSD_BENCH_DATA/wemath (1,740 items, 525 groups, every
// image decodes), Hugging Face parquet files written here in the dataset's schema, a GitHub-layout fixture,
// mini rows, the official prompt, and bad inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { realData } from '../../test/fixtures.ts';
import { writeParquet, type ColumnSpec } from '../common/parquet-write.ts';
import { itemFromRow, loadWeMath, officialPrompt, validateImages, wemath, type WeMathItem } from './index.ts';
import { DataError } from '../../src/util/errors.ts';

const SHARED = realData('wemath');
const haveShared = existsSync(join(SHARED, 'testmini.json'));
const skipShared = haveShared ? false : `real data absent (${SHARED}); skipping`;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'wemath-test-'));
}

async function png(r: number, g: number, b: number): Promise<Uint8Array> {
  const buf = await sharp({ create: { width: 5, height: 4, channels: 3, background: { r, g, b } } }).png().toBuffer();
  return new Uint8Array(buf);
}

interface FixtureRow {
  ID: string;
  key: string;
  qn: number;
  answer: string;
  concept: string;
  image: Uint8Array | null;
  reference?: string;
}

/** A complete 2-step group (three rows) in the order the dataset stores them. */
async function fixtureRows(): Promise<FixtureRow[]> {
  return [
    { ID: '2steps_1', key: '2steps_1', qn: 1, answer: 'C', concept: 'Area of Circles', image: await png(255, 0, 0) },
    { ID: '2steps_1', key: '2steps_2', qn: 361, answer: 'A', concept: 'Area of Squares', image: await png(0, 255, 0) },
    { ID: '2steps_1', key: '2steps_multi', qn: 721, answer: 'B', concept: 'Area of Circles;Area of Squares', image: await png(0, 0, 255) },
  ];
}

/** Columns in the Hugging Face schema of We-Math/We-Math, optionally minus one / plus extras. */
function hfColumns(rows: FixtureRow[], opts: { drop?: string; extra?: ColumnSpec[] } = {}): ColumnSpec[] {
  const cols: ColumnSpec[] = [
    { name: 'ID', kind: 'string', data: rows.map((r) => r.ID) },
    { name: 'split', kind: 'string', data: rows.map(() => 'testmini') },
    { name: 'knowledge concept', kind: 'string', data: rows.map((r) => r.concept) },
    { name: 'question', kind: 'string', data: rows.map((r) => `Question ${r.qn}: what is shown?`) },
    { name: 'option', kind: 'string', data: rows.map(() => 'A. 5π;B. 4π;C. 3π;D. 2π; E. No correct answer') },
    { name: 'answer', kind: 'string', data: rows.map((r) => r.answer) },
    { name: 'image_path', kind: 'image', data: rows.map((r) => (r.image ? { bytes: r.image, path: `${r.qn}.png` } : null)) },
    { name: 'key', kind: 'string', data: rows.map((r) => r.key) },
    { name: 'question number', kind: 'int64', data: rows.map((r) => r.qn) },
    { name: 'knowledge concept description', kind: 'string', data: rows.map((r) => `${r.concept}:\n1. A card.`) },
    ...(opts.extra ?? []),
  ];
  return cols.filter((c) => c.name !== opts.drop);
}

test('GitHub layout (real data): 1,740 items in 525 groups, keys, ids, domains, prompt', { skip: skipShared }, async () => {
  const items = await loadWeMath(SHARED);
  assert.equal(items.length, 1740);
  const keys: Record<string, number> = {};
  for (const it of items) keys[it.key] = (keys[it.key] ?? 0) + 1;
  assert.deepEqual(keys, { '2steps_1': 360, '2steps_2': 360, '2steps_multi': 360, '3steps_1': 165, '3steps_2': 165, '3steps_3': 165, '3steps_multi': 165 });
  assert.equal(new Set(items.map((i) => i.id)).size, 1740);
  assert.equal(new Set(items.map((i) => i.group)).size, 525);
  assert.equal(items.filter((i) => i.images.length === 1).length, 1740);
  // knowledge_structure_nodes.json maps every one-step concept to its domain; composites have none.
  assert.equal(items.filter((i) => i.domain !== undefined).length, 1215);
  assert.equal(items.filter((i) => i.step === 'multi' && i.domain !== undefined).length, 0);

  const first = items[0]!;
  assert.equal(first.id, '1');
  assert.equal(first.group, '2steps_1');
  assert.equal(first.key, '2steps_1');
  assert.equal(first.steps, 2);
  assert.equal(first.step, '1');
  assert.equal(first.answer, 'C');
  assert.equal(first.concept, 'Conversion Rates and Calculations Between Length Units');
  assert.equal(first.domain, 'Understanding and Conversion of Units');
  assert.equal(first.options, 'A. 300, 400;B. 400, 300;C. 3000, 4000;D. 4000, 3000; E. No correct answer');
  assert.deepEqual(first.optionList, ['A. 300, 400', 'B. 400, 300', 'C. 3000, 4000', 'D. 4000, 3000', 'E. No correct answer']);
  assert.equal(first.images[0]!.path, '2steps/image/1-1.png');
  assert.equal(first.reference, undefined);
  assert.deepEqual(Array.from(first.images[0]!.bytes.subarray(0, 4)), [0x89, 0x50, 0x4e, 0x47]); // original PNG bytes

  const last = items[1739]!;
  assert.deepEqual([last.id, last.group, last.key, last.steps, last.answer], ['1740', '3steps_165', '3steps_multi', 3, 'B']);
  assert.equal(last.images[0]!.path, '3steps/image/165-multi.png');

  const prompt = wemath.prompt(first);
  assert.equal(
    prompt.text,
    'Now, we require you to solve a multiple-choice math question. Please briefly describe your thought process and provide the final answer(option).\n' +
      'Question: According to the diagram and the length information provided: OA = ( ) m, AB = ( ) m\n' +
      'Option: A. 300, 400;B. 400, 300;C. 3000, 4000;D. 4000, 3000; E. No correct answer\n' +
      'Regarding the format, please answer following the template below, and be sure to include two <> symbols:\n' +
      '<Thought process>: <<your thought process>> <Answer>: <<your option>>',
  );
  assert.equal(prompt.images, first.images);

  // Gold answers as responses: complete mastery everywhere.
  const m = wemath.aggregate(items.map((it) => wemath.score(it, `<Thought process>: … <Answer>: ${it.answer}`)));
  assert.equal(m.groups, 525);
  assert.equal(m.score_strict, 1);
  assert.deepEqual(m.CM_strict, { count: 525, rate: 1 });
  assert.equal(Object.keys(m.domains as object).length, 12);
});

test('GitHub layout (real data): every image decodes with sharp (timed)', { skip: skipShared }, async (t) => {
  const t0 = performance.now();
  const items = await loadWeMath(SHARED);
  const t1 = performance.now();
  const decoded = await validateImages(items);
  const t2 = performance.now();
  assert.equal(decoded, 1740);
  t.diagnostic(`load ${(t1 - t0).toFixed(0)} ms + decode ${(t2 - t1).toFixed(0)} ms for ${decoded} images`);
  assert.ok(t2 - t0 < 60_000, `load+decode took ${(t2 - t0).toFixed(0)} ms`);
});

test('GitHub layout (real data): limit, file path, data/ subfolder naming, missing split', { skip: skipShared }, async () => {
  const five = await loadWeMath(SHARED, { limit: 5 });
  assert.deepEqual(five.map((i) => i.id), ['1', '2', '3', '4', '5']);
  const viaFile = await loadWeMath(join(SHARED, 'testmini.json'), { limit: 2 });
  assert.equal(viaFile[1]!.images[0]!.path, '2steps/image/2-1.png');
  await assert.rejects(loadWeMath(SHARED, { split: 'test' }), (e: Error) => e instanceof DataError && /no WeMath data for split 'test'/.test(e.message));
});

test('Hugging Face parquet: snapshot directory, single file, split prefix, limit', async () => {
  const dir = tempDir();
  try {
    const rows = await fixtureRows();
    writeParquet(join(dir, 'data', 'testmini-00000-of-00001-adbfe22dcd3558e6.parquet'), hfColumns(rows));
    const items = await loadWeMath(dir);
    assert.equal(items.length, 3);
    assert.deepEqual(items.map((i) => [i.id, i.group, i.key, i.steps, i.step, i.answer]), [
      ['1', '2steps_1', '2steps_1', 2, '1', 'C'],
      ['361', '2steps_1', '2steps_2', 2, '2', 'A'],
      ['721', '2steps_1', '2steps_multi', 2, 'multi', 'B'],
    ]);
    assert.deepEqual(items[0]!.images[0]!.bytes, rows[0]!.image);
    assert.equal(items[0]!.images[0]!.path, '1.png');
    assert.equal(items[2]!.concept, 'Area of Circles;Area of Squares');
    assert.equal(items[0]!.conceptDescription, 'Area of Circles:\n1. A card.');
    assert.equal(items[0]!.domain, undefined); // no knowledge_structure_nodes.json in this snapshot
    assert.equal(await validateImages(items), 3);
    assert.equal(wemath.prompt(items[0]!).text, officialPrompt('Question 1: what is shown?', 'A. 5π;B. 4π;C. 3π;D. 2π; E. No correct answer'));

    const single = await loadWeMath(join(dir, 'data', 'testmini-00000-of-00001-adbfe22dcd3558e6.parquet'), { limit: 1 });
    assert.deepEqual(single.map((i) => i.id), ['1']);
    assert.equal((await loadWeMath(dir, { limit: 2 })).length, 2);

    // The nodes file of the HF snapshot root gives domains.
    writeFileSync(
      join(dir, 'knowledge_structure_nodes.json'),
      JSON.stringify([{ root2: 'Calculation of Plane Figures', 'full node': 'Plane Figures_Calculation of Plane Figures_Area of Plane Figures_Area of Circles' }]),
    );
    const withDomains = await loadWeMath(dir);
    assert.deepEqual(withDomains.map((i) => i.domain ?? null), ['Calculation of Plane Figures', null, null]);

    // Records from a full group aggregate to one group.
    const recs = withDomains.map((it, i) => wemath.score(it, ['<Answer>: C', '<Answer>: B', '<Answer>: B'][i]!));
    const m = wemath.aggregate(recs);
    assert.deepEqual([m.groups, (m.RM_strict as { count: number }).count, (m.CM_loose as { count: number }).count], [1, 1, 1]);
    assert.deepEqual(m.domains, { 'Calculation of Plane Figures': 1 });

    await assert.rejects(loadWeMath(dir, { split: 'train' }), /no WeMath data for split 'train'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mini rows: reference and family kept, prompt is the question itself', async () => {
  const dir = tempDir();
  try {
    const rows = await fixtureRows();
    const extra: ColumnSpec[] = [
      { name: 'rlsd_reference', kind: 'string', data: ['[ref] area 3 answer C [/ref]', '[ref] side 2 answer A [/ref]', '[ref] total 5 answer B [/ref]'] },
      { name: 'rlsd_family', kind: 'string', data: ['compose', 'compose', 'compose'] },
    ];
    writeParquet(join(dir, 'data', 'train-00000-of-00001.parquet'), hfColumns(rows, { extra }));
    const items = await loadWeMath(dir, { split: 'train' });
    assert.equal(items[0]!.reference, '[ref] area 3 answer C [/ref]');
    assert.equal(items[0]!.family, 'compose');
    const prompt = wemath.prompt(items[0]!);
    assert.equal(prompt.text, 'Question 1: what is shown?');
    assert.equal(prompt.images, items[0]!.images);
    assert.equal(wemath.score(items[0]!, 'area 3 Answer: C').correct, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GitHub layout fixture: images read from disk, nodes beside the JSON, data/ subfolder', async () => {
  const dir = tempDir();
  try {
    const rows = await fixtureRows();
    const json = rows.map((r) => ({
      ID: r.ID,
      split: 'testmini',
      'knowledge concept': r.concept,
      question: `Q${r.qn}`,
      option: 'A. 1;B. 2; C. 3',
      answer: r.answer,
      image_path: `2steps/image/1-${r.key.split('_')[1]}.png`,
      key: r.key,
      'question number': r.qn,
      'knowledge concept description': 'card',
    }));
    mkdirSync(join(dir, 'data', '2steps', 'image'), { recursive: true });
    rows.forEach((r, i) => writeFileSync(join(dir, 'data', json[i]!.image_path), r.image!));
    writeFileSync(join(dir, 'data', 'testmini.json'), JSON.stringify(json, null, 4));
    const items = await loadWeMath(dir);
    assert.equal(items.length, 3);
    assert.deepEqual(items[1]!.images[0]!.bytes, rows[1]!.image);
    assert.equal(items[1]!.images[0]!.path, '2steps/image/1-2.png');
    assert.equal(await validateImages(items), 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('itemFromRow: unknown extra fields are kept in raw; question number from int, bigint or digits', async () => {
  const row = {
    ID: '3steps_7',
    key: '3steps_3',
    'question number': 1247n,
    question: 'q',
    option: 'A. x;B. y',
    answer: 'B',
    'knowledge concept': 'Rotation',
    image_path: { bytes: await png(1, 2, 3), path: 'p.png' },
    some_new_field: 'kept',
  };
  const item: WeMathItem = itemFromRow(row, 'testmini');
  assert.deepEqual([item.id, item.steps, item.step, item.conceptDescription, item.split], ['1247', 3, '3', '', 'testmini']);
  assert.equal(item.raw.some_new_field, 'kept');
  assert.equal(itemFromRow({ ...row, 'question number': 12 }, 'x').id, '12');
  assert.equal(itemFromRow({ ...row, 'question number': '12' }, 'x').id, '12');
  assert.deepEqual(itemFromRow({ ...row, image_path: '3steps/image/7-3.png' }, 'x').images, []); // the loader reads the file
});

test('bad inputs: missing column, corrupt image, empty files, unknown key, malformed JSON, missing image, duplicates', async () => {
  const dir = tempDir();
  const isData = (pattern: RegExp) => (e: Error) => e instanceof DataError && pattern.test(e.message) && !e.message.includes('\n');
  try {
    const rows = await fixtureRows();

    // Missing column names the file and the column.
    const noAnswer = join(dir, 'a', 'data', 'testmini-00000-of-00001.parquet');
    writeParquet(noAnswer, hfColumns(rows, { drop: 'answer' }));
    await assert.rejects(loadWeMath(join(dir, 'a')), isData(/testmini-00000-of-00001\.parquet: missing column 'answer'/));

    // Corrupt image bytes load (bytes are kept) but fail validation, naming the item.
    const corrupt = rows.map((r, i) => (i === 1 ? { ...r, image: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) } : r));
    writeParquet(join(dir, 'b', 'data', 'testmini-00000-of-00001.parquet'), hfColumns(corrupt));
    const items = await loadWeMath(join(dir, 'b'));
    await assert.rejects(validateImages(items), isData(/wemath item 361 \(ID 2steps_1, key 2steps_2\) image 1 \(361\.png\): corrupt or unreadable image/));

    // A null image struct names the row and field.
    const noImage = rows.map((r, i) => (i === 2 ? { ...r, image: null } : r));
    writeParquet(join(dir, 'c', 'data', 'testmini-00000-of-00001.parquet'), hfColumns(noImage));
    await assert.rejects(loadWeMath(join(dir, 'c')), isData(/row 3: field 'image_path' holds no image bytes/));

    // Empty parquet file, empty JSON file, empty JSON array.
    mkdirSync(join(dir, 'd', 'data'), { recursive: true });
    writeFileSync(join(dir, 'd', 'data', 'testmini-00000-of-00001.parquet'), '');
    await assert.rejects(loadWeMath(join(dir, 'd')), isData(/testmini-00000-of-00001\.parquet: empty file/));
    mkdirSync(join(dir, 'e'));
    writeFileSync(join(dir, 'e', 'testmini.json'), '');
    await assert.rejects(loadWeMath(join(dir, 'e')), isData(/testmini\.json: empty file/));
    writeFileSync(join(dir, 'e', 'testmini.json'), '[]');
    await assert.rejects(loadWeMath(join(dir, 'e')), isData(/testmini\.json: no items/));

    // Unknown key value.
    const badKey = rows.map((r, i) => (i === 0 ? { ...r, key: '4steps_1' } : r));
    writeParquet(join(dir, 'f', 'data', 'testmini-00000-of-00001.parquet'), hfColumns(badKey));
    await assert.rejects(loadWeMath(join(dir, 'f')), isData(/row 1: unknown value of field 'key': "4steps_1"/));

    // Duplicate question number.
    const dup = rows.map((r, i) => (i === 2 ? { ...r, qn: 1 } : r));
    writeParquet(join(dir, 'g', 'data', 'testmini-00000-of-00001.parquet'), hfColumns(dup));
    await assert.rejects(loadWeMath(join(dir, 'g')), isData(/duplicate 'question number' 1/));

    // GitHub layout: malformed JSON names the line; a missing field names the item's line; a missing image file.
    const entry = (qn: number, extra: Record<string, unknown> = {}) => ({
      ID: '2steps_1',
      'knowledge concept': 'c',
      question: 'q',
      option: 'A. 1',
      answer: 'A',
      image_path: `img/${qn}.png`,
      key: '2steps_1',
      'question number': qn,
      ...extra,
    });
    mkdirSync(join(dir, 'h', 'img'), { recursive: true });
    writeFileSync(join(dir, 'h', 'img', '1.png'), rows[0]!.image!);
    const text = JSON.stringify([entry(1), entry(2)], null, 4);
    writeFileSync(join(dir, 'h', 'testmini.json'), text.replace('"question": "q",\n        "option"', '"question": "q"\n        "option"'));
    await assert.rejects(loadWeMath(join(dir, 'h')), isData(/testmini\.json line 6: malformed JSON/));
    const missingField = JSON.stringify([entry(1), { ...entry(2), answer: undefined }], null, 4);
    writeFileSync(join(dir, 'h', 'testmini.json'), missingField);
    await assert.rejects(loadWeMath(join(dir, 'h')), isData(/testmini\.json line 12 \(item 2\): missing field 'answer'/));
    writeFileSync(join(dir, 'h', 'testmini.json'), JSON.stringify([entry(1), entry(2)], null, 4));
    await assert.rejects(loadWeMath(join(dir, 'h')), isData(/line 12 \(item 2\): image file not found: .*img\/2\.png \(field 'image_path'\)/));
    writeFileSync(join(dir, 'h', 'testmini.json'), JSON.stringify({ items: [] }));
    await assert.rejects(loadWeMath(join(dir, 'h')), isData(/expected a JSON array of items, got object/));

    // Paths that are nothing WeMath knows.
    await assert.rejects(loadWeMath(join(dir, 'nope')), isData(/no such file or directory/));
    writeFileSync(join(dir, 'x.csv'), 'a,b');
    await assert.rejects(loadWeMath(join(dir, 'x.csv')), isData(/not a WeMath file/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('empty response scores as no answer', async () => {
  const rows = await fixtureRows();
  const dir = tempDir();
  try {
    writeParquet(join(dir, 'testmini-00000-of-00001.parquet'), hfColumns(rows));
    const [item] = await loadWeMath(dir, { limit: 1 });
    const rec = wemath.score(item!, '');
    assert.deepEqual([rec.extracted, rec.correct, rec.extractor, rec.gold], [null, false, 'none', 'C']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
