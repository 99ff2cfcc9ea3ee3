// The registry's rules: every benchmark is found by its name, declares a distinct report column (label and rank)
// and what `benchmarks` shows of it, and the paper's five come first, in the mini suite's order, with their
// columns in the paper's Table 2 order. The tests count the registry, so they pass with a benchmark added.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchmarkNames, benchmarks, getBenchmark, isBenchmarkName, MINI_BENCHMARKS, miniSpec, reportColumns } from './index.ts';

/** The paper's benchmarks in the registry's (and the mini suite's) order; a new benchmark is registered after them. */
const PAPER_BENCHMARKS = ['mmmu', 'mathvista', 'mathvision', 'wemath', 'zerobench'];

test("registry: the paper's benchmarks first, each found by its own name; getBenchmark's error lists the known names", () => {
  assert.deepEqual(benchmarkNames.slice(0, PAPER_BENCHMARKS.length), PAPER_BENCHMARKS);
  assert.equal(benchmarkNames.length, Object.keys(benchmarks).length);
  for (const name of benchmarkNames) assert.equal(getBenchmark(name).name, name, 'its key is its declared name');
  assert.deepEqual(MINI_BENCHMARKS, benchmarkNames, 'every registered benchmark has a mini version, in registry order');
  assert.throws(() => getBenchmark('x'), { message: `unknown benchmark 'x' (known: ${benchmarkNames.join(', ')})` });
  assert.equal(isBenchmarkName('toString'), false);
});

test("every benchmark declares a distinct column label and rank, a title, a headline metric, its layouts and a mini spec", () => {
  const labels = benchmarkNames.map((n) => getBenchmark(n).label);
  assert.equal(new Set(labels).size, labels.length, `labels: ${labels.join(', ')}`);
  const ranks = benchmarkNames.map((n) => getBenchmark(n).reportRank).filter((r) => r !== undefined);
  assert.equal(new Set(ranks).size, ranks.length, `ranks: ${ranks.join(', ')}`);
  for (const name of benchmarkNames) {
    const b = getBenchmark(name);
    assert.ok(b.title.length > 10, `${name} title`);
    assert.ok(b.headline.metric.length > 0, `${name} headline`);
    assert.ok(b.layouts.length > 0, `${name} layouts`);
    assert.ok(b.splits.length > 0, `${name} splits`);
    assert.equal(miniSpec(name), b.mini);
  }
});

test("report columns: the paper's Table 2 order for its five, then the others in registry order", () => {
  assert.deepEqual(reportColumns.slice(0, 5), ['mmmu', 'mathvista', 'mathvision', 'zerobench', 'wemath']);
  assert.deepEqual([...reportColumns].sort(), [...benchmarkNames].sort());
  assert.deepEqual(
    PAPER_BENCHMARKS.map((n) => getBenchmark(n).label),
    ['MMMU', 'MathVista', 'MathVision', 'WeMath', 'ZeroBench'],
  );
});

test("the RL reward is the official verdict, except MMMU's random credit for an unparseable answer", async () => {
  const { miniRows, miniSplitName } = await import('./mini/build.ts');
  for (const name of benchmarkNames) {
    const b = getBenchmark(name);
    const split = miniSplitName(name, 'test');
    const item = b.itemFromRow((await miniRows(name, split, 1, 1))[0]!, split);
    assert.equal(b.reward(item, b.mini.answerStatement(item.answer)), 1, `${name}: the gold answer earns 1`);
  }
  const mmmu = getBenchmark('mmmu');
  const mc = (await miniRows('mmmu', 'validation', 20, 1)).map((r) => mmmu.itemFromRow(r, 'validation')).find((i) => (i as { questionType?: string }).questionType === 'multiple-choice');
  assert.ok(mc, 'a multiple-choice mini item');
  assert.equal(mmmu.reward(mc, 'no idea'), 0, 'no random credit in the reward');
  assert.equal(mmmu.score(mc, 'no idea').extractor, 'random_fallback', 'the official verdict keeps it');
});
