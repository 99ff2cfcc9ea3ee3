import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readParquetRows } from '../common/parquet.ts';
import { miniRows, miniTasks, writeMiniSuite } from './build.ts';
import { isBenchmarkName, MINI_BENCHMARKS, miniSpec } from '../index.ts';
import { miniPrompt, miniTarget } from './formats.ts';

const PAPER_COUNTS: Record<string, { train: number; eval: number }> = {
  mmmu: { train: 12, eval: 16 },
  mathvista: { train: 6, eval: 8 },
  mathvision: { train: 6, eval: 8 },
  wemath: { train: 3, eval: 6 },
  zerobench: { train: 3, eval: 5 },
};
/** A small suite: the paper's five as above, any other registered benchmark as ZeroBench. */
const COUNTS = Object.fromEntries(MINI_BENCHMARKS.map((b) => [b, PAPER_COUNTS[b] ?? PAPER_COUNTS['zerobench']!]));

test('writeMiniSuite: HF layouts, exact columns, values read back, byte-identical for the same seed', async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'mini-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'mini-b-'));
  const dirC = mkdtempSync(join(tmpdir(), 'mini-c-'));
  try {
    const filesA = await writeMiniSuite(dirA, { seed: 5, counts: COUNTS });
    const filesB = await writeMiniSuite(dirB, { seed: 5, counts: COUNTS });
    const filesC = await writeMiniSuite(dirC, { seed: 6, counts: COUNTS, benchmarks: ['mathvista'] });
    const rel = filesA.map((f) => relative(dirA, f));
    const folder = (f: string): string => f.split('/')[0]!;
    assert.deepEqual([...new Set(rel.map(folder))].sort(), [...MINI_BENCHMARKS].sort(), 'one folder per registered benchmark');
    assert.deepEqual(rel.filter((f) => folder(f) in PAPER_COUNTS && folder(f) !== 'mmmu'), [
      'mathvision/data/test-00000-of-00001.parquet',
      'mathvision/data/train-00000-of-00001.parquet',
      'mathvista/data/testmini-00000-of-00001.parquet',
      'mathvista/data/train-00000-of-00001.parquet',
      'wemath/data/testmini-00000-of-00001.parquet',
      'wemath/data/train-00000-of-00001.parquet',
      'zerobench/data/train-00000-of-00001.parquet',
      'zerobench/data/zerobench-00000-of-00001.parquet',
      'zerobench/data/zerobench_subquestions-00000-of-00001.parquet',
    ]);
    const mmmuFiles = rel.filter((f) => f.startsWith('mmmu/'));
    for (const f of mmmuFiles) assert.match(f, /^mmmu\/(Art|Marketing|Math|Economics)\/(train|validation)-00000-of-00001\.parquet$/);
    assert.ok(mmmuFiles.some((f) => f.includes('validation')));
    // same seed → byte-identical; another seed → different
    assert.deepEqual(filesB.map((f) => relative(dirB, f)), rel);
    for (let i = 0; i < filesA.length; i++) assert.ok(readFileSync(filesA[i]!).equals(readFileSync(filesB[i]!)), `${rel[i]} differs`);
    assert.ok(!readFileSync(filesC[0]!).equals(readFileSync(join(dirA, 'mathvista/data/testmini-00000-of-00001.parquet'))));

    // every file reads back with exactly its benchmark's columns
    for (const [i, f] of filesA.entries()) {
      const bench = rel[i]!.split('/')[0]!;
      assert.ok(isBenchmarkName(bench), rel[i]);
      const rows = await readParquetRows(f);
      assert.ok(rows.length > 0);
      assert.deepEqual(Object.keys(rows[0]!), miniSpec(bench).columns.map(([name]) => name), rel[i]);
    }

    // MathVista: values and types as the HF schema has them
    const mv = await readParquetRows(join(dirA, 'mathvista/data/testmini-00000-of-00001.parquet'));
    const mvTasks = await miniTasks('mathvista', 'testmini', 8, 5);
    assert.equal(mv.length, 8);
    mv.forEach((r, i) => {
      const t = mvTasks[i]!;
      assert.equal(r.pid, String(i + 1));
      assert.equal(r.question, t.question);
      assert.equal(r.query, miniPrompt('mathvista', t));
      assert.equal(r.answer, t.answer);
      assert.equal(r.question_type, 'free_form');
      assert.equal(r.answer_type, 'integer');
      assert.equal(r.choices, null);
      assert.equal(r.precision, null);
      assert.equal(r.rlsd_reference, t.reference);
      assert.equal(r.rlsd_target, miniTarget('mathvista', t));
      assert.equal(r.rlsd_family, t.family);
      const img = r.decoded_image as { bytes: Uint8Array; path: string };
      assert.ok(Buffer.from(img.bytes).equals(Buffer.from(t.image)));
      assert.equal(img.path, `images/${i + 1}.png`);
      const meta = r.metadata as Record<string, unknown>;
      assert.equal(meta.split, 'testmini');
      assert.equal(meta.img_width, 32n);
      assert.ok(Array.isArray(meta.skills));
    });

    // MMMU: options as a Python list literal, image_1 set, image_2..7 null, ids per subject
    const art = await readParquetRows(join(dirA, 'mmmu/Art/validation-00000-of-00001.parquet'));
    for (const [i, r] of art.entries()) {
      assert.equal(r.id, `validation_Art_${i + 1}`);
      assert.equal(r.question_type, 'multiple-choice');
      assert.match(String(r.options), /^\['(red|green|blue|yellow)'(, '(red|green|blue|yellow)'){1,3}\]$/);
      assert.match(String(r.answer), /^[A-D]$/);
      assert.ok((r.image_1 as { bytes: Uint8Array }).bytes.length > 50);
      for (let k = 2; k <= 7; k++) assert.equal(r[`image_${k}`], null);
      assert.ok(String(r.question).startsWith('which colour has'));
      assert.ok(String(r.question).endsWith(' the answer is'));
    }

    // MathVision: options [] (open), level int64, subject from the real subject list
    const mvis = await readParquetRows(join(dirA, 'mathvision/data/test-00000-of-00001.parquet'));
    for (const r of mvis) {
      assert.deepEqual(r.options, []);
      assert.equal(typeof r.level, 'bigint');
      assert.ok(['metric geometry - area', 'metric geometry - length'].includes(String(r.subject)));
      assert.equal(r.solution, null);
    }

    // WeMath: complete groups, keys and ids as in the original layout
    const wm = await readParquetRows(join(dirA, 'wemath/data/testmini-00000-of-00001.parquet'));
    const groups = new Map<string, string[]>();
    for (const r of wm) groups.set(String(r.ID), [...(groups.get(String(r.ID)) ?? []), String(r.key)]);
    assert.equal(groups.size, 6);
    for (const [id, keys] of groups) {
      const n = Number(id[0]);
      assert.deepEqual([...keys].sort(), [...Array.from({ length: n }, (_, k) => `${n}steps_${k + 1}`), `${n}steps_multi`].sort(), id);
    }
    assert.deepEqual(wm.map((r) => r['question number']), wm.map((_, i) => BigInt(i + 1)));
    for (const r of wm) {
      assert.match(String(r.option), /^A\. \d+;B\. \d+;C\. \d+;D\. \d+$/);
      assert.ok(String(r.question).endsWith(' Answer:'));
      assert.equal(r.split, 'testmini');
      const img = r.image_path as { path: string };
      assert.match(img.path, /^[23]steps\/image\/\d+-(1|2|3|multi)\.png$/);
    }

    // ZeroBench: main questions and their sub-questions '<id>_<k>'
    const zb = await readParquetRows(join(dirA, 'zerobench/data/zerobench-00000-of-00001.parquet'));
    const zs = await readParquetRows(join(dirA, 'zerobench/data/zerobench_subquestions-00000-of-00001.parquet'));
    assert.deepEqual(zb.map((r) => r.question_id), ['1', '2', '3', '4', '5']);
    assert.ok(zs.length >= 10 && zs.every((r) => /^[1-5]_[1-3]$/.test(String(r.question_id))));
    for (const r of [...zb, ...zs]) {
      assert.ok(String(r.question_text).endsWith(' {}'));
      assert.match(String(r.question_answer), /^\d+$/);
      assert.equal((r.question_images_decoded as unknown[]).length, 1);
      assert.deepEqual(r.question_images, [`${r.question_id}.png`]);
    }
  } finally {
    for (const d of [dirA, dirB, dirC]) rmSync(d, { recursive: true, force: true });
  }
});

test('miniRows: split names, WeMath counts groups, unknown split is an error', async () => {
  const wm = await miniRows('wemath', 'train', 4, 1);
  assert.equal(new Set(wm.map((r) => r.ID)).size, 4);
  assert.ok(wm.length >= 12 && wm.length <= 16);
  assert.equal(wm[0]!.split, 'train');
  const a = await miniRows('mathvision', 'eval', 3, 1);
  const b = await miniRows('mathvision', 'test', 3, 1);
  assert.deepEqual(a, b);
  await assert.rejects(() => miniRows('mmmu', 'test', 3, 1), { message: "mini mmmu: unknown split 'test' (train, validation or dev)" });
});
