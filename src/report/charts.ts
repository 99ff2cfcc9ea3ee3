// The report's charts: Vega-Lite specs built from the sweep's records alone, compiled and rendered to SVG by
// vega in Node (renderer 'none': no DOM, no canvas, no network — data is inlined, never loaded), then rasterised
// to PNG by sharp (librsvg + fontconfig). The same records give byte-identical SVG: rows come in the tables' order,
// numbers are rounded before they enter a spec, and vega's process-global clip/gradient ids are renamed per chart.
// vega, vega-lite and sharp are loaded when a chart is rendered, not with the module: the CLI imports this module
// for every command, and these packages take about a second to load.
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { methods } from '../../methods/index.ts';
import { ensureDir, writeFileAtomic } from '../util/fs.ts';
import { OKABE_ITO } from '../util/palette.ts';
import { COLUMN_LABELS, reportRows, type ReportRow } from './tables.ts';
import { REPORT_BENCHMARKS, type CellRecord, type ReportBenchmark, type SweepRecords } from './types.ts';

export interface ChartSpec {
  /** File stem (convergence → convergence.svg / convergence.png) and the HTML anchor. */
  name: string;
  title: string;
  spec: TopLevelSpec;
}

export interface RenderedChart {
  name: string;
  title: string;
  svg: string;
}

/** Each method's colour, as it declares it (src/util/palette.ts); it keeps it in every report, with or without override rows beside it. */
const METHOD_COLOUR: Record<string, string> = Object.fromEntries(Object.values(methods).flatMap((m) => (m.colour ? [[m.name, m.colour]] : [])));
// Methods without a colour take the palette's colours no method takes (the yellow reads poorly on white, so last).
const TAKEN = new Set(Object.values(METHOD_COLOUR).map((c) => c.toUpperCase()));
const PALETTE_YELLOW_LAST = [...Object.values(OKABE_ITO).filter((c) => c !== OKABE_ITO.yellow), OKABE_ITO.yellow];
const FREE = PALETTE_YELLOW_LAST.filter((c) => !TAKEN.has(c));
const SPARE_COLOURS: readonly string[] = FREE.length > 0 ? FREE : PALETTE_YELLOW_LAST;

/**
 * The dynamics panels: metrics.jsonl keys (summed when several: the clip ratio is low + high), their axis titles, and
 * the factor a value is drawn with (rates in percent, as every accuracy of the report).
 */
export interface Panel {
  panel: string;
  keys: readonly string[];
  scale?: number;
  /** The line's kind within its panel, when a panel draws more than one per row (credit: the method's, uniform's). */
  series?: string;
}

export const DYNAMICS_PANELS: readonly Panel[] = [
  { panel: 'Reward (%, critic/score/mean)', keys: ['critic/score/mean'], scale: 100 },
  { panel: 'Entropy (actor/entropy)', keys: ['actor/entropy'] },
  { panel: 'Response length (tokens)', keys: ['response_length/mean'] },
  { panel: 'Leakage rate (%, leakage/rate)', keys: ['leakage/rate'], scale: 100 },
  { panel: 'RLSD weight clip ratio (%, low + high)', keys: ['grpo_opsd/stgca_clip_low_ratio', 'grpo_opsd/stgca_clip_high_ratio'], scale: 100 },
  { panel: 'RLSD |Δ| (rlsd/delta_abs_mean)', keys: ['rlsd/delta_abs_mean'] },
  { panel: 'Teacher tokens per step', keys: ['perf/teacher_tokens'] },
];

/**
 * The credit panels (src/train/credit.ts), drawn beside the dynamics panels: each row's share of |credit| as a solid
 * line and what uniform credit gives over the same responses as a dashed one, in percent; the teacher's own view.
 */
