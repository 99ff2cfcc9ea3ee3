// The deep mini world (suite mini-2) end to end at a toy size: a base pretrained on it records its suite; train on
// that base runs on the deep world, records the suite and logs the credit/* metrics, with no tensor left behind. A
// two-step base writes little that parses, so the metrics' values are checked by hand in src/train/credit.test.ts;
// here GRPO's credit, where a first wrong step is found, must read the chance level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend.ts';
import { checkpointSuite, loadCheckpoint } from '../src/checkpoint.ts';
import { cachedTensorCount } from '../src/model/ops.ts';
import { DEFAULT_PRETRAIN, pretrain } from '../src/pretrain.ts';
import { DEFAULT_TRAIN, train } from '../src/train/index.ts';
import { readJsonl } from '../src/util/jsonl.ts';

await initBackend('wasm');

const dirs: string[] = [];
const tmp = (name: string): string => {
  const d = mkdtempSync(join(tmpdir(), `rlsd-deep-${name}-`));
  dirs.push(d);
  return d;
};

test('a mini-2 base trains on the deep world and logs where the credit went', async () => {
  try {
    const base = tmp('base');
    await pretrain({
      ...DEFAULT_PRETRAIN,
      out: base,
      suite: 'mini-2',
      steps: 2,
      batchSize: 8,
      trainPerBenchmark: 4,
      evalPerBenchmark: 1,
      evalEvery: 0,
      lookupDrillFraction: 0,
      answerFraction: 0.25,
      maxNewTokens: 80,
      model: { ...DEFAULT_PRETRAIN.model, maxPositions: 192 },
      quiet: true,
    });
    assert.equal(checkpointSuite(loadCheckpoint(base).meta.info), 'mini-2');
    const small = { ...DEFAULT_TRAIN, base, steps: 2, promptsPerStep: 4, samplesPerPrompt: 4, trainPerBenchmark: 2, evalPerBenchmark: 1, evalSchedule: 'never', checkpointEvery: 0, maxNewTokens: 80, lr: 1e-3, warmupSteps: 0, quiet: true };
    for (const method of ['grpo', 'rlsd'] as const) {
      const out = tmp(method);
      const before = tf.memory().numTensors - cachedTensorCount();
      await train({ ...small, method, out, methodOptions: {} });
      assert.equal(tf.memory().numTensors - cachedTensorCount(), before, `${method}: tensor count after the run`);
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { config: { suite: string } };
      assert.equal(run.config.suite, 'mini-2');
      const lines = readJsonl(join(out, 'metrics.jsonl')).map((l) => l.value as Record<string, number>).filter((l) => l['critic/score/mean'] !== undefined);
      assert.equal(lines.length, 2);
      for (const l of lines) {
        assert.ok(l['credit/parsed_rate']! >= 0 && l['credit/parsed_rate']! <= 1, `${method}: credit/parsed_rate`);
        if (l['credit/first_wrong_share'] !== undefined && method === 'grpo') {
          // GRPO's credit is one number per response: on the first wrong step it is exactly the step's share of tokens.
          assert.ok(Math.abs(l['credit/first_wrong_share'] - l['credit/first_wrong_uniform']!) < 1e-9, 'GRPO reads the chance level');
        }
        if (method === 'grpo') assert.ok(!('credit/teacher_auroc' in l), 'no teacher, no teacher view');
      }
    }

    // The last step's evaluation covers the larger final set; the curve's figures are its first problems' verdicts.
    const out = tmp('final');
    await train({ ...small, method: 'grpo', out, methodOptions: {}, evalSchedule: 'every:1', evalPerBenchmark: 1, finalEvalPerBenchmark: 3 });
    const evals = readJsonl(join(out, 'metrics.jsonl')).map((l) => l.value as Record<string, number>).filter((l) => l['val-core/all/acc/mean@1'] !== undefined);
    assert.deepEqual(evals.map((l) => l['step']), [0, 1, 2]);
    assert.ok(evals.slice(0, 2).every((l) => !('val-full/n' in l)), 'only the last step evaluates the final set');
    const last = evals[2]!;
    const verdicts = readJsonl(join(out, 'evals', 'step_000002.jsonl')).map((l) => l.value as { uid: string; benchmark: string; correct: number; group?: string; key?: string });
    assert.equal(last['val-full/n'], verdicts.length);
    assert.equal(last['val-aux/n'], evals[0]!['val-aux/n'], 'the curve keeps its item set at the last step');
    const firstItems = new Set(readJsonl(join(out, 'evals', 'step_000000.jsonl')).map((l) => { const v = l.value as { uid: string; benchmark: string }; return `${v.benchmark}/${v.uid}`; }));
    const onCurve = verdicts.filter((v) => firstItems.has(`${v.benchmark}/${v.uid}`));
    assert.equal(onCurve.length, firstItems.size, "the final set's first problems are the curve's");
    assert.ok(Math.abs(last['val-core/all/acc/mean@1']! - onCurve.reduce((a, v) => a + v.correct, 0) / onCurve.length) < 1e-12);
    assert.ok(Math.abs(last['val-full/all/acc/mean@1']! - verdicts.reduce((a, v) => a + v.correct, 0) / verdicts.length) < 1e-12);
    const wemath = verdicts.filter((v) => v.benchmark === 'wemath');
    assert.ok(wemath.length >= 6 && wemath.every((v) => typeof v.group === 'string' && typeof v.key === 'string'), "WeMath's verdicts carry their group and key");
    assert.equal(new Set(wemath.map((v) => v.group)).size, 3, 'three WeMath problem groups');
    assert.ok(verdicts.filter((v) => v.benchmark !== 'wemath').every((v) => v.group === undefined), 'other benchmarks carry no group');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { metrics: Record<string, { last: { step: number } }> };
    assert.equal(summary.metrics['val-full/avg/acc/mean@1']?.last.step, 2);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
