// Every test file the tree holds is one `npm test` runs: a test beside a module in a deeper folder must not be
// skipped silently by the script's globs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', 'results', '.git']);

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : testFiles(join(dir, e.name));
    return e.name.endsWith('.test.ts') ? [relative(ROOT, join(dir, e.name))] : [];
  });
}

/** A glob of the test script as a regular expression: '*' is any run of characters within one path segment. */
const globRegex = (glob: string): RegExp => new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);

test("npm test's globs match every *.test.ts file of the tree", () => {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { test: string } }).scripts.test;
  const globs = script.split(/\s+/).filter((w) => w.endsWith('.test.ts')).map(globRegex);
  assert.ok(globs.length > 0, 'the test script names no *.test.ts glob');
  const files = testFiles(ROOT);
  assert.ok(files.length > 50, `only ${files.length} test files found`);
  const missed = files.filter((f) => !globs.some((g) => g.test(f)));
  assert.deepEqual(missed, [], `npm test does not run: ${missed.join(', ')}`);
});