export const CREDIT_SERIES = { method: "the method's credit", uniform: 'uniform credit' } as const;
export const CREDIT_PANELS: readonly Panel[] = [
  { panel: 'First wrong step: share of |credit| (%)', keys: ['credit/first_wrong_share'], scale: 100, series: CREDIT_SERIES.method },
  { panel: 'First wrong step: share of |credit| (%)', keys: ['credit/first_wrong_uniform'], scale: 100, series: CREDIT_SERIES.uniform },
  { panel: 'Filler: share of |credit| (%)', keys: ['credit/filler_share'], scale: 100, series: CREDIT_SERIES.method },
  { panel: 'Filler: share of |credit| (%)', keys: ['credit/filler_uniform'], scale: 100, series: CREDIT_SERIES.uniform },
  { panel: 'Most-credited token on the first wrong step (%)', keys: ['credit/first_wrong_top'], scale: 100, series: CREDIT_SERIES.method },
  { panel: 'Most-credited token on the first wrong step (%)', keys: ['credit/first_wrong_uniform'], scale: 100, series: CREDIT_SERIES.uniform },
  { panel: "Teacher: AUROC of the span's Δ, correct vs incorrect", keys: ['credit/teacher_auroc'], series: CREDIT_SERIES.method },
  { panel: "Teacher's own view exp(±Δ): first wrong step share (%)", keys: ['credit/teacher_first_wrong_share'], scale: 100, series: CREDIT_SERIES.method },
];

/** At most this many points per line in the dynamics panels: 600 steps × 6 rows × 7 panels stay a small SVG. */
const MAX_POINTS_PER_LINE = 150;

/**
 * The rows with done cells, in the tables' order and with the tables' labels (tables.ts reportRows), so a chart's
 * legend reads like the accuracy table; cells that are not done are excluded here as there.
 */
export function rowGroups(records: SweepRecords): ReportRow[] {
  return reportRows(records).filter((r) => r.cells.length > 0);
}

/** Rounds to 6 significant digits: enough for any axis, and it keeps float noise out of the SVG. */
function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(6)) : x;
}

