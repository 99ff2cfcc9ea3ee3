// The report's tables as text: Markdown (padded, so it also reads on a terminal), CSV (csv-stringify) and, for the
// accuracy table, LaTeX with booktabs rules. Output is a function of the table data alone, with fixed decimals and a
// fixed order, so two reports of the same records are byte-identical.
import { PAPER_CITATION, PAPER_COLUMNS, PAPER_MODEL, PAPER_TABLE2, WEMATH_PAPER_NOTE } from './paper.ts';
import { ACCURACY_COLUMNS, COLUMN_LABELS, CREDIT_MEASURES, DYNAMICS_PAIRED_COLUMNS, type DynamicsColumn, type DynamicsDiffRow, type DynamicsRow, type CreditExamples, type CreditRow, type CreditTable, type AccuracyTable, type ConvergenceTable, type DynamicsTable, type ExcludedCell, type OfficialTable, type PairedTable, type ReportTables, type VerdictRow, type VerdictTable } from './tables.ts';
import { boundedInterval, minimumDetectableDifference, type Summary } from './stats.ts';
import { REPORT_PARTS, shownTables, tableMarkdown, type RegisteredTable, type ReportPart } from './table-spec.ts';
import { csv, csvNum, DASH, fixed, markdownTable, meanCi, pValue, seedMean, signed, type Align } from './text.ts';

export { fixed, markdownTable, meanCi, pValue, runLink, signed, wallText, type Align } from './text.ts';

// ---- The accuracy table.

const accHeader = ['Method', 'n', 'step(s)', ...ACCURACY_COLUMNS.map((c) => COLUMN_LABELS[c]), 'Δ Base', 'Δ GRPO'];
const accAlign: Align[] = ['l', 'r', 'r', ...ACCURACY_COLUMNS.map((): Align => 'r'), 'r', 'r'];

/** The steps a row's seeds were read at: one number when they agree, else each seed's. */
function stepsText(steps: readonly number[]): string {
  if (steps.length === 0) return DASH;
  return steps.every((s) => s === steps[0]) ? String(steps[0]) : steps.join('/');
}

export function accuracyMarkdown(t: AccuracyTable): string {
  const rows = t.rows.map((r) => [
    r.label,
    String(r.seeds),
    stepsText(r.steps),
    ...ACCURACY_COLUMNS.map((c) => {
      const s = meanCi(r.values[c]);
      return t.best[c].includes(r.row) ? `**${s}**` : s;
    }),
    signed(r.deltaBase),
    signed(r.deltaGrpo),
  ]);
  return `### Accuracy (${t.variant} evaluation)\n\n${markdownTable(accHeader, rows, accAlign)}\n${t.caption}\n`;
}

export function paperMarkdown(): string {
  const rows = PAPER_TABLE2.map((r) => [r.label, ...r.values.map((v) => v.toFixed(2))]);
  return `### For reference: ${PAPER_CITATION}\n\n${markdownTable(['Method', ...PAPER_COLUMNS], rows, ['l', ...PAPER_COLUMNS.map((): Align => 'r')])}\n${PAPER_MODEL} on the real benchmarks, as reported by ${PAPER_CITATION}: the layout and the ordering to look for, not numbers to match with the mini suite's tiny policy. ${WEMATH_PAPER_NOTE}\n`;
}

/** Both variants in one CSV: per column its mean, CI half-width (points) and a best flag. */
export function accuracyCsv(tables: readonly AccuracyTable[]): string {
  // _ci95: the Student-t half-width; _lo / _hi: the interval kept in 0–100 (the bounds the tables print when clipped).
  const header = ['variant', 'row', 'label', 'seeds', 'steps', ...ACCURACY_COLUMNS.flatMap((c) => [`${c}_mean`, `${c}_ci95`, `${c}_best`]), 'delta_base', 'delta_grpo', ...ACCURACY_COLUMNS.flatMap((c) => [`${c}_lo`, `${c}_hi`])];
  const rows = tables.flatMap((t) =>
    t.rows.map((r) => [
      t.variant,
      r.row,
      r.label,
      String(r.seeds),
      r.steps.join(';'),
      ...ACCURACY_COLUMNS.flatMap((c) => [csvNum(r.values[c].mean), csvNum(r.values[c].half), t.best[c].includes(r.row) ? '1' : '0']),
      csvNum(r.deltaBase),
      csvNum(r.deltaGrpo),
      ...ACCURACY_COLUMNS.flatMap((c) => {
        const b = boundedInterval(r.values[c]);
        return [csvNum(b.lo), csvNum(b.hi)];
      }),
    ]),
  );
  return csv(header, rows);
}

