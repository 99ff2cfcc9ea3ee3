import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { generalizedJsd, opsd, opsdDefaults } from './opsd.ts';
import { close, readOutput, toInputs } from './test-batch.ts';
import { makeBatch, mapMat, teacherMaskOf, refAggregate, refJsd, refJsdMatrix, refKl, refMaskedMean, refSoftmax } from './test-reference.ts';

await tf.setBackend('cpu');

const p = makeBatch(); // teacherAvailable = [0,1,1,1,1,1]: row 0 has no privileged context
const tm = teacherMaskOf(p); // the tokens OPSD distils

test('generalizedJsd: β = 0, 1 are KL(T‖S), KL(S‖T); hand-computed literals', () => {
  // S = uniform(3), T = softmax(ln2, 0, 0) = (.5, .25, .25)
  // KL(T‖S) = .5 ln 1.5 + .5 ln .75 = 0.0588915; KL(S‖T) = (ln(2/3) + 2 ln(4/3))/3 = 0.0566330
  const s = [[[0, 0, 0]]];
  const t = [[[Math.log(2), 0, 0]]];
  const at = (beta: number): number => tf.tidy(() => generalizedJsd(tf.tensor3d(s), tf.tensor3d(t), beta).dataSync()[0]!);
  close(at(0), 0.0588915, 1e-5, 'β=0');
  close(at(1), 0.056633, 1e-5, 'β=1');
  // β = .5: M = (5/12, 7/24, 7/24); JSD = .5 KL(T‖M) + .5 KL(S‖M)
  const M = [5 / 12, 7 / 24, 7 / 24];
  const jsd = 0.5 * refKl([0.5, 0.25, 0.25], M) + 0.5 * refKl([1 / 3, 1 / 3, 1 / 3], M);
  close(at(0.5), jsd, 1e-5, 'β=.5');
  close(jsd, 0.0144, 1e-3, 'β=.5 literal');
});

test('generalizedJsd: every token of the batch against the direct formulas, β ∈ {0, .25, .5, 1}, with temperature', () => {
  for (const beta of [0, 0.25, 0.5, 1]) {
    for (const temperature of [1, 2]) {
      const got = tf.tidy(() => Array.from(generalizedJsd(tf.tensor3d(p.studentLogits), tf.tensor3d(p.teacherLogits), beta, temperature).dataSync()));
      p.studentLogits.forEach((row, b) => row.forEach((sl, t) => {
        close(got[b * p.T + t]!, refJsd(sl, p.teacherLogits[b]![t]!, beta, temperature), 1e-5, `β=${beta} τ=${temperature} [${b},${t}]`);
      }));
    }
  }
});

test('opsd (jsd): loss = token-mean of the per-token JSD, metric opsd/divergence, flags', () => {
  for (const beta of [0, 0.5, 1]) {
    const cfg = { ...opsdDefaults, beta };
    const out = tf.tidy(() => readOutput(opsd.loss(toInputs(p), cfg)));
    const perToken = mapMat(tm, (_, b, t) => refJsd(p.studentLogits[b]![t]!, p.teacherLogits[b]![t]!, beta));
    close(out.loss, refAggregate(perToken, tm, 'token-mean'), 1e-5, `loss β=${beta}`);
    close(out.metrics['opsd/divergence']!, refMaskedMean(perToken, tm), 1e-5, `divergence β=${beta}`);
    assert.ok(Number.isFinite(out.metrics['actor/entropy']!));
  }
  assert.equal(opsd.teacherContext(opsdDefaults), 'answer');
  assert.deepEqual(opsd.teacherRegime!(opsdDefaults), { kind: 'live' });
  assert.equal(opsd.needsThoughtMask(opsdDefaults), false);
  assert.equal(opsd.needsFullDistributions(opsdDefaults), true);
  assert.equal(opsd.needsFullDistributions({ ...opsdDefaults, variant: 'sampled-token' }), false);
  assert.equal(opsd.needsReference(opsdDefaults), false);
});

