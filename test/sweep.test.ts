// `rlsd-bench sweep` end to end on tiny cells (a few steps, a few items): the local executor runs every cell as a
// train process, records sweep.json and cell.json, writes the report; a rerun resumes and recomputes nothing; a
// cell that crashes is marked failed while the others finish; another config, or a second sweep, on the folder is
// refused with one line; --status, --print-jobs and --dry-run read without writing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDir } from '../src/util/lock.ts';
import { trainArgs, type SweepCell } from '../src/sweep/cells.ts';
import { BASE, cliArgs, cliEnv, errorLines, runCli, runCliInProcess } from './fixtures.ts';

const TINY = 'train: { steps: 2, prompts: 2, samples: 2, eval-items: 2, train-items: 4, eval-schedule: every:1 }';

function setup(yaml: string): { dir: string; config: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-sweep-'));
  const config = join(dir, 'sweep.yaml');
  writeFileSync(config, yaml);
  return { dir, config, out: join(dir, 'out') };
}

const readJson = (f: string): Record<string, unknown> => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;

test('sweep: base + grpo end to end — cells, records, report; a rerun recomputes nothing; --status; another config is refused', async () => {
  const { config, out, dir } = setup(`name: tiny\nmethods: [base, grpo]\nseeds: [1]\n${TINY}\n`);
  const r = runCli(['sweep', config, '--out', out, '--workers', '2', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sweep tiny: 2 cells — 2 of 2 done, 0 failed this run/m);
  assert.match(r.stdout, /report → /);
  assert.ok(existsSync(join(out, 'report', 'accuracy.md')), 'the report is written');

  const sweep = readJson(join(out, 'sweep.json'));
  assert.equal(sweep['version'], 1);
  assert.equal(sweep['base'], BASE);
  const cells = sweep['cells'] as SweepCell[];
  assert.deepEqual(cells.map((c) => [c.id, c.dir, c.steps]), [['base/seed-1', 'base/seed-1', 1], ['grpo/seed-1', 'grpo/seed-1', 2]]);
  assert.deepEqual(trainArgs(cells[1]!), ['--method', 'grpo', '--seed', '1', '--steps', '2', '--prompts', '2', '--samples', '2', '--eval-schedule', 'every:1', '--eval-items', '2', '--train-items', '4']);
  for (const c of cells) {
    const cell = readJson(join(out, c.dir, 'cell.json'));
    assert.equal(cell['state'], 'done');
    assert.equal(cell['executor'], 'local');
    assert.equal(cell['attempts'], 1);
    assert.equal(cell['exitCode'], 0);
    const summary = readJson(join(out, c.dir, 'summary.json')) as { metrics: Record<string, { last: { step: number } }> };
    assert.equal(summary.metrics['val-core/all/acc/mean@1']!.last.step, c.steps);
    assert.equal((readJson(join(out, c.dir, 'run.json'))['config'] as { seed: number }).seed, 1);
  }

  // The same config again: nothing runs, nothing is rewritten.
  const before = cells.map((c) => [readFileSync(join(out, c.dir, 'cell.json'), 'utf8'), statSync(join(out, c.dir, 'metrics.jsonl')).mtimeMs]);
  const again = runCli(['sweep', config, '--out', out, '--no-report']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /2 of 2 done, 0 failed this run/);
  assert.deepEqual(cells.map((c) => [readFileSync(join(out, c.dir, 'cell.json'), 'utf8'), statSync(join(out, c.dir, 'metrics.jsonl')).mtimeMs]), before);
  // Without a config: the sweep in --out resumes from its own sweep.json.
  assert.equal(runCli(['sweep', '--out', out, '--no-report']).code, 0);

  const status = runCli(['sweep', '--status', out]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(status.stdout, `sweep tiny (${out}): 2 cells — 2 done, 0 running, 0 stopped, 0 failed, 0 pending\nrow   seed-1\nbase  done 1/1\ngrpo  done 2/2\n`);

  const other = join(dir, 'other.yaml');
  writeFileSync(other, `name: tiny\nmethods: [base, grpo]\nseeds: [1]\n${TINY.replace('steps: 2', 'steps: 3')}\n`);
  const refused = await runCliInProcess(['sweep', other, '--out', out]); // a refusal: in this process (runCliInProcess)
  assert.equal(refused.code, 2);
  assert.deepEqual(errorLines(refused.stderr), [`rlsd-bench: error: ${join(out, 'sweep.json')} holds another sweep (train.steps: 2 → 3); rerun it with its own config, or use another --out`]);
});

test('sweep: a cell that breaks a rule between train\'s settings is refused by the sweep\'s check before anything is written, with the line train gives', async () => {
  // --samples 1 passes the config's range rule (≥ 1) but not the rule between it and the method, which the sweep's
  // check and train both read from src/train/config.ts.
  const { config, out } = setup(`name: bad\nmethods: [base, grpo]\nseeds: [1]\n${TINY}\noverrides: [{ name: one-sample, methods: [grpo], train: { samples: 1 } }]\n`);
  const trainSays = errorLines(runCli(['train', '--method', 'grpo', '--samples', '1', '--out', join(out, 'never')]).stderr);
  assert.deepEqual(trainSays, ['rlsd-bench: error: --samples must be ≥ 2 for group-relative methods']);
  // The first refusal through the real binary, the others in this process (runCliInProcess: the same entry and output).
  for (const extra of [[], ['--dry-run'], ['--print-jobs']]) {
    const args = ['sweep', config, '--out', out, '--workers', '2', '--backend', 'wasm', '--no-report', ...extra];
    const r = extra.length === 0 ? runCli(args) : await runCliInProcess(args);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(errorLines(r.stderr), [`rlsd-bench: error: ${config}: overrides[0]: row 'grpo-one-sample': --samples must be ≥ 2 for group-relative methods`]);
    assert.equal(existsSync(out), false, 'nothing written');
  }
});

test('sweep: a cell whose train refuses to start is marked failed with the error; the others finish; --status shows it', () => {
  const { config, out } = setup(`name: bad\nmethods: [base, grpo]\nseeds: [1]\n${TINY}\noverrides: [{ name: taken, methods: [grpo] }]\n`);
  // The cell's folder already holds another run's records and no checkpoint: train refuses it, touching nothing.
  const taken = join(out, 'grpo-taken', 'seed-1');
  mkdirSync(taken, { recursive: true });
  writeFileSync(join(taken, 'run.json'), '{}');
  const why = `${join(taken, 'run.json')} exists but ${join(taken, 'checkpoints')} holds no checkpoint to resume from; move it (or the folder) away or use another --out — nothing was changed`;
  const r = runCli(['sweep', config, '--out', out, '--workers', '2', '--backend', 'wasm', '--no-report']);
  assert.equal(r.code, 1, r.stderr);
  const errs = errorLines(r.stderr);
  assert.equal(errs.length, 1, r.stderr);
  assert.ok(errs[0]!.startsWith(`rlsd-bench: error: 1 of 3 cells failed (grpo-taken/seed-1: ${why}); see `), errs[0]);
  assert.match(errs[0]!, /; see .*train\.log/);
  const failed = readJson(join(taken, 'cell.json'));
  assert.equal(failed['state'], 'failed');
  assert.equal(failed['error'], why);
  assert.equal(failed['exitCode'], 1);
  for (const ok of ['base', 'grpo']) assert.equal(readJson(join(out, ok, 'seed-1', 'cell.json'))['state'], 'done');
  const status = runCli(['sweep', '--status', '--out', out]);
  assert.match(status.stdout, /^grpo-taken {2}failed 0\/2$/m);
  assert.ok(status.stdout.includes(`\nfailed grpo-taken/seed-1: ${why}\n`), status.stdout);
});

test('sweep: every tensor flag reaches every cell, --threads included; cell.json records the config the cell resolves and its run.json ran it', () => {
  const { config, out } = setup(`name: threads\nmethods: [grpo]\nseeds: [1]\n${TINY}\n`);
  const jobs = runCli(['sweep', config, '--out', out, '--print-jobs', '--backend', 'wasm', '--threads', '2']);
  assert.equal(jobs.code, 0, jobs.stderr);
  assert.match(jobs.stdout, /--quiet train --backend wasm --threads 2 --method grpo --seed 1 /);
  const r = runCli(['sweep', config, '--out', out, '--backend', 'wasm', '--threads', '2', '--no-report']);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(out, 'grpo', 'seed-1');
  const run = readJson(join(dir, 'run.json')) as { config: Record<string, unknown>; backend: { name: string; threadCount: number } };
  assert.deepEqual([run.backend.name, run.backend.threadCount], ['wasm', 2], 'the cell ran on two threads');
  const cell = readJson(join(dir, 'cell.json')) as { config: Record<string, unknown>; tensor: Record<string, unknown> };
  assert.deepEqual(cell.tensor, { backend: 'wasm', attentionKernel: 'conv', matmul: 'xnnpack', threads: 2 });
  assert.equal(cell.config['lr'], 3e-5, "grpo's recommended rate, as train --method grpo resolves it");
  assert.equal(cell.config['out'], dir);
  for (const [k, v] of Object.entries(cell.config)) assert.deepEqual(run.config[k], v, `run.json's ${k} is the cell's`);
});

test('sweep: a second sweep on a folder in use refuses, naming the holder; --print-jobs and --dry-run write nothing', async () => {
  const { config, out } = setup(`name: busy\nmethods: [base, grpo]\nseeds: [1, 2]\n${TINY}\n`);
  const jobs = runCli(['sweep', config, '--out', out, '--print-jobs', '--backend', 'wasm']);
  assert.equal(jobs.code, 0, jobs.stderr);
  const lines = jobs.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(lines.map((l) => [l[0], l[1]]), [['0', 'base/seed-1'], ['1', 'grpo/seed-1'], ['2', 'grpo/seed-2']]);
  assert.match(lines[2]![2]!, new RegExp(`bin/rlsd-bench\\.mjs --quiet train --backend wasm --method grpo --seed 2 --steps 2 .* --base ${BASE} --out ${join(out, 'grpo', 'seed-2')}$`));
  const blas = runCli(['sweep', config, '--out', out, '--print-jobs', '--backend', 'wasm', '--matmul', 'blas']);
  assert.match(blas.stdout.trim().split('\n')[2]!, /--quiet train --backend wasm --matmul blas --method grpo --seed 2 /, '--matmul reaches every cell');
  assert.deepEqual(runCli(['sweep', config, '--out', out, '--print-jobs', '--shard', '1/2']).stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[1]), ['grpo/seed-1']);
  const dry = runCli(['sweep', config, '--out', out, '--dry-run', '--workers', '2']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^3 cells, ~.* of cell time, ~.* with 2 workers \(estimate; nothing was run\)$/m);
  assert.equal(existsSync(out), false, 'nothing written');

  const lock = lockDir(out, 'sweep');
  try {
    const r = runCli(['sweep', config, '--out', out]);
    assert.equal(r.code, 1);
    assert.deepEqual(errorLines(r.stderr).length, 1);
    assert.match(errorLines(r.stderr)[0]!, new RegExp(`^rlsd-bench: error: ${out} is in use by pid ${process.pid} on .* \\('sweep', since .*\\); wait for it to finish or stop it`));
    assert.equal(existsSync(join(out, 'sweep.json')), false);
  } finally {
    lock.release();
  }
  // Two more refusals, in this process (runCliInProcess: the same entry and output).
  const slurmFlag = await runCliInProcess(['sweep', config, '--out', out, '--wait']);
  assert.equal(slurmFlag.code, 2);
  assert.deepEqual(errorLines(slurmFlag.stderr), ['rlsd-bench: error: --wait applies to --executor slurm only (this sweep runs locally)']);
  const none = await runCliInProcess(['sweep', '--status', out]);
  assert.equal(none.code, 2);
  assert.match(errorLines(none.stderr)[0]!, /holds no sweep\.json: no sweep was started there/);
});

test('sweep: a bound broken in a config (steps: 1e12) is refused before anything is written, then the corrected config runs; its name is the file\'s and its base is read from the config\'s folder (issue 30 items 9, 20)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-sweep-'));
  mkdirSync(join(dir, 'configs'));
  cpSync(BASE, join(dir, 'bases', 'mine'), { recursive: true });
  const config = join(dir, 'configs', 'one-base.yaml');
  const out = join(dir, 'out');
  const elsewhere = mkdtempSync(join(tmpdir(), 'rlsd-sweep-cwd-'));
  const yaml = (steps: string): string => `base: ../bases/mine\nmethods: [base, grpo]\nseeds: [1]\n${TINY.replace('steps: 2', `steps: ${steps}`)}\n`;
  writeFileSync(config, yaml('1e12'));
  // The first refusal through the real binary, the other in this process (runCliInProcess: the same entry and output).
  for (const extra of [[], ['--dry-run']]) {
    const args = ['sweep', config, '--out', out, '--workers', '2', '--backend', 'wasm', '--no-report', ...extra];
    const r = extra.length === 0 ? runCli(args, { cwd: elsewhere }) : await runCliInProcess(args, { cwd: elsewhere });
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(errorLines(r.stderr), [`rlsd-bench: error: ${config}: train.steps: must be an integer in [1, 1000000] (got 1000000000000): metrics.jsonl holds a line per step (1–2 KB each), read whole by the report and a resume: 1000000 ≈ 1–2 GB`]);
    assert.equal(existsSync(out), false, 'nothing written');
  }
  writeFileSync(config, yaml('2'));
  const r = runCli(['sweep', config, '--out', out, '--workers', '2', '--backend', 'wasm', '--no-report'], { cwd: elsewhere });
  assert.equal(r.code, 0, r.stderr);
  const sweep = readJson(join(out, 'sweep.json'));
  assert.equal(sweep['name'], 'one-base');
  assert.equal(sweep['base'], join(dir, 'bases', 'mine'));
  assert.match(readFileSync(join(out, 'grpo', 'seed-1', 'train.log'), 'utf8'), new RegExp(`--base ${join(dir, 'bases', 'mine')} `));
});

