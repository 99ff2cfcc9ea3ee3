import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { grpo, grpoDefaults } from './grpo.ts';
import { groupsWithSpread, rlsd, rlsdDefaults, rlsdLambda } from './rlsd.ts';
import { close, readOutput, toInputs } from './test-batch.ts';
import { makeBatch, mapMat, refAdvantages, refAggregate, refMaskedMean, refPpoToken, refRlsdAdvantage, refStgca } from './test-reference.ts';
import type { MethodInputs } from './types.ts';

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
  assert.equal(rlsdDefaults.teacher, 'sync:10');
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

test('rlsd: its credit output is Â, the advantage its loss multiplies each token by (0 on padding)', () => {
  const credit = tf.tidy(() => Array.from(rlsd.loss(toInputs(p, 0), rlsdDefaults).credit!.dataSync()));
  p.mask.forEach((row, b) => row.forEach((m, t) => {
    const expected = m ? refRlsdAdvantage(A[b]!, DELTA[b]![t]!, 0.5, 0.2).adv : 0;
    close(credit[b * p.T + t]!, expected, 1e-5, `credit[${b},${t}]`);
  }));
  close(credit[1]!, 1.27017, 1e-4, 'the hand value of Â at row 0 token 1');
});

test('rlsd: metrics λ, Δ mean/abs mean, weight clip fractions (9 of 17 tokens: 4 low, 5 high), GRPO metrics', () => {
  const out = tf.tidy(() => readOutput(rlsd.loss(toInputs(p, 10, { teacherAvailable: undefined }), rlsdDefaults)));
  close(out.metrics['grpo_opsd/stgca_effective_lambda']!, 0.4, 1e-7, 'lambda at step 10');
  close(out.metrics['rlsd/delta_mean']!, refMaskedMean(DELTA, p.mask), 1e-5, 'delta_mean');
  close(out.metrics['grpo_opsd/stgca_delta_mean']!, refMaskedMean(DELTA, p.mask), 1e-5, 'stgca_delta_mean (every row had a pass)');
  close(out.metrics['rlsd/delta_abs_mean']!, refMaskedMean(mapMat(DELTA, Math.abs), p.mask), 1e-5, 'delta_abs_mean');
  close(out.metrics['rlsd/weight_clipfrac']!, 9 / 17, 1e-6, 'weight_clipfrac');
  close(out.metrics['grpo_opsd/stgca_clip_low_ratio']!, 4 / 17, 1e-6, 'low');
  close(out.metrics['grpo_opsd/stgca_clip_high_ratio']!, 5 / 17, 1e-6, 'high');
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
  assert.equal(rlsd.teacherContext(rlsdDefaults), 'answer');
  assert.deepEqual(rlsd.teacherRegime!(rlsdDefaults), { kind: 'sync', every: 10 });
  assert.equal(rlsd.needsThoughtMask(rlsdDefaults), false);
  assert.equal(rlsd.needsThoughtMask({ ...rlsdDefaults, thoughtOnly: true }), true);
  assert.equal(rlsd.needsFullDistributions(rlsdDefaults), false);
  assert.equal(rlsd.needsReference(rlsdDefaults), false);
  const x = toInputs(p, 3);
  const before = tf.memory().numTensors;
  tf.tidy(() => { rlsd.loss(x, { ...rlsdDefaults, klCoef: 0.01 }); });
  assert.equal(tf.memory().numTensors, before);
  const withSpan = { ...x, thoughtMask: tf.ones([p.B, p.T]) as tf.Tensor2D };
  const before2 = tf.memory().numTensors;
  tf.tidy(() => { rlsd.loss(withSpan, { ...rlsdDefaults, negativeOnly: true, thoughtOnly: true }); });
  assert.equal(tf.memory().numTensors, before2);
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

// ---------------------------------------------------------------------------------------------
// The official metric set (grpo_opsd/stgca_*) and the official ablations (negativeOnly, thoughtOnly).

/** A hand-sized batch: 2 groups × 2 responses, 2 tokens each, uniform student (log 1/3), Δ per token given. */
function smallBatch(rewards: number[], delta: number[][], available?: number[]): MethodInputs {
  const lp = Math.log(1 / 3);
  return {
    responseMask: tf.ones([4, 2]) as tf.Tensor2D,
    groupIds: Int32Array.from([0, 0, 1, 1]),
    rewards: Float32Array.from(rewards),
    logProbs: tf.fill([4, 2], lp) as tf.Tensor2D,
    oldLogProbs: tf.fill([4, 2], lp) as tf.Tensor2D,
    studentLogits: tf.zeros([4, 2, 3]) as tf.Tensor3D,
    teacherLogProbs: tf.tensor2d(delta.map((row) => row.map((d) => lp + d))),
    ...(available ? { teacherAvailable: Float32Array.from(available) } : {}),
    step: 0,
  };
}

test('rlsd: stgca clip ratios are over ALL response tokens — half the groups with equal rewards: 0.5, not 1.0 (the issue\'s case)', () => {
  // Group 0 (rows 0, 1) rewards 1, 0 → A = ±0.70711; group 1 (rows 2, 3) rewards 1, 1 → A = 0, so the loop skips its
  // teacher pass (teacherAvailable 0; teacher log-probs = the student's, Δ = 0). Δ = +1 on every token of group 0:
  // row 0 (A > 0) w = e ≈ 2.718 > 1.2 (clipped high), row 1 (A < 0) w = e^−1 ≈ 0.368 < 0.8 (clipped low).
  const x = smallBatch([1, 0, 1, 1], [[1, 1], [1, 1], [0, 0], [0, 0]], [1, 1, 0, 0]);
  const out = tf.tidy(() => readOutput(rlsd.loss(x, rlsdDefaults)));
  const m = out.metrics;
  close(m['rlsd/weight_clipfrac']!, 1.0, 1e-6, 'ours: 4 of the 4 tokens that had a teacher pass');
  close(m['grpo_opsd/stgca_clip_low_ratio']! + m['grpo_opsd/stgca_clip_high_ratio']!, 0.5, 1e-6, 'official: 4 of all 8 response tokens');
  close(m['grpo_opsd/stgca_clip_low_ratio']!, 0.25, 1e-6, 'low: 2/8');
  close(m['grpo_opsd/stgca_clip_high_ratio']!, 0.25, 1e-6, 'high: 2/8');
  // hand: weight_mean = (2e + 2/e + 4·1)/8 = 1.271540; clipped = (2·1.2 + 2·0.8 + 4)/8 = 1
  close(m['grpo_opsd/stgca_weight_mean']!, (2 * Math.E + 2 / Math.E + 4) / 8, 1e-5, 'weight_mean');
  close(m['grpo_opsd/stgca_weight_mean']!, 1.27154, 1e-5, 'weight_mean literal');
  close(m['grpo_opsd/stgca_clipped_weight_mean']!, 1, 1e-6, 'clipped_weight_mean');
  // Δ: official over all 8 tokens (the skipped rows' Δ counted 0) = 0.5; ours over the 4 with a pass = 1
  close(m['grpo_opsd/stgca_delta_mean']!, 0.5, 1e-6, 'stgca_delta_mean');
  close(m['rlsd/delta_mean']!, 1, 1e-6, 'rlsd/delta_mean');
  // λ = 0.5 at step 0: Â = +0.70711·1.1 = 0.777817 (row 0), −0.70711·0.9 = −0.636396 (row 1), 0 in group 1
  close(m['grpo_opsd/stgca_adv_mean']!, (2 * 0.777817 - 2 * 0.636396) / 8, 1e-5, 'adv_mean = 0.035355');
  close(m['grpo_opsd/stgca_adv_abs_mean']!, (2 * 0.777817 + 2 * 0.636396) / 8, 1e-5, 'adv_abs_mean = 0.353553');
  close(m['grpo_opsd/stgca_effective_lambda']!, 0.5, 1e-7, 'effective_lambda');
  assert.equal(m['grpo_opsd/stgca_neg_seq_ratio'], undefined, 'ablation metrics only with the ablation');
  assert.equal(m['grpo_opsd/stgca_thought_token_ratio'], undefined);
  tf.dispose(Object.values(x).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
});

test('rlsd: every stgca metric equals the plain restatement of _build_stgca_advantages (fixture batch, λ = 0.4)', () => {
  const out = tf.tidy(() => readOutput(rlsd.loss(toInputs(p, 10, { teacherAvailable: undefined }), rlsdDefaults)));
  const ref = refStgca(A, DELTA, p.mask, 0.4, 0.2);
  for (const [k, v] of Object.entries(ref.metrics)) close(out.metrics[k]!, v, 1e-5, k);
  const official = Object.keys(out.metrics).filter((k) => k.startsWith('grpo_opsd/')).sort();
  assert.deepEqual(official, Object.keys(ref.metrics).sort());
  assert.deepEqual(Object.keys(out.metrics).filter((k) => k.startsWith('rlsd/')).sort(), ['rlsd/delta_abs_mean', 'rlsd/delta_mean', 'rlsd/weight_clipfrac']);
});

test('rlsd negativeOnly: rows with A < 0 re-weighted, the others keep the plain GRPO advantage (golden)', () => {
  const cfg = { ...rlsdDefaults, negativeOnly: true };
  const adv = tokenAdvantagesFromGradient(0, cfg); // λ = 0.5
  const ref = refStgca(A, DELTA, p.mask, 0.5, 0.2, { negativeOnly: true });
  p.mask.forEach((row, b) => row.forEach((m, t) => close(adv[b * p.T + t]!, m ? ref.adv[b]![t]! : 0, 1e-5, `Â[${b},${t}]`)));
  // hand: row 0 (A = +1.1547) token 1, Δ = +.5, re-weighted 1.2702 by default — here the plain A
  close(adv[1]!, 1.1547, 1e-4, 'A > 0 row: plain GRPO');
  // row 2 (A = −.5774) token 1, Δ = −.5 → w = e^.5 → 1.2 → Â = −.5774·1.1 = −.6351, as without the ablation
  close(adv[2 * 4 + 1]!, -0.635085, 1e-4, 'A < 0 row: re-weighted');
  const out = tf.tidy(() => readOutput(rlsd.loss(toInputs(p, 0, { teacherAvailable: undefined }), cfg)));
  for (const [k, v] of Object.entries(ref.metrics)) close(out.metrics[k]!, v, 1e-5, k);
  // rows 2, 3, 4 are negative: 3 of 6 rows; their 7 tokens' Δ: .5 − .5 + .1 − .1 + 0 + 3 − 2 = 1 → 1/7
  close(out.metrics['grpo_opsd/stgca_neg_seq_ratio']!, 0.5, 1e-7, 'neg_seq_ratio');
  close(out.metrics['grpo_opsd/stgca_neg_delta_mean']!, 1 / 7, 1e-6, 'neg_delta_mean');
  assert.equal(out.metrics['grpo_opsd/stgca_negative_only'], 1);
  // the weight statistics are of the pre-ablation weights: the same as without the ablation
  close(out.metrics['grpo_opsd/stgca_clip_low_ratio']!, 4 / 17, 1e-6, 'low, pre-ablation');
  close(out.metrics['grpo_opsd/stgca_clip_high_ratio']!, 5 / 17, 1e-6, 'high, pre-ablation');
  // NaN reward counts as 0: group 1 = (NaN→0, 0, 1) makes row 1 negative and re-weighted
  const nan = { ...p, rewards: [1, NaN, 0, 0, 0, 1] };
  const An = refAdvantages(nan.rewards, nan.groupIds, true);
  assert.ok(An[1]! < 0);
  const g = tf.tidy(() => {
    const x = toInputs(nan, 0);
    return Array.from(tf.grad((lp: tf.Tensor) => rlsd.loss({ ...x, logProbs: lp as tf.Tensor2D }, cfg).loss)(x.logProbs).dataSync()).map((v) => -v * N);
  });
  const refNan = refStgca(An, DELTA, p.mask, 0.5, 0.2, { negativeOnly: true });
  p.mask.forEach((row, b) => row.forEach((m, t) => close(g[b * p.T + t]!, m ? refNan.adv[b]![t]! : 0, 1e-5, `NaN batch Â[${b},${t}]`)));
});

// 1 on the first two positions of every row (also on row 4's padding at t = 1, which the response mask removes).
const THOUGHT = p.mask.map((row) => row.map((_, t) => (t < 2 ? 1 : 0)));

test('rlsd thoughtOnly: only span tokens re-weighted, the others keep weight 1 (golden)', () => {
  const cfg = { ...rlsdDefaults, thoughtOnly: true };
  const thoughtMask = (): tf.Tensor2D => tf.tensor2d(THOUGHT);
  const adv = tf.tidy(() => {
    const x = toInputs(p, 0, { thoughtMask: thoughtMask() });
    const g = tf.grad((lp: tf.Tensor) => rlsd.loss({ ...x, logProbs: lp as tf.Tensor2D }, cfg).loss)(x.logProbs);
    return Array.from(g.dataSync()).map((v) => -v * N);
  });
  const ref = refStgca(A, DELTA, p.mask, 0.5, 0.2, { thought: THOUGHT });
  p.mask.forEach((row, b) => row.forEach((m, t) => close(adv[b * p.T + t]!, m ? ref.adv[b]![t]! : 0, 1e-5, `Â[${b},${t}]`)));
  // hand: row 0 token 1 (in the span) re-weighted 1.2702; token 2 (Δ = −.5, outside) keeps A = 1.1547
  close(adv[1]!, 1.27017, 1e-4, 'span token');
  close(adv[2]!, 1.1547, 1e-4, 'outside the span');
  const out = tf.tidy(() => readOutput(rlsd.loss(toInputs(p, 0, { teacherAvailable: undefined, thoughtMask: thoughtMask() }), cfg)));
  for (const [k, v] of Object.entries(ref.metrics)) close(out.metrics[k]!, v, 1e-5, k);
  // span ∩ response: 2 + 2 + 2 + 2 + 1 + 2 = 11 of 17 tokens
  close(out.metrics['grpo_opsd/stgca_thought_token_ratio']!, 11 / 17, 1e-6, 'thought_token_ratio');
  assert.equal(out.metrics['grpo_opsd/stgca_thought_only'], 1);
  // both ablations: a token is re-weighted only in an A < 0 row and inside the span
  const both = { ...cfg, negativeOnly: true };
  const advBoth = tf.tidy(() => {
    const x = toInputs(p, 0, { thoughtMask: thoughtMask() });
    return Array.from(tf.grad((lp: tf.Tensor) => rlsd.loss({ ...x, logProbs: lp as tf.Tensor2D }, both).loss)(x.logProbs).dataSync()).map((v) => -v * N);
  });
  const refBoth = refStgca(A, DELTA, p.mask, 0.5, 0.2, { negativeOnly: true, thought: THOUGHT });
  p.mask.forEach((row, b) => row.forEach((m, t) => close(advBoth[b * p.T + t]!, m ? refBoth.adv[b]![t]! : 0, 1e-5, `both Â[${b},${t}]`)));
  close(advBoth[2 * 4 + 1]!, -0.635085, 1e-4, 'A < 0, in the span: re-weighted');
  close(advBoth[3 * 4 + 3]!, -1.1547, 1e-4, 'A < 0, outside the span: plain');
  close(advBoth[1]!, 1.1547, 1e-4, 'A > 0, in the span: plain');
  // the mask is required when the ablation is on, and ignored when it is off
  assert.throws(() => tf.tidy(() => { rlsd.loss(toInputs(p), cfg); }), { message: "method 'rlsd': input 'thoughtMask' is required but missing" });
  assert.throws(() => tf.tidy(() => { rlsd.loss(toInputs(p, 0, { thoughtMask: tf.ones([6, 3]) as tf.Tensor2D }), cfg); }), /input 'thoughtMask' has shape \[6,3\], expected \[6,4\]/);
  const off = tf.tidy(() => rlsd.loss(toInputs(p, 0, { thoughtMask: thoughtMask() }), rlsdDefaults).loss.dataSync()[0]!);
  const plain = tf.tidy(() => rlsd.loss(toInputs(p), rlsdDefaults).loss.dataSync()[0]!);
  assert.equal(off, plain);
});

test('rlsd ablations: zero-variance groups, an empty mask, an empty span and extreme log-probs stay finite and exact', () => {
  const cfg = { ...rlsdDefaults, negativeOnly: true, thoughtOnly: true };
  // all groups flat: A = 0 → Â = 0, no negative row, nothing clipped
  const flat = tf.tidy(() => readOutput(rlsd.loss(toInputs({ ...p, rewards: [1, 0, 1, 0, 1, 0] }, 0, { thoughtMask: tf.tensor2d(THOUGHT) }), cfg)));
  assert.equal(Math.abs(flat.loss), 0);
  assert.equal(flat.metrics['grpo_opsd/stgca_neg_seq_ratio'], 0);
  assert.equal(flat.metrics['grpo_opsd/stgca_neg_delta_mean'], 0);
  assert.equal(flat.metrics['grpo_opsd/stgca_clip_low_ratio'], 0);
  close(flat.metrics['grpo_opsd/stgca_weight_mean']!, 1, 1e-6, 'w = 1 when A = 0');
  // an empty span: every token keeps A (= GRPO's loss), the ratio reads 0
  const none = tf.tidy(() => readOutput(rlsd.loss(toInputs(p, 0, { thoughtMask: tf.zeros([6, 4]) as tf.Tensor2D }), { ...rlsdDefaults, thoughtOnly: true })));
  const grpoLoss = tf.tidy(() => grpo.loss(toInputs(p), grpoDefaults).loss.dataSync()[0]!);
  close(none.loss, grpoLoss, 1e-6, 'empty span = GRPO');
  assert.equal(none.metrics['grpo_opsd/stgca_thought_token_ratio'], 0);
  // an all-zero response mask: loss 0, every metric finite (denominators max(·, 1) and +1e-8)
  const zero = { ...p, mask: p.mask.map((r) => r.map(() => 0)) };
  const z = tf.tidy(() => readOutput(rlsd.loss(toInputs(zero, 0, { thoughtMask: tf.tensor2d(THOUGHT) }), cfg)));
  assert.equal(z.loss, 0);
  for (const [k, v] of Object.entries(z.metrics)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
  assert.equal(z.metrics['grpo_opsd/stgca_thought_token_ratio'], 0);
  assert.equal(z.metrics['grpo_opsd/stgca_neg_seq_ratio'], 0);
  // extreme log-probs: −1e4 teacher, −80 student, −Inf on padding
  const ext = {
    ...base,
    teacherLogp: mapMat(base.teacherLogp, (v, b, t) => (t === 0 ? -1e4 : base.mask[b]![t] ? v : -Infinity)),
    logp: mapMat(base.logp, (v, _b, t) => (t === 1 ? -80 : v)),
  };
  const e = tf.tidy(() => {
    const x = toInputs(ext, 0, { thoughtMask: tf.tensor2d(THOUGHT) });
    const r = tf.valueAndGrad((lp: tf.Tensor) => rlsd.loss({ ...x, logProbs: lp as tf.Tensor2D }, cfg).loss)(x.logProbs);
    return { loss: r.value.dataSync()[0]!, grad: Array.from(r.grad.dataSync()), metrics: readOutput(rlsd.loss(x, cfg)).metrics };
  });
  assert.ok(Number.isFinite(e.loss));
  assert.ok(e.grad.every(Number.isFinite));
  for (const [k, v] of Object.entries(e.metrics)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
});
