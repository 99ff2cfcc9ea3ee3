import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.ts';
import { EXP_TABLE_WORDS, expKernel } from './exp-kernel.ts';
import { wasmMemory, wasmOffset as at } from './wasm-heap-testing.ts';
import { Rng } from '../util/rng.ts';

await initBackend('wasm');

/** The bits of float32 values, NaN payloads and signs included (the kernel's NaNs are WASM's, bit for bit). */
function rawBits(v: Float32Array): number[] {
  return Array.from(new Uint32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
}

function expOf(values: Float32Array): Float32Array {
  const fns = expKernel(wasmMemory());
  assert.ok(fns, 'the module compiles');
  return tf.tidy(() => {
    const x = tf.tensor1d(values);
    const out = tf.zeros([values.length]);
    const table = tf.tensor1d(EXP_TABLE_WORDS);
    fns!.exp(at(x), at(out), values.length, at(table));
    return out.dataSync() as Float32Array;
  });
}

test('exp kernel: golden values and the edges of its range (±0, ±∞, NaN, overflow and underflow thresholds, subnormal results)', () => {
  const x = Float32Array.of(0, -0, 1, -1, 0.5, 88.72283172607422, 88.72283935546875, -103.97207641601562, -103.97208404541016, -87.5, -100, Infinity, -Infinity, NaN, 1e-45, -1e-45, 3e38, -3e38, 88, -88);
  const got = expOf(x);
  // hand-checked: e⁰ = 1, e = 2.7182817 (float32 of 2.718281828…), 1/e = 0.36787945, √e = 1.6487213
  assert.deepEqual(Array.from(got.slice(0, 5)), [1, 1, Math.fround(Math.E), Math.fround(1 / Math.E), Math.fround(Math.sqrt(Math.E))]);
  assert.ok(got[5]! > 3.4027e38 && got[5]! < Infinity, 'the largest x whose exp is finite (ln of the largest float32 is 88.7228391)');
  assert.equal(got[6], Infinity, 'the next float32 (the overflow threshold itself) rounds to ∞');
  assert.ok(got[7]! > 0 && got[7]! < 2e-45, 'the smallest x whose exp is nonzero gives the smallest subnormal');
  assert.ok(Object.is(got[8], 0), 'one step below underflows to +0');
  assert.ok(got[9]! > 0 && got[9]! < 1.2e-38, 'a subnormal result');
  assert.deepEqual([got[11], got[12]], [Infinity, 0]);
  assert.ok(Number.isNaN(got[13]));
  assert.deepEqual(rawBits(got), rawBits(tf.tidy(() => tf.exp(tf.tensor1d(x)).dataSync() as Float32Array)), "WASM's Exp bit for bit");
});

test("exp kernel: WASM's Exp bit for bit over a million random float32 bit patterns and the log-softmax's range", () => {
  const rng = new Rng(31);
  const n = 1 << 20;
  const bits = Uint32Array.from({ length: n }, () => Math.floor(rng.next() * 2 ** 32) >>> 0);
  const x = new Float32Array(bits.buffer);
  // the log-softmax's inputs: x − max ≤ 0, most within a few tens
  for (let i = 0; i < n / 4; i++) x[i] = -rng.next() * 40;
  const want = tf.tidy(() => tf.exp(tf.tensor1d(x)).dataSync() as Float32Array);
  const got = expOf(x);
  let differing = 0;
  for (let i = 0; i < n; i++) if (new Uint32Array(want.buffer)[i] !== new Uint32Array(got.buffer)[i]) differing++;
  assert.equal(differing, 0);
  assert.equal(expOf(new Float32Array(0)).length, 0, 'an empty tensor');
});
