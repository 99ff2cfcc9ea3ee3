// The README's findings table quotes the committed paper-preset report: every measured figure in it must be printed,
// as written, by one of that report's tables (results/reference/paper/ and its ablations/), so a re-run report that
// changes a number makes this test say which README figure went stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.ts';

const REPORTS = [join(PACKAGE_ROOT, 'results', 'reference', 'paper'), join(PACKAGE_ROOT, 'results', 'reference', 'paper', 'ablations')];

/** Every table file of the committed reports, as one text. */
function reportText(): string {
  return REPORTS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.md')).map((f) => readFileSync(join(dir, f), 'utf8'))).join('\n');
}

/** The "Measured here" cells of the README's findings table. */
function measuredCells(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## What it finds'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| The paper')));
  return table
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| The paper') && !l.startsWith('|---'))
    .map((l) => l.split(' | ')[1]!);
}

test('README findings: every measured figure is one the committed paper report prints', () => {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const cells = measuredCells(readme);
  assert.equal(cells.length, 7, 'the findings table has the seven claims');
  const report = reportText();
  // A figure: a signed or unsigned decimal (the report prints − and + as the README quotes them).
  const figures = cells.flatMap((c) => c.match(/[−+]?\d+\.\d+/g) ?? []);
  assert.ok(figures.length >= 30, `figures found: ${figures.length}`);
  const missing = figures.filter((f) => !report.includes(f));
  assert.deepEqual(missing, [], `README figures the committed report does not print: ${missing.join(', ')}`);
});
