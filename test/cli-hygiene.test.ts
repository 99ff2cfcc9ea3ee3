// The rough edges a new user hits: package paths from any folder, scripts that
// parse their flags like the CLI (and the demo that deletes nothing on bad flags), help text on every flag,
// --backend only where tensors run, `rlsd-bench benchmarks`, $RLSD_BENCH_DATA, and a design document the code
// cites that the repository ships.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DEFAULT_BASE, errorLines, helpInProcess, REPO, runCli, runCliInProcess, type CliOptions, type CliResult } from './fixtures.ts';
import { readJsonl } from '../src/util/jsonl.ts';

type Result = CliResult;

function cli(args: string[], opts: { cwd?: string; env?: CliOptions['env'] } = {}): Result {
  return runCli(args, { ...opts, raw: true });
}

/** The command line exactly as given, in this process (runCliInProcess): for refusals. */
function cliInProcess(args: string[]): Promise<Result> {
  return runCliInProcess(args, { raw: true });
}

function script(name: string, args: string[], cwd = REPO): Result {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', `${name}.ts`), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A script's --help, run once and shared by the tests that read it (each run is a 2–3 s start-up). */
const scriptHelps = new Map<string, Result>();
function scriptHelp(name: string): Result {
  if (!scriptHelps.has(name)) scriptHelps.set(name, script(name, ['--help']));
  return scriptHelps.get(name)!;
}

/** Exactly one `rlsd-bench: error:` line on stderr, matching the pattern, and a non-zero exit. */
function assertOneError(r: Result, pattern: RegExp, what: string): void {
  assert.notEqual(r.code, 0, `${what}: exit code`);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, `${what}: exactly one error line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern, what);
}

test('item 12: eval and train find the committed base from another working directory', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'rlsd-cwd-'));
  try {
    // The default itself, not the machinery tests' cheaper base (test/fixtures.ts sets $RLSD_BENCH_BASE).
    const env = { RLSD_BENCH_BASE: undefined };
    const ev = cli(['--backend', 'wasm', '--quiet', 'eval', '--limit', '2', '--benchmarks', 'mmmu', '--out', join(cwd, 'eval')], { cwd, env });
    assert.equal(ev.code, 0, ev.stderr);
    assert.ok(existsSync(join(cwd, 'eval', 'results.json')));
    const tr = cli(['--backend', 'wasm', '--quiet', 'train', '--method', 'grpo', '--steps', '1', '--prompts', '2', '--samples', '2', '--eval-items', '2', '--final-eval-items', '2', '--train-items', '4', '--out', 'run'], { cwd, env });
    assert.equal(tr.code, 0, tr.stderr);
    // A user-given path stays relative to the working directory.
    assert.ok(existsSync(join(cwd, 'run', 'metrics.jsonl')), 'the run is written under the cwd');
    const runJson = readFileSync(join(cwd, 'run', 'run.json'), 'utf8');
    assert.ok(runJson.includes(JSON.stringify(DEFAULT_BASE)), 'the base resolved inside the package');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('item 15: the demo prints usage on --help and deletes nothing on bad flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-demo-'));
  try {
    const runs = join(dir, 'runs');
    const marker = join(runs, 'demo-grpo', 'metrics.jsonl');
    mkdirSync(join(runs, 'demo-grpo'), { recursive: true });
    writeFileSync(marker, '{"step":0}\n');
    const help = script('demo', ['--runs-dir', runs, '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /npm run demo -- \[options\]/);
    assert.match(help.stdout, /--steps\s+training steps per method/);
    assert.ok(existsSync(marker), '--help leaves the earlier demo run');
    assertOneError(script('demo', ['--runs-dir', runs, '--steps', 'abc']), /--steps must be an integer/, '--steps abc');
    assertOneError(script('demo', ['--runs-dir', runs, '--stpes', '3']), /Unknown argument: stpes/, 'a typo');
    assertOneError(script('demo', ['--runs-dir', runs, '--methods', 'grpo,ppo']), /unknown method 'ppo'/, 'an unknown method');
    assertOneError(script('demo', ['--runs-dir', runs, '--backend', 'tpu']), /unknown backend 'tpu'/, 'an unknown backend');
    assert.ok(existsSync(marker), 'bad flags leave the earlier demo run');
    assert.deepEqual(readdirSync(runs), ['demo-grpo'], 'nothing else written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 15: every script takes --help and refuses an unknown flag with one line', () => {
  const scripts = readdirSync(join(REPO, 'scripts')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  assert.equal(scripts.length, 17);
  for (const s of scripts) {
    const help = scriptHelp(s);
    assert.equal(help.code, 0, `${s} --help: ${help.stderr}`);
    assert.match(help.stdout, /Options:/, `${s} --help prints usage`);
    assertOneError(script(s, ['--no-such-flag', '1']), /Unknown argument|Missing required argument/, `${s} --no-such-flag`);
  }
  assertOneError(script('bench', ['--memory-steps', '-1']), /--memory-steps must be ≥ 0/, 'bench --memory-steps -1');
  assertOneError(script('teacher-forced', ['--eval-items', '0', 'x']), /--eval-items must be ≥ 1/, 'teacher-forced --eval-items 0');
  assertOneError(script('curves', []), /give at least one RUN_DIR/, 'curves without a run');
  assertOneError(script('headroom', ['a']), /give two evaluation folders/, 'headroom with one folder');
});

/** Option entries of a help screen with no text besides the flag and its [type]/[default] tags. */
function undocumented(help: string): string[] {
  const entries: string[] = [];
  for (const line of help.split('\n')) {
    if (/^ {2}-/.test(line)) entries.push(line);
    else if (entries.length > 0 && /^\s{3,}\S/.test(line)) entries[entries.length - 1] += ` ${line}`;
  }
  return entries
    .filter((e) => {
      const rest = e
        .replace(/^\s*(--?[\w-]+(,\s*)?)+/, '')
        .replace(/\[(?:[^[\]]|\[[^\]]*\])*\]/g, '')
        .trim();
      return rest === '';
    })
    .map((e) => e.trim().split(/\s+/)[0]!);
}

test('item 16: every flag of every command has help text', async () => {
  // The commands' help from their yargs definitions in this process (helpInProcess); train's through the binary too,
  // which must exit 0 and print the same text. (test/docs-cli.test.ts runs every command's --help as a subprocess.)
  const train = cli(['train', '--help']);
  assert.equal(train.code, 0, `train --help: ${train.stderr}`);
  assert.equal(await helpInProcess(['train']), train.stdout, 'the help read in this process is what the binary prints');
  for (const command of ['methods', 'benchmarks', 'pretrain', 'train', 'eval', 'score', 'data mini', 'credit'])
    assert.deepEqual(undocumented(await helpInProcess(command.split(' '))), [], `${command}: flags without a description`);
  for (const s of ['demo', 'bench', 'bench-benchmarks', 'teacher-forced', 'verify-wemath']) assert.deepEqual(undocumented(scriptHelp(s).stdout), [], `${s}: flags without a description`);
});

test('item 16: --backend, --attention-kernel and --matmul only on the commands that run the model', async () => {
  // Help texts and refusals in this process (helpInProcess, runCliInProcess); one refusal through the binary.
  for (const command of ['pretrain', 'train', 'eval', 'serve', 'credit']) assert.match(await helpInProcess([command]), /--backend[\s\S]*--attention-kernel[\s\S]*--matmul/, command);
  for (const command of ['methods', 'benchmarks', 'score', 'data mini']) {
    const help = await helpInProcess(command.split(' '));
    assert.doesNotMatch(help, /--backend|--attention-kernel|--matmul/, `${command} offers no backend`);
  }
  assertOneError(await cliInProcess(['methods', '--matmul', 'blas']), /--matmul applies only .*'methods' does no tensor work/, 'methods');
  assertOneError(cli(['--backend', 'wasm', 'methods']), /--backend applies only to the commands that run the model \(pretrain, train, eval, serve, credit\); 'methods' does no tensor work/, 'methods');
  assertOneError(await cliInProcess(['benchmarks', '--attention-kernel', 'conv']), /--attention-kernel applies only .*'benchmarks' does no tensor work/, 'benchmarks');
  // Before the command name, as the README and the tests write it, it still reaches the tensor commands.
  assertOneError(await cliInProcess(['--backend', 'tpu', 'eval']), /unknown backend 'tpu'/, 'eval');
});

test('item 16/19: rlsd-bench benchmarks lists the five with splits, metrics, layouts, data location and mini versions', () => {
  const plain = cli(['benchmarks'], { env: { RLSD_BENCH_DATA: undefined } });
  assert.equal(plain.code, 0, plain.stderr);
  const names = plain.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(names, ['mmmu', 'mathvista', 'mathvision', 'wemath', 'zerobench']);
  assert.match(plain.stdout, /^wemath\s+splits testmini; headline accuracy; mini yes; data mini$/m); // issue 30 item 13: the headline eval and the report use
  assert.match(plain.stdout, /^zerobench\s+splits zerobench, zerobench_subquestions; headline pass@1/m);
  const verbose = cli(['benchmarks', '--verbose'], { env: { RLSD_BENCH_DATA: undefined } });
  assert.match(verbose.stdout, /reads: Hugging Face MMMU\/MMMU/);
  assert.match(verbose.stdout, /reads: authors' GitHub \(mathllm\/MATH-V\)/);
  assert.match(verbose.stdout, /\$RLSD_BENCH_DATA is unset: eval uses the built-in mini suite/);
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-data-'));
  try {
    mkdirSync(join(dir, 'wemath'));
    const withEnv = cli(['benchmarks', '--verbose'], { env: { RLSD_BENCH_DATA: dir } });
    assert.match(withEnv.stdout, new RegExp(`^wemath .*data ${join(dir, 'wemath')}$`, 'm'));
    assert.match(withEnv.stdout, new RegExp(`^mmmu .*data ${join(dir, 'mmmu')} \\(missing\\)$`, 'm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 19: eval --data and score --data default to $RLSD_BENCH_DATA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-env-'));
  try {
    const data = join(dir, 'data');
    const w = cli(['data', 'mini', '--out', data, '--train', '0', '--eval', '6', '--benchmarks', 'mathvision']);
    assert.equal(w.code, 0, w.stderr);
    const env = { RLSD_BENCH_DATA: data };
    const ev = cli(['--backend', 'wasm', '--quiet', 'eval', '--benchmarks', 'mathvision', '--limit', '3', '--out', join(dir, 'eval')], { env });
    assert.equal(ev.code, 0, ev.stderr);
    const res = JSON.parse(readFileSync(join(dir, 'eval', 'mathvision', 'results.json'), 'utf8')) as Record<string, unknown>;
    assert.ok(JSON.stringify(res).includes(join(data, 'mathvision')), 'eval read $RLSD_BENCH_DATA/mathvision');
    const samples = readJsonl(join(dir, 'eval', 'mathvision', 'samples.jsonl')).map((l) => l.value as { id: string });
    const preds = join(dir, 'preds.jsonl');
    writeFileSync(preds, samples.map((s) => JSON.stringify({ id: s.id, response: '\\boxed{3}' })).join('\n') + '\n');
    const sc = cli(['score', '--benchmark', 'mathvision', '--predictions', preds, '--out', join(dir, 'scored.json')], { env });
    assert.equal(sc.code, 0, sc.stderr);
    assert.ok(existsSync(join(dir, 'scored.json')));
    // Unset, score still needs --data.
    assertOneError(cli(['score', '--benchmark', 'mathvision', '--predictions', preds, '--out', join(dir, 'x.json')], { env: { RLSD_BENCH_DATA: undefined } }), /data/, 'score without --data');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 19: every DESIGN.md citation points into docs/design.md, which the repository ships', () => {
  const design = readFileSync(join(REPO, 'docs', 'design.md'), 'utf8');
  assert.doesNotMatch(design, /\.\.\/shared|\/work\//, 'the design document cites only what the repository ships');
  const sections = new Set([...design.matchAll(/^## (\d+)\. /gm)].map((m) => m[1]!));
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (['node_modules', '.git', 'runs', 'eval'].includes(e.name)) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|md|mjs)$/.test(e.name) && !p.endsWith('cli-hygiene.test.ts')) files.push(p);
    }
  };
  walk(REPO);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /DESIGN\.md/, `${relative(REPO, f)} cites DESIGN.md`);
    for (const m of text.matchAll(/docs\/design\.md §(\d+)/g)) assert.ok(sections.has(m[1]!), `${relative(REPO, f)}: docs/design.md §${m[1]} does not exist`);
  }
});

test("issue 30 item 13: eval's WeMath row, Avg and results.json say WeMath's headline is accuracy over items, with score_strict shown apart", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-wemath-'));
  try {
    const r = cli(['--backend', 'wasm', '--quiet', 'eval', '--benchmarks', 'mmmu,wemath', '--mini-items', '2', '--out', dir], { env: { RLSD_BENCH_DATA: undefined } });
    assert.equal(r.code, 0, r.stderr);
    const row = /^wemath\s+\S+\s+\d+\s+accuracy\s+(\d+\.\d\d)$/m.exec(r.stdout);
    assert.ok(row, r.stdout);
    const res = JSON.parse(readFileSync(join(dir, 'wemath', 'results.json'), 'utf8')) as { metrics: Record<string, number> };
    assert.equal(row[1], (100 * res.metrics['accuracy']!).toFixed(2));
    const strict = Number.isFinite(res.metrics['score_strict']) ? (100 * res.metrics['score_strict']!).toFixed(2) : '—';
    assert.match(r.stdout, new RegExp(`^\\s+note: WeMath's headline is accuracy over items; the leaderboard's Score \\(Strict\\) is score_strict ${strict.replace('.', '\\.')} \\(not in the Avg\\)$`, 'm'));
    assert.match(r.stdout, /^Avg\s+headline mean\s+\d+\.\d\d$/m);
    const all = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { average: { metric: string } };
    assert.equal(all.average.metric, "unweighted mean of the benchmarks' headline metrics: mmmu accuracy, wemath accuracy (over items, not score_strict)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('issue 30 item 17: default eval folders differ when the settings differ; a missing --data is named as such', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'rlsd-cwd-'));
  // The default base itself (its folder's name is the default eval folder's), not the machinery tests' base-mini1.
  const env = { RLSD_BENCH_DATA: undefined, RLSD_BENCH_BASE: undefined };
  try {
    const first = cli(['--backend', 'wasm', '--quiet', 'eval', '--benchmarks', 'mmmu'], { cwd, env }); // the tensor flags are no part of the name
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^results → .*\/results\/eval\/base\/results\.json$/m, 'the default settings keep the plain folder name');
    const second = cli(['--backend', 'wasm', '--quiet', 'eval', '--benchmarks', 'zerobench', '--mini-items', '2', '--samples', '4', '--temperature', '1'], { cwd, env });
    assert.equal(second.code, 0, second.stderr);
    const folder = 'base@mini-items=2,samples=4,temperature=1';
    assert.match(second.stdout, new RegExp(`^results → .*/results/eval/${folder.replace(/[.]/g, '\\.')}/results\\.json$`, 'm'));
    assert.deepEqual(readdirSync(join(cwd, 'results', 'eval')).sort(), ['base', folder]);
    // The same settings again: the same folder, resumed (nothing to do), not a new one.
    assert.equal(cli(['--backend', 'wasm', '--quiet', 'eval', '--benchmarks', 'zerobench', '--mini-items', '2', '--samples', '4', '--temperature', '1'], { cwd, env }).code, 0);
    assert.equal(readdirSync(join(cwd, 'results', 'eval')).length, 2);
    // A --data that does not exist is said first, whatever the output folder holds; nothing is written. The first
    // refusal through the real binary, the second in this process (runCliInProcess: the same entry and output).
    for (const extra of [[], ['--out', join(cwd, 'results', 'eval', 'base')]]) {
      const args = ['--backend', 'wasm', 'eval', '--data', '/nonexistent', ...extra];
      const r = extra.length === 0 ? cli(args, { cwd, env }) : await runCliInProcess(args, { cwd, env, raw: true });
      assertOneError(r, /^rlsd-bench: error: --data \/nonexistent: no such directory$/, `--data /nonexistent ${extra.join(' ')}`);
      assert.doesNotMatch(r.stderr, /other settings|backend wasm/);
    }
    assert.equal(readdirSync(join(cwd, 'results', 'eval')).length, 2);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('issue 30 item 14: pretrain, train, the demo and the sweep print the Avg (as the report); pooled is shown only as pooled', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-avg-'));
  const avgOf = (m: Record<string, number>): string => (100 * m['val-core/avg/acc/mean@1']!).toFixed(2);
  const pooledOf = (m: Record<string, number>): string => (100 * m['val-core/all/acc/mean@1']!).toFixed(2);
  const noBareAccuracy = (text: string, what: string): void =>
    assert.doesNotMatch(text, /held-out (greedy )?accuracy \d|eval acc /, `${what}: an accuracy figure without saying whether it is the Avg or pooled`);
  try {
    // pretrain: the closing line and the progress lines.
    const pre = join(dir, 'pre');
    const p = cli(['--backend', 'wasm', 'pretrain', '--steps', '1', '--batch', '2', '--train-items', '2', '--eval-items', '1', '--eval-every', '1', '--out', pre], { env: { RLSD_PROGRESS_INTERVAL_S: '0' } });
    assert.equal(p.code, 0, p.stderr);
    const info = JSON.parse(readFileSync(join(pre, 'pretrain.json'), 'utf8')) as { eval: Record<string, number>; evalWithReference: Record<string, number> };
    const pct2 = (x: number | undefined): string => (100 * x!).toFixed(2);
    assert.match(
      p.stdout,
      new RegExp(`^held-out greedy Avg ${pct2(info.eval['eval/benchmark_mean'])} % \\(the mean over benchmarks; pooled over ${info.eval['eval/n']} items ${pct2(info.eval['eval/accuracy'])} %\\); with the reference in context Avg ${pct2(info.evalWithReference['eval/benchmark_mean'])} % \\(pooled ${pct2(info.evalWithReference['eval/accuracy'])} %\\); \\d+ s$`, 'm'),
    );
    assert.match(p.stderr, /pretrain step 1: loss \d+\.\d+, held-out Avg \d+\.\d\d % \(pooled over items \d+\.\d\d %\); with the reference in context Avg \d+\.\d\d %/);
    noBareAccuracy(p.stdout + p.stderr, 'pretrain');

    // train: the progress line at an evaluation and the closing table.
    const run = join(dir, 'run');
    const t = cli(['--backend', 'wasm', 'train', '--method', 'grpo', '--steps', '1', '--prompts', '2', '--samples', '2', '--eval-every', '1', '--train-items', '2', '--eval-items', '1', '--out', run]);
    assert.equal(t.code, 0, t.stderr);
    const lines = readJsonl(join(run, 'metrics.jsonl')).map((l) => l.value as Record<string, number>).filter((m) => m['val-core/avg/acc/mean@1'] !== undefined);
    const last = lines.at(-1)!;
    assert.match(t.stderr, new RegExp(`grpo step 1: reward \\d+\\.\\d\\d %, held-out Avg ${avgOf(last)} % \\(pooled over items ${pooledOf(last)} %\\)`));
    assert.match(t.stdout, /^held-out greedy accuracy on the mini test split, %: Avg \(the mean over benchmarks, as the report\) and pooled over items$/m);
    assert.match(t.stdout, new RegExp(`^ {2}step {4}1 +${avgOf(last)} +${pooledOf(last)}$`, 'm'));
    assert.match(t.stdout, new RegExp(`^last: Avg ${avgOf(last)} % at step 1, pooled ${pooledOf(last)} % at step 1$`, 'm'));
    noBareAccuracy(t.stdout + t.stderr, 'train');

    // The demo: its table is the Avg.
    const d = script('demo', ['--methods', 'base', '--steps', '1', '--eval-every', '1', '--backend', 'wasm', '--runs-dir', join(dir, 'demo')]);
    assert.equal(d.code, 0, d.stderr);
    const demoLines = readJsonl(join(dir, 'demo', 'demo-base', 'metrics.jsonl')).map((l) => l.value as Record<string, number>).filter((m) => m['val-core/avg/acc/mean@1'] !== undefined);
    assert.match(d.stdout, /^held-out greedy accuracy on the mini test split, Avg over the benchmarks \(as the report\), % \(step 0 = base\)$/m);
    assert.match(d.stdout, new RegExp(`^ {5}1 +${avgOf(demoLines.at(-1)!)}$`, 'm'));
    noBareAccuracy(d.stdout + d.stderr, 'demo');

    // A sweep's progress lines.
    const config = join(dir, 'sweep.yaml');
    writeFileSync(config, 'name: avg\nmethods: [base]\nseeds: [1]\ntrain:\n  steps: 1\n  eval-items: 1\n  train-items: 2\n  eval-schedule: every:1\n');
    const s = cli(['sweep', config, '--out', join(dir, 'sweep'), '--workers', '1']);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    const cell = readJsonl(join(dir, 'sweep', 'base', 'seed-1', 'metrics.jsonl')).map((l) => l.value as Record<string, number>).filter((m) => m['val-core/avg/acc/mean@1'] !== undefined);
    assert.match(s.stdout + s.stderr, new RegExp(`base/seed-1: done in \\S+ \\(held-out Avg ${avgOf(cell.at(-1)!)} % at step 1\\)`));
    noBareAccuracy(s.stdout + s.stderr, 'sweep');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
