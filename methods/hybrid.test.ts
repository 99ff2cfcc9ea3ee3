import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { hybrid, hybridDefaults } from './hybrid.ts';
import { close, readOutput, toInputs } from './test-batch.ts';
import { makeBatch, refAggregate, refGrpoLoss, refJsdMatrix, refMaskedMean, teacherMaskOf } from './test-reference.ts';

await tf.setBackend('cpu');

const p = makeBatch();
const tm = teacherMaskOf(p); // OPSD's term distils only rows with privileged context

test('hybrid: loss = grpoWeight·GRPO + opsdWeight·OPSD against the independent formulas', () => {
  for (const [grpoWeight, opsdWeight] of [[1, 1], [0.3, 2]] as const) {
    const cfg = { ...hybridDefaults, grpoWeight, opsdWeight };
    const out = tf.tidy(() => readOutput(hybrid.loss(toInputs(p), cfg)));
    const g = refGrpoLoss(p, cfg);
    const o = refAggregate(refJsdMatrix(p, 0.5), tm, 'token-mean');
    close(out.loss, grpoWeight * g.loss + opsdWeight * o, 1e-5, `loss ${grpoWeight}/${opsdWeight}`);
    close(out.metrics['actor/pg_loss']!, g.pg, 1e-5, 'pg_loss');
    close(out.metrics['actor/pg_clipfrac']!, g.clipfrac, 1e-6, 'clipfrac');
    close(out.metrics['opsd/divergence']!, refMaskedMean(refJsdMatrix(p, 0.5), tm), 1e-5, 'divergence');
  }
});

test('hybrid: shared lossAgg, sampled-token variant and KL pass through to the modules', () => {
  const cfg = { ...hybridDefaults, lossAgg: 'seq-mean-token-sum' as const, klCoef: 0.2, variant: 'sampled-token' as const };
  const got = tf.tidy(() => readOutput(hybrid.loss(toInputs(p), cfg)));
  const g = refGrpoLoss(p, cfg);
  const perToken = p.logp.map((row, b) => row.map((s, t) => -(p.teacherLogp[b]![t]! - s) * s));
  close(got.loss, g.loss + cfg.opsdWeight * refAggregate(perToken, tm, 'seq-mean-token-sum'), 1e-5, 'loss');
  close(got.metrics['actor/kl_loss']!, g.kl, 1e-5, 'kl_loss');
});

test('hybrid: flags follow the active terms; a zero weight skips its term entirely', () => {
  assert.deepEqual([hybridDefaults.grpoWeight, hybridDefaults.opsdWeight], [1, 0.25], 'the tuning grid’s weights');
  assert.equal(hybrid.teacherContext(hybridDefaults), 'answer');
  assert.deepEqual(hybrid.teacherRegime!(hybridDefaults), { kind: 'live' }, "OPSD's regime");
  assert.deepEqual(hybrid.teacherRegime!({ ...hybridDefaults, teacher: 'sync:20' }), { kind: 'sync', every: 20 });
  assert.equal(hybrid.needsFullDistributions(hybridDefaults), true);
  assert.equal(hybrid.needsFullDistributions({ ...hybridDefaults, variant: 'sampled-token' }), false);
  assert.equal(hybrid.needsReference({ ...hybridDefaults, klCoef: 0.1 }), true);
  assert.equal(hybrid.needsReference({ ...hybridDefaults, klCoef: 0.1, grpoWeight: 0 }), false);
  const noOpsd = { ...hybridDefaults, opsdWeight: 0 };
  assert.equal(hybrid.teacherContext(noOpsd), null);
  // without teacher inputs the OPSD term would throw; with opsdWeight 0 it is not computed
  const out = tf.tidy(() => readOutput(hybrid.loss(toInputs(p, 0, { teacherLogits: undefined, teacherLogProbs: undefined }), noOpsd)));
  close(out.loss, refGrpoLoss(p, noOpsd).loss, 1e-5, 'GRPO only');
  assert.equal(out.metrics['opsd/divergence'], undefined);
});

test('hybrid: no tensor leaks; duplicate metric (actor/entropy) appears once and its copy is disposed', () => {
  const x = toInputs(p);
  const before = tf.memory().numTensors;
  tf.tidy(() => { hybrid.loss(x, hybridDefaults); });
  assert.equal(tf.memory().numTensors, before);
  const out = tf.tidy(() => ({ ...hybrid.loss(x, hybridDefaults) }));
  assert.deepEqual(Object.keys(out.metrics).filter((k) => k === 'actor/entropy'), ['actor/entropy']);
  // loss, metrics, and the credit (its GRPO term's per-token advantages).
  assert.equal(tf.memory().numTensors, before + 1 + Object.keys(out.metrics).length + 1);
  tf.dispose([out.loss, ...Object.values(out.metrics), out.credit!]);
  assert.equal(tf.memory().numTensors, before);
});

test('hybrid: all-zero mask → 0', () => {
  const zero = { ...p, mask: p.mask.map((r) => r.map(() => 0)) };
  const out = tf.tidy(() => readOutput(hybrid.loss(toInputs(zero), hybridDefaults)));
  assert.equal(out.loss, 0);
  for (const [k, v] of Object.entries(out.metrics)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
});
