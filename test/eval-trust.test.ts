// Trust in eval's numbers: a folder never mixes two evaluations' samples, a sampled evaluation
// killed and resumed equals an uninterrupted one, a run folder names its latest checkpoint, --limit warns and
// WeMath's group metrics leave incomplete groups out, sizes are bounded, the mini splits are one definition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, errorLines, runCli, runCliInProcess, type CliOptions, type CliResult } from './fixtures.ts';
import { DEFAULT_TRAIN } from '../src/train/index.ts';
import { DEFAULT_PRETRAIN } from '../src/pretrain.ts';
import { MINI_EVAL_ITEMS, miniRows, miniTasks, VALIDATION_EXCLUDES_TEST } from '../benchmarks/mini/build.ts';
import { splitOfKey } from '../benchmarks/mini/generate.ts';
import { MINI_BENCHMARKS } from '../benchmarks/index.ts';
import { readJsonl } from '../src/util/jsonl.ts';


const run = (args: string[], opts: CliOptions = {}): CliResult => runCli(args, opts);

function errorLine(r: CliResult): string {
  assert.notEqual(r.code, 0, 'a refusal exits non-zero');
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, `one error line, got:\n${r.stderr}`);
  return lines[0]!;
}

/** A copy of the committed base at `dir`, with its weights nudged when `nudge` (another checkpoint). */
function copyBase(dir: string, nudge = false): string {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(BASE, 'checkpoint.json'), join(dir, 'checkpoint.json'));
  const w = readFileSync(join(BASE, 'weights.bin'));
  if (nudge) w[w.length - 4] = w[w.length - 4]! ^ 1; // the lowest mantissa bit of one weight
  writeFileSync(join(dir, 'weights.bin'), w);
  return dir;
}

const TINY = ['--benchmarks', 'mmmu,mathvision', '--mini-items', '3'];

