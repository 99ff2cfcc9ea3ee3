import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  aggregateLoss,
  clippedPolicyLoss,
  entropyFromLogits,
  groupAdvantages,
  klPenalty,
  maskedMean,
  maskFill,
  meanEntropy,
  stopGradient,
  type LossAggMode,
} from './core.ts';
import { refAggregate, refEntropy, refK3, refPpoToken, refMaskedMean, type Mat } from './test-reference.ts';

await tf.setBackend('cpu');

function close(actual: number, expected: number, tol = 1e-5, what = ''): void {
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);
}
function closeAll(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) close(actual[i]!, expected[i]!, tol, `${what}[${i}]`);
}
const val = (t: tf.Tensor): number => t.dataSync()[0]!;

// ---------------------------------------------------------------------------------------------
// groupAdvantages

test('groupAdvantages: GRPO two groups, non-contiguous, hand-computed', () => {
  // group 7: rewards 1,0,0 → mean 1/3, unbiased std √(1/3) = 0.577350 → A = 1.154698, −0.577349
  // group 3: rewards 1,1,0,0 → mean 0.5, std √(1/3) → A = ±0.866024
  const rewards = new Float32Array([1, 1, 0, 1, 0, 0, 0]);
  const groups = new Int32Array([7, 3, 7, 3, 3, 7, 3]);
  const a = groupAdvantages(rewards, groups, { stdNorm: true });
  const s = Math.sqrt(1 / 3) + 1e-6;
  closeAll(a, [(2 / 3) / s, 0.5 / s, (-1 / 3) / s, 0.5 / s, -0.5 / s, (-1 / 3) / s, -0.5 / s], 1e-6, 'A');
  close(a[0]!, 1.1547, 1e-4, 'A0 literal');
  close(a[1]!, 0.866, 1e-4, 'A1 literal');
});

test('groupAdvantages: Dr.GRPO is r − mean', () => {
  const a = groupAdvantages(new Float32Array([1, 0, 0, 0.5, 1]), new Int32Array([0, 0, 0, 1, 1]), { stdNorm: false });
  closeAll(a, [2 / 3, -1 / 3, -1 / 3, -0.25, 0.25], 1e-6, 'A');
});

test('groupAdvantages: zero-variance group is exactly 0, NaN reward counts as 0', () => {
  const rewards = new Float32Array([0.1, 0.1, 0.1, NaN, 1, 0]);
  const a = groupAdvantages(rewards, new Int32Array([0, 0, 0, 1, 1, 1]), { stdNorm: true });
  assert.deepEqual(Array.from(a.slice(0, 3)), [0, 0, 0]);
  // group 1 = (0, 1, 0): mean 1/3, std √(1/3)
  const s = Math.sqrt(1 / 3) + 1e-6;
  closeAll(a.slice(3), [(-1 / 3) / s, (2 / 3) / s, (-1 / 3) / s], 1e-6, 'NaN group');
  const allNaN = groupAdvantages(new Float32Array([NaN, 0, NaN]), new Int32Array([2, 2, 2]), { stdNorm: true });
  assert.deepEqual(Array.from(allNaN), [0, 0, 0]);
});

test('groupAdvantages: singleton group → 0 by default, veRL mode gives r/(1+eps)', () => {
  const rewards = new Float32Array([1, 1, 0, 0.5]);
  const groups = new Int32Array([0, 1, 1, 2]);
  const a = groupAdvantages(rewards, groups, { stdNorm: true });
  assert.equal(a[0], 0);
  assert.equal(a[3], 0);
  const v = groupAdvantages(rewards, groups, { stdNorm: true, singleton: 'verl' });
  close(v[0]!, 1 / (1 + 1e-6), 1e-7, 'verl singleton');
  close(v[3]!, 0.5 / (1 + 1e-6), 1e-7, 'verl singleton');
  assert.equal(groupAdvantages(rewards, groups, { stdNorm: false, singleton: 'verl' })[3], 0.5);
  assert.throws(() => groupAdvantages(rewards, new Int32Array([0]), { stdNorm: true }), /4 rewards but 1 group ids/);
});

// ---------------------------------------------------------------------------------------------
// aggregation