test('opsd (jsd): gradient flows to the student logits only; β=1 gradient is S_i(log S_i − log T_i − KL)', () => {
  const x = toInputs(p);
  const teacherBefore = Array.from(x.teacherLogits!.dataSync());
  const cfg = { ...opsdDefaults, beta: 1 };
  const f = (sl: tf.Tensor, tl: tf.Tensor) => opsd.loss({ ...x, studentLogits: sl as tf.Tensor3D, teacherLogits: tl as tf.Tensor3D }, cfg).loss;
  // The teacher is detached: tfjs finds no path from it to the loss at all.
  assert.throws(() => tf.tidy(() => tf.grad((tl: tf.Tensor) => f(x.studentLogits, tl))(x.teacherLogits!)), /Cannot compute gradient/);
  const gStudent = tf.tidy(() => Array.from(tf.grad((sl: tf.Tensor) => f(sl, x.teacherLogits!))(x.studentLogits).dataSync()));
  assert.deepEqual(Array.from(x.teacherLogits!.dataSync()), teacherBefore, 'teacher constants unchanged');
  const n = tm.flat().reduce((a, b) => a + b, 0);
  let nonZero = 0;
  p.studentLogits.forEach((row, b) => row.forEach((sl, t) => {
    const S = refSoftmax(sl);
    const T = refSoftmax(p.teacherLogits[b]![t]!);
    const kl = refKl(S, T);
    S.forEach((si, i) => {
      const expected = tm[b]![t]! ? (si * (Math.log(si) - Math.log(T[i]!) - kl)) / n : 0;
      close(gStudent[(b * p.T + t) * p.V + i]!, expected, 1e-5, `dL/dz[${b},${t},${i}]`);
      if (Math.abs(expected) > 1e-6) nonZero++;
    });
  }));
  assert.ok(nonZero > 20);
});

