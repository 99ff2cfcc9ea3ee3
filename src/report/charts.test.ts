// The charts' specs as data (what each chart plots, from hand-built records) and their rendering (deterministic SVG
// with marks, a PNG from it), without files or a browser; test/report-html.test.ts covers the page in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartSpecs, curvePoints, dynamicsPoints, dynamicsSmoothing, renderSvg, rowGroups, svgToPng } from './charts.ts';
import type { CellRecord, CellState, Evaluation, SweepRecords } from './types.ts';
import { METHOD_LABELS, ROW_ORDER } from './tables.ts';

function evaluation(step: number, avg: number): Evaluation {
  // Every benchmark at avg ± a fixed offset, so per-benchmark points are predictable too.
  return { step, avg, pooled: avg, perBenchmark: { mmmu: avg + 0.1, mathvista: avg, mathvision: avg, zerobench: avg - 0.1, wemath: avg } };
}

function cell(row: string, method: string, seed: number, evals: [number, number][], dynamics: CellRecord['dynamics'] = [], state: CellState = 'done'): CellRecord {
  return {
    id: `${row}/seed-${seed}`,
    row,
    method,
    override: row === method ? null : row.slice(method.length + 1),
    seed,
    dir: `/nowhere/${row}/seed-${seed}`,
    state,
    steps: 4,
    evaluations: evals.map(([s, a]) => evaluation(s, a)),
    dynamics,
    items: () => null,
    itemGroups: () => null,
  };
}

function records(): SweepRecords {
  const dyn = (scale: number): CellRecord['dynamics'] =>
    [1, 2, 3, 4].map((step) => ({
      step,
      values: { 'critic/score/mean': scale * step, 'grpo_opsd/stgca_clip_low_ratio': 0.01 * step, 'grpo_opsd/stgca_clip_high_ratio': 0.02 },
    }));
  return {
    dir: '/nowhere',
    name: 'unit',
    cells: [
      // Cells out of order on purpose: charts follow the tables' row order, not the records'.
      cell('rlsd', 'rlsd', 2, [[0, 0.3], [2, 0.5], [4, 0.7]], dyn(2)),
      cell('rlsd', 'rlsd', 1, [[0, 0.3], [2, 0.4], [4, 0.5]], dyn(1)),
      cell('base', 'base', 1, [[0, 0.3]]),
      // Seed 2 lacks step 2: that step is left out of GRPO's line (never a mean over a different set of seeds).
      cell('grpo', 'grpo', 1, [[0, 0.3], [2, 0.35], [4, 0.4]]),
      cell('grpo', 'grpo', 2, [[0, 0.3], [4, 0.6]]),
      cell('sdpo', 'sdpo', 1, [[0, 0.3], [2, 0.9]], [], 'failed'),
    ],
  };
}

test('chart data: seed mean and min–max per step, Base as its own point, not-done cells left out', () => {
  const groups = rowGroups(records());
  assert.deepEqual(
    groups.map((g) => g.label),
    ['Base', 'GRPO', 'RLSD'],
  );
  const pts = curvePoints(groups, 'avg');
  const rlsd = pts.filter((p) => p.label === 'RLSD');
  assert.deepEqual(
    rlsd.map((p) => [p.step, p.mean, p.lo, p.hi, p.seeds]),
    [
      [0, 30, 30, 30, 2],
      [2, 45, 40, 50, 2],
      [4, 60, 50, 70, 2],
    ],
  );
  assert.deepEqual(
    pts.filter((p) => p.label === 'GRPO').map((p) => p.step),
    [0, 4],
  );
  assert.deepEqual(
    pts.filter((p) => p.kind === 'base').map((p) => [p.label, p.mean]),
    [['Base', 30]],
  );
  assert.ok(!pts.some((p) => p.label.startsWith('SDPO')), 'a failed cell is not charted');
  // Per benchmark, in percent, rounded (no float noise such as 40.00000000000001 in the SVG).
  assert.deepEqual(
    curvePoints(groups, 'mmmu')
      .filter((p) => p.label === 'RLSD')
      .map((p) => p.mean),
    [40, 55, 70],
  );
});