const L: Mat = [
  [1, 2, 3, 4],
  [5, 6, 7, 8],
  [-1, -2, -3, -4],
  [9, 9, 9, 9],
];
const M: Mat = [
  [1, 1, 1, 0],
  [1, 0, 0, 0],
  [1, 1, 1, 1],
  [0, 0, 0, 0],
];

test('aggregateLoss: the three veRL modes, hand-computed', () => {
  // token-mean: (1+2+3 + 5 + (−10)) / 8 = 1/8
  // seq-mean-token-mean: mean(2, 5, −2.5) over the 3 sequences with tokens = 1.5
  // seq-mean-token-sum: mean(6, 5, −10) = 1/3
  const expected: Record<LossAggMode, number> = { 'token-mean': 0.125, 'seq-mean-token-mean': 1.5, 'seq-mean-token-sum': 1 / 3 };
  for (const mode of Object.keys(expected) as LossAggMode[]) {
    const got = tf.tidy(() => val(aggregateLoss(tf.tensor2d(L), tf.tensor2d(M), mode)));
    close(got, expected[mode], 1e-6, mode);
    close(got, refAggregate(L, M, mode), 1e-6, `${mode} vs reference`);
  }
});

test('aggregateLoss: all-zero mask gives 0 (not NaN) in every mode, with a finite zero gradient', () => {
  for (const mode of ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum'] as LossAggMode[]) {
    const zeroMask = tf.zeros([4, 4]) as tf.Tensor2D;
    const x = tf.tensor2d(L);
    assert.equal(val(aggregateLoss(x, zeroMask, mode)), 0, mode);
    const g = tf.grad((y: tf.Tensor) => aggregateLoss(y as tf.Tensor2D, zeroMask, mode))(x);
    assert.ok(Array.from(g.dataSync()).every((v) => v === 0), `${mode} gradient`);
    tf.dispose([zeroMask, x, g]);
  }
});

test('maskedMean: veRL masked_mean, empty → 0', () => {
  close(tf.tidy(() => val(maskedMean(tf.tensor2d(L), tf.tensor2d(M)))), refMaskedMean(L, M), 1e-6, 'mm');
  assert.equal(tf.tidy(() => val(maskedMean(tf.tensor2d(L), tf.zeros([4, 4])))), 0);
});

test('maskFill: removes −Inf/NaN on padding and passes gradient only where the mask is set', () => {
  const x = tf.tensor2d([[-Infinity, 2, NaN]]);
  const m = tf.tensor2d([[0, 1, 0]]);
  assert.deepEqual(Array.from(maskFill(x, m).dataSync()), [0, 2, 0]);
  const g = tf.grad((y: tf.Tensor) => tf.sum(tf.mul(maskFill(y, m), 3)))(tf.tensor2d([[1, 2, 3]]));
  assert.deepEqual(Array.from(g.dataSync()), [0, 3, 0]);
});

// ---------------------------------------------------------------------------------------------
// KL

test('klPenalty: k1 and k3 (low_var_kl) with veRL clamps', () => {
  const logp = [[-1, -2, -0.5, 0, -1e4, -80]];
  const ref = [[-2, -1, -0.5, -30, 0, -80]];
  const k1 = tf.tidy(() => Array.from(klPenalty(tf.tensor2d(logp), tf.tensor2d(ref), 'k1').dataSync()));
  closeAll(k1, [1, -1, 0, 30, -1e4, 0], 1e-6, 'k1');
  const k3 = tf.tidy(() => Array.from(klPenalty(tf.tensor2d(logp), tf.tensor2d(ref), 'k3').dataSync()));
  // hand: ref−logp = −1 → e^−1 + 1 − 1 = 0.367879; +1 → e − 2 = 0.718282; 0 → 0;
  // −30 → clamped −20 → e^−20 + 19 = 19.000000002 → clamped to 10; 1e4 → clamped 20 → huge → 10.
  closeAll(k3, [Math.exp(-1), Math.E - 2, 0, 10, 10, 0], 1e-6, 'k3');
  k3.forEach((v, i) => close(v, refK3(logp[0]![i]!, ref[0]![i]!), 1e-6, `k3 ref ${i}`));
});

// ---------------------------------------------------------------------------------------------
// clipped surrogate