function mean(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * One datum of a convergence chart, in percent: a training row's mean over the seeds evaluated at a step with their
 * min–max (kind 'row'), or the Base row's step-0 accuracy (kind 'base', drawn as a dashed rule across the steps).
 */
export interface ConvergencePoint {
  kind: 'row' | 'base';
  label: string;
  benchmark: string;
  step: number;
  mean: number;
  lo: number;
  hi: number;
  seeds: number;
}

function accuracyOf(e: CellRecord['evaluations'][number], benchmark: ReportBenchmark | 'avg'): number | undefined {
  const v = benchmark === 'avg' ? e.avg : e.perBenchmark[benchmark];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function point(kind: ConvergencePoint['kind'], label: string, benchmark: string, step: number, vs: number[]): ConvergencePoint {
  return { kind, label, benchmark, step, mean: round(100 * mean(vs)), lo: round(100 * Math.min(...vs)), hi: round(100 * Math.max(...vs)), seeds: vs.length };
}

/**
 * The convergence data of one benchmark (or the Avg): every training row's points, then the Base row's. A row
 * without its own step-0 evaluation starts from Base's: step 0 is the same base checkpoint in every cell of a sweep.
 */
export function curvePoints(groups: ReportRow[], benchmark: ReportBenchmark | 'avg'): ConvergencePoint[] {
  const name = benchmark === 'avg' ? 'Avg' : COLUMN_LABELS[benchmark];
  const baseRow = groups.find((g) => g.method === 'base' && g.override === null);
  const baseValues = (baseRow?.cells ?? []).flatMap((c) => c.evaluations.filter((e) => e.step === 0).map((e) => accuracyOf(e, benchmark))).filter((v): v is number => v !== undefined);
  const points: ConvergencePoint[] = [];
  for (const g of groups) {
    if (g === baseRow) continue;
    const byStep = new Map<number, number[]>();
    for (const c of g.cells) {
      for (const e of c.evaluations) {
        const v = accuracyOf(e, benchmark);
        if (v === undefined) continue;
        const list = byStep.get(e.step);
        if (list) list.push(v);
        else byStep.set(e.step, [v]);
      }
    }
    // Only steps every seed evaluated, as tables.ts rowCurve: a point never mixes different sets of seeds, so the
    // line's means are the convergence table's.
    for (const [step, vs] of byStep) if (vs.length < g.cells.length) byStep.delete(step);
    if (byStep.size === 0) continue;
    if (!byStep.has(0) && baseValues.length > 0) byStep.set(0, baseValues);
    for (const step of [...byStep.keys()].sort((x, y) => x - y)) points.push(point('row', g.label, name, step, byStep.get(step)!));
  }
  if (baseRow && baseValues.length > 0 && points.length > 0) points.push(point('base', baseRow.label, name, 0, baseValues));
  return points;
}

/** A hex colour moved towards black (f < 0) or white (f > 0) by |f|. */
export function shade(hex: string, f: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const mix = (c: number): number => Math.round(f < 0 ? c * (1 + f) : c + (255 - c) * f);
  return `#${[16, 8, 0].map((sh) => mix((n >> sh) & 255).toString(16).padStart(2, '0')).join('')}`;
}

/** How the override rows of one method are told apart: its hue, darker and lighter in turn. */
const VARIANT_SHADES = [-0.45, 0.45, -0.7, 0.7, -0.2, 0.2];

/**
 * Colour per row label, fixed by the row order so a row has one colour in every chart. An override row of one of the
 * paper's methods (a grid value, an ablation) takes a shade of that method's hue, so a grid of 17 rows reads as five
 * families; other methods take the spare hues.
 */
function colourScale(groups: ReportRow[]): { domain: string[]; range: string[] } {
  const domain: string[] = [];
  const range: string[] = [];
  const variants = new Map<string, number>();
  const plain = new Set(groups.filter((g) => g.override === null).map((g) => g.method));
  let spare = 0;
  for (const g of groups) {
    domain.push(g.label);
    const own = METHOD_COLOUR[g.method];
    if (own && g.override === null) range.push(own);
    else if (own) {
      // Without the plain row the first variant may take the method's own colour.
      const k = variants.get(g.method) ?? (plain.has(g.method) ? 0 : -1);
      variants.set(g.method, k + 1);
      range.push(k < 0 ? own : shade(own, VARIANT_SHADES[k % VARIANT_SHADES.length]!));
    } else range.push(SPARE_COLOURS[spare++ % SPARE_COLOURS.length]!);
  }
  return { domain, range };
}

function seedsNote(groups: ReportRow[]): string {
  const counts = [...new Set(groups.filter((g) => g.method !== 'base').map((g) => g.cells.length))].sort((a, b) => a - b);
  return counts.length === 0 ? 'no seeds' : `${counts.join('–')} seed${counts.length === 1 && counts[0] === 1 ? '' : 's'} per row`;
}

const CONFIG = {
  background: 'white',
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' as const },
  header: { labelFontSize: 12, labelFontWeight: 'bold' as const },
};

/** A layer of a layered spec, derived from the stable TopLevelSpec export (vega-lite's other types are unstable paths). */
type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** Layers of one convergence plot: seed band (area), mean line with points, Base as a dashed rule. */
function convergenceLayers(colour: { domain: string[]; range: string[] }, yTitle: string): Layer[] {
  const x = { field: 'step', type: 'quantitative' as const, title: 'Training step' };
  // One legend for all layers; its symbols are opaque strokes, not the band's faint fill.
  const color = { field: 'label', type: 'nominal' as const, title: 'Method', scale: colour, sort: colour.domain, legend: { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 3 } };
  const rows = [{ filter: "datum.kind == 'row'" }];
  return [
    {
      transform: rows,
      mark: { type: 'area', opacity: 0.18 },
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle, scale: { zero: false } }, y2: { field: 'hi' }, color },
    },
    {
      transform: rows,
      mark: { type: 'line', point: { size: 28, filled: true }, strokeWidth: 2 },
      encoding: { x, y: { field: 'mean', type: 'quantitative', title: yTitle }, color },
    },
    {
      transform: [{ filter: "datum.kind == 'base'" }],
      mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: { y: { field: 'mean', type: 'quantitative' }, color },
    },
  ];
}

/**
 * The report's charts as Vega-Lite specs: (a) Avg accuracy against the training step per row, mean over seeds with
 * the seeds' min–max as a band and Base as a dashed line; (b) the same per benchmark as small multiples;
 * (c) training dynamics per row, averaged over seeds, smoothed by a trailing moving average and thinned; (d) the
 * credit/* metrics the same way, each beside what uniform credit gives.
 * Charts with nothing to draw (no done training row, no dynamics key) are left out.
 */
