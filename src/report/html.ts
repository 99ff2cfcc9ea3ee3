// The report as one self-contained HTML page: inline CSS, the charts' SVG inline, no script and no network (a
// Content-Security-Policy forbids any load, so a page mailed to a colleague or opened offline shows everything).
// Tables are rendered from the tables' structured data (tables.ts) with the number formats of formats.ts, never by
// parsing Markdown. The page holds no timestamp: the same records give the same bytes.
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../util/fs.ts';
import { escapeHtml } from '../util/html.ts';
import { renderCharts, saveCharts, type RenderedChart } from './charts.ts';
import type { ReportContext } from './artifacts.ts';
import { legendHtml, responseHtml, TOKEN_CSS } from '../credit/html.ts';
import { CREDIT_HEADER, creditCells, dynamicsCells, dynamicsDiffCells, dynamicsDiffHeader, fixed, meanCi, NO_CREDIT, pValue, runLink, signed, verdictSentence } from './formats.ts';
import { seedMean } from './text.ts';
import { PAPER_CITATION, PAPER_COLUMNS, PAPER_MODEL, PAPER_TABLE2, WEMATH_PAPER_NOTE } from './paper.ts';
import { ACCURACY_COLUMNS, COLUMN_LABELS, type CreditExampleRow, type CreditExamples, type CreditTable, type AccuracyTable, type ConvergenceTable, type DynamicsTable, type ExcludedCell, type OfficialTable, type PairedTable, type ReportTables } from './tables.ts';
import type { SweepRecords } from './types.ts';
import { REPORT_PARTS, shownTables, type HtmlCell, type HtmlTable, type ReportPart, type TableBlock } from './table-spec.ts';

export type { HtmlCell, HtmlTable } from './table-spec.ts';

export type HtmlBlock =
  | TableBlock
  | { kind: 'chart'; chart: RenderedChart }
  /** Markup built here from escaped parts (the worked examples' tokens, src/credit/html.ts). */
  | { kind: 'html'; html: string };

export interface HtmlSection {
  /** Anchor of the section (table of contents). */
  id: string;
  heading: string;
  blocks: readonly HtmlBlock[];
}

export interface HtmlReport {
  title: string;
  /** One line under the title saying what the page was built from (no clock time: see the top of this file). */
  generated: string;
  sections: readonly HtmlSection[];
}

/** The report page's file name in the report folder, and the charts' subfolder beside it. */
export const HTML_FILE = 'report.html';
export const CHARTS_DIR = 'charts';

export { escapeHtml };

/** `**bold**` and `code` spans in captions and notes (the tables' captions are written for Markdown). */
function inline(s: string): string {
  return escapeHtml(s)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}

const CSS = `
:root { color-scheme: light; }
body { font: 15px/1.5 "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1d1d1f; margin: 0; background: #fafafa; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-bottom: 4px; border-bottom: 2px solid #e3e3e3; }
h3 { font-size: 16px; margin: 24px 0 8px; }
p.generated { color: #555; margin: 0 0 16px; }
nav ul { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 6px 18px; }
nav a { color: #2b5ea7; text-decoration: none; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 6px; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e6e6e6; white-space: nowrap; }
thead th { border-bottom: 2px solid #444; background: #f4f4f4; }
tbody tr:nth-child(even) { background: #fbfbfb; }
td.r, th.r { text-align: right; }
td.l, th.l { text-align: left; }
td strong { color: #0b4f9c; }
td a { color: #2b5ea7; }
p.caption { color: #555; font-size: 13px; max-width: 1100px; margin: 4px 0 18px; }
figure { margin: 16px 0 28px; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 13px; margin-top: 4px; }
ul.excluded li { margin: 2px 0; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; }
@media print { body { background: #fff; } main { padding: 0; } h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
`;

