// Paths shared by the tests.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The committed base checkpoint (results/reference/base). */
export const BASE = join(REPO, 'results', 'reference', 'base');
/** Real benchmark data in the authors' layouts (a sibling of the repository in CI). */
export const SHARED_BENCHMARKS = join(REPO, '..', 'shared', 'benchmarks');