export function chartSpecs(records: SweepRecords): ChartSpec[] {
  const groups = rowGroups(records);
  const colour = colourScale(groups);
  const out: ChartSpec[] = [];
  const seeds = seedsNote(groups);

  const avg = curvePoints(groups, 'avg');
  if (avg.length > 0) {
    const title = 'Convergence: Avg accuracy over training';
    out.push({
      name: 'convergence',
      title,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: title, subtitle: `mean over seeds (line), min–max over seeds (band); ${seeds}; Base dashed; benchmark mean = the paper's Avg` },
        width: 560,
        height: 300,
        config: CONFIG,
        data: { values: avg },
        layer: convergenceLayers(colour, 'Avg accuracy (%)'),
      },
    });
  }

  const perBenchmark = REPORT_BENCHMARKS.flatMap((b) => curvePoints(groups, b));
  if (perBenchmark.length > 0) {
    const title = 'Convergence per benchmark';
    out.push({
      name: 'convergence-benchmarks',
      title,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: { text: title, subtitle: `accuracy (%) per benchmark: mean over seeds, min–max band; ${seeds}; Base dashed; y axes independent` },
        config: CONFIG,
        data: { values: perBenchmark },
        facet: { field: 'benchmark', type: 'nominal', title: null, sort: REPORT_BENCHMARKS.map((b) => COLUMN_LABELS[b]) },
        columns: 3,
        spec: {
          width: 260,
          height: 170,
          layer: convergenceLayers(colour, 'Accuracy (%)'),
        },
        // Every panel gets its own axes: a panel above an empty slot would otherwise have no step axis.
        resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
      },
    });
  }

  // Training rows only: the base checkpoint has no training steps.
  const trainColour = { domain: colour.domain.filter((_, i) => groups[i]!.method !== 'base'), range: colour.range.filter((_, i) => groups[i]!.method !== 'base') };
  const dyn = dynamicsPoints(groups);
  if (dyn.values.length > 0)
    out.push(panelLines('dynamics', 'Training dynamics', `per training step, mean over seeds; trailing moving average over ${dyn.window} step${dyn.window === 1 ? '' : 's'}, ${dyn.stride === 1 ? 'every step drawn' : `a point every ${dyn.stride} steps`}; ${seeds}; panels without data are omitted`, dyn, DYNAMICS_PANELS, trainColour));
  const credit = dynamicsPoints(groups, CREDIT_PANELS);
  if (credit.values.length > 0) {
    const series = Object.values(CREDIT_SERIES);
    out.push(
      panelLines(
        'credit',
        'Where the credit went, over training',
        `credit/* per training step (deep world), mean over seeds; solid: the method's credit, dashed: uniform credit over the same responses; trailing moving average over ${credit.window} step${credit.window === 1 ? '' : 's'}; ${seeds}; panels without data are omitted`,
        credit,
        CREDIT_PANELS,
        trainColour,
        { strokeDash: { field: 'series', type: 'nominal', title: 'Line', scale: { domain: series, range: [[1, 0], [5, 3]] }, sort: series } },
      ),
    );
  }
  return out;
}

type PanelPoints = ReturnType<typeof dynamicsPoints>;

/** Per-step lines of the training rows, one facet per panel in `panelList`'s order (panels without data left out). */
function panelLines(name: string, title: string, subtitle: string, points: PanelPoints, panelList: readonly Panel[], trainColour: { domain: string[]; range: string[] }, extraEncoding: Record<string, unknown> = {}): ChartSpec {
  return {
    name,
    title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: title, subtitle },
      config: CONFIG,
      data: { values: points.values },
      facet: { field: 'panel', type: 'nominal', title: null, sort: [...new Set(panelList.map((p) => p.panel))].filter((p) => points.panels.includes(p)) },
      columns: 3,
      spec: {
        width: 260,
        height: 150,
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'Training step' },
          y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
          color: { field: 'label', type: 'nominal', title: 'Method', scale: trainColour, sort: trainColour.domain },
          ...extraEncoding,
        },
      },
      // Every panel gets its own axes: a panel above an empty slot would otherwise have no step axis.
      resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
    },
  };
}

/**
 * Window and stride of the dynamics panels for runs of `steps` steps: about a 40th of the run, at least 3 steps
 * (per-step metrics of a small batch are noisy), none below 20 steps; 600 steps → window 15, a point every 4 steps.
 */
export function dynamicsSmoothing(steps: number): { window: number; stride: number } {
  const window = steps < 20 ? 1 : Math.max(3, Math.round(steps / 40));
  return { window, stride: Math.max(1, Math.ceil(steps / MAX_POINTS_PER_LINE)) };
}

export interface DynamicsPoint {
  panel: string;
  label: string;
  step: number;
  value: number;
  series?: string;
}

