// A benchmark is one folder plus one registry line (docs/guides/add-a-benchmark.md), proved on a copy of the tree:
// ZeroBench's folder copied as ZeroTwo (its own name, title and report label, no report rank; its tests left out, as
// they test ZeroBench's exports), one line added to benchmarks/index.ts (with its import), and nothing else — then
// `benchmarks` lists it, `eval` on the mini suite evaluates it, a 2-step `train` evaluates it at every step and
// `report` shows its column, and the tests that count the registry pass with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyTree, replaceOnce, runCopy, testCopy } from './tree-copy.ts';

/** The one new folder: ZeroBench's, as ZeroTwo, and its registry line. */
function addZeroTwo(root: string): void {
  const folder = join(root, 'benchmarks', 'zerotwo');
  cpSync(join(root, 'benchmarks', 'zerobench'), folder, { recursive: true });
  rmSync(join(folder, 'zerobench.test.ts'));
  let text = readFileSync(join(folder, 'index.ts'), 'utf8');
  text = replaceOnce(text, 'export const zerobench = defineBenchmark<ZeroBenchItem>({', 'export const zerotwo = defineBenchmark<ZeroBenchItem>({');
  text = replaceOnce(text, "  name: 'zerobench',", "  name: 'zerotwo',");
  text = replaceOnce(text, /  title: .*,/, "  title: \"ZeroTwo: ZeroBench's questions and rules under a second name\",");
  text = replaceOnce(text, "  label: 'ZeroBench',", "  label: 'ZeroTwo',");
  text = replaceOnce(text, '  reportRank: 3,\n', '');
  writeFileSync(join(folder, 'index.ts'), text);
  let registry = readFileSync(join(root, 'benchmarks', 'index.ts'), 'utf8');
  registry = replaceOnce(registry, "import { zerobench } from './zerobench/index.ts';\n", "import { zerobench } from './zerobench/index.ts';\nimport { zerotwo } from './zerotwo/index.ts';\n");
  registry = replaceOnce(registry, '{ mmmu, mathvista, mathvision, wemath, zerobench };', '{ mmmu, mathvista, mathvision, wemath, zerobench, zerotwo };');
  writeFileSync(join(root, 'benchmarks', 'index.ts'), registry);
}

const NO_DATA = { env: { RLSD_BENCH_DATA: undefined } };
const TINY = ['--steps', '2', '--prompts', '2', '--samples', '2', '--eval-items', '2', '--train-items', '4', '--eval-schedule', 'every:1'];

test('a new benchmark from one folder and its registry line: benchmarks, eval, train and report show it with its label', () => {
  const root = copyTree('rlsd-add-benchmark-');
  try {
    addZeroTwo(root);

    const listed = runCopy(root, ['benchmarks', '--verbose'], NO_DATA);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^zerotwo {5}splits zerobench, zerobench_subquestions; headline pass@1; mini yes; data mini$/m);
    assert.match(listed.stdout, /^ +ZeroTwo: ZeroBench's questions and rules under a second name$/m);
    assert.match(listed.stdout, /^ +metrics: pass@1 \(headline\), .* — benchmarks\/zerotwo\/METRICS\.md$/m);
    assert.match(listed.stdout, /^ {2}zerotwo {5}grouped 100 %; /m, 'the mini-2 suite lists it');
    const unknown = runCopy(root, ['eval', '--benchmarks', 'zerothree', '--mini-items', '1'], NO_DATA);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown benchmark 'zerothree' \(known: mmmu, mathvista, mathvision, wemath, zerobench, zerotwo\)/);

    const evalOut = join(root, 'eval');
    const evaluated = runCopy(root, ['eval', '--benchmarks', 'zerobench,zerotwo', '--mini-items', '3', '--out', evalOut], NO_DATA);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const row = /^zerotwo\s+test\s+3\s+pass@1\s+(\d+\.\d\d)$/m.exec(evaluated.stdout);
    assert.ok(row, evaluated.stdout);
    const results = JSON.parse(readFileSync(join(evalOut, 'zerotwo', 'results.json'), 'utf8')) as { metrics: Record<string, number> };
    assert.equal(row[1], (100 * results.metrics['pass@1']!).toFixed(2));
    const all = JSON.parse(readFileSync(join(evalOut, 'results.json'), 'utf8')) as { average: { metric: string } };
    assert.equal(all.average.metric, "unweighted mean of the benchmarks' headline metrics: zerobench pass@1, zerotwo pass@1");

    // Training's held-out evaluation takes every registered mini benchmark: the run's records carry its column.
    const runs = join(root, 'runs');
    const trained = runCopy(root, ['train', '--method', 'grpo', '--out', join(runs, 'grpo', 'seed-1'), ...TINY], NO_DATA);
    assert.equal(trained.code, 0, trained.stderr);
    const metrics = readFileSync(join(runs, 'grpo', 'seed-1', 'metrics.jsonl'), 'utf8');
    assert.match(metrics, /"val-core\/zerotwo\/acc\/mean@1":/);

    const reported = runCopy(root, ['report', runs]);
    assert.equal(reported.code, 0, reported.stderr);
    const header = /^\| Method \| +n \| step\(s\) \|.*$/m.exec(reported.stdout);
    assert.ok(header, reported.stdout);
    const columns = header[0].split('|').map((c) => c.trim());
    assert.deepEqual(columns.slice(columns.indexOf('MMMU'), columns.indexOf('Avg') + 1), ['MMMU', 'MathVista', 'MathVision', 'ZeroBench', 'WeMath', 'ZeroTwo', 'Avg'], 'its column after the ranked five');
    assert.match(reported.stdout, /Avg: the unweighted mean of the six benchmarks/);
    const accuracy = readFileSync(join(runs, 'report', 'accuracy.md'), 'utf8');
    assert.match(accuracy, /\| +ZeroTwo \|/);

    // The tests that count the registry pass with it in.
    const unit = testCopy(root, [
      'benchmarks/index.test.ts',
      'src/benchmark-info.test.ts',
      'benchmarks/mini/build.test.ts',
      'benchmarks/mini/formats.test.ts',
      'benchmarks/mini/scoring.test.ts',
      'src/report/tables.test.ts',
      'src/report/charts.test.ts',
    ]);
    assert.equal(unit.code, 0, unit.failures);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
