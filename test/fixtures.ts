// Paths shared by the tests.
import { fileURLToPath } from 'node:url';
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
