// The self-teacher's weight regimes (methods/teacher-regime.ts) as the loop keeps them (src/train/teacher.ts),
// read from the runs' own checkpoints: a sync replaces the copy exactly after every N-th step, an EMA step is
// the formula on the actual weights, a frozen copy never changes, a live teacher holds no copy and scores with
// the weights being trained (in this thread and in the worker), and no regime lets the tensor count grow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { answerOnlyReference } from '../benchmarks/mini/language.ts';
import { backendInfo, initBackend } from '../src/backend.ts';
import { loadCheckpoint } from '../src/checkpoint.ts';
import { cachedTensorCount } from '../src/model/ops.ts';
import { Policy } from '../src/policy.ts';
import { loadMiniTasks } from '../src/tasks.ts';
import { TeacherWorker } from '../src/teacher-worker.ts';
import { DEFAULT_TRAIN, train, type TrainConfig } from '../src/train/index.ts';
import { rollout } from '../src/train/rollout.ts';
import { teacherPass } from '../src/train/teacher.ts';
import { TeacherWeights } from '../src/train/teacher-weights.ts';
import type { RunContext } from '../src/train/types.ts';
import { getMethod, resolveMethodConfig } from '../methods/index.ts';
import { parseTeacherRegime } from '../methods/teacher-regime.ts';
import { Adam, DEFAULT_ADAM } from '../src/optim.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { Rng } from '../src/util/rng.ts';
import { BASE } from './fixtures.ts';

await initBackend('wasm');

const SMALL: Omit<TrainConfig, 'method' | 'out'> = {
  ...DEFAULT_TRAIN,
  base: BASE,
  steps: 3,
  promptsPerStep: 2,
  samplesPerPrompt: 4,
  trainPerBenchmark: 6,
  evalPerBenchmark: 2,
  evalSchedule: 'never',
  checkpointEvery: 1,
  lr: 3e-3,
  warmupSteps: 0,
  lrSchedule: 'constant',
  teacherWorker: false,
  quiet: true,
};