test('sweep: Ctrl-C stops a long --dry-run listing (issue 30 item 10)', async () => {
  const { config, out } = setup(`name: big\nmethods: [base, grpo, rlsd]\nseeds: [${Array.from({ length: 4999 }, (_, i) => i).join(', ')}]\n${TINY}\n`);
  const child = spawn(process.execPath, cliArgs(['sweep', config, '--out', out, '--dry-run']), { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const firstLine = new Promise<void>((res) => child.stdout.on('data', (b: Buffer) => ((stdout += b.toString()), res())));
  const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  await firstLine;
  child.kill('SIGINT');
  assert.equal(await closed, 130, stderr);
  assert.match(stderr, /^rlsd-bench: interrupted$/m);
  assert.doesNotMatch(stdout, /cells, ~.* of cell time/, 'stopped before the end of the listing');
});

test('sweep: a done cell whose last metrics line is cut is unfinished — --status does not say done, and a rerun resumes it from a checkpoint the metrics reach (issue 30 item 5)', () => {
  const { config, out } = setup(`name: torn\nmethods: [grpo]\nseeds: [1]\n${TINY}\n`);
  assert.equal(runCli(['sweep', config, '--out', out, '--backend', 'wasm', '--no-report']).code, 0);
  const metrics = join(out, 'grpo', 'seed-1', 'metrics.jsonl');
  const whole = readFileSync(metrics, 'utf8');
  const evalOf = (text: string, step: number): string => {
    const line = JSON.parse(text.split('\n').filter(Boolean).find((l) => (JSON.parse(l) as { step: number }).step === step)!) as Record<string, number>;
    return JSON.stringify(Object.entries(line).filter(([k]) => k.startsWith('val-core/')));
  };
  writeFileSync(metrics, whole.slice(0, whole.length - 40));
  const status = runCli(['sweep', '--status', out]);
  assert.match(status.stdout, /^sweep torn \(.*\): 1 cells — 0 done, 0 running, 1 stopped/m);
  assert.match(status.stdout, /^grpo {2}stopped 1\/2$/m);

  const again = runCli(['sweep', config, '--out', out, '--backend', 'wasm', '--no-report']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /1 of 1 done, 0 failed this run/);
  const cell = readJson(join(out, 'grpo', 'seed-1', 'cell.json'));
  assert.equal(cell['state'], 'done');
  assert.equal(cell['attempts'], 2, 'run again');
  const repaired = readFileSync(metrics, 'utf8');
  assert.ok(repaired.endsWith('\n'));
  assert.equal(evalOf(repaired, 2), evalOf(whole, 2), 'the last evaluation is computed again, with the same numbers');
  assert.match(readFileSync(join(out, 'grpo', 'seed-1', 'train.log'), 'utf8'), /metrics\.jsonl ends at step 1/);
  assert.match(runCli(['sweep', '--status', out]).stdout, /^grpo {2}done 2\/2$/m);
});

test('sweep: the base weights\' sha256 is recorded in sweep.json and every cell; a resume on other weights, and a report mixing two bases, are refused naming both (issue 30 item 2)', async () => {
  const { dir, config, out } = setup(`name: two-bases\nbase: mybase\nmethods: [grpo]\nseeds: [1, 2]\n${TINY}\n`);
  const base = join(dir, 'mybase');
  cpSync(BASE, base, { recursive: true });
  const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
  const first = sha(join(base, 'weights.bin'));
  const shard = runCli(['sweep', config, '--out', out, '--backend', 'wasm', '--shard', '0/2']);
  assert.equal(shard.code, 0, shard.stderr);
  assert.equal(readJson(join(out, 'sweep.json'))['baseWeightsSha256'], first);
  assert.equal(readJson(join(out, 'grpo', 'seed-1', 'cell.json'))['baseWeightsSha256'], first);
  assert.equal((readJson(join(out, 'grpo', 'seed-1', 'run.json'))['base'] as Record<string, unknown>)['weightsSha256'], first);

  // Another base under the same path (the committed base-v1's weights: same shapes, other values).
  cpSync(join(BASE, '..', 'base-v1', 'weights.bin'), join(base, 'weights.bin'));
  const second = sha(join(base, 'weights.bin'));
  assert.notEqual(second, first);
  // The first refusal through the real binary, the others in this process (runCliInProcess: the same entry and output).
  for (const args of [['--shard', '1/2'], [], ['--dry-run']]) {
    const argv = ['sweep', config, '--out', out, '--backend', 'wasm', ...args];
    const r = args[0] === '--shard' ? runCli(argv) : await runCliInProcess(argv);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(errorLines(r.stderr), [
      `rlsd-bench: error: ${join(out, 'sweep.json')} was started from base weights sha256 ${first.slice(0, 12)}…; ${base} now holds weights sha256 ${second.slice(0, 12)}…: finish it with the base it started from, or start another sweep (another --out)`,
    ]);
  }
  assert.equal(existsSync(join(out, 'grpo', 'seed-2', 'cell.json')), false, 'the other shard did not start');

  // A cell recorded with other weights (a folder put together by hand): the report refuses to table them together.
  const cell2 = join(out, 'grpo', 'seed-2');
  cpSync(join(out, 'grpo', 'seed-1'), cell2, { recursive: true });
  const rec = readJson(join(cell2, 'cell.json'));
  writeFileSync(join(cell2, 'cell.json'), JSON.stringify({ ...rec, baseWeightsSha256: second }));
  const { loadSweepRecords } = await import('../src/report/records.ts');
  assert.throws(() => loadSweepRecords(out), (e: Error) => {
    assert.equal(e.message, `${out}: cells from two base checkpoints cannot share a table: grpo/seed-1 started from base weights sha256 ${first.slice(0, 12)}…, grpo/seed-2 from ${second.slice(0, 12)}…; report each base's cells separately`);
    return true;
  });
  const report = await runCliInProcess(['report', out]);
  assert.notEqual(report.code, 0);
  assert.equal(errorLines(report.stderr).length, 1);
});

test('sweep --dry-run: the estimate is calibrated from the finished cells in --out and comes within 1.5× of the smoke preset\'s wall time (issue 30 item 12)', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'rlsd-sweep-')), 'smoke');
  const r = runCli(['sweep', '--preset', 'smoke', '--out', out, '--workers', '2', '--backend', 'wasm', '--no-report']);
  assert.equal(r.code, 0, r.stderr);
  const { readSweepFile } = await import('../src/sweep/state.ts');
  const { calibrateCost, estimateCellSeconds, estimateMakespan } = await import('../src/sweep/cells.ts');
  const sweep = readSweepFile(out)!;
  const cells = sweep.cells.map((c) => readJson(join(out, c.dir, 'cell.json')) as { startedAt: string; endedAt: string });
  const measured = (Math.max(...cells.map((c) => Date.parse(c.endedAt))) - Math.min(...cells.map((c) => Date.parse(c.startedAt)))) / 1000;
  const { baseSuite } = await import('../src/train/config.ts');
  const suite = baseSuite(sweep.base);
  const cost = calibrateCost(out, sweep.cells, suite);
  assert.equal(cost.from, 6, 'calibrated from the six finished cells');
  const estimate = estimateMakespan(sweep.cells.map((c) => estimateCellSeconds(c, suite, cost)), 2);
  assert.ok(estimate < measured * 1.5 && estimate > measured / 1.5, `estimate ${estimate.toFixed(1)} s against ${measured.toFixed(1)} s measured`);
  const dry = runCli(['sweep', '--preset', 'smoke', '--out', out, '--workers', '2', '--dry-run']);
  assert.match(dry.stdout, /^6 cells, ~.* with 2 workers \(estimate from the step times of 6 finished cells here; nothing was run\)$/m);
});
