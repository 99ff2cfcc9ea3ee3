// `rlsd-bench score` through the CLI: real MMMU rows that name images they do not have (validation_Math_7)
// score as the authors' eval_utils.py scores them; the output never replaces an input; repeated ids, bytes
// that are not UTF-8, a BOM and folders are handled with one clear line; the output is locked while written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeParquet, type ColumnSpec } from '../benchmarks/common/parquet-write.ts';
import { BASE, errorLines, runCli, runCliInProcess, type CliResult } from './fixtures.ts';


const run = (args: string[]): CliResult => runCli(args);

function errorLine(r: CliResult): string {
  assert.notEqual(r.code, 0, 'non-zero exit');
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, `exactly one error line, got:\n${r.stderr}`);
  return lines[0]!;
}

function jsonl(rows: { id: string; response: string }[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

// ---------------------------------------------------------------- MMMU: rows naming images they do not have

async function png(v: number): Promise<Uint8Array> {
  return new Uint8Array(await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: v, g: 0, b: 0 } } }).png().toBuffer());
}

/**
 * Two Math rows in the Hugging Face schema, shaped as in the authors' example outputs (mmmu/example_outputs/*
 * /Math/output.json): validation_Math_1 (options '1', '2', 'Not exist'; gold C) and validation_Math_7, whose
 * four options name <image 7>…<image 30> while the schema holds image_1…image_7 (gold A).
 */
async function mmmuMathDir(root: string): Promise<string> {
  const dir = join(root, 'mmmu');
  mkdirSync(join(dir, 'Math'), { recursive: true });
  const images = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((k) => png(30 * k)));
  const math7Options = ['A', 'B', 'C', 'D'].map((_, i) => [0, 1, 2, 3, 4, 5].map((j) => `<image ${7 + 6 * i + j}>`).join(', '));
  const rows = [
    { id: 'validation_Math_1', question: 'What is the limit of the function in <image 1>?', options: "['1', '2', 'Not exist']", answer: 'C', images: [images[0]!] },
    {
      id: 'validation_Math_7',
      question: "Match the six example contra dance in sequence, Circle Right, Ladies' Chain, Swing on side, Gents Allemande, Right and Left Through, Caifornia Twirl, with the figures <image 1>",
      options: `[${math7Options.map((o) => `'${o}'`).join(', ')}]`,
      answer: 'A',
      images,
    },
  ];
  const cols: ColumnSpec[] = [
    { name: 'id', kind: 'string', data: rows.map((r) => r.id) },
    { name: 'question', kind: 'string', data: rows.map((r) => r.question) },
    { name: 'options', kind: 'string', data: rows.map((r) => r.options) },
    { name: 'explanation', kind: 'string', data: rows.map(() => '') },
    ...[1, 2, 3, 4, 5, 6, 7].map((k): ColumnSpec => ({ name: `image_${k}`, kind: 'image', data: rows.map((r) => (r.images[k - 1] ? { bytes: r.images[k - 1]!, path: `${r.id}_${k}.png` } : null)) })),
    { name: 'img_type', kind: 'string', data: rows.map(() => "['Diagrams']") },
    { name: 'answer', kind: 'string', data: rows.map((r) => r.answer) },
    { name: 'topic_difficulty', kind: 'string', data: rows.map(() => 'Medium') },
    { name: 'question_type', kind: 'string', data: rows.map(() => 'multiple-choice') },
    { name: 'subfield', kind: 'string', data: rows.map(() => 'Calculus') },
  ];
  writeParquet(join(dir, 'Math', 'validation-00000-of-00001.parquet'), cols);
  return dir;
}

const MATH7_NOTICE =
  'rlsd-bench: warning: mmmu: 1 item names images it does not have (validation_Math_7: <image 8>…<image 30>); scored from its text, evaluated with the images that exist';

/**
 * Response files in file order, with the letters and verdicts the authors' eval_utils.py gives them (run after
 * `random.seed(42)`, one evaluation per file). 'authors': LLaVA-1.5-13B's responses in the authors' example
 * outputs; 'written': option text and a random fallback; 'k2': two samples per item, Qwen-VL's 'D' included.
 */