// B=4, T=3: tokens exercise ratio inside the clip, above 1+εh with A>0 (clipped), below 1−εl with
// A<0 (clipped), and ratio ≫ c with A<0 (dual clip).
const logp: Mat = [
  [Math.log(1.1), Math.log(1.5), 0],
  [Math.log(0.5), Math.log(1.0), -1e4],
  [Math.log(5), Math.log(1.25), -80],
  [0, 0, 0],
];
const old: Mat = [
  [0, 0, 0],
  [0, 0, -80],
  [0, 0, 0],
  [0, 0, 0],
];
const adv: Mat = [
  [1, 1, 1],
  [-2, -2, -2],
  [-0.5, -0.5, -0.5],
  [0.7, 0.7, 0.7],
];
const pmask: Mat = [
  [1, 1, 0],
  [1, 1, 1],
  [1, 1, 0],
  [1, 0, 0],
];

test('clippedPolicyLoss: per-token veRL surrogate, clip fractions, ppo_kl (hand-computed)', () => {
  const opts = { clipLow: 0.2, clipHigh: 0.28, dualClipC: 3, agg: 'token-mean' as const };
  const out = tf.tidy(() => {
    const r = clippedPolicyLoss(tf.tensor2d(logp), tf.tensor2d(old), tf.tensor2d(adv), tf.tensor2d(pmask), opts);
    return { loss: val(r.pgLoss), clip: val(r.clipFrac), lower: val(r.clipFracLower), kl: val(r.ppoKl) };
  });
  // token losses (masked): row0: −1.1, −1.28 (ratio 1.5 clipped at 1.28)
  // row1 (A=−2): ratio .5 → max(1.0, 1.6) = 1.6; ratio 1 → 2; ratio e^(−1e4+80)→ clamp e^−20 → max(≈0, 1.6) = 1.6
  // row2 (A=−.5): ratio 5 → max(2.5, .64) = 2.5 → dual clip min(2.5, 1.5) = 1.5; ratio 1.25 → .625
  // row3: −0.7
  const tokens = [-1.1, -1.28, 1.6, 2, 1.6, 1.5, 0.625, -0.7];
  close(out.loss, tokens.reduce((a, b) => a + b, 0) / 8, 1e-5, 'pg_loss');
  // clipped (pg2 > pg1): row0 t1; row1 t0, t2; row2 none (−A·1.2=.6 < 2.5; .6 < .625) → 3/8
  close(out.clip, 3 / 8, 1e-6, 'clipfrac');
  close(out.lower, 1 / 8, 1e-6, 'clipfrac_lower');
  // ppo_kl = mean(old − logp) on masked tokens, log-ratio clamped to [−20, 20]
  const lr = [Math.log(1.1), Math.log(1.5), Math.log(0.5), 0, -20, Math.log(5), Math.log(1.25), 0];
  close(out.kl, -lr.reduce((a, b) => a + b, 0) / 8, 1e-5, 'ppo_kl');
  let ref = 0;
  let n = 0;
  logp.forEach((row, b) => row.forEach((l, t) => {
    if (pmask[b]![t]) { ref += refPpoToken(l, old[b]![t]!, adv[b]![t]!, 0.2, 0.28, 3); n++; }
  }));
  close(out.loss, ref / n, 1e-5, 'pg_loss vs reference');
});

test('clippedPolicyLoss: gradient w.r.t. logp is −A·ρ inside the clip and 0 where clipped', () => {
  const g = tf.tidy(() => {
    const f = (lp: tf.Tensor) =>
      clippedPolicyLoss(lp as tf.Tensor2D, tf.tensor2d(old), tf.tensor2d(adv), tf.tensor2d(pmask), {
        clipLow: 0.2, clipHigh: 0.28, dualClipC: 3, agg: 'token-mean',
      }).pgLoss;
    return Array.from(tf.grad(f)(tf.tensor2d(logp)).dataSync());
  });
  // d/dlogp of (−A·ρ)/8 = −A·ρ/8 where the unclipped branch is active, 0 where clipped, dual-clipped or masked:
  // row0: ρ=1.1 → −1.1/8; ρ=1.5 clipped. row1 (A=−2): ρ=.5 clipped; ρ=1 → 2/8; log-ratio clamped at −20 → 0.
  // row2 (A=−.5): ρ=5 dual-clipped (constant −A·3); ρ=1.25 → .625/8. row3: −0.7/8.
  closeAll(g, [-1.1 / 8, 0, 0, 0, 2 / 8, 0, 0, 0.625 / 8, 0, -0.7 / 8, 0, 0], 1e-6, 'grad');
});