/** Per row and panel: the seed mean at each step, its trailing moving average, every `stride`-th step (and the last). */
export function dynamicsPoints(groups: ReportRow[], panelList: readonly Panel[] = DYNAMICS_PANELS): { values: DynamicsPoint[]; panels: string[]; window: number; stride: number } {
  const training = groups.filter((g) => g.method !== 'base');
  let maxStep = 0;
  for (const g of training) for (const c of g.cells) for (const d of c.dynamics) maxStep = Math.max(maxStep, d.step);
  const { window, stride } = dynamicsSmoothing(maxStep);
  const values: DynamicsPoint[] = [];
  const panels = new Set<string>();
  for (const { panel, keys, scale = 1, series: line } of panelList) {
    for (const g of training) {
      const byStep = new Map<number, number[]>();
      for (const c of g.cells) {
        for (const d of c.dynamics) {
          let sum = 0;
          let any = false;
          for (const k of keys) {
            const v = d.values[k];
            if (typeof v === 'number' && Number.isFinite(v)) {
              sum += v;
              any = true;
            }
          }
          if (!any) continue;
          const list = byStep.get(d.step);
          if (list) list.push(scale * sum);
          else byStep.set(d.step, [scale * sum]);
        }
      }
      if (byStep.size === 0) continue;
      panels.add(panel);
      const steps = [...byStep.keys()].sort((a, b) => a - b);
      const series = steps.map((s) => mean(byStep.get(s)!));
      let acc = 0;
      for (let i = 0; i < series.length; i++) {
        acc += series[i]!;
        if (i >= window) acc -= series[i - window]!;
        if (i % stride !== 0 && i !== series.length - 1) continue;
        values.push({ panel, label: g.label, step: steps[i]!, value: round(acc / Math.min(i + 1, window)), ...(line === undefined ? {} : { series: line }) });
      }
    }
  }
  return { values, panels: [...panels], window, stride };
}

/**
 * vega numbers its clip paths and gradients with process-wide counters, so the same chart rendered twice differs,
 * and two charts inlined in one HTML page would share ids. Each id becomes `<chart>-<n>` in order of appearance.
 */
function renameIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\bid="([^"]+)"/g)) if (!ids.has(m[1]!)) ids.set(m[1]!, `${prefix}-${ids.size + 1}`);
  if (ids.size === 0) return svg;
  return svg.replace(/\bid="([^"]+)"|url\(#([^)]+)\)|href="#([^"]+)"/g, (all, id?: string, url?: string, href?: string) => {
    if (id !== undefined) return `id="${ids.get(id) ?? id}"`;
    if (url !== undefined) return ids.has(url) ? `url(#${ids.get(url)})` : all;
    return ids.has(href!) ? `href="#${ids.get(href!)}"` : all;
  });
}

/** Compiles and renders one spec to an SVG string (headless: no DOM, no canvas; inline data only). */
export async function renderSvg(chart: ChartSpec): Promise<string> {
  const [{ Error: LogError, logger, parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  // vega-lite warns about its own layout passes ("Maximum optimization runs reached"); errors still throw.
  const vgSpec = compile(chart.spec, { logger: logger(LogError) }).spec;
  const view = new View(parse(vgSpec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return renameIds(svg, chart.name);
  } finally {
    view.finalize();
  }
}

export async function renderCharts(records: SweepRecords): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const c of chartSpecs(records)) out.push({ name: c.name, title: c.title, svg: await renderSvg(c) });
  return out;
}

/** SVG → PNG at 2× (144 dpi) so the PNG stays sharp when dropped into a paper or a slide. */
export async function svgToPng(svg: string): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg), { density: 144 }).png({ compressionLevel: 9 }).toBuffer();
}

/** Writes `<name>.svg` and `<name>.png` of each rendered chart into `outDir` (atomically); returns the paths. */
export async function saveCharts(charts: RenderedChart[], outDir: string): Promise<string[]> {
  ensureDir(outDir);
  // libvips rasterises on its own threads: all charts at once, then written one by one.
  const pngs = await Promise.all(charts.map((c) => svgToPng(c.svg)));
  const files: string[] = [];
  charts.forEach((c, i) => {
    const svgFile = join(outDir, `${c.name}.svg`);
    const pngFile = join(outDir, `${c.name}.png`);
    writeFileAtomic(svgFile, c.svg);
    writeFileAtomic(pngFile, pngs[i]!);
    files.push(svgFile, pngFile);
  });
  return files;
}

/** Renders every chart of the records and writes SVG + PNG into `outDir`; returns the paths written. */
export async function writeCharts(records: SweepRecords, outDir: string): Promise<string[]> {
  return saveCharts(await renderCharts(records), outDir);
}
