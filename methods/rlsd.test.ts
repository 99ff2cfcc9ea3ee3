import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { grpo, grpoDefaults } from './grpo.ts';
import { groupsWithSpread, rlsd, rlsdDefaults, rlsdLambda } from './rlsd.ts';
import { close, readOutput, toInputs } from './test-batch.ts';
import { makeBatch, mapMat, refAdvantages, refAggregate, refMaskedMean, refPpoToken, refRlsdAdvantage } from './test-reference.ts';

await tf.setBackend('cpu');

test('rlsdLambda: linear decay from lambdaInit to 0, held at 0, constant when decaySteps = 0', () => {
  const cfg = { lambdaInit: 0.5, lambdaDecaySteps: 50 };
  assert.equal(rlsdLambda(0, cfg), 0.5);
  close(rlsdLambda(10, cfg), 0.4, 1e-12, 'step 10');
  close(rlsdLambda(25, cfg), 0.25, 1e-12, 'step 25');
  close(rlsdLambda(49, cfg), 0.01, 1e-12, 'step 49');
  assert.equal(rlsdLambda(50, cfg), 0);
  assert.equal(rlsdLambda(80, cfg), 0);
  assert.equal(rlsdLambda(-3, cfg), 0.5);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((s) => rlsdLambda(s, { lambdaInit: 1, lambdaDecaySteps: 4 })), [1, 0.75, 0.5, 0.25, 0, 0]);
  assert.equal(rlsdLambda(1000, { lambdaInit: 0.5, lambdaDecaySteps: 0 }), 0.5);
  assert.equal(rlsdDefaults.teacherSyncInterval, 10);
  assert.equal(rlsdDefaults.lambdaDecaySteps, 50);
  assert.equal(rlsdDefaults.weightClip, 0.2);
});

// The fixture batch with ρ = 1 everywhere (old = logp) and a chosen Δ = log P_T − log P_S per token,
// so that the surrogate's gradient w.r.t. logp is exactly −Â/N and reveals every token's Â.
// A: rows 0,1,5 > 0 (+1.1547, +.5774, +.5774); rows 2,3,4 < 0 (−.5774, −1.1547, −.5774). Padding Δ = 5 (ignored).
const DELTA = [
  [0.1, 0.5, -0.5, 0],
  [-0.1, 1.0, 0.2, 5],
  [0.5, -0.5, 5, 5],
  [0.1, -0.1, 0, 3],
  [-2, 5, 5, 5],
  [0.15, -0.15, -0.3, 5],
];
const base = makeBatch();
const p = { ...base, oldLogp: base.logp, teacherLogp: mapMat(base.logp, (l, b, t) => l + DELTA[b]![t]!) };
const A = refAdvantages(p.rewards, p.groupIds, true);
const N = p.mask.flat().reduce((a, b) => a + b, 0); // 17

function tokenAdvantagesFromGradient(step: number, cfg = rlsdDefaults): number[] {
  return tf.tidy(() => {
    const x = toInputs(p, step);
    const g = tf.grad((lp: tf.Tensor) => rlsd.loss({ ...x, logProbs: lp as tf.Tensor2D }, cfg).loss)(x.logProbs);
    return Array.from(g.dataSync()).map((v) => -v * N);
  });
}

test('rlsd: Â = A·[(1−λ) + λ·clip(exp(sign(A)·Δ), 0.8, 1.2)] per token, direction-aware', () => {
  const adv = tokenAdvantagesFromGradient(0); // λ = 0.5
  p.mask.forEach((row, b) => row.forEach((m, t) => {
    const expected = m ? refRlsdAdvantage(A[b]!, DELTA[b]![t]!, 0.5, 0.2).adv : 0;
    close(adv[b * p.T + t]!, expected, 1e-5, `Â[${b},${t}]`);
  }));
  // hand: row 0 token 1 (A = +1.1547, Δ = +.5: teacher likes it more) → w = e^.5 = 1.65 → clip 1.2 → Â = 1.1547·1.1 = 1.2702
  close(adv[1]!, 1.27017, 1e-4, 'A>0, teacher likes more → weight > 1');
  // row 0 token 2 (Δ = −.5) → w = .607 → clip .8 → Â = 1.1547·.9 = 1.0392
  close(adv[2]!, 1.03923, 1e-4, 'A>0, teacher likes less → weight < 1');
  // row 2 token 1 (A = −.5774, Δ = −.5: teacher likes it less) → w = e^{+.5} → 1.2 → Â = −.5774·1.1 = −.6351 (more blame)
  close(adv[2 * 4 + 1]!, -0.635085, 1e-4, 'A<0, teacher likes less → weight > 1');
  // row 2 token 0 (A < 0, Δ = +.5: teacher likes it) → w = e^{−.5} → .8 → Â = −.5774·.9 = −.5196 (less blame)
  close(adv[2 * 4 + 0]!, -0.519615, 1e-4, 'A<0, teacher likes more → weight < 1');
  // row 0 token 0 inside the clip: w = e^.1 = 1.10517 → Â = 1.1547·(.5 + .552585) = 1.21543
  close(adv[0]!, 1.21543, 1e-4, 'unclipped weight');
});