/** LaTeX's special characters in text. */
export function latexEscape(s: string): string {
  return s.replace(/[\\&%$#_{}~^]/g, (c) => (c === '\\' ? '\\textbackslash{}' : c === '~' ? '\\textasciitilde{}' : c === '^' ? '\\textasciicircum{}' : `\\${c}`));
}

const LATEX_SYMBOLS: Readonly<Record<string, string>> = { '±': '$\\pm$', 'Δ': '$\\Delta$', '−': '$-$', '×': '$\\times$', '–': '--', '—': '---', '"': "''" };

/** Prose for LaTeX: escaped, and the few non-ASCII symbols the captions use as math (pdflatex has no Unicode). */
export function latexText(s: string): string {
  return latexEscape(s).replace(/[±Δ−×–—"]/g, (c) => LATEX_SYMBOLS[c]!);
}

function latexMeanCi(s: Summary): string {
  if (s.n === 0 || !Number.isFinite(s.mean)) return '--';
  if (s.n === 1) return `${s.mean.toFixed(2)} (n=1)`;
  const b = boundedInterval(s);
  return b.clipped ? `${s.mean.toFixed(2)} [${b.lo.toFixed(2)}, ${b.hi.toFixed(2)}]` : `${s.mean.toFixed(2)} $\\pm$ ${fixed(s.half)}`;
}

function latexSigned(x: number): string {
  const s = signed(x);
  return s === DASH ? '--' : s.replace('−', '$-$');
}

function latexTabular(header: readonly string[], rows: readonly (readonly string[])[], spec: string): string[] {
  return [`\\begin{tabular}{${spec}}`, '\\toprule', `${header.join(' & ')} \\\\`, '\\midrule', ...rows.map((r) => `${r.join(' & ')} \\\\`), '\\bottomrule', '\\end{tabular}'];
}

/** The accuracy tables (booktabs; needs \usepackage{booktabs}), then the paper's Table 2 for reference. */
export function accuracyLatex(tables: readonly AccuracyTable[]): string {
  const header = ['Method', '$n$', ...ACCURACY_COLUMNS.map((c) => COLUMN_LABELS[c]), '$\\Delta$ Base', '$\\Delta$ GRPO'];
  const spec = `l${'r'.repeat(header.length - 1)}`;
  const out: string[] = ['% Written by `rlsd-bench report`; needs \\usepackage{booktabs}.'];
  for (const t of tables) {
    const rows = t.rows.map((r) => [
      latexText(r.label),
      String(r.seeds),
      ...ACCURACY_COLUMNS.map((c) => {
        const s = latexMeanCi(r.values[c]);
        return t.best[c].includes(r.row) ? `\\textbf{${s}}` : s;
      }),
      latexSigned(r.deltaBase),
      latexSigned(r.deltaGrpo),
    ]);
    out.push('\\begin{table}[t]', '\\centering', `\\caption{${latexText(t.caption)}}`, `\\label{tab:accuracy-${t.variant}}`, ...latexTabular(header, rows, spec), '\\end{table}', '');
  }
  const paperRows = PAPER_TABLE2.map((r) => [latexText(r.label), ...r.values.map((v) => v.toFixed(2))]);
  out.push(
    '\\begin{table}[t]',
    '\\centering',
    `\\caption{${latexText(`For reference: ${PAPER_MODEL} on the real benchmarks, ${PAPER_CITATION}. ${WEMATH_PAPER_NOTE}`)}}`,
    '\\label{tab:paper-table2}',
    ...latexTabular(['Method', ...PAPER_COLUMNS], paperRows, `l${'r'.repeat(PAPER_COLUMNS.length)}`),
    '\\end{table}',
  );
  return out.join('\n') + '\n';
}

// ---- Convergence.

function reachText(step: number | null): string {
  return step === null ? 'never' : String(step);
}

export function convergenceMarkdown(t: ConvergenceTable): string {
  const header = ['Method', 'n', ...t.steps.map((s) => `step ${s}`), 'peak step', 'peak', 'steps to GRPO final', '× GRPO'];
  const rows = t.rows.map((r) => [r.label, String(r.seeds), ...r.atSummary.map((x) => seedMean(x, 2, true)), fixed(r.peakStep, 0), seedMean(r.peak, 2, true), Number.isFinite(t.target) ? reachText(r.reachStep) : DASH, fixed(r.ratio)]);
  const align: Align[] = ['l', ...header.slice(1).map((): Align => 'r')];
  return `### Convergence\n\n${markdownTable(header, rows, align)}\n${t.caption}\n`;
}

export function convergenceCsv(t: ConvergenceTable): string {
  // _ci95: the Student-t half-width over seeds (empty for one seed).
  const header = ['row', 'label', 'seeds', ...t.steps.flatMap((s) => [`avg_at_${s}`, `avg_at_${s}_ci95`]), 'peak_step', 'peak_avg', 'peak_avg_ci95', 'target_avg', 'steps_to_target', 'ratio_to_grpo'];
  const rows = t.rows.map((r) => [
    r.row,
    r.label,
    String(r.seeds),
    ...r.atSummary.flatMap((x) => [csvNum(x.mean), csvNum(x.half)]),
    csvNum(r.peakStep, 0),
    csvNum(r.peakAcc),
    csvNum(r.peak.half),
    csvNum(t.target),
    Number.isFinite(t.target) ? reachText(r.reachStep) : '',
    csvNum(r.ratio),
  ]);
  return csv(header, rows);
}

// ---- Dynamics.

/** A dynamics row's cells: each column's seed mean, ± its interval over seeds where there are several. */
export function dynamicsCells(t: DynamicsTable, r: DynamicsRow): string[] {
  return [r.label, `${r.from}–${r.to}`, ...r.summaries.map((x, j) => seedMean(x, t.columns[j]!.digits, t.columns[j]!.percent === true))];
}

/** The paired differences' columns: the dynamics columns a difference is given for. */
export function dynamicsDiffColumns(t: DynamicsTable): DynamicsColumn[] {
  return DYNAMICS_PAIRED_COLUMNS.map((id) => t.columns.find((c) => c.id === id)!);
}

/** A paired difference row's cells; one decimal more than the column's own, since the differences are small. */
export function dynamicsDiffCells(t: DynamicsTable, r: DynamicsDiffRow): string[] {
  const cols = dynamicsDiffColumns(t);
  return [`${r.aLabel} − ${r.bLabel}`, r.steps, String(r.seeds), ...r.values.map((x, j) => signedCi(x, cols[j]!.digits + 1))];
}

export function dynamicsDiffHeader(t: DynamicsTable): string[] {
  return ['A − B', 'steps', 'seeds', ...dynamicsDiffColumns(t).map((c) => `Δ ${c.label}`)];
}

export function dynamicsMarkdown(t: DynamicsTable): string {
  const header = ['Method', 'steps', ...t.columns.map((c) => c.label)];
  const align: Align[] = ['l', 'r', ...t.columns.map((): Align => 'r')];
  const table = `### Training dynamics\n\n${markdownTable(header, t.rows.map((r) => dynamicsCells(t, r)), align)}\n${t.caption}\n`;
  if (t.diffs.length === 0) return table;
  const diffHeader = dynamicsDiffHeader(t);
  const diffs = markdownTable(diffHeader, t.diffs.map((r) => dynamicsDiffCells(t, r)), ['l', ...diffHeader.slice(1).map((): Align => 'r')]);
  const notes = t.diffNotes.length ? `\n${t.diffNotes.map((n) => `- ${n}`).join('\n')}\n` : '';
  return `${table}\n#### Training dynamics, paired differences\n\n${diffs}\n${t.diffCaption}\n${notes}`;
}

export function dynamicsCsv(t: DynamicsTable): string {
  // One line per row and window, then per comparison and window (kind "paired": row a:b, the difference a − b by seed,
  // seeds: the seeds both ran; a column's own n may be smaller where a seed logs no such key); _ci95: the half-width.
  const header = ['kind', 'row', 'label', 'window', 'from_step', 'to_step', 'seeds', ...t.columns.flatMap((c) => [c.id, `${c.id}_ci95`])];
  const rows = t.rows.map((r) => ['row', r.row, r.label, r.window, String(r.from), String(r.to), String(r.seeds), ...r.summaries.flatMap((x, j) => [csvNum(x.n === 0 ? NaN : x.mean, Math.max(4, t.columns[j]!.digits)), csvNum(x.half, Math.max(4, t.columns[j]!.digits))])]);
  for (const d of t.diffs) {
    const [from, to] = d.steps.includes('/') ? ['', ''] : d.steps.split('–');
    rows.push([
      'paired',
      `${d.a}:${d.b}`,
      `${d.aLabel} − ${d.bLabel}`,
      d.window,
      from ?? '',
      to ?? '',
      String(d.seeds),
      ...t.columns.flatMap((c) => {
        const j = DYNAMICS_PAIRED_COLUMNS.indexOf(c.id);
        return j < 0 ? ['', ''] : [csvNum(d.values[j]!.mean, Math.max(4, c.digits + 1)), csvNum(d.values[j]!.half, Math.max(4, c.digits + 1))];
      }),
    ]);
  }
  return csv(header, rows);
}

// ---- Paired comparison.

function benchmarkLabel(b: string): string {
  return (COLUMN_LABELS as Record<string, string>)[b] ?? b;
}

export function pairedMarkdown(t: PairedTable): string {
  const header = ['A − B', 'evaluation', 'benchmark', 'diff (pts)', '95 % CI', 'p', 'items × seeds'];
  const rows = t.rows.map((r) => [
    `${r.a} − ${r.b}`,
    r.variant,
    benchmarkLabel(r.benchmark),
    signed(r.result.diff),
    Number.isFinite(r.result.lo) ? `[${signed(r.result.lo)}, ${signed(r.result.hi)}]` : DASH,
    pValue(r.result.p),
    `${r.result.items} × ${r.result.seeds}`,
  ]);
  const table = rows.length ? markdownTable(header, rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r']) : 'No comparison (give --compare A:B with two rows that have done cells).\n';
  const notes = t.notes.length ? `\n${t.notes.map((n) => `- ${n}`).join('\n')}\n` : '';
  return `### Paired comparison\n\n${table}\n${t.caption}\n${notes}`;
}

export function pairedCsv(t: PairedTable): string {
  // se: the bootstrap's standard error of diff; mdd: the minimum detectable difference (the verdict's caption).
  const header = ['a', 'b', 'variant', 'benchmark', 'diff', 'ci_lo', 'ci_hi', 'p', 'items', 'seeds', 'resamples', 'se', 'mdd'];
  const rows = t.rows.map((r) => [
    r.a,
    r.b,
    r.variant,
    r.benchmark,
    csvNum(r.result.diff),
    csvNum(r.result.lo),
    csvNum(r.result.hi),
    csvNum(r.result.p),
    String(r.result.items),
    String(r.result.seeds),
    String(r.result.resamples),
    csvNum(r.result.se),
    csvNum(minimumDetectableDifference(r.result.se)),
  ]);
  return csv(header, rows);
}

// ---- The verdict and the configuration.

/** One comparison in words: difference, interval, p, MDD at the seed count, then the verdict. */
export function verdictSentence(r: VerdictRow): string {
  const head = `${r.aLabel} vs ${r.bLabel}`;
  const x = r.result;
  if (!Number.isFinite(x.diff)) return `${head}: ${r.words}.`;
  const p = x.p < 0.001 ? 'p < 0.001' : `p = ${x.p.toFixed(3)}`;
  const ci = Number.isFinite(x.lo) ? `95 % CI ${signed(x.lo)} to ${signed(x.hi)}` : '95 % CI —';
  const crn = r.crn ? `; common random numbers: seed sd of the difference ${fixed(r.crn.matchedSd)} paired by seed against ${fixed(r.crn.unmatchedSd)} unpaired (variance ×${fixed(r.crn.unmatchedSd ** 2 / r.crn.matchedSd ** 2)})` : '';
  return `${head}: ${signed(x.diff)} points (${ci}, ${p}, MDD ${fixed(r.mdd)} points at ${x.seeds} seed${x.seeds === 1 ? '' : 's'}${crn}) — ${r.words}.`;
}

export function verdictMarkdown(t: VerdictTable): string {
  const body = t.rows.length ? t.rows.map((r) => `- ${verdictSentence(r)}`).join('\n') : '- No comparison: no two rows with done cells.';
  return `### Verdict\n\n${body}\n\n${t.caption}\n`;
}

// ---- Where the credit went.

/** A difference in points: signed mean ± CI half-width (not clipped: a difference may be negative); "(n=1)" for one seed. */
export function signedCi(s: Summary, digits = 2): string {
  if (s.n === 0 || !Number.isFinite(s.mean)) return DASH;
  if (s.n === 1) return `${signed(s.mean, digits)} (n=1)`;
  return `${signed(s.mean, digits)} ± ${fixed(s.half, digits)}`;
}

/** The steps a credit row's values were read at: one number when every seed and measure agrees, else per measure. */
export function creditStepsText(r: CreditRow): string {
  if (r.window) return `${r.window.from}–${r.window.to}`;
  const all = r.values.flatMap((v) => v.steps).filter((x) => Number.isFinite(x));
  if (all.length === 0) return DASH;
  if (all.every((x) => x === all[0])) return String(all[0]);
  // A measure no seed logs (runs that predate it) says nothing here; its cells say —.
  return r.values
    .map((v, j) => (v.steps.some((x) => Number.isFinite(x)) ? `${CREDIT_MEASURES[j]!.id}: ${v.steps.map((x) => (Number.isFinite(x) ? String(x) : DASH)).join('/')}` : ''))
    .filter((x) => x !== '')
    .join('; ');
}

export const CREDIT_HEADER = ['Method', 'at', 'step(s)', 'n', ...CREDIT_MEASURES.flatMap((m) => [`${m.label}: ${m.value}`, 'uniform (%)', 'Δ (pts)'])] as const;

/** A credit row's cells in CREDIT_HEADER order. */
export function creditCells(r: CreditRow): string[] {
  return [r.label, r.at, creditStepsText(r), String(r.values[0]?.share.n ?? 0), ...r.values.flatMap((v) => [meanCi(v.share), meanCi(v.uniform), signedCi(v.diff)])];
}

/** Said instead of the credit section when no run has credit metrics or examples. */
export const NO_CREDIT =
  "No run logged credit/* metrics or kept worked examples: both need the deep world's step-level truth (runs on the mini-2 suite; train keeps the examples at its last step).";

/** One line per row on its worked examples (shown token by token in report.html). */
export function exampleLines(x: CreditExamples): string[] {
  return x.rows.map((r) => {
    const head = r.seed === undefined ? r.label : `${r.label}, seed ${r.seed}, step ${r.step}`;
    const shown = r.examples.map((e) => {
      const what = e.kind === 'correct' ? 'correct' : `misreading (${e.response.error?.detail ?? 'first wrong step'})`;
      return `${what}: ${e.problem} response #${e.response.index + 1}`;
    });
    return `${head}: ${[...shown, ...r.notes].join('; ') || DASH}.`;
  });
}

/** The credit section of report.md: the table (or why there is none) and the worked examples, named. */
export function creditMarkdown(t: CreditTable, x: CreditExamples): string {
  const shown = x.rows.some((r) => r.examples.length > 0);
  if (t.rows.length === 0 && !shown) return `### Where the credit went\n\n${NO_CREDIT}\n`;
  const align: Align[] = ['l', 'l', 'r', 'r', ...CREDIT_MEASURES.flatMap((): Align[] => ['r', 'r', 'r'])];
  const table = t.rows.length ? `${markdownTable([...CREDIT_HEADER], t.rows.map(creditCells), align)}\n${t.caption}\n` : 'No run logged credit/* metrics.\n';
  const examples = shown ? `\nWorked examples, token by token in report.html. ${x.rule}\n\n${exampleLines(x).map((l) => `- ${l}`).join('\n')}\n` : '\nNo worked examples: no run kept them.\n';
  return `### Where the credit went\n\n${table}${examples}`;
}

export function creditCsv(t: CreditTable): string {
  // window_from / window_to: the early rows' steps (the *_steps columns then give each seed's last step in it).
  const header = ['row', 'label', 'at', 'window_from', 'window_to', 'seeds', ...CREDIT_MEASURES.flatMap((m) => [`${m.id}_steps`, `${m.id}_n`, `${m.id}_share`, `${m.id}_share_ci95`, `${m.id}_uniform`, `${m.id}_uniform_ci95`, `${m.id}_diff`, `${m.id}_diff_ci95`])];
  const rows = t.rows.map((r) => [
    r.row,
    r.label,
    r.at,
    r.window ? String(r.window.from) : '',
    r.window ? String(r.window.to) : '',
    String(r.seeds),
    ...r.values.flatMap((v) => [v.steps.map((x) => (Number.isFinite(x) ? String(x) : '')).join(';'), String(v.share.n), csvNum(v.share.mean), csvNum(v.share.half), csvNum(v.uniform.mean), csvNum(v.uniform.half), csvNum(v.diff.mean), csvNum(v.diff.half)]),
  ]);
  return csv(header, rows);
}

// ---- Excluded cells and the whole report.

export function excludedMarkdown(cells: readonly ExcludedCell[]): string {
  if (cells.length === 0) return '### Excluded cells\n\nNone: every cell is done and in the tables.\n';
  return `### Excluded cells\n\n${cells.length} cell${cells.length === 1 ? ' is' : 's are'} not in the tables:\n\n${cells.map((c) => `- ${c.id} — ${c.state}: ${c.reason}`).join('\n')}\n`;
}

/** The official scores beside the headline (WeMath's Score (Strict)); '' when no run's records name their groups. */
export function officialMarkdown(t: OfficialTable): string {
  if (t.rows.length === 0) return '';
  const header = ['Method', 'n', ...t.columns.flatMap((c) => [c.label, 'groups'])];
  const rows = t.rows.map((r) => [r.label, String(r.seeds), ...t.columns.flatMap((_, i) => [meanCi(r.values[i]!), fixed(r.groups[i]!, 0)])]);
  return `### Official scores (last evaluation)\n\n${markdownTable(header, rows, header.map((_, i): Align => (i === 0 ? 'l' : 'r')))}\n${t.caption}\n`;
}

/** Each part of report.md in order, with the registered tables that go after it (table-spec.ts `after`). */
function inReportOrder(parts: Readonly<Record<ReportPart, string>>, registered: readonly RegisteredTable[], out?: string): string[] {
  return REPORT_PARTS.flatMap((p) => [parts[p], ...registered.filter((r) => r.spec.after === p).map((r) => tableMarkdown(r, { out }))]);
}

/**
 * The text of every report file, by file name (report.md combines the tables; stdout shows a part of it). `out`: the
 * report's folder, which the links to run folders are relative to (absolute paths without it).
 */
export function reportFiles(name: string, source: string, t: ReportTables, out?: string): Record<string, string> {
  const excluded = excludedMarkdown(t.excluded);
  const withExcluded = (md: string): string => `${md}\n${excluded}`;
  const official = officialMarkdown(t.official);
  const accuracy = `${accuracyMarkdown(t.accuracy.last)}\n${official ? `${official}\n` : ''}${accuracyMarkdown(t.accuracy.peak)}\n${paperMarkdown()}`;
  const registered = shownTables(t.registered);
  const files: Record<string, string> = {
    'accuracy.md': withExcluded(accuracy),
    'accuracy.csv': accuracyCsv([t.accuracy.last, t.accuracy.peak]),
    'accuracy.tex': accuracyLatex([t.accuracy.last, t.accuracy.peak]),
    'convergence.md': withExcluded(convergenceMarkdown(t.convergence)),
    'convergence.csv': convergenceCsv(t.convergence),
    'dynamics.md': withExcluded(dynamicsMarkdown(t.dynamics)),
    'dynamics.csv': dynamicsCsv(t.dynamics),
    'paired.md': withExcluded(pairedMarkdown(t.paired)),
    'paired.csv': pairedCsv(t.paired),
  };
  for (const r of registered) {
    if (!r.spec.csv) continue;
    files[`${r.spec.name}.md`] = withExcluded(tableMarkdown(r, { out }));
    files[`${r.spec.name}.csv`] = r.spec.csv(r.data);
  }
  const credit = creditMarkdown(t.credit, t.examples);
  if (t.credit.rows.length > 0) {
    files['credit.md'] = withExcluded(credit);
    files['credit.csv'] = creditCsv(t.credit);
  }
  const parts = { verdict: verdictMarkdown(t.verdict), excluded, accuracy, convergence: convergenceMarkdown(t.convergence), dynamics: dynamicsMarkdown(t.dynamics), credit, paired: pairedMarkdown(t.paired) };
  files['report.md'] = `# rlsd-bench report: ${name}\n\nRebuilt from the records in ${source}.\n\n` + inReportOrder(parts, registered, out).join('\n');
  return files;
}

/**
 * What `report` (and a sweep at its end) prints: both accuracy tables, the convergence table and the registered
 * tables that say `terminal`, in report.md's order, then the excluded cells and the verdict.
 */
export function stdoutSummary(t: ReportTables): string {
  const parts = { verdict: '', excluded: '', accuracy: `${accuracyMarkdown(t.accuracy.last)}\n${accuracyMarkdown(t.accuracy.peak)}`, convergence: convergenceMarkdown(t.convergence), dynamics: '', credit: '', paired: '' };
  const terminal = shownTables(t.registered).filter((r) => r.spec.terminal);
  return [...inReportOrder(parts, terminal).filter((x) => x !== ''), excludedMarkdown(t.excluded), verdictMarkdown(t.verdict)].join('\n');
}
