// Sweep configs without training: the presets load, the expansion into rows and cells is a golden list, and every
// refusal is one line naming the file and the key, with the wording of the rules train and the methods declare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMethod, methodNames, reportOrder } from '../../methods/index.ts';
import { expandCells, trainArgs } from './cells.ts';
import { checkSweepConfig, expandRows, formatValue, parseSweepText, readSweepConfig, sweepBase, type SweepConfig } from './config.ts';
import { parseShard, shardCells } from './run.ts';
import { describePreset, presetNames, readPreset } from './presets.ts';
import { jsonDiff } from './state.ts';
import { resolveTrainConfig } from '../train/config.ts';
import { PACKAGE_BASE } from '../paths.ts';

const check = (yaml: string): SweepConfig => checkSweepConfig(parseSweepText(yaml, 'sweep.yaml'), 'sweep.yaml');
const refuses = (yaml: string, message: string | RegExp): void => {
  assert.throws(() => check(yaml), (e: Error) => {
    assert.equal(e.message.includes('\n'), false, 'one line');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
};
const HEAD = 'name: t\nmethods: [base, grpo]\nseeds: [1]\n';

/** The registry's methods that train (five in the paper: all but base). */
const TRAINABLE = methodNames.filter((m) => getMethod(m).trains).length;

test('presets: smoke, quick and paper load, every registered method, and describe themselves; paper adds the shuffled-reward control, ablations vary one RLSD knob per row; tuning is the lr grid on validation', () => {
  assert.deepEqual(presetNames(), ['smoke', 'quick', 'paper', 'ablations', 'tuning']);
  for (const p of ['smoke', 'quick', 'paper']) {
    const c = readPreset(p);
    assert.deepEqual([...c.methods].sort(), [...methodNames].sort());
    for (const m of ['base', 'grpo', 'hybrid', 'opsd', 'rlsd', 'sdpo']) assert.ok(c.methods.includes(m), `${p}: ${m}`);
    assert.match(describePreset(p), new RegExp(`^${p}: ${methodNames.length} methods × \\d seeds? \\(\\d+ cells\\), \\d+ steps`));
  }
  const paper = expandCells(readPreset('paper'));
  assert.equal(paper.length, 1 + TRAINABLE * 3 + 3);
  assert.deepEqual(paper.filter((c) => c.override !== null).map((c) => trainArgs(c).includes('--shuffle-rewards')), [true, true, true]);
  const ablations = expandCells(readPreset('ablations'));
  assert.deepEqual([...new Set(ablations.map((c) => c.row))], ['rlsd', 'rlsd-lambdaDecaySteps=150', 'rlsd-teacher=frozen', 'rlsd-teacher=live', 'rlsd-privileged=reference', 'rlsd-negativeOnly=true']);
  for (const seed of [1, 2, 3]) assert.deepEqual(trainArgs(ablations.find((c) => c.id === `rlsd/seed-${seed}`)!), trainArgs(paper.find((c) => c.id === `rlsd/seed-${seed}`)!), `plain RLSD's seed ${seed} is the paper preset's run`);
  const tuning = readPreset('tuning');
  assert.equal(tuning.train['eval-split'], 'validation', 'tuned on validation, never on the test split');
  assert.equal(expandCells(tuning).length, TRAINABLE * 3 + 2);
  assert.throws(() => readPreset('huge'), /--preset must be smoke, quick, paper, ablations, tuning \(got 'huge'\)/);
});

test('methods: all and methods: trainable stand for the registry, in the report\'s row order', () => {
  assert.deepEqual(check('name: t\nmethods: all\nseeds: [1]\n').methods, [...reportOrder]);
  assert.deepEqual(check('name: t\nmethods: trainable\nseeds: [1]\n').methods, reportOrder.filter((m) => getMethod(m).trains));
  assert.deepEqual(reportOrder.filter((m) => ['base', 'grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd'].includes(m)), ['base', 'grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd']);
  refuses('name: t\nmethods: every\nseeds: [1]\n', 'sweep.yaml: methods: must be array');
});

test('cells: the quick preset expands to a golden list of ids, folders and train arguments', () => {
  const all = expandCells(readPreset('quick'));
  assert.deepEqual(all.map((c) => c.index), all.map((_, i) => i));
  // The paper's methods; a registered method joins them in its report rank.
  const cells = all.filter((c) => ['base', 'grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd'].includes(c.method)).map((c, index) => ({ ...c, index }));
  assert.deepEqual(
    cells.map((c) => [c.index, c.id, c.dir, c.steps]),
    [
      [0, 'base/seed-1', 'base/seed-1', 1],
      [1, 'grpo/seed-1', 'grpo/seed-1', 50],
      [2, 'opsd/seed-1', 'opsd/seed-1', 50],
      [3, 'sdpo/seed-1', 'sdpo/seed-1', 50],
      [4, 'hybrid/seed-1', 'hybrid/seed-1', 50],
      [5, 'rlsd/seed-1', 'rlsd/seed-1', 50],
    ],
  );
  assert.deepEqual(trainArgs(cells[0]!), ['--method', 'base', '--seed', '1', '--steps', '1', '--eval-schedule', '5@50,25', '--eval-items', '60', '--final-eval-items', '300']);
  assert.deepEqual(trainArgs(cells[5]!), ['--method', 'rlsd', '--seed', '1', '--steps', '50', '--eval-schedule', '5@50,25', '--eval-items', '60', '--final-eval-items', '300']);
});

test('cells: grid rows for every trainable method, overrides, method options, seeds; include_plain', () => {
  const cfg = check(`name: g
methods: [base, grpo, rlsd]
seeds: [1, 2]
train: { steps: 10, shuffle-rewards: false }
opt: { rlsd: { teacher: sync:010 } }
grid: { lr: [3e-5, 1e-4] }
overrides:
  - { name: answer-ctx, methods: [rlsd], train: { warmup: 2 }, opt: { privileged: reference } }
`);
  assert.deepEqual(cfg.opt, { rlsd: { teacher: 'sync:10' } }, 'canonical teacher regime');
  const cells = expandCells(cfg, 'g');
  assert.deepEqual(
    cells.map((c) => c.id),
    [
      'base/seed-1',
      'grpo/seed-1', 'grpo/seed-2',
      'grpo-lr=3e-5/seed-1', 'grpo-lr=3e-5/seed-2',
      'grpo-lr=1e-4/seed-1', 'grpo-lr=1e-4/seed-2',
      'rlsd/seed-1', 'rlsd/seed-2',
      'rlsd-lr=3e-5/seed-1', 'rlsd-lr=3e-5/seed-2',
      'rlsd-lr=1e-4/seed-1', 'rlsd-lr=1e-4/seed-2',
      'rlsd-answer-ctx/seed-1', 'rlsd-answer-ctx/seed-2',
    ],
  );
  const byId = (id: string) => cells.find((c) => c.id === id)!;
  assert.deepEqual(trainArgs(byId('rlsd-lr=3e-5/seed-2')), ['--method', 'rlsd', '--seed', '2', '--steps', '10', '--lr', '0.00003', '--no-shuffle-rewards', '--opt', 'teacher=sync:10']);
  assert.deepEqual(trainArgs(byId('rlsd-answer-ctx/seed-1')), ['--method', 'rlsd', '--seed', '1', '--steps', '10', '--warmup', '2', '--no-shuffle-rewards', '--opt', 'privileged=reference', '--opt', 'teacher=sync:10']);
  // A cell carries its settings as data, by TrainConfig field; its train arguments are their rendering.
  assert.deepEqual(byId('grpo-lr=1e-4/seed-1'), { index: 5, id: 'grpo-lr=1e-4/seed-1', row: 'grpo-lr=1e-4', method: 'grpo', override: 'lr=1e-4', seed: 1, dir: 'grpo-lr=1e-4/seed-1', steps: 10, settings: { seed: 1, steps: 10, lr: 1e-4, shuffleRewards: false }, methodOptions: {} });
  assert.deepEqual(trainArgs(byId('grpo-lr=1e-4/seed-1')), ['--method', 'grpo', '--seed', '1', '--steps', '10', '--lr', '0.0001', '--no-shuffle-rewards']);
  // Without the plain rows: base stays (the reference row), the grid rows remain.
  const noPlain = expandRows(check(`name: g\nmethods: [base, grpo]\nseeds: [1]\ngrid: { lr: [3e-5] }\ninclude_plain: false\n`), 'g');
  assert.deepEqual(noPlain.map((r) => r.row), ['base', 'grpo-lr=3e-5']);
  // A grid over a method option adds rows only to the methods that have it.
  const teacher = expandRows(check(`name: g\nmethods: [grpo, opsd, rlsd]\nseeds: [1]\ngrid: { teacher: [live, sync:10] }\ninclude_plain: false\n`), 'g');
  assert.deepEqual(teacher.map((r) => r.row), ['opsd-teacher=live', 'opsd-teacher=sync:10', 'rlsd-teacher=live', 'rlsd-teacher=sync:10']);
});

test('config errors: one line naming the file and the key, in the words of the rule', () => {
  refuses(`${HEAD}train: { stepz: 3 }`, /^sweep\.yaml: train\.stepz: unknown train option \(known: steps, prompts, samples, .*eval-schedule, eval-items/);
  refuses('name: t\nmethods: [base, grpo, foo]\nseeds: [1]\n', `sweep.yaml: methods[2]: unknown method 'foo' (known: ${methodNames.join(', ')})`);
  refuses(`${HEAD}train: { steps: 0 }`, 'sweep.yaml: train.steps: must be an integer in [1, 1000000] (got 0)');
  refuses(`${HEAD}train: { lr-schedule: linear }`, 'sweep.yaml: train.lr-schedule: must be constant or cosine (got "linear")');
  refuses(`${HEAD}train: { eval-items: 1000000 }`, /^sweep\.yaml: train\.eval-items: must be an integer in \[1, 20000\]/);
  refuses(`${HEAD}train: { eval-schedule: never }`, 'sweep.yaml: train.eval-schedule: a sweep needs evaluations ("never" never evaluates)');
  refuses(`${HEAD}train: { seed: 3 }`, 'sweep.yaml: train.seed: set by seeds (one cell per seed)');
  refuses(`${HEAD}train: { prompts: 16, ppo-mini-batch: 3 }`, "sweep.yaml: train: row 'base': --ppo-mini-batch 3 must divide --prompts 16 (every update sees whole groups of equal count)");
  refuses(`${HEAD}seed: 1`, 'sweep.yaml: seed: unknown key (known: name, base, methods, seeds, train, opt, grid, overrides, include_plain, slurm)');
  refuses('methods: [grpo]\nseeds: [1]\n', 'sweep.yaml: name: missing');
  refuses('name: t\nmethods: [grpo]\nseeds: [1, 1]\n', 'sweep.yaml: seeds: holds the same value twice (items 0 and 1)');
  refuses('name: t\nmethods: grpo\nseeds: [1]\n', 'sweep.yaml: methods: must be array');
  refuses(`${HEAD}opt: { grpo: { clipLow: -1 } }`, /^sweep\.yaml: opt\.grpo: option 'clipLow' of method 'grpo' must be/);
  refuses(`${HEAD}opt: { grpo: { foo: 1 } }`, /^sweep\.yaml: opt\.grpo: unknown option 'foo' for method 'grpo' \(valid: stdNorm, /);
  refuses(`${HEAD}opt: { rlsd: { teacher: sync:10 } }`, 'sweep.yaml: opt.rlsd: method \'rlsd\' is in neither methods nor an override (methods: base, grpo)');
  refuses(`${HEAD}grid: { lr: [0.1, -1] }`, 'sweep.yaml: grid.lr[1]: must be a number ≥ 0 (got -1)');
  refuses(`${HEAD}grid: { beta: [0.5] }`, /^sweep\.yaml: grid\.beta: neither a train option \(steps, .*\) nor an option of grpo/);
  refuses(`${HEAD}overrides: [{ name: x, methods: [base] }]`, "sweep.yaml: overrides[0].methods[0]: method 'base' trains nothing: its override row would equal the base row");
  refuses(`${HEAD}overrides: [{ name: x, methods: [grpo], opt: { teacher: live } }]`, /^sweep\.yaml: overrides\[0\]\.opt: unknown option 'teacher' for method 'grpo'/);
  refuses(`${HEAD}overrides: [{ name: a/b, methods: [grpo] }]`, /^sweep\.yaml: overrides\[0\]\.name: must be a name of letters/);
  refuses(`${HEAD}grid: { lr: [3e-5] }\noverrides: [{ name: lr=3e-5, methods: [grpo] }]`, "sweep.yaml: overrides[0]: row 'grpo-lr=3e-5' is also made by grid; give the override another name");
  refuses('name: t\nmethods: [grpo\n', /^sweep\.yaml: not valid YAML or JSON: /);
  refuses(`${HEAD}train: { eval-schedule: 5@50,25 }`, "sweep.yaml: train.25: must be string or number or boolean (got nothing; inside { … } a comma separates entries: quote a value that has one, e.g. eval-schedule: '5@50,25')");
  refuses(`${HEAD}seeds: [1, x]`.replace('seeds: [1]\n', ''), 'sweep.yaml: seeds[1]: must be integer');
});

test('a row that breaks a rule between train\'s settings is refused in the words train refuses its flags with (one check, src/train/config.ts)', () => {
  const cases: [string, Record<string, number>, string][] = [
    ['samples: 1', { samplesPerPrompt: 1 }, '--samples must be ≥ 2 for group-relative methods'],
    ['prompts: 64, samples: 32', { promptsPerStep: 64, samplesPerPrompt: 32 }, '--prompts × --samples must be ≤ 1024 (got 64 × 32 = 2048): '],
    ['prompts: 4, ppo-mini-batch: 3', { promptsPerStep: 4, ppoMiniBatch: 3 }, '--ppo-mini-batch 3 must divide --prompts 4 (every update sees whole groups of equal count)'],
  ];
  for (const [yaml, settings, words] of cases) {
    let trainSays = '';
    assert.throws(() => resolveTrainConfig({ method: 'grpo', base: PACKAGE_BASE, out: '/nowhere', settings }), (e: Error) => ((trainSays = e.message), true));
    assert.ok(trainSays.startsWith(words), trainSays);
    refuses(`${HEAD}overrides: [{ name: x, methods: [grpo], train: { ${yaml} } }]`, `sweep.yaml: overrides[0]: row 'grpo-x': ${trainSays}`);
  }
});

test('config files: YAML and JSON, a missing file, values in row names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-sweep-cfg-'));
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ name: 'j', methods: ['grpo'], seeds: [2], train: { steps: 5 } }));
  const j = readSweepConfig(join(dir, 'a.json'), 'a.json');
  assert.deepEqual(expandCells(j).map((c) => c.id), ['grpo/seed-2']);
  assert.throws(() => readSweepConfig(join(dir, 'none.yaml'), 'none.yaml'), /^SweepConfigError: none\.yaml: no such file$|none\.yaml: no such file/);
  assert.equal(formatValue(3e-5), '3e-5');
  assert.equal(formatValue(1.5e-4), '1.5e-4');
  assert.equal(formatValue(0.25), '0.25');
  assert.equal(formatValue('sync:10'), 'sync:10');
});

