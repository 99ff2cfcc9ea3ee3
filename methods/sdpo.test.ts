import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { sdpo, sdpoDefaults } from './sdpo.ts';
import { close, readOutput, toInputs } from './test-batch.ts';
import { makeBatch, mapMat, refAggregate, refJsdMatrix, refMaskedMean } from './test-reference.ts';

await tf.setBackend('cpu');

const p = makeBatch(); // teacherAvailable = [0,1,1,1,1,1]: row 0 is its group's only success

const sdpoMask = p.mask.map((row, b) => row.map((m) => m * p.teacherAvailable[b]!));

test('sdpo: OPSD JSD over responses with a teacher only, importance weight min(ρ, 2), token-mean', () => {
  const out = tf.tidy(() => readOutput(sdpo.loss(toInputs(p), sdpoDefaults)));
  const jsd = refJsdMatrix(p, 0.5);
  const weighted = mapMat(jsd, (v, b, t) => v * Math.min(Math.exp(p.logp[b]![t]! - p.oldLogp[b]![t]!), 2));
  close(out.loss, refAggregate(weighted, sdpoMask, 'token-mean'), 1e-5, 'loss');
  // 13 of the 17 response tokens have a teacher (row 0 has 4)
  assert.equal(sdpoMask.flat().reduce((a, b) => a + b, 0), 13);
  close(out.metrics['opsd/divergence']!, refMaskedMean(jsd, sdpoMask), 1e-5, 'divergence');
  close(out.metrics['sdpo/teacher_coverage']!, 5 / 6, 1e-6, 'coverage');
  assert.ok(Number.isFinite(out.metrics['actor/entropy']!));
});

test('sdpo: responses without a teacher get zero gradient, the others non-zero', () => {
  const x = toInputs(p);
  const g = tf.tidy(() => Array.from(tf.grad((sl: tf.Tensor) => sdpo.loss({ ...x, studentLogits: sl as tf.Tensor3D }, sdpoDefaults).loss)(x.studentLogits).dataSync()));
  const rowSize = p.T * p.V;
  assert.ok(g.slice(0, rowSize).every((v) => v === 0), 'row 0 (no teacher)');
  for (let b = 1; b < p.B; b++) assert.ok(g.slice(b * rowSize, (b + 1) * rowSize).some((v) => v !== 0), `row ${b}`);
});

test('sdpo: sampled-token variant; no teacher anywhere → loss 0; missing teacherAvailable throws', () => {
  const cfg = { ...sdpoDefaults, variant: 'sampled-token' as const, isClip: 0 };
  const got = tf.tidy(() => sdpo.loss(toInputs(p), cfg).loss.dataSync()[0]!);
  const perToken = mapMat(p.logp, (s, b, t) => -(p.teacherLogp[b]![t]! - s) * s);
  close(got, refAggregate(perToken, sdpoMask, 'token-mean'), 1e-5, 'sampled-token');
  const none = tf.tidy(() => readOutput(sdpo.loss(toInputs(p, 0, { teacherAvailable: new Float32Array(6) }), sdpoDefaults)));
  assert.equal(none.loss, 0);
  for (const [k, v] of Object.entries(none.metrics)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
  assert.throws(() => tf.tidy(() => { sdpo.loss(toInputs(p, 0, { teacherAvailable: undefined }), sdpoDefaults); }), /method 'sdpo': input 'teacherAvailable' is required but missing/);
});

test('sdpo: flags, defaults and no tensor leaks', () => {
  assert.equal(sdpo.teacherContext(sdpoDefaults), 'group_success');
  assert.deepEqual(sdpo.teacherRegime!(sdpoDefaults), { kind: 'ema', rate: 0.05 });
  assert.equal(sdpoDefaults.teacher, 'ema:0.05');
  assert.equal(sdpo.needsFullDistributions(sdpoDefaults), true);
  assert.equal(sdpo.needsReference(sdpoDefaults), false);
  assert.equal(sdpoDefaults.isClip, 2);
  assert.equal(sdpoDefaults.beta, 0.5);
  const x = toInputs(p);
  const before = tf.memory().numTensors;
  tf.tidy(() => { sdpo.loss(x, sdpoDefaults); });
  assert.equal(tf.memory().numTensors, before);
});
