// The shared loop end to end on the committed base checkpoint, at a small batch: every method runs three
// steps (and, except base, changes the weights), no tensors are left behind, a run resumed after step 2
// equals an uninterrupted 4-step run exactly, and the same seed gives the same numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend.ts';
import { loadCheckpoint } from '../src/checkpoint.ts';
import { cachedTensorCount } from '../src/model/ops.ts';
import { currentNames, DEFAULT_TRAIN, epochOrder, evaluationSteps, formatEvalSchedule, parseEvalSchedule, teacherContexts, train, TrainingError, type RunSummary, type TrainConfig } from '../src/train/index.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { Policy } from '../src/policy.ts';
import { loadMiniTasks } from '../src/tasks.ts';
import { methodNames } from '../methods/index.ts';
import { BASE } from './fixtures.ts';

await initBackend('wasm');

const SMALL: Omit<TrainConfig, 'method' | 'out'> = {
  ...DEFAULT_TRAIN,
  base: BASE,
  steps: 3,
  promptsPerStep: 4,
  samplesPerPrompt: 4,
  trainPerBenchmark: 6,
  evalPerBenchmark: 2,
  evalSchedule: 'never',
  checkpointEvery: 1,
  lr: 1e-3,
  warmupSteps: 0,
  // A constant rate, so that runs of different lengths are one experiment (the cosine default is tested on its own).
  lrSchedule: 'constant',
  quiet: true,
};