test('shards: index % n == i, every cell in exactly one shard; bad forms refused', () => {
  // The paper preset with the paper's methods named, so that the golden indices hold whatever else is registered.
  const cells = expandCells({ ...readPreset('paper'), methods: ['base', 'grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd'] });
  const shards = [0, 1, 2].map((i) => shardCells(cells, parseShard(`${i}/3`)).map((c) => c.index));
  assert.deepEqual(shards[1], [1, 4, 7, 10, 13, 16]);
  assert.deepEqual(shards.flat().sort((a, b) => a - b), cells.map((c) => c.index));
  for (const bad of ['3/3', '1', 'a/2', '0/0', '-1/2']) assert.throws(() => parseShard(bad), /--shard must be i\/n with 0 ≤ i < n/);
});

test('jsonDiff names what differs (the refusal of a rerun with another config)', () => {
  assert.deepEqual(jsonDiff({ a: 1, t: { steps: 2 } }, { a: 1, t: { steps: 3 } }), ['t.steps: 2 → 3']);
  assert.deepEqual(jsonDiff({ m: ['a'] }, { m: ['a', 'b'] }), ['m: ["a"] → ["a","b"]']);
  assert.deepEqual(jsonDiff({ a: 1 }, { a: 1 }), []);
});

test('local executor helpers: the error line of a crashed train, shell quoting, the makespan of longest-first', async () => {
  const { errorOf, shellLine } = await import('./local.ts');
  const { estimateMakespan } = await import('./cells.ts');
  assert.equal(errorOf('rlsd-bench: backend wasm\nsome tfjs banner\nrlsd-bench: error: --samples must be ≥ 2 for group-relative methods\n'), '--samples must be ≥ 2 for group-relative methods');
  assert.equal(errorOf('Segmentation fault\n\n'), 'Segmentation fault');
  assert.equal(errorOf(''), undefined);
  assert.equal(shellLine(['node', '/a b/x.mjs', '--eval-schedule', '5@50,25', "it's"]), `node '/a b/x.mjs' --eval-schedule 5@50,25 'it'\\''s'`);
  // Four 264 s teacher cells, a 214 s grpo cell and a 25 s base cell on 2 workers (the quick preset).
  assert.equal(estimateMakespan([25, 214, 264, 264, 264, 264], 2), 264 * 2 + 214);
  assert.equal(estimateMakespan([5, 5], 8), 5);
});

