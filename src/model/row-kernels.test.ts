import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.ts';
import { layerNormComposite } from './composite.ts';
import { rowKernels } from './row-kernels.ts';
import { Rng } from '../util/rng.ts';

await initBackend('wasm');

interface Heap {
  wasm: { asm: { memory: object } };
  getMemoryOffset(dataId: object): number;
}
const backend = (): Heap => tf.backend() as unknown as Heap;
const at = (t: tf.Tensor): number => backend().getMemoryOffset(t.dataId);

/** The bits of float32 values, every NaN as the canonical one (a WebAssembly operation may give a NaN either sign). */
function bits(v: Float32Array | ArrayLike<number>): number[] {
  return Array.from(new Int32Array(Float32Array.from(v, (x) => (Number.isNaN(x) ? NaN : x)).buffer));
}

/** Random floats of magnitudes from 1e-30 to 1e30 (`wide`) or about 1, with NaN, ±Infinity, −0, 0, subnormals and ±3e38 sprinkled in (`special`). */
function values(rng: Rng, n: number, special: boolean, wide: boolean): Float32Array {
  const pick = [NaN, Infinity, -Infinity, -0, 0, 1e-45, -3e-39, 3e38, -3e38];
  return Float32Array.from({ length: n }, () => {
    if (special && rng.next() < 0.03) return pick[rng.int(0, pick.length - 1)]!;
    const v = (rng.next() - 0.5) * 4;
    return wide ? v * 10 ** rng.int(-30, 30) : v;
  });
}

test("row kernels: layerNorm (with and without the residual sum) equals WASM's Add and the layer norm's kernels bit for bit, NaN's sign aside", () => {
  const kernels = rowKernels(backend().wasm.asm.memory);
  assert.ok(kernels, 'the module compiles');
  const rng = new Rng(9);
  // Empty, one column, odd widths, the model's 64; rows of one repeated value (variance 0), of −0s, of huge values, and
  // of values a few ulps apart (variance below ε).
  for (const [N, d, special, wide] of [
    [0, 64, false, false],
    [3, 1, false, false],
    [5, 7, true, false],
    [17, 64, false, false],
    [40, 64, true, false],
    [9, 64, false, true],
    [6, 130, true, true],
  ] as const) {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const xs = values(rng, N * d, special, wide);
      if (N >= 4) {
        xs.fill(2.5, 0, d);
        xs.fill(-0, d, 2 * d);
        xs.fill(3e38, 2 * d, 3 * d);
        for (let c = 0; c < d; c++) xs[3 * d + c] = Math.fround(1 + (c % 3) * 2 ** -23);
      }
      const x = tf.tensor2d(xs, [N, d]);
      const y = tf.tensor2d(values(rng, N * d, special, wide), [N, d]);
      const g = tf.tensor1d(values(rng, d, special, false));
      const b = tf.tensor1d(values(rng, d, special, false));
      const sum = x.add(y) as tf.Tensor2D;
      for (const residual of [false, true]) {
        const expected = layerNormComposite(residual ? sum : x, g, b);
        const [s, out] = [tf.zeros([N, d]), tf.zeros([N, d])];
        kernels!.layerNorm(at(x), residual ? at(y) : 0, residual ? at(s) : at(x), at(out), at(g), at(b), N, d);
        const what = `N ${N} d ${d}${residual ? ', residual' : ''}`;
        if (residual) assert.deepEqual(bits(s.dataSync()), bits(sum.dataSync()), `${what}: the sum`);
        assert.deepEqual(bits(out.dataSync()), bits(expected.dataSync()), `${what}: the layer norm`);
      }
    });
    assert.equal(tf.memory().numTensors, before);
  }
});
