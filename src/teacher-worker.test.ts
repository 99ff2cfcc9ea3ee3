// The teacher worker's failure paths: a pass before any weights, and weights it cannot load, are answered with an
// error at once — the loop, blocked on the answer, must hear of them instead of waiting out its timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { patchDim } from './model/config.ts';
import { Policy } from './policy.ts';
import { TeacherWorker } from './teacher-worker.ts';
import { BASE } from '../test/fixtures.ts';
import { TeacherWorkerError } from './util/errors.ts';

await initBackend('wasm');

test('teacher worker: a pass without weights, or after weights it could not load, fails with the reason (not a timeout)', { timeout: 120_000 }, async () => {
  const { policy } = Policy.load(BASE);
  const worker = await TeacherWorker.start('wasm', { attention: 'conv', matmul: 'xnnpack', blasThreads: 1 }, policy.cfg, policy.tokenizer.toJSON());
  const bogus = new Map([['not_a_parameter', tf.variable(tf.zeros([2]))]]);
  try {
    const prefix = [{ patches: new Float32Array(policy.imageTokens * patchDim(policy.cfg)), context: [policy.tokenizer.bos, policy.tokenizer.sep] }];
    const pass = () => worker.submit(prefix, 1, [[policy.tokenizer.eos]], { temperature: 1, full: false }).wait();
    assert.throws(pass, (e: Error) => e instanceof TeacherWorkerError && /no teacher weights received before the first pass/.test(e.message));
    assert.throws(() => worker.submit(prefix, 1, [[policy.tokenizer.eos]], { temperature: 1, full: false, slot: 'reference' }).wait(), /no reference weights/);
    worker.setParams(bogus, 'teacher');
    assert.throws(pass, (e: Error) => e instanceof TeacherWorkerError && !/gave no answer/.test(e.message), 'the load failure is the answer');
  } finally {
    await worker.close();
    for (const v of bogus.values()) v.dispose();
    policy.dispose();
  }
});