test('clippedPolicyLoss: extreme log-probs (−1e4, −80, −Inf on padding) give finite loss and gradient', () => {
  const lp = tf.tensor2d([[-1e4, -80, -Infinity], [0, -1e4, -Infinity]]);
  const ol = tf.tensor2d([[0, -1e4, -Infinity], [-80, 0, 0]]);
  const A = tf.tensor2d([[1, 1, 1], [-1, -1, -1]]);
  const m = tf.tensor2d([[1, 1, 0], [1, 1, 0]]);
  const opts = { clipLow: 0.2, clipHigh: 0.28, dualClipC: 3, agg: 'seq-mean-token-mean' as const };
  const f = (x: tf.Tensor) => clippedPolicyLoss(x as tf.Tensor2D, ol, A, m, opts).pgLoss;
  const { value, grad } = tf.valueAndGrad(f)(lp);
  // row0: ratio e^−20 → max(−e^−20, −0.8) = −e^−20; ratio e^20 → max(−e^20, −1.28) = −1.28
  // row1 (A=−1): ratio e^20 → max(e^20, .8) → dual clip 3; ratio e^−20 → max(e^−20, .8) = .8
  close(val(value), ((-Math.exp(-20) - 1.28) / 2 + (3 + 0.8) / 2) / 2, 1e-5, 'loss');
  assert.ok(Array.from(grad.dataSync()).every(Number.isFinite), 'finite gradient');
  tf.dispose([lp, ol, A, m, value, grad]);
});

// ---------------------------------------------------------------------------------------------
// entropy, stop-gradient, memory

test('entropyFromLogits: −Σ p log p, uniform = log V, extreme logits finite', () => {
  const logits = [[[0, 0, 0], [1, 2, 3]], [[-1e4, 0, 0], [50, -50, 0]]];
  const h = tf.tidy(() => Array.from(entropyFromLogits(tf.tensor3d(logits)).dataSync()));
  close(h[0]!, Math.log(3), 1e-6, 'uniform');
  close(h[1]!, refEntropy([1, 2, 3]), 1e-5, 'h');
  close(h[1]!, 0.832396, 1e-5, 'h literal'); // p = (.0900, .2447, .6652)
  close(h[2]!, Math.log(2), 1e-6, 'one impossible token');
  close(h[3]!, refEntropy([50, -50, 0]), 1e-5, 'peaked');
  const me = tf.tidy(() => val(meanEntropy(tf.tensor3d(logits), tf.tensor2d([[1, 1], [0, 0]]))));
  close(me, (Math.log(3) + refEntropy([1, 2, 3])) / 2, 1e-5, 'masked mean');
});

test('stopGradient: same value, zero gradient', () => {
  const x = tf.tensor1d([1, 2, 3]);
  const g = tf.grad((y: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(y), y), stopGradient(y))))(x);
  // d/dy [sg(y)·y + sg(y)] = sg(y) = y
  assert.deepEqual(Array.from(g.dataSync()), [1, 2, 3]);
  assert.deepEqual(Array.from(stopGradient(x).dataSync()), [1, 2, 3]);
});

test('core functions leak no tensors inside tf.tidy', () => {
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    aggregateLoss(tf.tensor2d(L), tf.tensor2d(M), 'seq-mean-token-mean');
    klPenalty(tf.tensor2d(logp), tf.tensor2d(old), 'k3');
    clippedPolicyLoss(tf.tensor2d(logp), tf.tensor2d(old), tf.tensor2d(adv), tf.tensor2d(pmask), {
      clipLow: 0.2, clipHigh: 0.28, dualClipC: 3, agg: 'token-mean',
    });
    meanEntropy(tf.ones([2, 2, 3]) as tf.Tensor3D, tf.ones([2, 2]) as tf.Tensor2D);
  });
  assert.equal(tf.memory().numTensors, before);
});
