// The backend's refusals and its thread count: `--backend tensorflow` without a native package says how to install
// the GPU one (or which loader line failed) in one line; `--threads 2` on WASM gives the same bytes as 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, NATIVE_PACKAGES, nativeUnavailableMessage, packageInstalled } from '../src/backend.ts';
import { errorLines, REPO, runCli } from './fixtures.ts';

const nativeInstalled = NATIVE_PACKAGES.some(packageInstalled);

test('the tensorflow refusal: how to install when no native package is there, the loader line when one fails', () => {
  const absent = nativeUnavailableMessage(NATIVE_PACKAGES.map((pkg) => ({ pkg, installed: false })));
  assert.match(absent, /^backend 'tensorflow' unavailable: @tensorflow\/tfjs-node-gpu is not installed \(.*npm install @tensorflow\/tfjs-node-gpu.*see docs\/gpu\.md\) — or use --backend wasm or cpu$/);
  assert.match(absent, /CUDA 11\.2 and cuDNN 8\.1/);
  const broken = nativeUnavailableMessage([
    { pkg: '@tensorflow/tfjs-node-gpu', installed: true, error: 'libtensorflow.so.2: cannot open shared object file: No such file or directory' },
    { pkg: '@tensorflow/tfjs-node', installed: false },
  ]);
  assert.equal(
    broken,
    "backend 'tensorflow' unavailable: @tensorflow/tfjs-node-gpu is installed but does not load: libtensorflow.so.2: cannot open shared object file: No such file or directory (see docs/gpu.md) — or use --backend wasm or cpu",
  );
  for (const m of [absent, broken]) assert.ok(!m.includes('\n'), 'one line');
});

test('--backend tensorflow on a machine without tfjs-node(-gpu): one error line, non-zero exit', { skip: nativeInstalled && 'a native package is installed here' }, () => {
  const r = runCli(['--backend', 'tensorflow', 'eval', '--limit', '1', '--out', join(REPO, 'never-written')]);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(errorLines(r.stderr), [`rlsd-bench: error: ${nativeUnavailableMessage(NATIVE_PACKAGES.map((pkg) => ({ pkg, installed: false })))}`]);
});

test('--threads: refused off WASM, out of range, and on commands that run no model', () => {
  const one = (args: string[], pattern: RegExp): void => {
    const r = runCli(args, { raw: true });
    assert.notEqual(r.code, 0, args.join(' '));
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, pattern);
  };
  one(['--backend', 'cpu', '--threads', '2', 'eval', '--limit', '1'], /--threads applies to the wasm backend only \(got --backend cpu --threads 2\)/);
  one(['--backend', 'wasm', '--threads', '0', 'eval', '--limit', '1'], /--threads must be ≥ 1 \(got 0\)/);
  one(['--backend', 'wasm', '--threads', '1.5', 'eval', '--limit', '1'], /--threads must be an integer \(got 1\.5\)/);
  one(['benchmarks', '--threads', '2'], /--threads applies only to the commands that run the model .*'benchmarks' does no tensor work/);
});

function child(threads: number): { backend: { threads: boolean; threadCount: number }; sha256: string; sums: number[] } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'test', 'wasm-threads-child.ts'), String(threads)], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

test('--threads 2 on WASM: the multithreaded build runs two threads and gives the same bytes as one', () => {
  const [one, two] = [child(1), child(2)];
  assert.deepEqual([one.backend.threads, one.backend.threadCount], [false, 1], 'the default stays the single-threaded SIMD build');
  assert.deepEqual([two.backend.threads, two.backend.threadCount], [true, 2]);
  assert.equal(two.sha256, one.sha256, `same products bit for bit (sums ${one.sums.join(', ')} vs ${two.sums.join(', ')})`);
});

test("WASM's Identity shares its input's data: no copy, a clone outlives its source and a variable's later values", async () => {
  await initBackend('wasm');
  const backend = tf.engine().backend as tf.KernelBackend & { numDataIds(): number };
  const ids0 = backend.numDataIds();
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  assert.equal(backend.numDataIds(), ids0 + 1, 'the clone shares the buffer');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  const v = tf.variable(y);
  const saved = tf.clone(v);
  const tripled = v.mul(3) as tf.Tensor1D;
  v.assign(tripled);
  assert.deepEqual([Array.from(saved.dataSync()), Array.from(v.dataSync())], [[1, 2, 3], [3, 6, 9]]);
  tf.dispose([y, v, saved, tripled]);
  assert.equal(backend.numDataIds(), ids0, 'every buffer freed with its last tensor');
});
