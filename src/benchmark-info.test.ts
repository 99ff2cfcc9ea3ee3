// One headline per benchmark: the metric `benchmarks` names is the one eval's table and Avg, results.json's average
// and the report's columns use, and every caption that shows WeMath says which WeMath metric it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchmarkNames, getBenchmark } from '../benchmarks/index.ts';
import { miniRows, miniSplitName } from '../benchmarks/mini/build.ts';
import { headline } from './headline-metrics.ts';
import { benchmarkAverage, type BenchmarkResult } from './eval.ts';
import { accuracyLatex, paperMarkdown } from './report/formats.ts';
import { paperHtmlTable } from './report/html.ts';
import { WEMATH_PAPER_NOTE } from './report/paper.ts';
import { accuracyTable } from './report/tables.ts';
import { REPORT_BENCHMARKS, type SweepRecords } from './report/types.ts';

/** A benchmark's aggregate over its mini test items, each answered with the gold answer or a wrong one. */
async function miniMetrics(name: (typeof benchmarkNames)[number]): Promise<Record<string, unknown>> {
  const bench = getBenchmark(name);
  const split = miniSplitName(name, 'test');
  const items = (await miniRows(name, split, 12, 1)).map((r) => bench.itemFromRow(r, split));
  return bench.aggregate(items.map((item, i) => bench.score(item, i % 2 === 0 ? `Answer: ${item.answer} {${item.answer}}` : 'no idea')));
}

test("each benchmark's headline in `benchmarks` is the metric eval's table and Avg read (WeMath: accuracy over items)", async () => {
  for (const name of benchmarkNames) {
    const metrics = await miniMetrics(name);
    const h = headline(name, metrics as never);
    assert.equal(h.name, getBenchmark(name).headline.metric, name);
    assert.equal(typeof h.value, 'number', `${name}: its aggregate writes its declared headline metric`);
  }
  assert.equal(getBenchmark('wemath').headline.metric, 'accuracy');
  assert.ok(getBenchmark('wemath').otherMetrics.some((o) => o.startsWith('score_strict')), 'score_strict stays listed, as a secondary metric');
});

test("results.json's average names each benchmark's metric, WeMath's as accuracy over items", () => {
  const result = (benchmark: string, metrics: Record<string, number>): BenchmarkResult => ({ benchmark, metrics }) as unknown as BenchmarkResult;
  const avg = benchmarkAverage([result('mmmu', { accuracy: 0.5 }), result('wemath', { accuracy: 0.75, score_strict: 0.25 }), result('zerobench', { 'pass@1': 0.25 })]);
  assert.equal(avg.value, 0.5);
  assert.equal(avg.metric, 'unweighted mean of the benchmarks\' headline metrics: mmmu accuracy, wemath accuracy (over items, not score_strict), zerobench pass@1');
});

test('every caption beside a WeMath column says which WeMath metric it is', () => {
  const evaluation = { step: 4, perBenchmark: Object.fromEntries(REPORT_BENCHMARKS.map((b) => [b, 0.5])), avg: 0.5, pooled: 0.5 };
  const records: SweepRecords = {
    dir: '/sweep',
    name: 'unit',
    source: 'sweep.json',
    cells: [{ id: 'base/seed-1', row: 'base', method: 'base', override: null, seed: 1, dir: '/sweep/base/seed-1', state: 'done', steps: 4, evalSplit: 'test', evaluations: [evaluation], dynamics: [], items: () => null, itemGroups: () => null }],
  };
  const wemathNote = getBenchmark('wemath').headline.note!;
  assert.match(wemathNote, /^WeMath: accuracy over items/);
  assert.ok(accuracyTable(records, 'last').caption.includes(wemathNote), 'the accuracy table');
  assert.ok(accuracyLatex([accuracyTable(records, 'last')]).includes('WeMath: accuracy over items'), 'the LaTeX accuracy table');
  assert.ok(paperMarkdown().includes(WEMATH_PAPER_NOTE), "the paper's table (Markdown)");
  assert.ok(paperHtmlTable().caption?.includes(WEMATH_PAPER_NOTE), "the paper's table (HTML)");
});