function renderTable(t: HtmlTable): string {
  const cls = (j: number): string => t.align[j] ?? 'l';
  const head = t.header.map((h, j) => `<th class="${cls(j)}" scope="col">${escapeHtml(h)}</th>`).join('');
  const cell = (c: HtmlCell): string => {
    if (typeof c === 'string') return escapeHtml(c);
    if ('links' in c) return c.links.map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a>`).join(' ');
    return c.strong ? `<strong>${escapeHtml(c.text)}</strong>` : escapeHtml(c.text);
  };
  const body = t.rows.map((r) => `<tr>${r.map((c, j) => `<td class="${cls(j)}">${cell(c)}</td>`).join('')}</tr>`).join('\n');
  const caption = t.caption ? `\n<p class="caption">${inline(t.caption)}</p>` : '';
  return `<div class="table-wrap"><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>${caption}`;
}

function renderBlock(b: HtmlBlock): string {
  switch (b.kind) {
    case 'paragraph':
      return `<p>${inline(b.text)}</p>`;
    case 'list':
      return `<ul class="excluded">\n${b.items.map((i) => `<li>${inline(i)}</li>`).join('\n')}\n</ul>`;
    case 'table':
      return `${b.title ? `<h3>${escapeHtml(b.title)}</h3>\n` : ''}${renderTable(b.table)}`;
    case 'html':
      return b.html;
    case 'chart':
      // The SVG comes from vega (its text is escaped there) with ids made unique per chart (charts.ts renameIds).
      return `<figure id="chart-${escapeHtml(b.chart.name)}" data-chart="${escapeHtml(b.chart.name)}">\n${b.chart.svg.trim()}\n<figcaption>${escapeHtml(b.chart.title)} — also saved as ${CHARTS_DIR}/${escapeHtml(b.chart.name)}.svg and .png</figcaption>\n</figure>`;
  }
}

/** The whole page (see the top of this file). */
export function renderHtml(report: HtmlReport): string {
  const toc = report.sections.map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.heading)}</a></li>`).join('');
  const sections = report.sections.map((s) => `<section id="${escapeHtml(s.id)}">\n<h2>${escapeHtml(s.heading)}</h2>\n${s.blocks.map(renderBlock).join('\n')}\n</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(report.title)}</title>
<style>${CSS}${TOKEN_CSS}</style>
</head>
<body>
<main>
<h1>${escapeHtml(report.title)}</h1>
<p class="generated">${inline(report.generated)}</p>
<nav><ul>${toc}</ul></nav>
${sections}
</main>
</body>
</html>
`;
}

// ---- The report's sections from its tables and charts.

const num = (x: number, digits = 2): string => fixed(x, digits);

/** The steps a row's seeds were read at: one number when they agree, else each seed's (as formats.ts prints them). */
function stepsText(steps: readonly number[]): string {
  if (steps.length === 0) return '—';
  return steps.every((s) => s === steps[0]) ? String(steps[0]) : steps.join('/');
}

export function accuracyHtmlTable(t: AccuracyTable): HtmlTable {
  return {
    header: ['Method', 'n', 'step(s)', ...ACCURACY_COLUMNS.map((c) => COLUMN_LABELS[c]), 'Δ Base', 'Δ GRPO'],
    align: ['l', 'r', 'r', ...ACCURACY_COLUMNS.map((): 'r' => 'r'), 'r', 'r'],
    rows: t.rows.map((r) => [
      r.label,
      String(r.seeds),
      stepsText(r.steps),
      ...ACCURACY_COLUMNS.map((c): HtmlCell => ({ text: meanCi(r.values[c]), strong: t.best[c].includes(r.row) })),
      signed(r.deltaBase),
      signed(r.deltaGrpo),
    ]),
    caption: t.caption,
  };
}

export function paperHtmlTable(): HtmlTable {
  return {
    header: ['Method', ...PAPER_COLUMNS],
    align: ['l', ...PAPER_COLUMNS.map((): 'r' => 'r')],
    rows: PAPER_TABLE2.map((r) => [r.label, ...r.values.map((v) => v.toFixed(2))]),
    caption: `${PAPER_MODEL} on the real benchmarks, as reported by ${PAPER_CITATION}: the layout and the ordering to look for, not numbers to match with the mini suite's tiny policy. ${WEMATH_PAPER_NOTE}`,
  };
}

/** The official scores beside the headline (WeMath's Score (Strict)). */
export function officialHtmlTable(t: OfficialTable): HtmlTable {
  const header = ['Method', 'n', ...t.columns.flatMap((c) => [c.label, 'groups'])];
  return {
    header,
    align: ['l', ...header.slice(1).map((): 'r' => 'r')],
    rows: t.rows.map((r) => [r.label, String(r.seeds), ...t.columns.flatMap((_, i) => [meanCi(r.values[i]!), num(r.groups[i]!, 0)])]),
    caption: t.caption,
  };
}

export function convergenceHtmlTable(t: ConvergenceTable): HtmlTable {
  const header = ['Method', 'n', ...t.steps.map((s) => `step ${s}`), 'peak step', 'peak', 'steps to GRPO final', '× GRPO'];
  return {
    header,
    align: ['l', ...header.slice(1).map((): 'r' => 'r')],
    rows: t.rows.map((r) => [
      r.label,
      String(r.seeds),
      ...r.atSummary.map((x) => seedMean(x, 2, true)),
      num(r.peakStep, 0),
      seedMean(r.peak, 2, true),
      Number.isFinite(t.target) ? (r.reachStep === null ? 'never' : String(r.reachStep)) : '—',
      num(r.ratio),
    ]),
    caption: t.caption,
  };
}

export function dynamicsHtmlTable(t: DynamicsTable): HtmlTable {
  return {
    header: ['Method', 'steps', ...t.columns.map((c) => c.label)],
    align: ['l', 'r', ...t.columns.map((): 'r' => 'r')],
    rows: t.rows.map((r) => dynamicsCells(t, r)),
    caption: t.caption,
  };
}

/** The compared pairs' dynamics, paired by seed (none without comparisons). */
export function dynamicsDiffHtmlTable(t: DynamicsTable): HtmlTable {
  const header = dynamicsDiffHeader(t);
  return { header, align: ['l', ...header.slice(1).map((): 'r' => 'r')], rows: t.diffs.map((r) => dynamicsDiffCells(t, r)), caption: t.diffCaption };
}

export function pairedHtmlTable(t: PairedTable): HtmlTable {
  return {
    header: ['A − B', 'evaluation', 'benchmark', 'diff (pts)', '95 % CI', 'p', 'items × seeds'],
    align: ['l', 'l', 'l', 'r', 'r', 'r', 'r'],
    rows: t.rows.map((r) => [
      `${r.a} − ${r.b}`,
      r.variant,
      (COLUMN_LABELS as Record<string, string>)[r.benchmark] ?? r.benchmark,
      signed(r.result.diff),
      Number.isFinite(r.result.lo) ? `[${signed(r.result.lo)}, ${signed(r.result.hi)}]` : '—',
      pValue(r.result.p),
      `${r.result.items} × ${r.result.seeds}`,
    ]),
    caption: t.caption,
  };
}

export function creditHtmlTable(t: CreditTable): HtmlTable {
  return {
    header: CREDIT_HEADER,
    align: CREDIT_HEADER.map((_, j): 'l' | 'r' => (j < 2 ? 'l' : 'r')),
    rows: t.rows.map(creditCells),
    caption: t.caption,
  };
}

/** One row's worked examples: its credit scale, then each response token by token (src/credit/html.ts renders them). */
function exampleRowHtml(r: CreditExampleRow, explainMarks: boolean, linkFrom?: string): string {
  const head = r.seed === undefined ? escapeHtml(r.label) : `${escapeHtml(r.label)} — <a href="${escapeHtml(runLink(r.dir!, linkFrom))}/">seed ${r.seed}</a>, training step ${r.step}`;
  const notes = r.notes.map((n) => `<p class="caption">${escapeHtml(n.charAt(0).toUpperCase() + n.slice(1))}.</p>`).join('');
  if (r.examples.length === 0) return `<div class="credit-examples" data-row="${escapeHtml(r.row)}"><h3>${head}</h3>${notes}</div>`;
  // One scale per row: each method's credit is in its own units (an advantage, a divergence, …).
  let scale = 0;
  for (const e of r.examples) for (const c of e.response.sides[0]!.credit) scale = Math.max(scale, Math.abs(c));
  const side = [{ label: r.label, creditMeaning: r.creditMeaning }];
  const plain = (s: { label: string }): string => s.label;
  const examples = r.examples.map((e) => {
    const what = e.kind === 'correct' ? 'Correct multi-step response' : 'Incorrect response, first wrong step a misreading';
    const where = `${escapeHtml(e.problem)} (${escapeHtml(e.benchmark)})${e.gold === null ? '' : `, gold answer ${escapeHtml(e.gold)}`}, response #${e.response.index + 1} of its group`;
    return `<div class="credit-example" data-kind="${e.kind}"><p class="caption"><strong>${what}</strong>: ${where}</p>${responseHtml(e.response, side, [scale], { step: r.step!, problem: e.problem }, plain)}</div>`;
  });
  return `<div class="credit-examples" data-row="${escapeHtml(r.row)}"><h3>${head}</h3>${legendHtml(side, [scale], plain, explainMarks)}${examples.join('\n')}${notes}</div>`;
}

/** The "Where the credit went" section: the table of shares against uniform credit, the chart, the worked examples. */
function creditBlocks(t: CreditTable, x: CreditExamples, chart: HtmlBlock[], linkFrom?: string): HtmlBlock[] {
  const shown = x.rows.some((r) => r.examples.length > 0);
  if (t.rows.length === 0 && !shown && chart.length === 0) return [{ kind: 'paragraph', text: NO_CREDIT }];
  return [
    t.rows.length > 0 ? { kind: 'table', table: creditHtmlTable(t) } : { kind: 'paragraph', text: 'No run logged credit/* metrics.' },
    ...chart,
    ...(shown
      ? [
          { kind: 'paragraph' as const, text: `**Worked examples.** ${x.rule} Each token's background is its credit on a diverging scale centred on zero (red: pushed down, blue: pushed up), one scale per row; hover a token for its numbers.` },
          // What the underlines and boxes mean is said once, beside the first row that shows examples.
          ...x.rows.map((r): HtmlBlock => ({ kind: 'html', html: exampleRowHtml(r, r === x.rows.find((y) => y.examples.length > 0), linkFrom) })),
        ]
      : [{ kind: 'paragraph' as const, text: 'No worked examples: no run kept them.' }]),
  ];
}

function excludedBlocks(cells: readonly ExcludedCell[]): HtmlBlock[] {
  if (cells.length === 0) return [{ kind: 'paragraph', text: 'None: every cell is done and in the tables and charts.' }];
  return [
    { kind: 'paragraph', text: `${cells.length} cell${cells.length === 1 ? ' is' : 's are'} not in the tables and charts:` },
    { kind: 'list', items: cells.map((c) => `**${c.id}** — ${c.state}: ${c.reason}`) },
  ];
}

/**
 * The page's sections: the verdict, the excluded cells (never hidden), accuracy (last and peak, the paper's Table 2
 * beside them), convergence with its charts, dynamics with its chart, where the credit went (its table, its chart
 * and the worked examples), the paired comparison; each registered table that has a section goes after the part it
 * names (table-spec.ts). A chart this list does not place goes in a last "More charts" section, so none is dropped.
 */
export function reportSections(tables: ReportTables, charts: readonly RenderedChart[], linkFrom?: string): HtmlSection[] {
  const placed = new Set<string>();
  const chart = (name: string): HtmlBlock[] => {
    const c = charts.find((x) => x.name === name);
    if (!c) return [];
    placed.add(name);
    return [{ kind: 'chart', chart: c }];
  };
  const parts: (HtmlSection & { id: ReportPart })[] = [
    {
      id: 'verdict',
      heading: 'Verdict',
      blocks: [
        tables.verdict.rows.length > 0 ? { kind: 'list', items: tables.verdict.rows.map(verdictSentence) } : { kind: 'paragraph', text: 'No comparison: no two rows with done cells.' },
        { kind: 'paragraph', text: tables.verdict.caption },
      ],
    },
    { id: 'excluded', heading: 'Excluded cells', blocks: excludedBlocks(tables.excluded) },
    {
      id: 'accuracy',
      heading: 'Accuracy',
      blocks: [
        { kind: 'table', title: 'Last evaluation', table: accuracyHtmlTable(tables.accuracy.last) },
        ...(tables.official.rows.length > 0 ? [{ kind: 'table' as const, title: 'Official scores (last evaluation)', table: officialHtmlTable(tables.official) }] : []),
        { kind: 'table', title: 'Peak evaluation', table: accuracyHtmlTable(tables.accuracy.peak) },
        { kind: 'table', title: `For reference: ${PAPER_CITATION}`, table: paperHtmlTable() },
      ],
    },
    {
      id: 'convergence',
      heading: 'Convergence',
      blocks: [{ kind: 'table', table: convergenceHtmlTable(tables.convergence) }, ...chart('convergence'), ...chart('convergence-benchmarks')],
    },
    {
      id: 'dynamics',
      heading: 'Training dynamics',
      blocks: [
        { kind: 'table', table: dynamicsHtmlTable(tables.dynamics) },
        ...(tables.dynamics.diffs.length > 0 ? [{ kind: 'table' as const, title: 'Paired differences', table: dynamicsDiffHtmlTable(tables.dynamics) }] : []),
        ...(tables.dynamics.diffNotes.length > 0 ? [{ kind: 'list' as const, items: tables.dynamics.diffNotes }] : []),
        ...chart('dynamics'),
      ],
    },
    { id: 'credit', heading: 'Where the credit went', blocks: creditBlocks(tables.credit, tables.examples, chart('credit'), linkFrom) },
    {
      id: 'paired',
      heading: 'Paired comparison',
      blocks: [
        tables.paired.rows.length > 0
          ? { kind: 'table', table: pairedHtmlTable(tables.paired) }
          : { kind: 'paragraph', text: 'No comparison (give --compare A:B with two rows that have done cells).' },
        ...(tables.paired.rows.length > 0 ? [] : [{ kind: 'paragraph' as const, text: tables.paired.caption }]),
        ...(tables.paired.notes.length > 0 ? [{ kind: 'list' as const, items: tables.paired.notes }] : []),
      ],
    },
  ];
  const registered = shownTables(tables.registered).flatMap((r) => {
    const blocks = r.spec.html?.(r.data, { out: linkFrom });
    return blocks ? [{ after: r.spec.after, section: { id: r.spec.name, heading: r.spec.title, blocks } }] : [];
  });
  const sections: HtmlSection[] = REPORT_PARTS.flatMap((p): HtmlSection[] => [...parts.filter((s) => s.id === p), ...registered.filter((r) => r.after === p).map((r) => r.section)]);
  const rest = charts.filter((c) => !placed.has(c.name));
  if (rest.length > 0) sections.push({ id: 'charts', heading: 'More charts', blocks: rest.map((c) => ({ kind: 'chart', chart: c })) });
  return sections;
}

/** The page of a sweep's report: title, provenance line and sections (see reportSections). */
export function reportHtml(records: SweepRecords, tables: ReportTables, charts: readonly RenderedChart[], out?: string): string {
  const done = records.cells.filter((c) => c.state === 'done').length;
  const source = records.source === 'run folders' ? `the run folders under ${records.dir}` : `${records.dir}/sweep.json and its cell folders`;
  return renderHtml({
    title: `rlsd-bench report: ${records.name}`,
    generated: `Rebuilt by \`rlsd-bench report\` from the records in ${source}: ${done} of ${records.cells.length} cells done.`,
    sections: reportSections(tables, charts, out),
  });
}

/** Writes the page atomically (a report killed midway leaves the old page or the new one, never half of one). */
export function writeHtml(file: string, html: string): void {
  writeFileAtomic(file, html);
}

/**
 * The report command's artifact writer (artifacts.ts ArtifactWriter): renders the charts once, writes them as SVG and
 * PNG under `charts/`, then `report.html` with the same SVG inline. Returns the names written, relative to ctx.out.
 */
export async function writeChartsAndHtml(ctx: Pick<ReportContext, 'records' | 'tables' | 'out'>): Promise<string[]> {
  const charts = await renderCharts(ctx.records);
  const files = await saveCharts(charts, join(ctx.out, CHARTS_DIR));
  writeHtml(join(ctx.out, HTML_FILE), reportHtml(ctx.records, ctx.tables, charts, ctx.out));
  return [...files.map((f) => relative(ctx.out, f)), HTML_FILE];
}