test('config bounds are checked before anything runs, with their reason: steps, prompts × samples, seeds, the cell count (issue 30 items 9, 10)', () => {
  refuses(`${HEAD}train: { steps: 1e12 }`, /^sweep\.yaml: train\.steps: must be an integer in \[1, 1000000\] \(got 1000000000000\): .+/);
  refuses(`${HEAD}grid: { steps: [2, 1e12] }`, /^sweep\.yaml: grid\.steps\[1\]: must be an integer in \[1, 1000000\]/);
  refuses(`${HEAD}train: { prompts: 64, samples: 32 }`, /^sweep\.yaml: train: row 'base': --prompts × --samples must be ≤ 1024 \(got 64 × 32 = 2048\): responses per step/);
  refuses('name: t\nmethods: [grpo]\nseeds: [1e300]\n', /^sweep\.yaml: seeds\[0\]: must be an integer/);
  refuses('name: t\nmethods: [grpo]\nseeds: [9007199254740993]\n', /^sweep\.yaml: seeds\[0\]: must be an integer/);
  const many = Array.from({ length: 20_000 }, (_, i) => i).join(', ');
  refuses(`name: t\nmethods: [base, grpo, rlsd]\nseeds: [${many}]\n`, /^sweep\.yaml: seeds: 40001 cells \(1 base cell \+ 2 rows × 20000 seeds\) — more than the 10000 a sweep takes: .+/);
  // A grid's combinations count too, before they are expanded.
  const values = (n: number): string => `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;
  refuses(`name: t\nmethods: [grpo]\nseeds: [1]\ngrid: { steps: ${values(200)}, warmup: ${values(200)} }\n`, /^sweep\.yaml: grid: 40001 cells \(40001 rows × 1 seed\) — more than the 10000/);
  assert.equal(expandCells(check(`name: t\nmethods: [grpo]\nseeds: ${values(100)}\n`)).length, 100);
});

test('config files: a file that is not UTF-8 says so (issue 30 item 11)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-sweep-cfg-'));
  const text = 'name: t\nmethods: [grpo]\nseeds: [1]\n';
  writeFileSync(join(dir, 'le.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  writeFileSync(join(dir, 'be.yaml'), Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
  writeFileSync(join(dir, 'nobom.yaml'), Buffer.from(text, 'utf16le'));
  writeFileSync(join(dir, 'latin1.yaml'), Buffer.from(`# caf\xe9\n${text}`, 'latin1'));
  for (const f of ['le.yaml', 'be.yaml', 'nobom.yaml']) assert.throws(() => readSweepConfig(join(dir, f), f), (e: Error) => (assert.match(e.message, new RegExp(`^${f.replace('.', '\\.')}: not UTF-8 \\(it is UTF-16.*\\); save it as UTF-8$`)), true));
  assert.throws(() => readSweepConfig(join(dir, 'latin1.yaml'), 'latin1.yaml'), (e: Error) => (assert.equal(e.message, 'latin1.yaml: not UTF-8 (byte 0xe9 at line 1, column 6 is not valid UTF-8); save it as UTF-8'), true));
  // A UTF-8 byte-order mark is UTF-8.
  writeFileSync(join(dir, 'bom8.yaml'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
  assert.equal(readSweepConfig(join(dir, 'bom8.yaml'), 'bom8.yaml').name, 't');
});

test('config files: name defaults to the file name; base resolves against the config file\'s folder (issue 30 item 20)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-sweep-cfg-'));
  mkdirSync(join(dir, 'configs'));
  writeFileSync(join(dir, 'configs', 'rlsd-vs-grpo.yaml'), 'base: ../bases/mine\nmethods: [grpo]\nseeds: [1]\n');
  const c = readSweepConfig(join(dir, 'configs', 'rlsd-vs-grpo.yaml'), 'configs/rlsd-vs-grpo.yaml');
  assert.equal(c.name, 'rlsd-vs-grpo');
  assert.equal(sweepBase(c, join(dir, 'configs')), join(dir, 'bases', 'mine'));
  writeFileSync(join(dir, 'configs', 'named.json'), JSON.stringify({ name: 'own', methods: ['grpo'], seeds: [1] }));
  assert.equal(readSweepConfig(join(dir, 'configs', 'named.json')).name, 'own', 'a name given wins');
  writeFileSync(join(dir, 'configs', 'my grid.yaml'), 'methods: [grpo]\nseeds: [1]\n');
  assert.throws(() => readSweepConfig(join(dir, 'configs', 'my grid.yaml'), 'my grid.yaml'), /^SweepConfigError: my grid\.yaml: name: missing, and the file name 'my grid' is not a sweep name \(letters, digits and \. _ -, starting with a letter or digit\): give one$|my grid\.yaml: name: missing, and the file name 'my grid' is not a sweep name/);
});

