// A plain-text table for a terminal: columns padded to their widest cell, two spaces apart, each column left- or
// right-aligned, no trailing blanks. (Markdown tables are src/report/formats.ts markdownTable.)

export type TextAlign = 'l' | 'r';

/** The table's lines, header first; `align[i]` defaults to left. */
export function textTableLines(header: readonly string[], rows: readonly (readonly string[])[], align: readonly TextAlign[] = []): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}
