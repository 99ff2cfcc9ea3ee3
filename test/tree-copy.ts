// A copy of the tree in a temporary folder, to prove that an extension takes only the files its guide names
// (test/add-a-method.test.ts, test/add-a-benchmark.test.ts): the sources copied, node_modules and the committed base
// linked, and rlsd-bench run from the copy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, cliArgs, cliEnv, REPO, type CliOptions, type CliResult } from './fixtures.ts';

/** Replaces `from` in `text`, failing when it is not there exactly once (so a changed source file is noticed). */
export function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const hits = typeof from === 'string' ? text.split(from).length - 1 : [...text.matchAll(new RegExp(from, 'g'))].length;
  assert.equal(hits, 1, `expected one ${String(from)}`);
  return text.replace(from, to);
}

/** The tree the CLI needs, in a temporary folder named after `prefix`. */
export function copyTree(prefix: string): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const dir of ['src', 'methods', 'benchmarks', 'bin']) cpSync(join(REPO, dir), join(root, dir), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json']) cpSync(join(REPO, file), join(root, file));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  mkdirSync(join(root, 'results', 'reference'), { recursive: true });
  symlinkSync(BASE, join(root, 'results', 'reference', 'base'), 'dir');
  return root;
}

/** rlsd-bench of the copied tree (see cliArgs). */
export function runCopy(root: string, args: string[], opts: CliOptions = {}): CliResult {
  const [, ...rest] = cliArgs(args, opts);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'rlsd-bench.mjs'), ...rest], { cwd: root, encoding: 'utf8', timeout: 300_000, env: cliEnv(opts.env) });
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Node's test runner on test files of the copied tree; the names of the failing tests, '' when all pass. */
export function testCopy(root: string, files: readonly string[]): { code: number | null; failures: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], { cwd: root, encoding: 'utf8', timeout: 300_000, env: cliEnv() });
  return { code: r.status, failures: r.stdout.split('\n').filter((l) => l.startsWith('not ok')).join('\n') };
}
