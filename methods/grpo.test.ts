import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { grpo, grpoDefaults, grpoTokenAdvantages, type GrpoConfig } from './grpo.ts';
import { close, readOutput, toInputs } from './test-batch.ts';
import { makeBatch, refAdvantages, refEntropy, refGrpoLoss, refMaskedMean } from './test-reference.ts';

await tf.setBackend('cpu');

const p = makeBatch();

const refGrpo = (cfg: GrpoConfig) => refGrpoLoss(p, cfg);

test('grpo: advantages of the fixture batch, hand-computed', () => {
  // group 0 (rows 0,2,4): rewards 1,0,0 → +1.1547, −0.5774, −0.5774; group 1 (rows 1,3,5): 1,0,1 → +0.5774, −1.1547, +0.5774
  const A = refAdvantages(p.rewards, p.groupIds, true);
  [1.1547, 0.5774, -0.5774, -1.1547, -0.5774, 0.5774].forEach((v, i) => close(A[i]!, v, 1e-4, `A${i}`));
});

test('grpo: loss and metrics, default config (token-mean, no KL)', () => {
  const out = tf.tidy(() => readOutput(grpo.loss(toInputs(p), grpoDefaults)));
  const ref = refGrpo(grpoDefaults);
  close(out.loss, ref.loss, 1e-5, 'loss');
  close(out.metrics['actor/pg_loss']!, ref.pg, 1e-5, 'pg_loss');
  close(out.metrics['actor/pg_clipfrac']!, ref.clipfrac, 1e-6, 'clipfrac');
  close(out.metrics['actor/ppo_kl']!, ref.ppoKl, 1e-5, 'ppo_kl');
  assert.ok(ref.clipfrac > 0 && ref.clipfrac < 1, 'fixture exercises clipping');
  const entropy = refMaskedMean(p.studentLogits.map((row) => row.map((l) => refEntropy(l))), p.mask);
  close(out.metrics['actor/entropy']!, entropy, 1e-5, 'entropy');
  assert.equal(out.metrics['actor/kl_loss'], undefined);
  assert.deepEqual(Object.keys(out.metrics).sort(), ['actor/entropy', 'actor/pg_clipfrac', 'actor/pg_clipfrac_lower', 'actor/ppo_kl', 'actor/pg_loss'].sort());
});

test('grpo: the three aggregation modes and Dr.GRPO', () => {
  for (const lossAgg of ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum'] as const) {
    for (const stdNorm of [true, false]) {
      const cfg = { ...grpoDefaults, lossAgg, stdNorm };
      const got = tf.tidy(() => grpo.loss(toInputs(p), cfg).loss.dataSync()[0]!);
      close(got, refGrpo(cfg).loss, 1e-5, `${lossAgg} stdNorm=${stdNorm}`);
    }
  }
});

test('grpo: KL to reference (k3 and k1) adds klCoef·agg(kl) and the actor/kl_loss metric', () => {
  for (const klType of ['k3', 'k1'] as const) {
    const cfg = { ...grpoDefaults, klCoef: 0.1, klType };
    assert.equal(grpo.needsReference(cfg), true);
    const out = tf.tidy(() => readOutput(grpo.loss(toInputs(p), cfg)));
    const ref = refGrpo(cfg);
    close(out.loss, ref.loss, 1e-5, `${klType} loss`);
    close(out.metrics['actor/kl_loss']!, ref.kl, 1e-5, `${klType} kl_loss`);
  }
  assert.equal(grpo.needsReference(grpoDefaults), false);
  assert.throws(
    () => tf.tidy(() => { grpo.loss(toInputs(p, 0, { refLogProbs: undefined }), { ...grpoDefaults, klCoef: 0.1 }); }),
    /method 'grpo': input 'refLogProbs' is required but missing/,
  );
});

test('grpo: all-zero mask gives loss 0 and finite metrics', () => {
  const zero = { ...p, mask: p.mask.map((r) => r.map(() => 0)) };
  const out = tf.tidy(() => readOutput(grpo.loss(toInputs(zero), { ...grpoDefaults, klCoef: 0.1 })));
  assert.equal(out.loss, 0);
  for (const [k, v] of Object.entries(out.metrics)) assert.ok(Number.isFinite(v), `${k} = ${v}`);
});

test('grpo: zero-variance groups give zero loss and zero gradient', () => {
  const flat = { ...p, rewards: [1, 0, 1, 0, 1, 0] }; // group 0 all 1, group 1 all 0
  const { value, grad } = tf.tidy(() => {
    const x = toInputs(flat);
    const f = (lp: tf.Tensor) => grpo.loss({ ...x, logProbs: lp as tf.Tensor2D }, grpoDefaults).loss;
    const r = tf.valueAndGrad(f)(x.logProbs);
    return { value: r.value.dataSync()[0]!, grad: Array.from(r.grad.dataSync()) };
  });
  assert.equal(Math.abs(value), 0);
  assert.ok(grad.every((g) => g === 0));
});

test('grpo: gradient w.r.t. logProbs matches −A·ρ/N on unclipped tokens', () => {
  const A = refAdvantages(p.rewards, p.groupIds, true);
  const n = p.mask.flat().reduce((a, b) => a + b, 0);
  const grad = tf.tidy(() => {
    const x = toInputs(p);
    return Array.from(tf.grad((lp: tf.Tensor) => grpo.loss({ ...x, logProbs: lp as tf.Tensor2D }, grpoDefaults).loss)(x.logProbs).dataSync());
  });
  let nonZero = 0;
  p.logp.forEach((row, b) => row.forEach((l, t) => {
    const ratio = Math.exp(l - p.oldLogp[b]![t]!);
    const a = A[b]!;
    const inside = ratio >= 0.8 && ratio <= 1.28;
    const active = p.mask[b]![t]! === 1 && (inside || (a > 0 ? ratio < 0.8 : ratio > 1.28));
    const dual = a < 0 && -a * ratio > -a * 3;
    const expected = active && !dual ? (-a * ratio) / n : 0;
    close(grad[b * p.T + t]!, expected, 1e-6, `grad[${b},${t}]`);
    if (expected !== 0) nonZero++;
  }));
  assert.ok(nonZero >= 8);
});

test('grpo: no tensor leaks (tf.tidy) and the output holds exactly loss + metrics + credit, the per-token advantages', () => {
  const x = toInputs(p);
  const before = tf.memory().numTensors;
  tf.tidy(() => { grpo.loss(x, { ...grpoDefaults, klCoef: 0.05 }); });
  assert.equal(tf.memory().numTensors, before);
  const out = tf.tidy(() => ({ ...grpo.loss(x, { ...grpoDefaults, klCoef: 0.05 }) }));
  assert.equal(tf.memory().numTensors, before + 1 + Object.keys(out.metrics).length + 1);
  const advantages = tf.tidy(() => grpoTokenAdvantages(x, grpoDefaults));
  assert.deepEqual(Array.from(out.credit!.dataSync()), Array.from(advantages.dataSync()), 'credit: A on every response token, 0 on padding');
  tf.dispose([out.loss, ...Object.values(out.metrics), out.credit!, advantages]);
  assert.equal(tf.memory().numTensors, before);
});
