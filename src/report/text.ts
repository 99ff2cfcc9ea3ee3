// The report's numbers and tables as text: fixed decimals, intervals, p-values, durations, padded Markdown tables and
// CSV. Every table's text is built from these (formats.ts, the registered tables of sections/), so a number reads the
// same in every table and file.
import { relative, sep } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { boundedInterval, type Summary } from './stats.ts';

/** A value that is missing or does not apply. */
export const DASH = '—';

/** A number with fixed decimals, or — when it is missing. */
export function fixed(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : DASH;
}

/** A signed difference (+1.23 / −0.50), or —. */
export function signed(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return DASH;
  const s = Math.abs(x).toFixed(digits);
  return Number(s) === 0 ? s : `${x > 0 ? '+' : '−'}${s}`;
}

/**
 * An accuracy in percent: mean ± CI half-width; "mean [low, high]" when the interval would run past 0–100 and is
 * clipped to it (stats.ts boundedInterval); "mean (n=1)" for one seed; — for none.
 */
export function meanCi(s: Summary, digits = 2): string {
  if (s.n === 0 || !Number.isFinite(s.mean)) return DASH;
  if (s.n === 1) return `${s.mean.toFixed(digits)} (n=1)`;
  const b = boundedInterval(s);
  return b.clipped ? `${s.mean.toFixed(digits)} [${b.lo.toFixed(digits)}, ${b.hi.toFixed(digits)}]` : `${s.mean.toFixed(digits)} ± ${fixed(s.half, digits)}`;
}

/**
 * A seed mean where one seed is common (convergence, dynamics): the plain mean for one seed (no interval to give),
 * else "mean ± half"; a percentage (`percent`) as meanCi gives it, its interval kept inside 0–100.
 */
export function seedMean(s: Summary, digits: number, percent: boolean): string {
  if (s.n === 1) return fixed(s.mean, digits);
  if (percent || s.n === 0 || !Number.isFinite(s.mean)) return meanCi(s, digits);
  return `${s.mean.toFixed(digits)} ± ${fixed(s.half, digits)}`;
}

/** A p-value as printed: three decimals, "< 0.001" below that. */
export function pValue(p: number): string {
  if (!Number.isFinite(p)) return DASH;
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** CSV numbers: fixed decimals, empty when missing. */
export function csvNum(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '';
}

// ---- Generic Markdown.

export type Align = 'l' | 'r';

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** A Markdown table with its columns padded to equal width (numbers right-aligned). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[]): string {
  const cells = [header, ...rows].map((r) => r.map(mdEscape));
  const width = header.map((_, j) => Math.max(3, ...cells.map((r) => [...(r[j] ?? '')].length)));
  const pad = (s: string, j: number): string => {
    const fill = ' '.repeat(width[j]! - [...s].length);
    return align[j] === 'r' ? fill + s : s + fill;
  };
  const line = (r: readonly string[]): string => `| ${r.map((s, j) => pad(s, j)).join(' | ')} |`;
  const rule = `| ${width.map((w, j) => (align[j] === 'r' ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n') + '\n';
}

/** A CSV file of a header and rows (csv-stringify, Unix line ends). */
export function csv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return stringify([header as string[], ...(rows as string[][])], { record_delimiter: 'unix' });
}

/** A duration as the configuration prints it: 42 s, 3.5 min, 1.2 h. */
export function wallText(seconds: number): string {
  if (!Number.isFinite(seconds)) return DASH;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  return seconds < 3600 ? `${(seconds / 60).toFixed(1)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

/** A run folder's link target: relative to `from` (the report's folder) with / separators, else the absolute path. */
export function runLink(dir: string, from?: string): string {
  return from === undefined ? dir : relative(from, dir).split(sep).join('/') || '.';
}
