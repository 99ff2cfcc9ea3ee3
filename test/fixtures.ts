// Paths and helpers shared by the tests: the CLI run as a subprocess (runCli) or, for refusals, in this process.
import { fileURLToPath } from 'node:url';
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { BASE_ENV, benchmarkDataRoot } from '../src/paths.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The first suite's base (results/reference/base-mini1): the machinery the tests check (flags, files, resumption,
 * reports) runs on it, at a third of the deep world's cost. The commands the tests spawn take it as their default
 * base ($RLSD_BENCH_BASE); a test of the default itself clears the variable for its child.
 */
export const BASE = join(REPO, 'results', 'reference', 'base-mini1');
/** The committed default base: the deep world's (results/reference/base, suite mini-2). */
export const DEFAULT_BASE = join(REPO, 'results', 'reference', 'base');
process.env[BASE_ENV] = BASE;
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

/** Marks the async context of an in-process run, so that only its own writes are captured. */
const inProcessRun = new AsyncLocalStorage<{ stdout: string[]; stderr: string[]; exits: (number | string | null | undefined)[] }>();
let inProcessBusy = false;

/**
 * Runs `fn` with the writes it makes to process.stdout and process.stderr captured, and process.exit refused (it
 * would end the test). Writes from outside its async context (the test runner's own reports) go through untouched.
 */
async function captureOutput(opts: Pick<CliOptions, 'cwd' | 'env'>, fn: () => Promise<number>): Promise<CliResult> {
  // One at a time: the working directory, the environment and process.exitCode are the process's own.
  if (inProcessBusy) throw new Error('in-process CLI runs cannot overlap');
  inProcessBusy = true;
  const store = { stdout: [] as string[], stderr: [] as string[], exits: [] as (number | string | null | undefined)[] };
  const streams = [process.stdout, process.stderr] as const;
  const writes = streams.map((s) => s.write);
  const exit = process.exit;
  const exitCode = process.exitCode;
  const envBefore = { ...process.env };
  streams.forEach((stream, i) => {
    const sink = i === 0 ? 'stdout' : 'stderr';
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      const run = inProcessRun.getStore();
      if (run === undefined) return (writes[i] as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
      run[sink].push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (callback) process.nextTick(callback);
      return true;
    } as typeof stream.write;
  });
  process.exit = function (code?: number | string | null) {
    const run = inProcessRun.getStore();
    if (run === undefined) return exit.call(process, code);
    run.exits.push(code);
    throw new Error(`process.exit(${code}) called by an in-process run`);
  } as typeof process.exit;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  process.exitCode = undefined;
  // The working directory runCli's child would have.
  const cwd = process.cwd();
  process.chdir(opts.cwd ?? REPO);
  try {
    const code = await inProcessRun.run(store, fn);
    if (store.exits.length > 0) throw new Error(`the in-process run called process.exit(${store.exits[0]}); run it as a subprocess (runCli)`);
    return { code, signal: null, stdout: store.stdout.join(''), stderr: store.stderr.join('') };
  } finally {
    streams.forEach((stream, i) => (stream.write = writes[i]!));
    process.exit = exit;
    process.exitCode = exitCode;
    process.chdir(cwd);
    for (const k of Object.keys(process.env)) if (!(k in envBefore)) delete process.env[k];
    Object.assign(process.env, envBefore);
    inProcessBusy = false;
  }
}

/**
 * Runs rlsd-bench's own entry (main of src/cli/main.ts, which bin/rlsd-bench.mjs calls) in this process, with the
 * arguments runCli would give, and returns what a subprocess would have printed and its exit code. For command lines
 * that are refused before any work (flag checks, missing files): it spares the 2–3 s a subprocess spends loading
 * tsx and tfjs. Not for --help (yargs exits the process) or anything that runs the model or writes.
 */
export async function runCliInProcess(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const { main } = await import('../src/cli/main.ts');
  return captureOutput(opts, () => main(cliArgs(args, opts).slice(1)));
}

/**
 * What `rlsd-bench ARGS --help` prints to stdout, from the CLI's own yargs definitions in this process (yargs told not
 * to exit). test/docs-cli.test.ts checks the subprocess --help of every command against docs/cli.md.
 */
export async function helpInProcess(args: string[]): Promise<string> {
  const { buildCli } = await import('../src/cli/main.ts');
  const r = await captureOutput({}, async () => {
    await buildCli([...args, '--help']).exitProcess(false).parseAsync();
    return 0;
  });
  if (r.stderr !== '') throw new Error(`${args.join(' ')} --help wrote to stderr: ${r.stderr}`);
  return r.stdout;
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