test('eval: a folder records what produced it; another checkpoint or setting refuses in one line naming each difference; --overwrite starts afresh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-eval-id-'));
  try {
    // Two runs' step_000020 checkpoints: the default --out is unique per run and step.
    const grpo = copyBase(join(dir, 'runs', 'grpo-s1', 'checkpoints', 'step_000020'));
    const rlsd = copyBase(join(dir, 'runs', 'rlsd-s1', 'checkpoints', 'step_000020'), true);
    const a = run(['eval', '--checkpoint', grpo, ...TINY], { cwd: dir });
    assert.equal(a.code, 0, a.stderr);
    const b = run(['eval', '--checkpoint', rlsd, ...TINY], { cwd: dir });
    assert.equal(b.code, 0, b.stderr);
    const outA = join(dir, 'results', 'eval', 'grpo-s1', 'step_000020@mini-items=3');
    const outB = join(dir, 'results', 'eval', 'rlsd-s1', 'step_000020@mini-items=3');
    assert.ok(existsSync(join(outA, 'eval.json')) && existsSync(join(outB, 'eval.json')));
    const idA = JSON.parse(readFileSync(join(outA, 'eval.json'), 'utf8')) as { checkpoint: { weightsSha256: string }; sampling: { temperature: number }; scorers: Record<string, string> };
    assert.match(idA.checkpoint.weightsSha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(idA.scorers), ['mmmu', 'mathvision']);

    // A second checkpoint evaluated into the first one's folder refuses instead of printing its numbers.
    const out = outA;
    const before = readFileSync(join(out, 'mmmu', 'samples.jsonl'), 'utf8');
    const c = run(['eval', '--checkpoint', rlsd, ...TINY, '--out', out]);
    assert.match(errorLine(c), /holds an evaluation with other settings: checkpoint .*grpo-s1.*sha256 [0-9a-f]{8}….* → .*rlsd-s1.*; use --overwrite/);
    // Each other setting named old → new, all in the one line.
    const d = run(['eval', '--checkpoint', grpo, '--benchmarks', 'mmmu,mathvision', '--mini-items', '4', '--mini-seed', '2', '--samples', '2', '--temperature', '1', '--out', out]);
    const line = errorLine(d);
    for (const part of ['--mini-seed 1 → 2', '--mini-items 3 → 4', '--samples 1 → 2', '--temperature 0 → 1']) assert.ok(line.includes(part), `${part} in: ${line}`);
    assert.equal(readFileSync(join(out, 'mmmu', 'samples.jsonl'), 'utf8'), before, 'a refused run writes nothing');
    // The same settings resume (nothing to do), a new benchmark joins the folder.
    const e = run(['eval', '--checkpoint', grpo, '--benchmarks', 'mmmu,zerobench', '--mini-items', '3', '--out', out]);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(readFileSync(join(out, 'mmmu', 'samples.jsonl'), 'utf8'), before);
    // --overwrite starts afresh: the folder then holds only the new evaluation.
    const f = run(['eval', '--checkpoint', rlsd, '--benchmarks', 'mmmu', '--mini-items', '3', '--out', out, '--overwrite']);
    assert.equal(f.code, 0, f.stderr);
    const idF = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as { checkpoint: { path: string }; scorers: Record<string, string> };
    assert.equal(idF.checkpoint.path, rlsd);
    assert.deepEqual(Object.keys(idF.scorers), ['mmmu']);
    assert.ok(!existsSync(join(out, 'mathvision')) && !existsSync(join(out, 'zerobench')));
    // A folder written before eval recorded its settings is not silently reused either.
    const legacy = join(dir, 'legacy');
    mkdirSync(join(legacy, 'mmmu'), { recursive: true });
    writeFileSync(join(legacy, 'mmmu', 'samples.jsonl'), '');
    assert.match(errorLine(run(['eval', ...TINY, '--out', legacy])), /holds files \(mmmu\) but no record of the settings that produced them \(eval\.json\); use --overwrite/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval: one writer per folder — a live holder is named; its lock is left alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-eval-lock-'));
  try {
    const out = join(dir, 'out');
    mkdirSync(out);
    const holder = { pid: process.pid, host: hostname(), command: 'eval (test holder)', since: new Date().toISOString() };
    writeFileSync(join(out, '.rlsd-bench.lock'), JSON.stringify(holder));
    assert.match(errorLine(run(['eval', ...TINY, '--out', out])), new RegExp(`is in use by pid ${process.pid} on .*eval \\(test holder\\)`));
    assert.ok(!existsSync(join(out, 'mmmu')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval: a sampled evaluation killed part-way (SIGKILL, mid-chunk and across benchmarks) and resumed equals an uninterrupted one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-eval-resume-'));
  try {
    const flags = ['--benchmarks', 'mmmu,zerobench', '--mini-items', '4', '--samples', '4', '--temperature', '1', '--batch', '6'];
    const whole = join(dir, 'whole');
    const w = run(['eval', ...flags, '--out', whole]);
    assert.equal(w.code, 0, w.stderr);
    const cut = join(dir, 'cut');
    // Killed after 5 records (inside the first chunk of 6), then after 15 more (in zerobench's first chunk).
    const k1 = run(['eval', ...flags, '--out', cut], { env: { RLSD_TEST_KILL_AFTER_RECORDS: '5' } });
    assert.equal(k1.signal, 'SIGKILL');
    assert.equal(readFileSync(join(cut, 'mmmu', 'samples.jsonl'), 'utf8').trim().split('\n').length, 5);
    const k2 = run(['eval', ...flags, '--out', cut], { env: { RLSD_TEST_KILL_AFTER_RECORDS: '15' } });
    assert.equal(k2.signal, 'SIGKILL');
    assert.ok(existsSync(join(cut, 'zerobench', 'samples.jsonl')) && !existsSync(join(cut, 'zerobench', 'results.json')));
    const r = run(['eval', ...flags, '--out', cut], { quiet: false });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /taking over the lock of pid \d+/, 'the killed holder\'s lock is taken over with a notice');
    for (const b of ['mmmu', 'zerobench']) {
      const lines = (f: string) => readFileSync(join(f, b, 'samples.jsonl'), 'utf8').trim().split('\n').sort();
      assert.deepEqual(lines(cut), lines(whole), `${b}: the same records`);
      assert.equal(lines(whole).length, 16);
      const metrics = (f: string) => (JSON.parse(readFileSync(join(f, b, 'results.json'), 'utf8')) as { metrics: unknown }).metrics;
      assert.deepEqual(metrics(cut), metrics(whole), `${b}: the same metrics`);
    }
    // The samples do differ between seeds (the streams are really drawn from).
    const other = join(dir, 'seed2');
    assert.equal(run(['eval', ...flags, '--seed', '2', '--out', other]).code, 0);
    assert.notDeepEqual(readFileSync(join(other, 'mmmu', 'samples.jsonl'), 'utf8'), readFileSync(join(whole, 'mmmu', 'samples.jsonl'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval --checkpoint RUN_DIR: the latest checkpoint by the pointer file, else the highest step_N; one line names it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-eval-rundir-'));
  try {
    const runDir = join(dir, 'grpo-s1');
    copyBase(join(runDir, 'checkpoints', 'step_000025'));
    copyBase(join(runDir, 'checkpoints', 'step_000050'), true);
    mkdirSync(join(runDir, 'checkpoints', 'step_000075')); // an unfinished write: no checkpoint.json
    writeFileSync(join(runDir, 'checkpoints', 'latest_checkpointed_iteration.txt'), '25\n');
    const a = run(['eval', '--checkpoint', runDir, ...TINY], { cwd: dir, quiet: false });
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /grpo-s1 is a run folder: evaluating its latest checkpoint .*step_000025 \(step 25, from latest_checkpointed_iteration\.txt\)/);
    assert.ok(existsSync(join(dir, 'results', 'eval', 'grpo-s1', 'step_000025@mini-items=3', 'results.json')));
    rmSync(join(runDir, 'checkpoints', 'latest_checkpointed_iteration.txt'));
    const b = run(['eval', '--checkpoint', runDir, ...TINY], { cwd: dir, quiet: false });
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /evaluating its latest checkpoint .*step_000050 \(the highest step_N; no latest_checkpointed_iteration\.txt\)/);
    assert.ok(existsSync(join(dir, 'results', 'eval', 'grpo-s1', 'step_000050@mini-items=3', 'results.json')));
    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'checkpoints'), { recursive: true });
    assert.match(errorLine(run(['eval', '--checkpoint', empty, ...TINY, '--out', join(dir, 'never')])), /empty is a run folder without a checkpoint yet/);
    assert.ok(!existsSync(join(dir, 'never')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('eval: size flags are bounded, --max-new-tokens is checked against the checkpoint, all before anything is written', async () => {
  const out = join(tmpdir(), `rlsd-never-${process.pid}`);
  const cases: [string[], RegExp][] = [
    [['--samples', '1e9', '--temperature', '1'], /--samples must be ≤ 1024 \(got 1000000000\)/],
    [['--batch', '100000'], /--batch must be ≤ 4096/],
    [['--mini-items', '1e7'], /--mini-items must be ≤ 100000/],
    [['--limit', '1e9'], /--limit must be ≤ 1000000/],
    [['--max-new-tokens', '1e6'], /--max-new-tokens must be ≤ 4096/],
    [['--max-new-tokens', '150'], /--max-new-tokens 150 leaves no room for a prompt/],
    [['--split', 'dev'], /--split 'dev': the mini suite's splits are train, validation, test/],
  ];
  // The first through the real binary, the others in this process (runCliInProcess: the same entry and output).
  for (const [i, [flags, pattern]] of cases.entries()) {
    const args = ['eval', ...flags, '--out', out];
    assert.match(errorLine(i === 0 ? run(args) : await runCliInProcess(args)), pattern);
  }
  assert.ok(!existsSync(out), 'nothing written');
});

test('eval --limit warns (as lm-evaluation-harness) and records it; WeMath group metrics count complete groups only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-eval-limit-'));
  try {
    const out = join(dir, 'out');
    const r = run(['eval', '--benchmarks', 'wemath', '--limit', '10', '--out', out], { quiet: false });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /rlsd-bench: warning: --limit is for testing only; metrics over a subset are not comparable/);
    const res = JSON.parse(readFileSync(join(out, 'wemath', 'results.json'), 'utf8')) as { limit: number; warning: string; metrics: Record<string, number> };
    assert.equal(res.limit, 10);
    assert.match(res.warning, /--limit is for testing only/);
    const top = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { limit: number };
    assert.equal(top.limit, 10);
    // The first 10 rows are all first steps: no group is complete, so no group metric (it read 1.000 before).
    assert.equal(res.metrics['groups'], 0);
    assert.equal(res.metrics['groups_incomplete'], 10);
    assert.equal(res.metrics['items_dropped'], 10);
    assert.notEqual(res.metrics['score_strict'], 1);
    assert.equal(res.metrics['n'], 10);
    assert.match(r.stdout, /note: group metrics over 0 complete groups; 10 incomplete groups \(10 items\) left out/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mini splits: one default count; test is the in-run evaluation set (449 rows at data seed 1); validation is disjoint from train and test', async () => {
  assert.equal(MINI_EVAL_ITEMS, 60);
  assert.equal(DEFAULT_TRAIN.evalPerBenchmark, MINI_EVAL_ITEMS);
  assert.equal(DEFAULT_PRETRAIN.evalPerBenchmark, MINI_EVAL_ITEMS);
  assert.equal(DEFAULT_TRAIN.evalSplit, 'test');
  let rows = 0;
  for (const b of MINI_BENCHMARKS) rows += (await miniRows(b, 'eval', MINI_EVAL_ITEMS, 1)).length;
  assert.equal(rows, 449);
  for (const b of MINI_BENCHMARKS) {
    const testKeys = new Set((await miniTasks(b, 'eval', VALIDATION_EXCLUDES_TEST, 1)).map((t) => t.meta['key']));
    const validation = await miniTasks(b, 'dev', 40, 1);
    for (const t of validation) {
      assert.equal(t.split, 'validation');
      assert.equal(splitOfKey(String(t.meta['key'])), 'eval', `${b} ${t.uid}: a held-out-half scene (never a training image)`);
      assert.ok(!testKeys.has(t.meta['key']), `${b} ${t.uid}: not a test scene`);
    }
  }
  const h = run(['eval', '--help']);
  assert.match(h.stdout, /--mini-items[^[]*\[number\] \[default: 60\]/);
});

test('eval: --split validation on mini, percents with an Avg row; train prints percents and records --eval-split', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-eval-split-'));
  try {
    const e = run(['eval', '--benchmarks', 'mmmu,mathvista', '--split', 'validation', '--mini-items', '3', '--out', join(dir, 'val')]);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /mmmu\s+validation\s+3\s+accuracy\s+\d+\.\d\d\n/);
    const values = [...e.stdout.matchAll(/^(?:mmmu|mathvista)\s+validation\s+3\s+accuracy\s+(\d+\.\d\d)$/gm)].map((m) => Number(m[1]));
    assert.equal(values.length, 2);
    const avg = /^Avg\s+headline mean\s+(\d+\.\d\d)$/m.exec(e.stdout);
    assert.ok(avg, e.stdout);
    assert.equal(Number(avg[1]).toFixed(2), ((values[0]! + values[1]!) / 2).toFixed(2));
    const ids = (JSON.parse(readFileSync(join(dir, 'val', 'results.json'), 'utf8')) as { results: { split: string }[]; average: { value: number } });
    assert.deepEqual(ids.results.map((r) => r.split), ['validation', 'validation']);
    assert.ok(ids.average.value >= 0 && ids.average.value <= 1, 'files keep fractions');

    const t = run(['train', '--method', 'grpo', '--steps', '1', '--prompts', '2', '--samples', '2', '--eval-every', '1', '--train-items', '2', '--eval-items', '1', '--eval-split', 'validation', '--out', join(dir, 'run')], { quiet: false });
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stderr, /grpo step 1: reward \d+\.\d\d %, held-out Avg \d+\.\d\d % \(pooled over items \d+\.\d\d %\)/);
    assert.match(t.stdout, /held-out greedy accuracy on the mini validation split, %/);
    assert.match(t.stdout, /step {4}1 +\d+\.\d\d +\d+\.\d\d/);
    const info = JSON.parse(readFileSync(join(dir, 'run', 'run.json'), 'utf8')) as { config: { evalSplit: string } };
    assert.equal(info.config.evalSplit, 'validation');
    const metrics = readJsonl(join(dir, 'run', 'metrics.jsonl')).map((l) => l.value as Record<string, number>);
    const acc = metrics.map((m) => m['val-core/all/acc/mean@1']).filter((a) => a !== undefined);
    assert.ok(acc.length === 2 && acc.every((a) => a >= 0 && a <= 1), 'metrics.jsonl keeps fractions');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress off a terminal: a plain line with done/total, rate and ETA (every interval and at the end); --quiet silences it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-eval-progress-'));
  try {
    const r = run(['eval', ...TINY, '--batch', '1', '--out', join(dir, 'a')], { quiet: false, env: { RLSD_PROGRESS_INTERVAL_S: '0' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^mmmu {6}: 1\/3 responses \(33\.3 %\), \d+\.\d\d responses\/s, ETA \S+, \d+s elapsed$/m);
    assert.match(r.stderr, /^mathvision: 3\/3 responses \(100\.0 %\), .*ETA 0s/m);
    assert.equal(r.stderr.match(/^mathvision: 3\/3/gm)!.length, 1, 'the end is not printed twice');
    const q = run(['eval', ...TINY, '--out', join(dir, 'b')], { env: { RLSD_PROGRESS_INTERVAL_S: '0' } });
    assert.equal(q.code, 0, q.stderr);
    assert.doesNotMatch(q.stderr, /responses/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
