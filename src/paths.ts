// Where things are. Paths that belong to the package (the committed base checkpoint, the reference results)
// are resolved from the package root, found from this file's own URL, so every command works from any working
// directory; paths a user gives on the command line stay relative to the working directory.
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');

/** A path inside the package, e.g. packagePath('results', 'reference', 'base'). */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}

/** The committed base checkpoint every run starts from by default (results/reference/base in the package). */
export const PACKAGE_BASE = packagePath('results', 'reference', 'base');

/** How --help shows the default base (the absolute path differs per machine). */
export const PACKAGE_BASE_SHOWN = '$RLSD_BENCH_BASE when set, else results/reference/base in the package';

/** The environment variable naming another default base: a lab's own checkpoint, or a machinery test's cheaper one. */
export const BASE_ENV = 'RLSD_BENCH_BASE';

/** The checkpoint runs start from when none is named: $RLSD_BENCH_BASE resolved against the working directory, else PACKAGE_BASE. */
export function defaultBase(env: NodeJS.ProcessEnv = process.env): string {
  const v = env[BASE_ENV];
  return v === undefined || v.trim() === '' ? PACKAGE_BASE : userPath(v);
}

/** A user-given path: relative to the working directory (absolute paths pass through). */
export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(p);
}

/**
 * The environment variable naming where real benchmark files live: a directory with one folder per benchmark
 * (`$RLSD_BENCH_DATA/mmmu`, `$RLSD_BENCH_DATA/mathvista`, …), each in the Hugging Face parquet layout or the
 * authors' GitHub layout. `eval --data` and `score --data` default to it when it is set.
 */
export const DATA_ENV = 'RLSD_BENCH_DATA';

/** $RLSD_BENCH_DATA resolved against the working directory, or undefined when it is unset or empty. */
export function benchmarkDataRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[DATA_ENV];
  return v === undefined || v.trim() === '' ? undefined : userPath(v);
}
