// Every training method's forward + backward under the WASM backend (which lacks gather's gradient
// and has no gradient for comparisons), the way the loop calls it: log-probs recomputed from the
// student logits by one-hot × log-softmax inside tf.variableGrads. Loss values are checked against
// the plain-JS formulas and gradients against the cpu backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getMethod } from './index.ts';
import { close, logProbsFromLogits, toInputs } from './test-batch.ts';
import { makeBatch, refAggregate, refGrpoLoss, refJsdMatrix, refRlsdAdvantage, refAdvantages, refPpoToken, mapMat, teacherMaskOf } from './test-reference.ts';
import type { MethodConfig } from './types.ts';

await tf.setBackend('wasm');
await tf.ready();

const p = makeBatch();
const tm = teacherMaskOf(p); // the distilled tokens (OPSD, hybrid's OPSD term, SDPO)
let variableCount = 0;

function lossAndGrad(name: string, cfg: MethodConfig): { loss: number; grad: number[] } {
  const method = getMethod(name);
  const initial = tf.tensor3d(p.studentLogits);
  const logits = tf.variable(initial, true, `student_${name}_${variableCount++}`);
  initial.dispose();
  const result = tf.tidy(() => {
    const x = toInputs(p, 0);
    const { value, grads } = tf.variableGrads(() => {
      const logProbs = logProbsFromLogits(logits, p.tokens, p.V);
      return method.loss({ ...x, studentLogits: logits, logProbs }, cfg).loss;
    }, [logits]);
    return { loss: value.dataSync()[0]!, grad: Array.from(grads[logits.name]!.dataSync()) };
  });
  logits.dispose();
  return result;
}

const cases: Array<[string, MethodConfig, () => number]> = [
  ['grpo', {}, () => refGrpoLoss(p, getMethod('grpo').defaults as never).loss],
  ['grpo', { klCoef: 0.1, lossAgg: 'seq-mean-token-mean' }, () => refGrpoLoss(p, { ...getMethod('grpo').defaults, klCoef: 0.1, lossAgg: 'seq-mean-token-mean' } as never).loss],
  ['opsd', {}, () => refAggregate(refJsdMatrix(p, 0.5), tm, 'token-mean')],
  ['opsd', { beta: 0 }, () => refAggregate(refJsdMatrix(p, 0), tm, 'token-mean')],
  ['opsd', { beta: 1, temperature: 2 }, () => refAggregate(refJsdMatrix(p, 1, 2), tm, 'token-mean')],
  ['opsd', { variant: 'sampled-token' }, () => refAggregate(mapMat(p.logp, (s, b, t) => -(p.teacherLogp[b]![t]! - s) * s), tm, 'token-mean')],
  ['hybrid', {}, () => refGrpoLoss(p, getMethod('grpo').defaults as never).loss + 0.25 * refAggregate(refJsdMatrix(p, 0.5), tm, 'token-mean')],
  ['rlsd', {}, () => {
    const A = refAdvantages(p.rewards, p.groupIds, true);
    const tokenLoss = mapMat(p.logp, (l, b, t) =>
      refPpoToken(l, p.oldLogp[b]![t]!, refRlsdAdvantage(A[b]!, p.teacherLogp[b]![t]! - l, 0.5, 0.2).adv, 0.2, 0.28, 3));
    return refAggregate(tokenLoss, p.mask, 'token-mean');
  }],
  ['sdpo', {}, () => {
    const w = mapMat(refJsdMatrix(p, 0.5), (v, b, t) => v * Math.min(Math.exp(p.logp[b]![t]! - p.oldLogp[b]![t]!), 2));
    return refAggregate(w, tm, 'token-mean');
  }],
];

test('wasm: forward + backward of every training method, values against the formulas and gradients against cpu', async () => {
  assert.equal(tf.getBackend(), 'wasm');
  for (const [name, overrides, expected] of cases) {
    const cfg = { ...getMethod(name).defaults, ...overrides };
    const before = tf.memory().numTensors;
    const onWasm = lossAndGrad(name, cfg);
    assert.equal(tf.memory().numTensors, before, `${name} leaks on wasm`);
    close(onWasm.loss, expected(), 1e-4, `${name} ${JSON.stringify(overrides)} loss`);
    assert.ok(onWasm.grad.every(Number.isFinite), `${name}: finite gradient`);
    assert.ok(onWasm.grad.some((g) => g !== 0), `${name}: non-zero gradient`);

    await tf.setBackend('cpu');
    const onCpu = lossAndGrad(name, cfg);
    await tf.setBackend('wasm');
    close(onWasm.loss, onCpu.loss, 1e-5, `${name} loss wasm vs cpu`);
    onWasm.grad.forEach((g, i) => close(g, onCpu.grad[i]!, 1e-4, `${name} grad[${i}] wasm vs cpu`));
  }
});