test('opsd (sampled-token): per-token −sg(log P_T − log P_S)·log P_S, its gradient, and divergence', () => {
  const cfg = { ...opsdDefaults, variant: 'sampled-token' as const };
  const x = toInputs(p);
  const out = tf.tidy(() => readOutput(opsd.loss(x, cfg)));
  const perToken = mapMat(p.logp, (s, b, t) => -(p.teacherLogp[b]![t]! - s) * s);
  close(out.loss, refAggregate(perToken, tm, 'token-mean'), 1e-5, 'loss');
  close(out.metrics['opsd/divergence']!, refMaskedMean(mapMat(p.logp, (s, b, t) => s - p.teacherLogp[b]![t]!), tm), 1e-5, 'divergence');
  const n = tm.flat().reduce((a, b) => a + b, 0);
  const f = (s: tf.Tensor, t: tf.Tensor) => opsd.loss({ ...x, logProbs: s as tf.Tensor2D, teacherLogProbs: t as tf.Tensor2D }, cfg).loss;
  assert.throws(() => tf.tidy(() => tf.grad((t: tf.Tensor) => f(x.logProbs, t))(x.teacherLogProbs!)), /Cannot compute gradient/);
  const gS = tf.tidy(() => Array.from(tf.grad((s: tf.Tensor) => f(s, x.teacherLogProbs!))(x.logProbs).dataSync()));
  p.logp.forEach((row, b) => row.forEach((s, t) => {
    close(gS[b * p.T + t]!, tm[b]![t]! ? -(p.teacherLogp[b]![t]! - s) / n : 0, 1e-6, `grad[${b},${t}]`);
  }));
  tf.dispose(Object.values(x).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
});

test('opsd: its credit output is the per-token signal, −divergence: sg(log P_T − log P_S) (sampled-token), −JSD_t (jsd); 0 without a teacher', () => {
  const x = toInputs(p);
  const sampled = tf.tidy(() => Array.from(opsd.loss(x, { ...opsdDefaults, variant: 'sampled-token' }).credit!.dataSync()));
  const jsd = tf.tidy(() => Array.from(opsd.loss(x, opsdDefaults).credit!.dataSync()));
  const jsdRef = refJsdMatrix(p, 0.5);
  p.logp.forEach((row, b) => row.forEach((s, t) => {
    close(sampled[b * p.T + t]!, tm[b]![t]! ? p.teacherLogp[b]![t]! - s : 0, 1e-5, `sampled credit[${b},${t}]`);
    close(jsd[b * p.T + t]!, tm[b]![t]! ? -jsdRef[b]![t]! : 0, 1e-5, `jsd credit[${b},${t}]`);
  }));
  tf.dispose(Object.values(x).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
});

test('opsd: importance cap isClip multiplies token losses by min(π/π_old, c)', () => {
  const cfg = { ...opsdDefaults, isClip: 1.1, lossAgg: 'seq-mean-token-mean' as const };
  const got = tf.tidy(() => opsd.loss(toInputs(p), cfg).loss.dataSync()[0]!);
  const perToken = mapMat(tm, (_, b, t) =>
    refJsd(p.studentLogits[b]![t]!, p.teacherLogits[b]![t]!, 0.5) * Math.min(Math.exp(p.logp[b]![t]! - p.oldLogp[b]![t]!), 1.1));
  close(got, refAggregate(perToken, tm, 'seq-mean-token-mean'), 1e-5, 'loss');
});

test('opsd: all-zero mask → 0; extreme logits (−1e4) finite, with finite gradient', () => {
  const zero = { ...p, mask: p.mask.map((r) => r.map(() => 0)) };
  for (const variant of ['jsd', 'sampled-token'] as const) {
    const out = tf.tidy(() => readOutput(opsd.loss(toInputs(zero), { ...opsdDefaults, variant })));
    assert.equal(out.loss, 0, variant);
    for (const [k, v] of Object.entries(out.metrics)) assert.ok(Number.isFinite(v), `${variant} ${k}`);
  }
  const extreme = {
    ...p,
    studentLogits: p.studentLogits.map((r) => r.map((l) => [-1e4, l[1]!, 0])),
    teacherLogits: p.teacherLogits.map((r) => r.map((l) => [0, -1e4, l[2]!])),
  };
  for (const beta of [0, 0.5, 1]) {
    const { loss, grad } = tf.tidy(() => {
      const x = toInputs(extreme);
      const r = tf.valueAndGrad((sl: tf.Tensor) => opsd.loss({ ...x, studentLogits: sl as tf.Tensor3D }, { ...opsdDefaults, beta }).loss)(x.studentLogits);
      return { loss: r.value.dataSync()[0]!, grad: Array.from(r.grad.dataSync()) };
    });
    const perToken = mapMat(tm, (_, b, t) => refJsd(extreme.studentLogits[b]![t]!, extreme.teacherLogits[b]![t]!, beta));
    close(loss, refAggregate(perToken, tm, 'token-mean'), 1e-4, `extreme β=${beta}`);
    assert.ok(grad.every(Number.isFinite), `finite gradient β=${beta}`);
  }
});

test('opsd: rows without privileged context are not distilled; without availability every row is', () => {
  for (const variant of ['jsd', 'sampled-token'] as const) {
    const cfg = { ...opsdDefaults, variant };
    // Row 0 (teacherAvailable 0) gets what the loop leaves an unscored row: zero logits, the rollout's log-probs.
    const unscored = { ...p, teacherLogits: p.teacherLogits.map((r, b) => (b === 0 ? r.map((l) => l.map(() => 0)) : r)), teacherLogp: p.teacherLogp.map((r, b) => (b === 0 ? p.oldLogp[0]! : r)) };
    const a = tf.tidy(() => readOutput(opsd.loss(toInputs(p), cfg)));
    const b = tf.tidy(() => readOutput(opsd.loss(toInputs(unscored), cfg)));
    close(a.loss, b.loss, 1e-7, `${variant}: row 0's teacher values do not matter`);
    const perToken = variant === 'jsd' ? refJsdMatrix(p, 0.5) : mapMat(p.logp, (s, r, t) => -(p.teacherLogp[r]![t]! - s) * s);
    const all = tf.tidy(() => readOutput(opsd.loss(toInputs(p, 0, { teacherAvailable: undefined }), cfg)));
    close(all.loss, refAggregate(perToken, p.mask, 'token-mean'), 1e-5, `${variant}: no availability given → every row`);
    assert.ok(Math.abs(all.loss - a.loss) > 1e-6, `${variant}: row 0 changes the loss when it counts`);
  }
  assert.throws(() => tf.tidy(() => { opsd.loss(toInputs(p, 0, { teacherAvailable: new Float32Array(5) }), opsdDefaults); }), /'teacherAvailable' has 5 entries for a batch of 6/);
});

test('opsd: no tensor leaks', () => {
  const x = toInputs(p);
  const before = tf.memory().numTensors;
  for (const variant of ['jsd', 'sampled-token'] as const) tf.tidy(() => { opsd.loss(x, { ...opsdDefaults, variant, isClip: 2 }); });
  assert.equal(tf.memory().numTensors, before);
});