const MMMU_CASES: { name: string; rows: { id: string; response: string; pred: string; correct: boolean }[]; accuracy: number; k: number }[] = [
  {
    name: 'authors',
    rows: [
      { id: 'validation_Math_1', response: 'B', pred: 'B', correct: false },
      { id: 'validation_Math_7', response: 'A', pred: 'A', correct: true },
    ],
    accuracy: 0.5,
    k: 1,
  },
  {
    name: 'written',
    rows: [
      { id: 'validation_Math_7', response: 'The sequence is <image 19>, <image 20>, <image 21>, <image 22>, <image 23>, <image 24>.', pred: 'C', correct: false },
      { id: 'validation_Math_1', response: 'Cannot be determined', pred: 'C', correct: true },
    ],
    accuracy: 0.5,
    k: 1,
  },
  {
    name: 'k2',
    rows: [
      { id: 'validation_Math_1', response: '(C)', pred: 'C', correct: true },
      { id: 'validation_Math_1', response: 'The limit does not exist, so the answer is Not exist', pred: 'C', correct: true },
      { id: 'validation_Math_7', response: 'D', pred: 'D', correct: false },
      { id: 'validation_Math_7', response: 'I am not sure', pred: 'A', correct: true },
    ],
    accuracy: 0.75,
    k: 2,
  },
];