test('dynamics: seed mean, clip ratio = low + high, trailing moving average, panels without data omitted', () => {
  const d = dynamicsPoints(rowGroups(records()));
  assert.deepEqual(d.panels, ['Reward (%, critic/score/mean)', 'RLSD weight clip ratio (%, low + high)']);
  assert.equal(d.window, 1, 'runs under 20 steps are not smoothed');
  const reward = d.values.filter((v) => v.panel.startsWith('Reward')).map((v) => [v.step, v.value]);
  // Seeds 1 and 2 log step × 1 and step × 2: their mean is 1.5 × step, drawn in percent.
  assert.deepEqual(reward, [
    [1, 150],
    [2, 300],
    [3, 450],
    [4, 600],
  ]);
  const clip = d.values.filter((v) => v.panel.startsWith('RLSD weight')).map((v) => v.value);
  assert.deepEqual(clip, [3, 4, 5, 6]);
  // 30 steps: a trailing mean over 3 steps (shorter at the start), every step drawn.
  const ramp = cell('grpo', 'grpo', 1, [[0, 0.3], [30, 0.4]], Array.from({ length: 30 }, (_, i) => ({ step: i + 1, values: { 'actor/entropy': i + 1 } })));
  const smooth = dynamicsPoints(rowGroups({ dir: '/nowhere', name: 'ramp', cells: [ramp] }));
  assert.equal(smooth.window, 3);
  assert.deepEqual(
    smooth.values.slice(0, 4).map((v) => [v.step, v.value]),
    [
      [1, 1],
      [2, 1.5],
      [3, 2],
      [4, 3],
    ],
  );
  assert.deepEqual(smooth.values.at(-1), { panel: 'Entropy (actor/entropy)', label: 'GRPO', step: 30, value: 29 });
  assert.deepEqual(dynamicsSmoothing(600), { window: 15, stride: 4 });
  assert.deepEqual(dynamicsSmoothing(100), { window: 3, stride: 1 });
});

test('chartSpecs: the three charts, with inline data only', () => {
  const specs = chartSpecs(records());
  assert.deepEqual(
    specs.map((s) => s.name),
    ['convergence', 'convergence-benchmarks', 'dynamics'],
  );
  for (const s of specs) {
    const data = (s.spec as { data?: { values?: unknown[]; url?: string } }).data;
    assert.ok(Array.isArray(data?.values) && data.values.length > 0, `${s.name}: inline values`);
    assert.equal(data?.url, undefined, `${s.name}: nothing loaded`);
  }
  // No done training row: no chart at all rather than empty axes.
  assert.deepEqual(chartSpecs({ dir: '/nowhere', name: 'empty', cells: [cell('base', 'base', 1, [[0, 0.3]])] }), []);
});