test('rlsd: metrics λ, Δ mean/abs mean, weight clip fractions (9 of 17 tokens: 4 low, 5 high), GRPO metrics', () => {
  const out = tf.tidy(() => readOutput(rlsd.loss(toInputs(p, 10, { teacherAvailable: undefined }), rlsdDefaults)));
  close(out.metrics['rlsd/lambda']!, 0.4, 1e-7, 'lambda at step 10');
  close(out.metrics['rlsd/delta_mean']!, refMaskedMean(DELTA, p.mask), 1e-5, 'delta_mean');
  close(out.metrics['rlsd/delta_abs_mean']!, refMaskedMean(mapMat(DELTA, Math.abs), p.mask), 1e-5, 'delta_abs_mean');
  close(out.metrics['rlsd/weight_clipfrac']!, 9 / 17, 1e-6, 'weight_clipfrac');
  close(out.metrics['rlsd/weight_clipfrac_low']!, 4 / 17, 1e-6, 'low');
  close(out.metrics['rlsd/weight_clipfrac_high']!, 5 / 17, 1e-6, 'high');
  for (const k of ['actor/pg_loss', 'actor/pg_clipfrac', 'actor/ppo_kl', 'actor/entropy']) assert.ok(k in out.metrics, k);
  // ρ = 1 → token loss −Â; pg_loss = token-mean(−Â)
  const expected = -refAggregate(mapMat(DELTA, (d, b) => refRlsdAdvantage(A[b]!, d, 0.4, 0.2).adv), p.mask, 'token-mean');
  close(out.loss, expected, 1e-5, 'loss');
  close(out.metrics['actor/pg_loss']!, expected, 1e-5, 'pg_loss');
  assert.equal(out.metrics['actor/pg_clipfrac'], 0);
});

test('rlsd: λ = 0 (after the decay) is exactly GRPO; λ = 1 is the pure re-weighting', () => {
  const f = makeBatch(); // ρ ≠ 1 here, so the clipped surrogate is exercised
  const after = tf.tidy(() => rlsd.loss(toInputs(f, 50), rlsdDefaults).loss.dataSync()[0]!);
  const g = tf.tidy(() => grpo.loss(toInputs(f), grpoDefaults).loss.dataSync()[0]!);
  assert.equal(after, g);
  const cfg = { ...rlsdDefaults, lambdaInit: 1, lambdaDecaySteps: 0 };
  const pure = tf.tidy(() => rlsd.loss(toInputs(f, 123), cfg).loss.dataSync()[0]!);
  const Af = refAdvantages(f.rewards, f.groupIds, true);
  const tokenLoss = mapMat(f.logp, (l, b, t) => {
    const hat = refRlsdAdvantage(Af[b]!, f.teacherLogp[b]![t]! - l, 1, 0.2).adv;
    return refPpoToken(l, f.oldLogp[b]![t]!, hat, 0.2, 0.28, 3);
  });
  close(pure, refAggregate(tokenLoss, f.mask, 'token-mean'), 1e-5, 'λ=1');
});

test('rlsd: gradient w.r.t. logProbs treats Â as a constant (Δ is stop-gradient); teacher gets none', () => {
  const f = makeBatch();
  const Af = refAdvantages(f.rewards, f.groupIds, true);
  const n = f.mask.flat().reduce((a, b) => a + b, 0);
  const x = toInputs(f, 0);
  const fn = (s: tf.Tensor, t: tf.Tensor) => rlsd.loss({ ...x, logProbs: s as tf.Tensor2D, teacherLogProbs: t as tf.Tensor2D }, rlsdDefaults).loss;
  // The teacher is detached: tfjs finds no path from it to the loss at all.
  assert.throws(() => tf.tidy(() => tf.grad((t: tf.Tensor) => fn(x.logProbs, t))(x.teacherLogProbs!)), /Cannot compute gradient/);
  const gS = tf.tidy(() => Array.from(tf.grad((s: tf.Tensor) => fn(s, x.teacherLogProbs!))(x.logProbs).dataSync()));
  let nonZero = 0;
  f.logp.forEach((row, b) => row.forEach((l, t) => {
    const hat = refRlsdAdvantage(Af[b]!, f.teacherLogp[b]![t]! - l, 0.5, 0.2).adv;
    const ratio = Math.exp(l - f.oldLogp[b]![t]!);
    const unclipped = -hat * ratio >= -hat * Math.min(1.28, Math.max(0.8, ratio));
    const dual = hat < 0 && -hat * ratio > -hat * 3;
    const expected = f.mask[b]![t]! && unclipped && !dual ? (-hat * ratio) / n : 0;
    close(gS[b * f.T + t]!, expected, 1e-6, `grad[${b},${t}]`);
    if (expected !== 0) nonZero++;
  }));
  assert.ok(nonZero >= 8);
});