test('score: MMMU rows naming images they do not have (validation_Math_7) load and score as the authors\' eval_utils.py', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-score-mmmu-'));
  try {
    const data = await mmmuMathDir(dir);
    for (const c of MMMU_CASES) {
      const preds = join(dir, `${c.name}.jsonl`);
      writeFileSync(preds, jsonl(c.rows));
      const out = join(dir, `${c.name}.json`);
      const r = run(['score', '--benchmark', 'mmmu', '--data', data, '--predictions', preds, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('rlsd-bench:')), [MATH7_NOTICE], c.name);
      const per = c.k === 1 ? 'one per item' : `k = ${c.k} samples per item`;
      assert.equal(r.stdout, `mmmu: ${c.rows.length} responses over 2 items (${per}), accuracy ${(100 * c.accuracy).toFixed(2)} → ${out}\n`);
      const res = JSON.parse(readFileSync(out, 'utf8')) as {
        samples_per_item: number;
        unresolved_images: { count: number; items: Record<string, string[]> };
        metrics: { accuracy: number };
        items: { id: string; extracted: string; correct: boolean; sample: number; unresolved_images?: string[] }[];
      };
      assert.deepEqual(res.items.map((i) => [i.id, i.extracted, i.correct]), c.rows.map((x) => [x.id, x.pred, x.correct]), c.name);
      assert.equal(res.metrics.accuracy, c.accuracy);
      assert.equal(res.samples_per_item, c.k);
      const tags = Array.from({ length: 23 }, (_, i) => `<image ${8 + i}>`);
      assert.deepEqual(res.unresolved_images, { count: 1, items: { validation_Math_7: tags } });
      for (const i of res.items) assert.deepEqual(i.unresolved_images, i.id === 'validation_Math_7' ? tags : undefined);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval: an MMMU row naming images it does not have is evaluated with the images that exist, and counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-eval-mmmu-'));
  try {
    await mmmuMathDir(dir);
    const out = join(dir, 'eval');
    const r = run(['eval', '--checkpoint', BASE, '--benchmarks', 'mmmu', '--data', dir, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.split('\n').includes(MATH7_NOTICE), r.stderr);
    assert.match(r.stdout, /note: 1 item names images its row does not have \(shown the images that exist\)/);
    const res = JSON.parse(readFileSync(join(out, 'mmmu', 'results.json'), 'utf8')) as { n: number; unresolvedImages: number };
    assert.deepEqual([res.n, res.unresolvedImages], [2, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- input hygiene, on mini MathVista files

function miniMathvista(dir: string): { data: string; ids: string[] } {
  const w = run(['data', 'mini', '--out', join(dir, 'mini'), '--train', '0', '--eval', '4', '--benchmarks', 'mathvista']);
  assert.equal(w.code, 0, w.stderr);
  return { data: join(dir, 'mini', 'mathvista'), ids: ['1', '2', '3', '4'] };
}

test('score --out: never the predictions file (by path, symlink or hard link) nor a folder; nothing is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-score-out-'));
  try {
    const { data } = miniMathvista(dir);
    const preds = join(dir, 'preds.jsonl');
    const text = jsonl([{ id: '1', response: '1' }]);
    writeFileSync(preds, text);
    // The first through the real binary, the others in this process (runCliInProcess: the same entry and output).
    const args = (out: string, p = preds) => ['score', '--benchmark', 'mathvista', '--data', data, '--predictions', p, '--out', out];
    const score = (out: string, p = preds) => runCliInProcess(args(out, p));
    assert.equal(errorLine(run(args(preds))), `rlsd-bench: error: --out ${preds} is the predictions file: writing it would overwrite the input; give another --out`);
    symlinkSync(preds, join(dir, 'link.jsonl'));
    assert.match(errorLine(await score(join(dir, 'link.jsonl'))), /--out .*link\.jsonl is the predictions file .*preds\.jsonl \(through a symlink\): writing it would overwrite the input/);
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    writeFileSync(join(dir, 'real', 'p.jsonl'), text);
    assert.match(errorLine(await score(join(dir, 'real', 'p.jsonl'), join(dir, 'alias', 'p.jsonl'))), /is the predictions file .*alias\/p\.jsonl \(through a symlink\)/);
    linkSync(preds, join(dir, 'hard.jsonl'));
    assert.match(errorLine(await score(join(dir, 'hard.jsonl'))), /hard\.jsonl is the predictions file .*preds\.jsonl \(a hard link\)/);
    mkdirSync(join(dir, 'outdir'));
    assert.equal(errorLine(await score(join(dir, 'outdir'))), `rlsd-bench: error: --out ${join(dir, 'outdir')} is a directory, expected a JSON file to write`);
    assert.equal(readFileSync(preds, 'utf8'), text, 'the input is untouched');
    assert.deepEqual(readdirSync(join(dir, 'outdir')), []);
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.lock') || f.endsWith('.tmp')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('score input: uneven repeats refused naming an id and the counts; even repeats are k samples; UTF-8 errors name line and offset; a BOM is read; folders are named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-score-in-'));
  try {
    const { data } = miniMathvista(dir);
    const preds = join(dir, 'preds.jsonl');
    const out = join(dir, 'scored.json');
    const args = (p = preds) => ['score', '--benchmark', 'mathvista', '--data', data, '--predictions', p, '--out', out];
    // Runs that score go through the real binary, as does the first refusal; the other refusals (before the output's
    // lock is taken) run in this process (runCliInProcess: the same entry and output).
    const score = (p = preds) => run(args(p));
    const refused = (p = preds) => runCliInProcess(args(p));

    // 3 responses for item 1 and 1 for item 2 weighted item 1 three times (75.00 / 25.00 before): refused.
    writeFileSync(preds, jsonl([{ id: '1', response: 'x' }, { id: '1', response: 'x' }, { id: '1', response: 'x' }, { id: '2', response: 'x' }]));
    assert.equal(
      errorLine(score()),
      `rlsd-bench: error: ${preds}: uneven repeats — id '2' has 1 response while 1 other item has 3; repeated ids are k samples and every item needs the same k (uneven counts would weight items unequally, so they are refused)`,
    );
    writeFileSync(preds, jsonl([{ id: '1', response: 'x' }, { id: '2', response: 'x' }, { id: '3', response: 'x' }, { id: '3', response: 'x' }]));
    assert.match(errorLine(await refused()), /id '3' has 2 responses while 2 other items have 1/);
    assert.ok(!existsSync(out));

    writeFileSync(preds, jsonl([{ id: '1', response: 'x' }, { id: '2', response: 'y' }, { id: '1', response: 'z' }, { id: '2', response: 'w' }]));
    const even = score();
    assert.equal(even.code, 0, even.stderr);
    assert.match(even.stdout, /^mathvista: 4 responses over 2 items \(k = 2 samples per item\), accuracy /);
    const res = JSON.parse(readFileSync(out, 'utf8')) as { samples_per_item: number; items: { id: string; sample: number }[] };
    assert.equal(res.samples_per_item, 2);
    assert.deepEqual(res.items.map((i) => `${i.id}#${i.sample}`), ['1#0', '2#0', '1#1', '2#1']);
    rmSync(out);

    // Bytes that are not UTF-8 (a Latin-1 'é') are named, not scored as U+FFFD.
    const line1 = Buffer.from(JSON.stringify({ id: '1', response: '1' }) + '\n');
    const before = Buffer.from('{"id": "2", "response": "caf');
    writeFileSync(preds, Buffer.concat([line1, before, Buffer.from([0xe9]), Buffer.from('"}\n')]));
    assert.equal(errorLine(await refused()), `rlsd-bench: error: ${preds} line 2: not valid UTF-8 at byte offset ${line1.length + before.length} (0xe9); save the file as UTF-8`);
    writeFileSync(preds, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), line1, Buffer.from('{"id": "2", "response": "\xed\xa0\x80"}\n', 'latin1')]));
    assert.match(errorLine(await refused()), /line 2: not valid UTF-8 at byte offset \d+ \(0xed\)/); // an encoded surrogate
    assert.ok(!existsSync(out));

    // A BOM (as Windows editors write) is not part of the first line.
    writeFileSync(preds, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(jsonl([{ id: '1', response: 'café' }, { id: '2', response: 'x' }]))]));
    const bom = score();
    assert.equal(bom.code, 0, bom.stderr);
    assert.equal((JSON.parse(readFileSync(out, 'utf8')) as { items: { response: string }[] }).items[0]!.response, 'café');

    mkdirSync(join(dir, 'folder'));
    assert.equal(errorLine(await refused(join(dir, 'folder'))), `rlsd-bench: error: ${join(dir, 'folder')} is a directory, expected a JSONL file (--predictions)`);
    assert.equal(
      errorLine(await runCliInProcess(['score', '--benchmark', 'mathvista', '--data', join(dir, 'nope'), '--predictions', preds, '--out', join(dir, 'x.json')])),
      `rlsd-bench: error: ${join(dir, 'nope')}: no such file or directory (--data)`,
    );
    assert.ok(!existsSync(join(dir, 'x.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('score locks its output: a live holder is refused by name, a dead one taken over; the lock goes when done', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-score-lock-'));
  try {
    const { data } = miniMathvista(dir);
    const preds = join(dir, 'preds.jsonl');
    writeFileSync(preds, jsonl([{ id: '1', response: '1' }]));
    const out = join(dir, 'scored.json');
    const score = () => run(['score', '--benchmark', 'mathvista', '--data', data, '--predictions', preds, '--out', out]);
    const holder = (pid: number) => JSON.stringify({ pid, host: hostname(), command: 'score (test)', since: '2024-01-01T00:00:00.000Z' }) + '\n';

    writeFileSync(`${out}.lock`, holder(process.pid)); // this test runner: alive
    const busy = score();
    assert.equal(busy.code, 1);
    assert.match(errorLine(busy), new RegExp(`is in use by pid ${process.pid} on .*'score \\(test\\)'`));
    assert.ok(!existsSync(out));

    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    writeFileSync(`${out}.lock`, holder(gone));
    const taken = score();
    assert.equal(taken.code, 0, taken.stderr);
    assert.match(taken.stderr, new RegExp(`notice: taking over the lock of pid ${gone} `));
    assert.ok(existsSync(out));
    assert.ok(!existsSync(`${out}.lock`), 'released when done');

    // A refused run in a new folder leaves neither the lock nor the folder behind.
    writeFileSync(preds, jsonl([{ id: 'no-such-id', response: '1' }]));
    const deep = join(dir, 'new', 'deeper', 'scored.json');
    assert.match(errorLine(run(['score', '--benchmark', 'mathvista', '--data', data, '--predictions', preds, '--out', deep])), /line 1: id 'no-such-id' is not in mathvista/);
    assert.ok(!existsSync(join(dir, 'new')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
