import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { Adam, type AdamConfig, DEFAULT_ADAM } from './optim.ts';
import { Rng } from './util/rng.ts';

await initBackend('wasm');

const PLAIN: AdamConfig = { ...DEFAULT_ADAM, lr: 0.1, warmupSteps: 0, gradClip: 0 };

function bitsOf(x: Float32Array): number[] {
  return Array.from(new Int32Array(x.buffer, x.byteOffset, x.length));
}

/** Runs `steps` updates of Adam on fresh variables from `init` with the gradients `grads(step)`; returns p, m and v. */
function run(backend: 'wasm' | 'wasm-elementwise' | 'cpu', cfg: AdamConfig, init: Record<string, { values: Float32Array; shape: number[] }>, grads: (step: number) => Record<string, Float32Array>, steps: number) {
  tf.setBackend(backend === 'cpu' ? 'cpu' : 'wasm');
  Adam.fusedOnWasm = backend !== 'wasm-elementwise';
  const params = new Map(Object.entries(init).map(([k, x]) => [k, tf.variable(tf.tensor(x.values, x.shape), true, `${backend}_${k}_${Math.random()}`)]));
  const adam = new Adam(params, cfg);
  const norms: number[] = [];
  for (let s = 0; s < steps; s++) {
    const g = grads(s);
    const named = Object.fromEntries(Object.entries(g).map(([k, x]) => [k, tf.tensor(x, init[k]!.shape)]));
    norms.push(adam.apply(named));
    tf.dispose(Object.values(named));
  }
  const out = { norms, p: new Map([...params].map(([k, v]) => [k, v.dataSync() as Float32Array])), ...adam.state() };
  for (const v of params.values()) v.dispose();
  adam.dispose();
  tf.setBackend('wasm');
  Adam.fusedOnWasm = true;
  return out;
}

test('adam: one step by hand — m = 0.05, v = 0.00025, update = 0.5 / (0.5 + 1e-8), p = 1 − 0.1·update', () => {
  const r = run('wasm', PLAIN, { w: { values: Float32Array.of(1, -2), shape: [2] } }, () => ({ w: Float32Array.of(0.5, 0) }), 1);
  assert.deepEqual(Array.from(r.m.get('w')!), [Math.fround(0.05), 0]);
  assert.deepEqual(Array.from(r.v.get('w')!), [Math.fround(Math.fround(0.25) * Math.fround(1 - 0.999)), 0]);
  // p = 1 − 0.1 · 0.99999998 rounds to float32 0.9; a zero gradient leaves its parameter as it was.
  assert.deepEqual(Array.from(r.p.get('w')!), [Math.fround(0.9), -2]);
  assert.equal(r.norms[0], 0.5);
});

test('adam: the fused WASM update gives the bits of the element-wise version, with clipping, weight decay and bias correction over 7 steps', () => {
  const rng = new Rng(9);
  const shapes: Record<string, number[]> = { a: [17, 5], b: [64], c: [3, 4, 2] };
  const init = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, { values: Float32Array.from({ length: s.reduce((x, y) => x * y, 1) }, () => rng.next() * 2 - 1), shape: s }]));
  const gradSeq = Array.from({ length: 7 }, (_, step) =>
    Object.fromEntries(Object.entries(init).map(([k, x]) => [k, Float32Array.from(x.values, (_, i) => (i % 11 === 0 ? 0 : (rng.next() - 0.5) * (step === 3 ? 1e4 : 1)))])),
  );
  for (const cfg of [PLAIN, { ...DEFAULT_ADAM, lr: 3e-3, weightDecay: 0.01, gradClip: 1.0, warmupSteps: 3 }]) {
    const fused = run('wasm', cfg, init, (s) => gradSeq[s]!, 7);
    const plain = run('wasm-elementwise', cfg, init, (s) => gradSeq[s]!, 7);
    for (const k of Object.keys(shapes)) {
      assert.deepEqual(bitsOf(fused.p.get(k)!), bitsOf(plain.p.get(k)!), `p ${k}`);
      assert.deepEqual(bitsOf(fused.m.get(k)!), bitsOf(plain.m.get(k)!), `m ${k}`);
      assert.deepEqual(bitsOf(fused.v.get(k)!), bitsOf(plain.v.get(k)!), `v ${k}`);
    }
    assert.ok(fused.norms.every((n, i) => Math.abs(n - plain.norms[i]!) <= 1e-6 * n), `norms ${fused.norms} vs ${plain.norms}`);
  }
});

test('adam: a NaN gradient returns a non-finite norm and leaves every parameter and moment untouched', () => {
  const r = run('wasm', PLAIN, { w: { values: Float32Array.of(1, 2), shape: [2] } }, (s) => ({ w: s === 0 ? Float32Array.of(0.5, 0.5) : Float32Array.of(NaN, 0) }), 2);
  assert.ok(Number.isNaN(r.norms[1]!));
  const once = run('wasm', PLAIN, { w: { values: Float32Array.of(1, 2), shape: [2] } }, () => ({ w: Float32Array.of(0.5, 0.5) }), 1);
  assert.deepEqual(r.p.get('w'), once.p.get('w'));
  assert.deepEqual(r.m.get('w'), once.m.get('w'));
  assert.equal(r.step, 1, 'the failed update is not counted');
});

test('adam: a huge gradient is clipped to norm 1 and the update stays finite; no tensor or buffer is left behind', () => {
  tf.setBackend('wasm');
  const params = new Map([['w', tf.variable(tf.tensor1d([0.5, -0.5, 0]), true, 'adam_clip_w')]]);
  const adam = new Adam(params, { ...DEFAULT_ADAM, warmupSteps: 0 });
  const apply = (): number => {
    const g = tf.tensor1d([3e15, -4e15, 0]);
    const norm = adam.apply({ w: g });
    g.dispose();
    return norm;
  };
  apply();
  const before = [tf.memory().numTensors, tf.backend().numDataIds()];
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(apply() - 5e15) < 1e9);
  assert.deepEqual([tf.memory().numTensors, tf.backend().numDataIds()], before);
  const w = params.get('w')!.dataSync();
  assert.ok(Array.from(w).every(Number.isFinite), `${w}`);
  assert.ok(w[0]! < 0.5 && w[1]! > -0.5 && w[2] === 0, `moves against the gradient: ${w}`);
  params.get('w')!.dispose();
  adam.dispose();
});