test('rlsd: A = 0 (zero-variance group) gives Â = 0 and no clipped weights, whatever Δ', () => {
  const flat = { ...p, rewards: [1, 0, 1, 0, 1, 0] };
  const out = tf.tidy(() => readOutput(rlsd.loss(toInputs(flat), rlsdDefaults)));
  assert.equal(Math.abs(out.loss), 0);
  assert.equal(out.metrics['rlsd/weight_clipfrac'], 0);
});

test('rlsd: extreme log-probs (−1e4, −80, −Inf on padding) stay finite; all-zero mask → 0', () => {
  const ext = {
    ...base,
    teacherLogp: mapMat(base.teacherLogp, (v, b, t) => (t === 0 ? -1e4 : base.mask[b]![t] ? v : -Infinity)),
    logp: mapMat(base.logp, (v, _b, t) => (t === 1 ? -80 : v)),
  };
  const { loss, grad, metrics } = tf.tidy(() => {
    const x = toInputs(ext);
    const r = tf.valueAndGrad((lp: tf.Tensor) => rlsd.loss({ ...x, logProbs: lp as tf.Tensor2D }, rlsdDefaults).loss)(x.logProbs);
    return { loss: r.value.dataSync()[0]!, grad: Array.from(r.grad.dataSync()), metrics: readOutput(rlsd.loss(x, rlsdDefaults)).metrics };
  });
  assert.ok(Number.isFinite(loss));
  assert.ok(grad.every(Number.isFinite));
  for (const [k, v] of Object.entries(metrics)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
  const zero = { ...p, mask: p.mask.map((r) => r.map(() => 0)) };
  const z = tf.tidy(() => readOutput(rlsd.loss(toInputs(zero), rlsdDefaults)));
  assert.equal(z.loss, 0);
  for (const [k, v] of Object.entries(z.metrics)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
});

test('rlsd: flags and no tensor leaks', () => {
  assert.equal(rlsd.teacherContext(rlsdDefaults), 'reference');
  assert.equal(rlsd.needsFullDistributions(rlsdDefaults), false);
  assert.equal(rlsd.needsReference(rlsdDefaults), false);
  const x = toInputs(p, 3);
  const before = tf.memory().numTensors;
  tf.tidy(() => { rlsd.loss(x, { ...rlsdDefaults, klCoef: 0.01 }); });
  assert.equal(tf.memory().numTensors, before);
});

test('rlsd: groups whose rewards are all equal need no teacher pass; skipping them changes no loss value', () => {
  assert.deepEqual(Array.from(groupsWithSpread(Float32Array.from([1, 1, 0, 1, NaN, 0]), Int32Array.from([0, 1, 0, 1, 2, 2]))), [1, 0, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(rlsd.teacherNeeded!(Float32Array.from([1, 1, 1, 0]), Int32Array.from([0, 0, 1, 1]), rlsdDefaults, 0)), [0, 0, 1, 1]);
  // λ = 0 from step lambdaDecaySteps on (Â = A): no response needs the teacher; λ fixed (D = 0) keeps needing it.
  assert.deepEqual(Array.from(rlsd.teacherNeeded!(Float32Array.from([1, 1, 1, 0]), Int32Array.from([0, 0, 1, 1]), rlsdDefaults, 49)), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(rlsd.teacherNeeded!(Float32Array.from([1, 1, 1, 0]), Int32Array.from([0, 0, 1, 1]), rlsdDefaults, 50)), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(rlsd.teacherNeeded!(Float32Array.from([1, 0]), Int32Array.from([0, 0]), { ...rlsdDefaults, lambdaInit: 1, lambdaDecaySteps: 0 }, 500)), [1, 1]);
  // A batch with one zero-variance group: replace that group's teacher log-probs by the student's (what the loop
  // does when it skips the pass) — the loss is identical; Δ statistics cover only the responses with a pass.
  const f = makeBatch();
  f.rewards = [1, 1, 1, 0, 1, 1]; // group 0 (rows 0, 2, 4) constant → A = 0; group 1 (rows 1, 3, 5) varies
  const need = groupsWithSpread(Float32Array.from(f.rewards), Int32Array.from(f.groupIds));
  assert.deepEqual(Array.from(need), [0, 1, 0, 1, 0, 1]);
  const skipped = { ...f, teacherLogp: f.teacherLogp.map((row, b) => (need[b] ? row : f.logp[b]!)), teacherAvailable: Array.from(need) };
  const all = tf.tidy(() => readOutput(rlsd.loss(toInputs(f, 5, { teacherAvailable: undefined }), rlsdDefaults)));
  const part = tf.tidy(() => readOutput(rlsd.loss(toInputs(skipped, 5), rlsdDefaults)));
  assert.equal(part.loss, all.loss);
  const passMask = f.mask.map((row, b) => row.map((m) => m * need[b]!));
  close(part.metrics['rlsd/delta_mean']!, refMaskedMean(mapMat(f.teacherLogp, (t, b, i) => t - f.logp[b]![i]!), passMask), 1e-5, 'delta over passed responses');
});