test('epoch order: rows walks every row once; balanced takes the smallest benchmark\'s count from each, seeded', () => {
  // 3 rows of a, 7 of b (a WeMath-like expansion), 4 of c.
  const pool = [...'aaabbbbbbbcccc'].map((benchmark) => ({ benchmark }));
  const rows = epochOrder(pool, 'rows', 1, 0);
  assert.deepEqual([...rows].sort((x, y) => x - y), pool.map((_, i) => i));
  const bal = epochOrder(pool, 'balanced', 1, 0);
  const counts = new Map<string, number>();
  for (const i of bal) counts.set(pool[i]!.benchmark, (counts.get(pool[i]!.benchmark) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(counts), { a: 3, b: 3, c: 3 });
  assert.equal(new Set(bal).size, 9);
  assert.deepEqual(epochOrder(pool, 'balanced', 1, 0), bal, 'same seed and epoch, same order');
  // Over epochs the larger benchmark's rows rotate: b's 7 rows are all drawn within a few epochs.
  const seenB = new Set<number>();
  for (let e = 0; e < 8; e++) for (const i of epochOrder(pool, 'balanced', 1, e)) if (pool[i]!.benchmark === 'b') seenB.add(i);
  assert.equal(seenB.size, 7);
});

test('evaluation schedule: dense is every 5 steps to 50, then every 25; every:N; explicit segments; always step 0 and the last; bad values say the syntax', () => {
  assert.deepEqual(parseEvalSchedule('dense'), { segments: [{ every: 5, until: 50 }, { every: 25 }] });
  const dense = evaluationSteps({ evalSchedule: 'dense', steps: 600 });
  assert.deepEqual(dense.slice(0, 13), [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 75, 100]);
  assert.equal(dense.length, 33);
  assert.equal(evaluationSteps({ evalSchedule: 'every:50', steps: 600 }).length, 13);
  assert.deepEqual(evaluationSteps({ evalSchedule: 'every:4', steps: 10 }), [0, 4, 8, 10]);
  assert.deepEqual(evaluationSteps({ evalSchedule: '1@2,3@7,5', steps: 12 }), [0, 1, 2, 3, 6, 10, 12]);
  for (const never of ['never', 'every:0']) assert.deepEqual(evaluationSteps({ evalSchedule: never, steps: 5 }), []);
  assert.equal(formatEvalSchedule(parseEvalSchedule('dense') as never), '5@50,25');
  assert.equal(formatEvalSchedule(parseEvalSchedule('every:7') as never), 'every:7');
  for (const bad of ['sparse', 'every:', 'every:-1', '5@50', '5@50,0', '0@50,25', '5@a,25', '5@50@60,25', '5@50,,25', '2.5@50,25'])
    assert.match(String(parseEvalSchedule(bad)), /^must be dense \(= 5@50,25\), every:N .* \(got ".*"\)$/, bad);
  assert.match(String(parseEvalSchedule('5@50,10@40,25')), /must list its UNTIL steps in increasing order/);
});

test('old metric names read as the new ones (veRL names; eval/<benchmark> by pattern); pretrain-only names stay', () => {
  assert.deepEqual(currentNames({ step: 3, 'reward/mean': 0.5, 'eval/accuracy': 0.6, 'eval/benchmark_mean': 0.55, 'eval/mmmu': 0.4, 'eval/n': 10, 'timing/rollout_s': 1, 'timing/update_s': 2, 'timing/eval_s': 3, 'timing/step_s': 7, 'eval/accuracy_with_reference': 0.9, 'reward/mmmu': 0.2 }), {
    step: 3, 'critic/score/mean': 0.5, 'val-core/all/acc/mean@1': 0.6, 'val-core/avg/acc/mean@1': 0.55, 'val-core/mmmu/acc/mean@1': 0.4, 'val-aux/n': 10,
    'timing_s/gen': 1, 'timing_s/update_actor': 2, 'timing_s/testing': 3, 'timing_s/step': 7, 'eval/accuracy_with_reference': 0.9, 'reward/mmmu': 0.2,
  });
  const today = { step: 1, 'critic/score/mean': 0.5, 'val-core/all/acc/mean@1': 0.6 };
  assert.deepEqual(currentNames(today), today);
});

test('summary.json: first, last and peak of every val-core metric, rebuilt from metrics.jsonl at each evaluation; a resumed run writes the same one', async () => {
  const whole = tmp('summary');
  const split = tmp('summary-split');
  try {
    const cfg = { ...SMALL, method: 'grpo', steps: 5, evalSchedule: '1@2,2' };
    const res = await train({ ...cfg, out: whole });
    const evals = metricLines(whole).filter((l) => l['val-core/all/acc/mean@1'] !== undefined);
    assert.deepEqual(evals.map((l) => l['step']), [0, 1, 2, 4, 5]);
    for (const l of evals) for (const b of ['mmmu', 'mathvista', 'mathvision', 'wemath', 'zerobench', 'avg']) assert.ok(`val-core/${b}/acc/mean@1` in l, `${b} at step ${l['step']}`);
    const summary = JSON.parse(readFileSync(join(whole, 'summary.json'), 'utf8')) as RunSummary;
    assert.deepEqual(res.summary, summary);
    assert.equal(summary.split, 'test');
    assert.equal(summary.evalSchedule, '1@2,2');
    assert.equal(summary.evaluations, 5);
    for (const [k, t] of Object.entries(summary.metrics)) {
      const values = evals.map((l) => l[k]!);
      const best = Math.max(...values);
      assert.deepEqual(t.first, { step: 0, value: values[0] }, k);
      assert.deepEqual(t.last, { step: 5, value: values.at(-1) }, k);
      assert.deepEqual(t.peak, { step: evals[values.indexOf(best)]!['step'], value: best }, `${k}: the earliest step at the highest value`);
    }
    assert.deepEqual(Object.keys(summary.metrics).sort(), Object.keys(evals[0]!).filter((k) => k.startsWith('val-core/')).sort());
    await train({ ...cfg, out: split, stopAfter: 3 });
    assert.equal((JSON.parse(readFileSync(join(split, 'summary.json'), 'utf8')) as RunSummary).metrics['val-core/all/acc/mean@1']!.last.step, 2, 'written at each evaluation');
    await train({ ...cfg, out: split });
    assert.equal(readFileSync(join(split, 'summary.json'), 'utf8'), readFileSync(join(whole, 'summary.json'), 'utf8'));
    // Per-item verdicts, one file per evaluation, agree with the accuracies of metrics.jsonl; a resume drops the
    // files of evaluations after its checkpoint and writes them again, the same.
    assert.deepEqual(readdirSync(join(whole, 'evals')).sort(), ['step_000000.jsonl', 'step_000001.jsonl', 'step_000002.jsonl', 'step_000004.jsonl', 'step_000005.jsonl']);
    for (const l of evals) {
      const name = `step_${String(l['step']).padStart(6, '0')}.jsonl`;
      const rows = readJsonl(join(whole, 'evals', name)).map((r) => r.value as { uid: string; benchmark: string; correct: number });
      assert.equal(rows.length, l['val-aux/n']);
      assert.equal(new Set(rows.map((r) => `${r.benchmark}/${r.uid}`)).size, rows.length, 'one row per item');
      assert.ok(Math.abs(rows.reduce((a, r) => a + r.correct, 0) / rows.length - l['val-core/all/acc/mean@1']!) < 1e-12);
      const mmmu = rows.filter((r) => r.benchmark === 'mmmu');
      assert.ok(Math.abs(mmmu.reduce((a, r) => a + r.correct, 0) / mmmu.length - l['val-core/mmmu/acc/mean@1']!) < 1e-12);
      assert.equal(readFileSync(join(split, 'evals', name), 'utf8'), readFileSync(join(whole, 'evals', name), 'utf8'));
    }
    const pruned = tmp('summary-pruned');
    try {
      await train({ ...cfg, out: pruned, stopAfter: 4 });
      assert.ok(existsSync(join(pruned, 'evals', 'step_000004.jsonl')));
      // Resume from step 2's checkpoint: the later ones removed, as after a crash that lost them.
      rmSync(join(pruned, 'checkpoints', 'step_000004'), { recursive: true });
      rmSync(join(pruned, 'checkpoints', 'step_000003'), { recursive: true, force: true });
      writeFileSync(join(pruned, 'checkpoints', 'latest_checkpointed_iteration.txt'), '2\n');
      await train({ ...cfg, out: pruned, stopAfter: 1 });
      assert.ok(!existsSync(join(pruned, 'evals', 'step_000004.jsonl')), 'the verdicts of an evaluation after the resume point are gone');
    } finally {
      rmSync(pruned, { recursive: true, force: true });
    }
  } finally {
    for (const d of [whole, split]) rmSync(d, { recursive: true, force: true });
  }
});

function tmp(tag: string): string {
  return mkdtempSync(join(tmpdir(), `rlsd-test-${tag}-`));
}

function metricLines(dir: string): Record<string, number>[] {
  return readJsonl(join(dir, 'metrics.jsonl')).map((l) => l.value as Record<string, number>);
}

/** Metrics without wall-clock and memory fields (which legitimately differ between runs). */
function deterministic(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('timing_s/') && !k.startsWith('perf/')));
}