test('rendering: byte-identical SVG for the same records, ids unique per chart, marks drawn, PNG from it', async () => {
  const [a1, b1] = chartSpecs(records());
  const first = await renderSvg(a1!);
  await renderSvg(b1!); // vega's global id counters move on between renders
  const again = await renderSvg(chartSpecs(records())[0]!);
  assert.equal(again, first);
  assert.match(first, /^<svg [^>]*width="\d+" height="\d+"/);
  assert.match(first, /class="mark-line role-mark/);
  assert.match(first, /class="mark-area role-mark/);
  assert.match(first, /Training step/);
  assert.match(first, /Avg accuracy \(%\)/);
  for (const m of first.matchAll(/\bid="([^"]+)"/g)) assert.match(m[1]!, /^convergence-\d+$/);
  const png = await svgToPng(first);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = Number(/width="(\d+)"/.exec(first)![1]);
  assert.equal(png.readUInt32BE(16), 2 * width, 'rasterised at 2×');
});

/** sRGB hex → linear RGB. */
function linear(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
}

/** Protanopia and deuteranopia as Viénot, Brettel & Mollon (1999) simulate them, in linear RGB. */
const DICHROMACY: Record<string, number[][]> = {
  protanopia: [[0.11238, 0.88762, 0], [0.11238, 0.88762, 0], [0.00401, -0.00401, 1]],
  deuteranopia: [[0.29275, 0.70725, 0], [0.29275, 0.70725, 0], [-0.02234, 0.02234, 1]],
};

test('palette: the methods keep Okabe–Ito colours that stay apart for colour-blind readers, GRPO and GRPO+OPSD above all', () => {
  const okabeIto = ['#e69f00', '#56b4e9', '#009e73', '#f0e442', '#0072b2', '#d55e00', '#cc79a7', '#000000'];
  const cells = ['base', 'grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd'].map((m) => cell(m, m, 1, [[0, 0.3], [4, 0.5]]));
  const spec = chartSpecs({ dir: '/nowhere', name: 'palette', cells })[0]!.spec as unknown as { layer: { encoding: { color?: { scale?: { domain: string[]; range: string[] } } } }[] };
  const scale = spec.layer[1]!.encoding.color!.scale!;
  const colour = Object.fromEntries(scale.domain.map((label, i) => [label, scale.range[i]!.toLowerCase()]));
  for (const label of ['GRPO', 'OPSD', 'SDPO', 'GRPO+OPSD', 'RLSD']) assert.ok(okabeIto.includes(colour[label]!), `${label}: ${colour[label]} is not an Okabe–Ito colour`);
  const methods = ['GRPO', 'OPSD', 'SDPO', 'GRPO+OPSD', 'RLSD'];
  for (const [kind, m] of Object.entries(DICHROMACY)) {
    const seen = (hex: string): number[] => m.map((row) => row.reduce((acc, w, j) => acc + w * linear(hex)[j]!, 0));
    for (const a of methods)
      for (const b of methods) {
        if (a >= b) continue;
        const d = Math.hypot(...seen(colour[a]!).map((x, j) => x - seen(colour[b]!)[j]!));
        // GRPO+OPSD is GRPO plus a term: the two lines are read side by side, so they are kept furthest apart.
        const least = a === 'GRPO' && b === 'GRPO+OPSD' ? 0.25 : 0.1;
        assert.ok(d > least, `${a} and ${b} look alike under ${kind} (distance ${d.toFixed(3)})`);
      }
  }
});

test('the paper\'s methods keep their labels, row order and colours, now declared by each method', () => {
  const cells = ['rlsd', 'hybrid', 'sdpo', 'opsd', 'grpo', 'base'].map((m) => cell(m, m, 1, [[0, 0.3], [4, 0.5]]));
  const spec = chartSpecs({ dir: '/nowhere', name: 'palette', cells })[0]!.spec as unknown as { layer: { encoding: { color?: { scale?: { domain: string[]; range: string[] } } } }[] };
  const scale = spec.layer[1]!.encoding.color!.scale!;
  assert.deepEqual(scale.domain, ['Base', 'GRPO', 'OPSD', 'SDPO', 'GRPO+OPSD', 'RLSD']);
  assert.deepEqual(scale.range, ['#888888', '#0072B2', '#E69F00', '#CC79A7', '#009E73', '#D55E00']);
  const paper = ['base', 'grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd'];
  assert.deepEqual(ROW_ORDER.filter((m) => paper.includes(m)), paper);
  assert.deepEqual(Object.fromEntries(paper.map((m) => [m, METHOD_LABELS[m]])), { base: 'Base', grpo: 'GRPO', opsd: 'OPSD', sdpo: 'SDPO', hybrid: 'GRPO+OPSD', rlsd: 'RLSD' });
});
