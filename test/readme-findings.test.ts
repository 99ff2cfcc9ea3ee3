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

/** The "Measured here" cells of the README's findings table, and the paragraph under it. */
function measuredText(readme: string): { cells: string[]; paragraph: string } {
  const section = readme.slice(readme.indexOf('## What it finds'));
  const tableStart = section.indexOf('| The paper');
  const tableEnd = section.indexOf('\n\n', tableStart);
  const cells = section
    .slice(tableStart, tableEnd)
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| The paper') && !l.startsWith('|---'))
    .map((l) => l.split(' | ')[1]!);
  const rest = section.slice(tableEnd);
  return { cells, paragraph: rest.slice(0, rest.indexOf('\n## ')) };
}

/**
 * The figures of a text as the report prints them: a decimal of two or more places, with its sign, and with its
 * interval when it has one ("14.47 ± 5.37", "−0.04 [−0.61, +0.54]"), so an interval is checked whole. Decimals of one
 * place are the method's constants (the weight clip's 0.8 and 1.2), not measurements.
 */
function figures(text: string): string[] {
  const num = '[−+]?\\d+\\.\\d{2,}';
  return text.match(new RegExp(`${num}(?: ± \\d+\\.\\d+| \\[${num}, ${num}\\])?`, 'g')) ?? [];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('README findings: every measured figure, with its interval, is one the committed paper report prints', () => {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const { cells, paragraph } = measuredText(readme);
  assert.equal(cells.length, 7, 'the findings table has the seven claims');
  const report = reportText();
  const quoted = [...cells.flatMap(figures), ...figures(paragraph)];
  assert.ok(quoted.length >= 30, `figures found: ${quoted.length}`);
  assert.ok(quoted.filter((f) => /±|\[/.test(f)).length >= 15, 'most figures come with their interval');
  // A whole figure: not the tail or the head of a longer number. A difference with its bracketed interval is the
  // paired table's diff and CI columns, or the verdict's "diff points (95 % CI lo to hi".
  const forms = (f: string): string[] => {
    const m = /^(\S+) \[(\S+), (\S+)\]$/.exec(f);
    if (!m) return [escape(f)];
    const [d, lo, hi] = [escape(m[1]!), escape(m[2]!), escape(m[3]!)];
    return [escape(f), `${d} +\\| +\\[${lo}, ${hi}\\]`, `${d} points \\(95 % CI ${lo} to ${hi}`];
  };
  const printed = (f: string): boolean => forms(f).some((form) => new RegExp(`(?<![\\d.])${form}(?![\\d])`).test(report));
  const missing = quoted.filter((f) => !printed(f));
  assert.deepEqual(missing, [], `README figures the committed report does not print: ${missing.join('; ')}`);
});
