// A method is one file plus one registry line (docs/guides/add-a-method.md), proved on a copy of the tree: GRPO's
// file copied as Dr.GRPO (its own name, label, rank, colour; no tuned rate), one line added to methods/index.ts
// (with its import), and nothing else — then `methods`, train's --help, a 2-step `train`, a one-cell sweep and
// `report` all show it, and the tests that count the registry pass with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorLines } from './fixtures.ts';
import { copyTree, replaceOnce, runCopy, testCopy } from './tree-copy.ts';

/** The one new file: GRPO's, as Dr.GRPO (no std division), with its own name, label, rank and colour and no tuned rate. */
function addDrGrpo(root: string): void {
  let text = readFileSync(join(root, 'methods', 'grpo.ts'), 'utf8');
  text = replaceOnce(text, 'export const grpo: Method<GrpoConfig> = {', 'export const drgrpo: Method<GrpoConfig> = {');
  text = replaceOnce(text, "  name: 'grpo',", "  name: 'drgrpo',");
  text = replaceOnce(text, /  summary: '.*',/, "  summary: 'Dr.GRPO: GRPO without the std division (r − mean)',");
  text = replaceOnce(text, "  label: 'GRPO',", "  label: 'Dr.GRPO',");
  text = replaceOnce(text, '  reportRank: 1,', '  reportRank: 1.5,');
  text = replaceOnce(text, /  colour: .*,/, '  colour: OKABE_ITO.skyBlue,');
  text = replaceOnce(text, '  recommendedLr: TUNED_LR.grpo,\n', '');
  text = replaceOnce(text, "  recommendedLrBySuite: { 'mini-2': TUNED_LR_MINI2.grpo },\n", '');
  text = replaceOnce(text, "import { TUNED_LR, TUNED_LR_MINI2 } from './tuned-lr.ts';\n", '');
  text = replaceOnce(text, /(  stdNorm: \{\n    default: )true,/, '$1false,');
  writeFileSync(join(root, 'methods', 'drgrpo.ts'), text);
  let registry = readFileSync(join(root, 'methods', 'index.ts'), 'utf8');
  registry = replaceOnce(registry, "import { sdpo } from './sdpo.ts';\n", "import { sdpo } from './sdpo.ts';\nimport { drgrpo } from './drgrpo.ts';\n");
  registry = replaceOnce(registry, '{ base, grpo, opsd, hybrid, rlsd, sdpo };', '{ base, grpo, opsd, hybrid, rlsd, sdpo, drgrpo };');
  writeFileSync(join(root, 'methods', 'index.ts'), registry);
}

const TINY = ['--steps', '2', '--prompts', '2', '--samples', '2', '--eval-items', '2', '--train-items', '4', '--eval-schedule', 'every:1'];

test('a new method from two files: its file and its registry line; methods, train, a sweep and report show it with its label', () => {
  const root = copyTree('rlsd-add-method-');
  try {
    addDrGrpo(root);

    const listed = runCopy(root, ['methods', '--verbose']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^drgrpo {2}Dr\.GRPO: GRPO without the std division/m);
    assert.match(listed.stdout, /^ +learning rate +1e-4 +train's default --lr: the method declares no tuned rate/m);
    assert.match(listed.stdout, /^ +stdNorm=false /m);

    const help = runCopy(root, ['train', '--help'], { raw: true });
    assert.match(help.stdout, /--method .*base \| grpo \| opsd \| hybrid \| rlsd \| sdpo \| drgrpo/);
    const unknown = runCopy(root, ['train', '--method', 'ppo']);
    assert.deepEqual(errorLines(unknown.stderr), ["rlsd-bench: error: unknown method 'ppo' (known: base, grpo, opsd, hybrid, rlsd, sdpo, drgrpo)"]);

    const run = join(root, 'run');
    const trained = runCopy(root, ['train', '--method', 'drgrpo', '--out', run, ...TINY]);
    assert.equal(trained.code, 0, trained.stderr);
    const notices = trained.stderr.split('\n').filter((l) => l.includes('declares no tuned learning rate'));
    assert.deepEqual(notices, ["rlsd-bench: note: method 'drgrpo' declares no tuned learning rate: training at --lr 1e-4 (train's default --lr: the method declares no tuned rate (sweep --preset tuning finds one))"]);
    const runJson = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as { config: { method: string; lr: number; methodConfig?: Record<string, unknown> } };
    assert.equal(runJson.config.method, 'drgrpo');
    assert.equal(runJson.config.lr, 1e-4);

    const config = join(root, 'one.yaml');
    writeFileSync(config, 'name: one\nmethods: [drgrpo]\nseeds: [1]\ntrain: { steps: 2, prompts: 2, samples: 2, eval-items: 2, train-items: 4, eval-schedule: every:1 }\n');
    const out = join(root, 'sweep');
    const swept = runCopy(root, ['sweep', config, '--out', out, '--workers', '1', '--backend', 'wasm']);
    assert.equal(swept.code, 0, swept.stderr);
    assert.match(swept.stdout, /^sweep one: 1 cells — 1 of 1 done, 0 failed this run/m);
    assert.match(swept.stdout, /^\| Dr\.GRPO /m);

    const reported = runCopy(root, ['report', out]);
    assert.equal(reported.code, 0, reported.stderr);
    assert.match(reported.stdout, /^\| Dr\.GRPO /m);
    const accuracy = readFileSync(join(out, 'report', 'accuracy.md'), 'utf8');
    assert.match(accuracy, /^\| Dr\.GRPO /m);
    const chart = readFileSync(join(out, 'report', 'charts', 'convergence.svg'), 'utf8');
    assert.ok(chart.includes('Dr.GRPO'), 'the chart legend names it');
    assert.ok(chart.toUpperCase().includes('#56B4E9'), 'in its declared colour');

    // The tests of the registry, the presets and the palette count the registry: they pass with the new method in it.
    const unit = testCopy(root, ['methods/index.test.ts', 'methods/describe.test.ts', 'src/sweep/config.test.ts', 'src/report/charts.test.ts']);
    assert.equal(unit.code, 0, unit.failures);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