test('evaluationCount counts what evaluationSteps lists, without listing (the estimate of a 10^6-step cell)', async () => {
  const { evaluationCount } = await import('./cells.ts');
  const { evaluationSteps } = await import('../train/evaluate.ts');
  for (const schedule of ['dense', '5@50,25', 'every:1', 'every:3', 'every:0', 'never', '2@10,5@40,7', '1@3,100'])
    for (const steps of [1, 2, 3, 7, 10, 49, 50, 51, 150, 600]) assert.equal(evaluationCount(schedule, steps), evaluationSteps({ evalSchedule: schedule, steps }).length, `${schedule} over ${steps} steps`);
  assert.equal(evaluationCount('every:1', 1_000_000), 1_000_001);
});

test("the built-in cost figures give the quick preset's measured wall time within 1.5× (7 min 24 s from the deep world's base on 2 cores with 2 workers, 2026-12-07)", async () => {
  const { estimateCellSeconds, estimateMakespan } = await import('./cells.ts');
  const quick = estimateMakespan(expandCells(readPreset('quick')).map((c) => estimateCellSeconds(c, 'mini-2')), 2);
  const measured = 444;
  assert.ok(quick < measured * 1.5 && quick > measured / 1.5, `quick: ${quick.toFixed(0)} s against ${measured} s measured`);
});