function maxWeightChange(a: string, b: string): number {
  const wa = loadCheckpoint(a).weights;
  const wb = loadCheckpoint(b).weights;
  let d = 0;
  for (const [k, x] of wa) {
    const y = wb.get(k)!;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  }
  return d;
}

for (const method of methodNames) {
  test(`${method}: three steps run, ${method === 'base' ? 'leave the weights unchanged' : 'change the weights'}, and leave no tensors behind`, async () => {
    const out = tmp(method);
    try {
      const before = tf.memory().numTensors - cachedTensorCount();
      const res = await train({ ...SMALL, method, out });
      assert.equal(res.finalStep, 3);
      assert.equal(tf.memory().numTensors - cachedTensorCount(), before, 'tensor count after the run');
      const lines = metricLines(out).filter((l) => l['critic/score/mean'] !== undefined);
      assert.equal(lines.length, 3);
      for (const l of lines) {
        assert.ok(l['critic/score/min']! <= l['critic/score/mean']! && l['critic/score/mean']! <= l['critic/score/max']! && l['critic/score/max']! <= 1);
        assert.ok(Number.isFinite(l['actor/loss']!), 'finite loss');
        assert.ok(l['response_length/min']! > 0 && l['response_length/min']! <= l['response_length/mean']! && l['response_length/mean']! <= l['response_length/max']!);
        assert.ok(l['response_length/max']! <= SMALL.maxNewTokens && l['response_length/clip_ratio']! >= 0 && l['response_length/clip_ratio']! <= 1);
        for (const k of ['timing_s/gen', 'timing_s/reward', 'timing_s/teacher', 'timing_s/update_actor', 'timing_s/step', 'perf/throughput', 'perf/total_num_tokens', 'leakage/rate', 'reward/std', 'reward/frac_zero_std_groups'])
          assert.ok(k in l, `metric ${k}`);
        assert.ok(l['timing_s/step']! >= l['timing_s/gen']! + l['timing_s/update_actor']!, 'the wall time of a step covers its parts');
        assert.ok(Math.abs(l['perf/throughput']! * l['timing_s/step']! - l['perf/total_num_tokens']!) < 1e-6 * l['perf/total_num_tokens']!, 'throughput: tokens per second of the step');
        // Tokens per response: its image, prompt and own tokens — more than the response alone.
        assert.ok(l['perf/total_num_tokens']! > l['response_length/mean']! * SMALL.promptsPerStep * SMALL.samplesPerPrompt);
        // The compute of the self-teacher's pass (0 without one; at most every response, with privileged context).
        assert.ok(l['perf/teacher_tokens']! >= 0 && l['perf/reference_tokens'] === 0, 'no KL reference by default');
        if (['base', 'grpo'].includes(method)) assert.equal(l['perf/teacher_tokens'], 0);
      }
      if (['opsd', 'hybrid'].includes(method)) assert.ok(lines.every((l) => l['perf/teacher_tokens']! > l['perf/total_num_tokens']!), `${method}: the teacher scores every response, with a longer context`);
      const change = maxWeightChange(join(out, 'checkpoints', 'step_000000'), join(out, 'checkpoints', 'step_000003'));
      if (method === 'base') assert.equal(change, 0);
      else assert.ok(change > 1e-5, `weights moved by ${change}`);
      if (method === 'rlsd') for (const k of ['grpo_opsd/stgca_effective_lambda', 'grpo_opsd/stgca_clip_low_ratio', 'rlsd/delta_mean', 'rlsd/weight_clipfrac']) assert.ok(k in lines[0]!, k);
      if (method === 'opsd') assert.ok('opsd/divergence' in lines[0]!);
      if (method !== 'base') for (const k of ['actor/grad_norm', 'actor/entropy']) assert.ok(k in lines[0]!, k);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test('resume after step 2 equals an uninterrupted 4-step run exactly; the same seed gives the same numbers', async () => {
  const full = tmp('full');
  const again = tmp('again');
  const split = tmp('split');
  try {
    const cfg = { ...SMALL, method: 'rlsd', steps: 4, methodOptions: { teacher: 'sync:3' } };
    await train({ ...cfg, out: full });
    await train({ ...cfg, out: again });
    await train({ ...cfg, out: split, stopAfter: 2 });
    assert.ok(existsSync(join(split, 'checkpoints', 'step_000002')));
    assert.ok(!existsSync(join(split, 'checkpoints', 'step_000003')));
    await train({ ...cfg, out: split });
    const a = metricLines(full).map(deterministic);
    assert.deepEqual(metricLines(again).map(deterministic), a, 'same seed, same numbers');
    assert.deepEqual(metricLines(split).map(deterministic), a, 'resumed run equals the uninterrupted one');
    assert.equal(maxWeightChange(join(full, 'checkpoints', 'step_000004'), join(split, 'checkpoints', 'step_000004')), 0);
  } finally {
    for (const d of [full, again, split]) rmSync(d, { recursive: true, force: true });
  }
});

test('resume drops a torn last metrics line (a crash mid-write) and refuses a corrupt one elsewhere, naming file and line', async () => {
  const out = tmp('torn');
  try {
    const cfg = { ...SMALL, method: 'grpo', steps: 3, out };
    await train({ ...cfg, stopAfter: 2 });
    const file = join(out, 'metrics.jsonl');
    appendFileSync(file, '{"step":3,"critic/sc');
    await train(cfg);
    const lines = metricLines(out);
    assert.deepEqual(lines.map((l) => l['step']), [1, 2, 3]);
    const text = readFileSync(file, 'utf8').split('\n');
    text[1] = '{"step":1,';
    writeFileSync(file, text.join('\n'));
    rmSync(join(out, 'checkpoints', 'step_000003'), { recursive: true });
    await assert.rejects(train(cfg), (e: Error) => e instanceof TrainingError && e.message.includes(`${file} line 2: not valid JSON; cannot resume`));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('teacher contexts: the reference solution, or only the gold answer, before the prompt; a long response reserve truncates them', async () => {
  const { policy } = Policy.load(BASE);
  try {
    const tasks = await loadMiniTasks(policy, { split: 'train', perBenchmark: 1, seed: 1, reserve: 32 });
    assert.deepEqual([...new Set(tasks.map((t) => t.benchmark))].sort(), ['mathvision', 'mathvista', 'mmmu', 'wemath', 'zerobench']);
    const groupIds = Int32Array.from(tasks.map((_, g) => g));
    const rewards = new Float32Array(tasks.length);
    const texts = tasks.map(() => '');
    const decode = (ids: number[]): string => policy.tokenizer.decode(ids.slice(1, -1)); // without BOS / SEP
    const norm = (t: string): string => t.replace(/\s+/g, ' ').trim();
    const withRef = teacherContexts(policy, 'reference', tasks, groupIds, texts, rewards, 32);
    const withAnswer = teacherContexts(policy, 'answer', tasks, groupIds, texts, rewards, 32);
    tasks.forEach((t, i) => {
      assert.equal(norm(decode(withRef.contexts[i]!)), norm(`${t.reference} ${t.prompt}`));
      assert.equal(norm(decode(withAnswer.contexts[i]!)), norm(`[ref] answer ${t.item.answer} [/ref] ${t.prompt}`));
      assert.ok(!withAnswer.contexts[i]!.includes(policy.tokenizer.unk), `${t.uid}: the answer encodes without <unk>`);
    });
    assert.ok(Array.from(withAnswer.available).every((a) => a === 1));
    assert.ok([...withRef.truncated, ...withAnswer.truncated].every((t) => t === 0));
    // With 120 positions kept for the response (22 left for the prompt), the references no longer fit.
    const long = teacherContexts(policy, 'reference', tasks, groupIds, texts, rewards, 120);
    assert.ok(long.truncated.some((t) => t === 1), 'some reference contexts truncated at reserve 120');
  } finally {
    policy.dispose();
  }
});

test('the teacher pass in a worker thread gives the numbers of the in-process pass (rlsd re-synced; opsd live with full distributions; sdpo under EMA; the KL reference pass alone and beside the teacher)', async () => {
  const cases: [string, Record<string, number | string>][] = [['rlsd', { teacher: 'sync:2' }], ['opsd', { teacher: 'live' }], ['sdpo', { teacher: 'ema:0.05' }], ['grpo', { klCoef: 0.05 }], ['rlsd', { klCoef: 0.05 }]];
  for (const [method, methodOptions] of cases) {
    const inProcess = tmp(`${method}-inproc`);
    const worker = tmp(`${method}-worker`);
    try {
      const cfg = { ...SMALL, method, methodOptions };
      await train({ ...cfg, out: inProcess, teacherWorker: false });
      const before = tf.memory().numTensors - cachedTensorCount();
      await train({ ...cfg, out: worker, teacherWorker: true });
      assert.equal(tf.memory().numTensors - cachedTensorCount(), before, 'tensor count after the run');
      const w = metricLines(worker);
      assert.ok(w.some((l) => l['timing_s/teacher_worker'] !== undefined), `${method}: the worker scored`);
      assert.ok(metricLines(inProcess).every((l) => l['timing_s/teacher_worker'] === undefined), `${method}: in-process run used no worker`);
      // The passes' token counts are the same wherever they run; a KL reference scores every response's sequence.
      assert.deepEqual(w.map((l) => [l['perf/teacher_tokens'], l['perf/reference_tokens']]), metricLines(inProcess).map((l) => [l['perf/teacher_tokens'], l['perf/reference_tokens']]));
      if ('klCoef' in methodOptions) assert.ok(w.filter((l) => l['step']! > 0).every((l) => l['perf/reference_tokens'] === l['perf/total_num_tokens']), `${method}: reference tokens`);
      const strip = (m: Record<string, number>) => deterministic(m);
      assert.deepEqual(w.map(strip), metricLines(inProcess).map(strip), `${method}: same metrics`);
      assert.equal(maxWeightChange(join(inProcess, 'checkpoints', 'step_000003'), join(worker, 'checkpoints', 'step_000003')), 0, `${method}: same weights`);
    } finally {
      for (const d of [inProcess, worker]) rmSync(d, { recursive: true, force: true });
    }
  }
});

test('a non-finite loss stops the run with a clear message and keeps the last good checkpoint', async () => {
  const out = tmp('nan');
  try {
    await assert.rejects(train({ ...SMALL, method: 'grpo', out, lr: 1e30, steps: 6 }), (e: Error) => {
      assert.ok(e instanceof TrainingError, e.message);
      assert.match(e.message, /non-finite (loss|gradient norm) at step \d+; stopping — the last good checkpoint is kept/);
      return true;
    });
    const good = join(out, 'checkpoints', 'step_000000');
    assert.doesNotThrow(() => loadCheckpoint(good));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('resuming into a run directory started from another base checkpoint is refused', async () => {
  const out = tmp('other-base');
  const otherBase = tmp('base2');
  try {
    await train({ ...SMALL, method: 'grpo', out, stopAfter: 1 });
    cpSync(join(out, 'checkpoints', 'step_000001'), otherBase, { recursive: true });
    await assert.rejects(train({ ...SMALL, method: 'grpo', out, base: otherBase }), (e: Error) => {
      assert.ok(e instanceof TrainingError, e.message);
      assert.match(e.message, /holds a run started from another base checkpoint .* use another --out/);
      return true;
    });
    assert.ok(!existsSync(join(out, 'checkpoints', 'step_000002')), 'nothing trained on the wrong base');
  } finally {
    for (const d of [out, otherBase]) rmSync(d, { recursive: true, force: true });
  }
});

test('resuming a run with other trajectory settings is refused, naming them; cadence and length may change', async () => {
  const out = tmp('other-settings');
  try {
    await train({ ...SMALL, method: 'rlsd', out, stopAfter: 1 });
    await assert.rejects(train({ ...SMALL, method: 'rlsd', out, lr: 5e-4, methodOptions: { weightClip: 0.5 } }), (e: Error) => {
      assert.ok(e instanceof TrainingError, e.message);
      assert.match(e.message, /holds a run with other settings \(lr 0\.001 → 0\.0005; methodConfig .*"weightClip":0\.2.* → .*"weightClip":0\.5.*\); resume it with its own flags or use another --out/);
      return true;
    });
    assert.ok(!existsSync(join(out, 'checkpoints', 'step_000002')), 'nothing trained with the wrong settings');
    // a run recorded before a method option existed (here: RLSD's `privileged`) took its default and resumes
    const ckFile = join(out, 'checkpoints', 'step_000001', 'checkpoint.json');
    const meta = JSON.parse(readFileSync(ckFile, 'utf8')) as { info: { settings: { methodConfig: Record<string, unknown> } } };
    delete meta.info.settings.methodConfig['privileged'];
    writeFileSync(ckFile, JSON.stringify(meta));
    // a longer run with another evaluation / checkpoint cadence is the same experiment
    await train({ ...SMALL, method: 'rlsd', out, steps: 2, checkpointEvery: 2, evalSchedule: 'every:2' });
    assert.ok(existsSync(join(out, 'checkpoints', 'step_000002')));
    const last = metricLines(out).at(-1)!;
    assert.ok(last['val-core/all/acc/mean@1'] !== undefined && last['timing_s/testing']! > 0 && last['timing_s/step']! >= last['timing_s/testing']!, 'the evaluation is timed, within the step');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a cosine learning-rate schedule is laid over --steps: it decays the lr, and a resumed run must keep its length', async () => {
  const out = tmp('cosine');
  try {
    await train({ ...SMALL, method: 'grpo', out, lrSchedule: 'cosine', warmupSteps: 0, steps: 4, stopAfter: 2 });
    const lrs = metricLines(out).filter((m) => m['actor/lr'] !== undefined).map((m) => m['actor/lr']!);
    // cosine to 10 % over 4 steps: lr·(0.1 + 0.9·(1 + cos(π·k/4))/2) at k = 0, 1
    assert.equal(lrs.length, 2);
    assert.ok(Math.abs(lrs[0]! - SMALL.lr) < 1e-12 && Math.abs(lrs[1]! - SMALL.lr * (0.1 + 0.45 * (1 + Math.cos(Math.PI / 4)))) < 1e-9, lrs.join(', '));
    await assert.rejects(train({ ...SMALL, method: 'grpo', out, lrSchedule: 'cosine', warmupSteps: 0, steps: 6 }), /holds a 4-step run, and --steps 6 would change it: the cosine learning-rate schedule \(--lr-schedule cosine\) spans --steps/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('issue 30 item 18: a cosine run made longer is refused with the reason and what to do instead, which works', async () => {
  const out = tmp('extend');
  const next = tmp('extend-next');
  try {
    await train({ ...SMALL, method: 'grpo', out, lrSchedule: 'cosine', steps: 2 });
    const last = join(out, 'checkpoints', 'step_000002');
    await assert.rejects(train({ ...SMALL, method: 'grpo', out, lrSchedule: 'cosine', steps: 3 }), (e: Error) => {
      assert.ok(e instanceof TrainingError);
      assert.equal(
        e.message,
        `${out} holds a 2-step run, and --steps 3 would change it: the cosine learning-rate schedule (--lr-schedule cosine) spans --steps, so its steps so far would not be those of a 3-step run. ` +
          `To train on from its last checkpoint, start a new run from it: --base ${last} --out <another folder> (a schedule and optimiser state of its own); ` +
          'to train one run in parts, give its whole length with --steps and stop early with --stop-after N; a run with --lr-schedule constant can be made longer',
      );
      return true;
    });
    // The advice works: a new run from the last checkpoint.
    const more = await train({ ...SMALL, method: 'grpo', base: last, out: next, lrSchedule: 'cosine', steps: 1 });
    assert.equal(more.finalStep, 1);
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(next, { recursive: true, force: true });
  }
});

test('ppo mini-batches and epochs: one mini-batch of every prompt equals the default exactly; 2 prompts × 2 epochs make 4 updates a step, the later ones off-policy; resume stays exact', async () => {
  const dflt = tmp('mb-default');
  const whole = tmp('mb-whole');
  const mb = tmp('mb');
  const split = tmp('mb-split');
  try {
    const cfg = { ...SMALL, method: 'rlsd', steps: 3 };
    await train({ ...cfg, out: dflt });
    await train({ ...cfg, out: whole, ppoMiniBatch: SMALL.promptsPerStep });
    assert.deepEqual(metricLines(whole).map(deterministic), metricLines(dflt).map(deterministic), 'ppoMiniBatch = promptsPerStep is the one-update default');
    await train({ ...cfg, steps: 4, out: whole }); // and resumes as one: the settings do not differ
    assert.equal(metricLines(whole).filter((l) => l['critic/score/mean'] !== undefined).length, 4);
    await assert.rejects(train({ ...cfg, out: join(tmpdir(), 'rlsd-never'), ppoEpochs: 0 }), /ppoEpochs must be an integer ≥ 1 \(got 0\)/);
    await assert.rejects(train({ ...cfg, out: join(tmpdir(), 'rlsd-never'), ppoMiniBatch: 0.5 }), /ppoMiniBatch must be an integer ≥ 0 \(got 0.5\)/);

    const mbCfg = { ...cfg, ppoMiniBatch: 2, ppoEpochs: 2, warmupSteps: 2 };
    const before = tf.memory().numTensors - cachedTensorCount();
    await train({ ...mbCfg, out: mb });
    assert.equal(tf.memory().numTensors - cachedTensorCount(), before, 'tensor count after the run');
    const lines = metricLines(mb).filter((l) => l['critic/score/mean'] !== undefined);
    assert.deepEqual(lines.map((l) => l['actor/updates']), [4, 4, 4]);
    // Bias correction counts updates; the warm-up counts training steps (lr·1/2, then lr).
    assert.equal((loadCheckpoint(join(mb, 'checkpoints', 'step_000003')).meta.trainer!.state as { adamStep: number }).adamStep, 12);
    assert.deepEqual(lines.map((l) => l['actor/lr']), [SMALL.lr / 2, SMALL.lr, SMALL.lr]);
    // The first update of a step is on-policy (ratio 1 up to the sampler's rounding); later ones are not.
    assert.ok(lines.some((l) => l['actor/ppo_kl']! > 1e-5), `ppo_kl ${lines.map((l) => l['actor/ppo_kl']).join(', ')}`);
    assert.ok(maxWeightChange(join(mb, 'checkpoints', 'step_000000'), join(mb, 'checkpoints', 'step_000003')) > 1e-5);
    assert.notDeepEqual(metricLines(mb).map(deterministic), metricLines(dflt).map(deterministic));

    await train({ ...mbCfg, out: split, stopAfter: 2 });
    await train({ ...mbCfg, out: split });
    assert.deepEqual(metricLines(split).map(deterministic), metricLines(mb).map(deterministic), 'resumed run equals the uninterrupted one');
    await assert.rejects(train({ ...cfg, out: split }), /other settings \(ppoEpochs 2 → 1; ppoMiniBatch 2 → 0; warmupSteps 2 → 0\)/);
    await assert.rejects(train({ ...cfg, out: join(tmpdir(), 'rlsd-never'), ppoMiniBatch: 3 }), /--ppo-mini-batch 3 must divide --prompts 4 \(every update sees whole groups of equal count\)/);
  } finally {
    for (const d of [dflt, whole, mb, split]) rmSync(d, { recursive: true, force: true });
  }
});
