// `--matmul blas` through the CLI: an RLSD run whose teacher pass runs in the worker thread (which loads BLAS too and
// sets the process's BLAS threads to the main thread's) gives the numbers of the in-process pass, the run record names the library, a resumed run says when its kernel
// changed, and bad values get one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blasSkip, runCli } from './fixtures.ts';
import { loadCheckpoint } from '../src/checkpoint.ts';
import { readJsonl } from '../src/util/jsonl.ts';

const skip = await blasSkip();

// 4 prompts × 4 samples, so that groups with mixed rewards give the teacher something to score.
const SMALL = ['--prompts', '4', '--samples', '4', '--eval-items', '2', '--train-items', '6', '--lr', '1e-3', '--eval-schedule', 'never', '--lr-schedule', 'constant', '--checkpoint-every', '1', '--backend', 'wasm'];

const deterministic = (m: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('timing_s/') && !k.startsWith('perf/') && !k.startsWith('memory/')));
const metrics = (dir: string): Record<string, number>[] => readJsonl(join(dir, 'metrics.jsonl')).map((l) => deterministic(l.value as Record<string, number>));
const weights = (dir: string): Map<string, Float32Array> => loadCheckpoint(join(dir, 'checkpoints', 'step_000002')).weights;

test('train --matmul blas --threads 2: the worker-thread teacher gives the in-process numbers; run.json names the library and its threads', { skip, timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'rlsd-blas-'));
  try {
    const [worker, inTurn, xnnpack] = ['worker', 'in-turn', 'xnnpack'].map((n) => join(root, n)) as [string, string, string];
    const a = runCli(['train', '--method', 'rlsd', ...SMALL, '--steps', '2', '--matmul', 'blas', '--threads', '2', '--out', worker], { quiet: false });
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /attention kernel matmul, products on OpenBLAS \S+, core \S+\)/);
    const b = runCli(['train', '--method', 'rlsd', ...SMALL, '--steps', '2', '--matmul', 'blas', '--threads', '2', '--no-teacher-worker', '--out', inTurn]);
    assert.equal(b.code, 0, b.stderr);
    assert.ok(readJsonl(join(worker, 'metrics.jsonl')).some((l) => (l.value as Record<string, number>)['timing_s/teacher_worker'] !== undefined), 'the worker scored');
    assert.deepEqual(metrics(worker), metrics(inTurn));
    assert.deepEqual(weights(worker), weights(inTurn));
    const run = JSON.parse(readFileSync(join(worker, 'run.json'), 'utf8')) as { backend: { matmulKernel: string; attentionKernel: string; blas: { library: string; threads: number } } };
    assert.equal(run.backend.matmulKernel, 'blas');
    assert.equal(run.backend.attentionKernel, 'matmul');
    assert.equal(run.backend.blas.threads, 2);
    assert.match(run.backend.blas.library, /blas/i);
    // Another kernel, other floats: the default's run is not the same trajectory to the last bit.
    const c = runCli(['train', '--method', 'rlsd', ...SMALL, '--steps', '2', '--attention-kernel', 'matmul', '--out', xnnpack]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((JSON.parse(readFileSync(join(xnnpack, 'run.json'), 'utf8')) as { backend: { matmulKernel: string } }).backend.matmulKernel, 'xnnpack');
    assert.notDeepEqual(weights(xnnpack), weights(worker));
    // Resuming the XNNPACK run with BLAS is allowed and said.
    const d = runCli(['train', '--method', 'rlsd', ...SMALL, '--steps', '3', '--attention-kernel', 'matmul', '--matmul', 'blas', '--out', xnnpack], { quiet: false });
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stderr, /warning: .* was written on wasm with --attention-kernel matmul, resuming on wasm with --attention-kernel matmul --matmul blas --threads 1/);
    // Another BLAS thread count is other numerics too.
    const e = runCli(['train', '--method', 'rlsd', ...SMALL, '--steps', '4', '--attention-kernel', 'matmul', '--matmul', 'blas', '--threads', '2', '--out', xnnpack], { quiet: false });
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stderr, /warning: .* was written on wasm with --attention-kernel matmul --matmul blas --threads 1, resuming on wasm with --attention-kernel matmul --matmul blas --threads 2/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--matmul: an unknown value, or blas on the cpu backend, is refused in one line', () => {
  const bad = runCli(['train', '--method', 'grpo', '--matmul', 'mkl', '--out', join(tmpdir(), 'rlsd-never-written')]);
  assert.notEqual(bad.code, 0);
  const errs = bad.stderr.split('\n').filter((l) => l.startsWith('rlsd-bench: error:'));
  assert.equal(errs.length, 1, bad.stderr);
  assert.match(errs[0]!, /--matmul must be xnnpack or blas \(got 'mkl'\)/);
  const cpu = runCli(['eval', '--backend', 'cpu', '--matmul', 'blas', '--limit', '1', '--out', join(tmpdir(), 'rlsd-never-written')]);
  assert.notEqual(cpu.code, 0);
  assert.match(cpu.stderr, /rlsd-bench: error: --matmul blas applies to the wasm backend only \(got --backend cpu\)/);
});