/** Runs opsd under `teacher` and returns, per checkpointed step, the student's weights and the teacher's copy. */
async function runRegime(teacher: string, steps: number, extra: Partial<TrainConfig> = {}): Promise<{ student: Map<string, Float32Array>[]; teacher: (Map<string, Float32Array> | null)[]; numTensors: number[] }> {
  const out = mkdtempSync(join(tmpdir(), `rlsd-regime-${teacher.replace(':', '')}-`));
  try {
    await train({ ...SMALL, ...extra, method: 'opsd', methodOptions: { teacher }, steps, out });
    const student: Map<string, Float32Array>[] = [];
    const copies: (Map<string, Float32Array> | null)[] = [];
    for (let s = 0; s <= steps; s++) {
      const ck = loadCheckpoint(join(out, 'checkpoints', `step_${String(s).padStart(6, '0')}`));
      student.push(ck.weights);
      const t = new Map([...ck.trainer!].filter(([k]) => k.startsWith('teacher/')).map(([k, x]) => [k.slice(8), x]));
      copies.push(t.size > 0 ? t : null);
    }
    const lines = readJsonl(join(out, 'metrics.jsonl')).map((l) => l.value as Record<string, number>);
    return { student, teacher: copies, numTensors: lines.filter((l) => l['perf/num_tensors'] !== undefined).map((l) => l['perf/num_tensors']!) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let m = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  }
  return m;
}

function assertFlat(counts: number[], what: string): void {
  assert.ok(counts.length >= 2, what);
  assert.ok(counts.every((c) => c === counts[0]), `${what}: tensor count over the steps ${counts.join(', ')}`);
}

test('sync:2 over 5 steps: the teacher is the student after steps 2 and 4 and the older weights after 1, 3 and 5 (in the worker too)', async () => {
  const r = await runRegime('sync:2', 5, { teacherWorker: true });
  assert.equal(maxDiff(r.teacher[0]!, r.student[0]!), 0, 'step 0: a copy of the start');
  assert.equal(maxDiff(r.teacher[1]!, r.student[0]!), 0, 'after step 1: still the start');
  assert.ok(maxDiff(r.teacher[1]!, r.student[1]!) > 1e-5, 'after step 1: not the student');
  for (const s of [2, 4]) assert.equal(maxDiff(r.teacher[s]!, r.student[s]!), 0, `after step ${s}: synced`);
  for (const s of [3, 5]) {
    assert.equal(maxDiff(r.teacher[s]!, r.student[s - 1]!), 0, `after step ${s}: the step-${s - 1} weights`);
    assert.ok(maxDiff(r.teacher[s]!, r.student[s]!) > 1e-5, `after step ${s}: not the student`);
  }
  assertFlat(r.numTensors, 'sync:2');
});

test('ema:0.3: after every step θ_T = 0.7·θ_T(previous) + 0.3·θ_S, on the actual weights', async () => {
  const r = await runRegime('ema:0.3', 3);
  assert.equal(maxDiff(r.teacher[0]!, r.student[0]!), 0);
  for (let s = 1; s <= 3; s++) {
    const expected = new Map([...r.teacher[s - 1]!].map(([k, t]) => [k, t.map((x, i) => 0.7 * x + 0.3 * r.student[s]!.get(k)![i]!)]));
    assert.ok(maxDiff(r.teacher[s]!, expected) < 1e-6, `step ${s}: EMA off by ${maxDiff(r.teacher[s]!, expected)}`);
    assert.ok(maxDiff(r.teacher[s]!, r.student[s]!) > 1e-6, `step ${s}: the teacher lags the student`);
  }
  assertFlat(r.numTensors, 'ema:0.3');
});

test('frozen: the teacher stays the starting weights while the student moves', async () => {
  const r = await runRegime('frozen', 3);
  for (let s = 0; s <= 3; s++) assert.equal(maxDiff(r.teacher[s]!, r.student[0]!), 0, `step ${s}`);
  assert.ok(maxDiff(r.student[3]!, r.student[0]!) > 1e-5, 'the student moved');
  assertFlat(r.numTensors, 'frozen');
});

test('live: checkpoints hold no teacher copy, and the run holds one parameter set fewer than under sync', async () => {
  const live = await runRegime('live', 3);
  const sync = await runRegime('sync:10', 3);
  assert.ok(live.teacher.every((t) => t === null), 'no teacher/ tensors under live');
  assertFlat(live.numTensors, 'live');
  assertFlat(sync.numTensors, 'sync:10');
  const paramCount = live.student[0]!.size;
  assert.equal(sync.numTensors[0]! - live.numTensors[0]!, paramCount, `the copy is ${paramCount} tensors; live has none`);
});

test('live: the teacher pass scores with the weights being trained, in this thread and in the worker; frozen keeps the old ones', async () => {
  const start = tf.memory().numTensors - cachedTensorCount();
  const { policy } = Policy.load(BASE);
  const method = getMethod('opsd');
  const mcfg = resolveMethodConfig(method, { teacher: 'live' });
  const cfg = { ...SMALL, method: 'opsd', out: '' };
  const pool = await loadMiniTasks(policy, { split: 'train', perBenchmark: 2, seed: 1, reserve: cfg.maxNewTokens });
  const before = tf.memory().numTensors - cachedTensorCount();
  const live = new TeacherWeights(parseTeacherRegime('live')!, policy);
  assert.equal(tf.memory().numTensors - cachedTensorCount(), before, 'a live teacher allocates no tensor');
  assert.equal(live.params, policy.params, 'a live teacher is the student');
  const frozen = new TeacherWeights(parseTeacherRegime('frozen')!, policy);
  const run = (teacher: TeacherWeights, worker: TeacherWorker | null): RunContext => ({
    cfg, method, mcfg, policy, adam: null as unknown as Adam, trainPool: pool, evalTasks: [], teacher, reference: null, worker, warned: new Set(),
  });
  const ro = rollout(run(live, null), pool.slice(0, 2), new Rng(5));
  const rewards = new Float32Array(ro.B).fill(1);
  const score = (r: RunContext): Float32Array => teacherPass(r, ro, rewards, 0, {})!.scores.get().logProbs.slice();
  const worker = await TeacherWorker.start('wasm', { attention: backendInfo().attentionKernel, matmul: 'xnnpack', blasThreads: 1 }, policy.cfg, policy.tokenizer.toJSON());
  try {
    live.attach(worker);
    const liveBefore = score(run(live, null));
    const frozenBefore = score(run(frozen, null));
    assert.deepEqual(frozenBefore, liveBefore, 'before any update the two teachers agree');
    // An optimiser step moves the student's weights (an arbitrary loss: the sum of a few weights).
    const adam = new Adam(policy.params, { ...DEFAULT_ADAM, lr: 1e-2, warmupSteps: 0 });
    const vars = [...policy.params.values()];
    const { value, grads } = tf.variableGrads(() => tf.addN(vars.map((v) => v.sum())).asScalar() as tf.Scalar, vars);
    const named: Record<string, tf.Tensor> = {};
    for (const [k, v] of policy.params) named[k] = grads[v.name]!;
    adam.apply(named, 0);
    tf.dispose([value, ...Object.values(grads)]);
    adam.dispose();
    const liveAfter = score(run(live, null));
    const liveWorker = score(run(live, worker));
    const studentOwn = policy.scoreGrouped(
      ro.prompts.map((t) => ({ patches: t.patches, context: policy.encodeContext(`${answerOnlyReference(t.item.answer)} ${t.prompt}`, { lenient: true, reserve: cfg.maxNewTokens }).ids })),
      ro.G,
      ro.responses,
      { temperature: cfg.temperature, full: false },
    );
    const laid = new Float32Array(ro.B * ro.R);
    studentOwn.logProbs.forEach((x, b) => laid.set(x, b * ro.R));
    assert.ok(liveAfter.some((x, i) => Math.abs(x - liveBefore[i]!) > 1e-5), 'the live teacher follows the update');
    assert.deepEqual(liveWorker, liveAfter, 'the worker scores a live pass with the weights sent before it');
    assert.deepEqual(score(run(frozen, null)), frozenBefore, 'a frozen teacher does not');
    assert.ok(Math.max(...liveAfter.map((x, i) => Math.abs(x - laid[i]!))) < 1e-6, "the live teacher's log-probs are the student's own under privileged context");
  } finally {
    await worker.close();
    live.dispose();
    frozen.dispose();
    policy.dispose();
  }
  assert.equal(tf.memory().numTensors - cachedTensorCount(), start, 'nothing left behind');
});
