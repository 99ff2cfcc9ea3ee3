// Paths shared by the tests.
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { benchmarkDataRoot } from '../src/paths.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The committed base checkpoint (results/reference/base). */
export const BASE = join(REPO, 'results', 'reference', 'base');
/**
 * Real benchmark data (one folder per benchmark, in the Hugging Face or the authors' layouts): $RLSD_BENCH_DATA when
 * set, else a `shared/benchmarks` folder beside the checkout (where CI keeps it). Tests that need it skip without it.
 */
export const SHARED_BENCHMARKS = benchmarkDataRoot() ?? join(REPO, '..', 'shared', 'benchmarks');
// The commands the tests spawn inherit this environment: with RLSD_BENCH_DATA set, `eval` would read real data
// where the tests mean the built-in mini suite. A test that wants the variable passes it to its child explicitly.
delete process.env['RLSD_BENCH_DATA'];

/** One benchmark's real files (see SHARED_BENCHMARKS); may not exist. */
export function realData(benchmark: string): string {
  return join(SHARED_BENCHMARKS, benchmark);
}

/** The command line as users run it (`node bin/rlsd-bench.mjs`). */
export const BIN = join(REPO, 'bin', 'rlsd-bench.mjs');

export interface CliResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Added to the environment; a key set to undefined is removed from it. */
  env?: Record<string, string | undefined>;
  /** --quiet unless false. */
  quiet?: boolean;
  /** The arguments exactly as given: no --backend, no --quiet. */
  raw?: boolean;
}

const TENSOR_COMMANDS = ['pretrain', 'train', 'eval'];

/** The arguments a test's command runs with: --backend wasm for the commands that run the model, and --quiet. */
export function cliArgs(args: string[], opts: CliOptions = {}): string[] {
  if (opts.raw) return [BIN, ...args];
  const command = args.find((a) => !a.startsWith('-')) ?? '';
  const backend = TENSOR_COMMANDS.includes(command) && !args.includes('--backend') ? ['--backend', 'wasm'] : [];
  return [BIN, ...backend, ...(opts.quiet === false ? [] : ['--quiet']), ...args];
}

export function cliEnv(extra: CliOptions['env'] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/** Runs rlsd-bench to completion (see cliArgs). */
export function runCli(args: string[], opts: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, cliArgs(args, opts), { cwd: opts.cwd ?? REPO, encoding: 'utf8', timeout: 180_000, env: cliEnv(opts.env) });
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The `rlsd-bench: error:` lines of a run's stderr (tfjs may print its own banner beside them). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('rlsd-bench: error:'));
}

/**
 * Why the `--matmul blas` tests cannot run here (OpenBLAS or koffi missing), or false when they can. Under CI, which
 * installs OpenBLAS (.ci/run), false either way: there they run and fail instead of skipping.
 */
export async function blasSkip(): Promise<string | false> {
  const { loadBlas } = await import('../src/model/blas.ts');
  try {
    loadBlas();
    return false;
  } catch (e) {
    return process.env['CI'] ? false : `no BLAS here: ${(e as Error).message}`;
  }
}
