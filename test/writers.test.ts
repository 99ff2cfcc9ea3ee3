// Writers of run folders (train, pretrain) through the CLI: one writer per folder, records never lost, corrupt
// checkpoints named and skipped, crash litter cleaned, sizes bounded before anything is written, Ctrl-C / SIGTERM
// reported with the step and exit code, read-only folders named. Tiny runs (2 prompts × 2 samples, 4 items).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, BIN, cliArgs, REPO, runCli, runCliInProcess, type CliResult } from './fixtures.ts';
import { readJsonl } from '../src/util/jsonl.ts';

const SMALL = ['--method', 'grpo', '--prompts', '2', '--samples', '2', '--eval-items', '2', '--train-items', '4', '--lr-schedule', 'constant'];
const TINY = [...SMALL, '--checkpoint-every', '1'];

const run = (args: string[], env: Record<string, string> = {}): CliResult => runCli(args, { env });

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, cliArgs(args), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
}

function lines(stderr: string, prefix: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith(prefix));
}

function oneError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  const errs = lines(r.stderr, 'rlsd-bench: error:');
  assert.equal(errs.length, 1, `one error line, got:\n${r.stderr}`);
  assert.match(errs[0]!, pattern);
}

/** Every file under `dir` with its bytes (what "nothing written" compares). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p, readFileSync(p).toString('base64'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

function metrics(dir: string): Record<string, number>[] {
  return readJsonl(join(dir, 'metrics.jsonl')).map((l) => l.value as Record<string, number>);
}

const deterministic = (m: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('timing_s/') && !k.startsWith('perf/')));

async function until(cond: () => boolean, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  return new Promise((res) => child.on('exit', (code, signal) => res({ code, signal, stderr })));
}

/** A pid that is surely gone (a process that has exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

// A finished 3-step run, copied by the tests that need one.
const scratch = mkdtempSync(join(tmpdir(), 'rlsd-writers-'));
const RUN3 = join(scratch, 'run3');
const made = run(['train', ...TINY, '--steps', '3', '--out', RUN3]);
assert.equal(made.code, 0, made.stderr);
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

function copyRun(tag: string): string {
  const d = join(scratch, tag);
  cpSync(RUN3, d, { recursive: true });
  return d;
}

test('train writes checkpoints/latest_checkpointed_iteration.txt after each checkpoint', () => {
  assert.equal(readFileSync(join(RUN3, 'checkpoints', 'latest_checkpointed_iteration.txt'), 'utf8').trim(), '3');
  assert.ok(!existsSync(join(RUN3, '.rlsd-bench.lock')), 'the lock is released at the end');
});

test('one writer per folder: a second train on the same --out refuses naming the holder and writes nothing; a SIGKILLed holder is taken over', async () => {
  const out = join(scratch, 'two');
  const first = start(['train', ...TINY, '--steps', '400', '--out', out]);
  const firstDone = exited(first);
  await until(() => existsSync(join(out, 'checkpoints', 'step_000001', 'checkpoint.json')));
  // Frozen, so that the folder holds still while the second process tries it.
  first.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, 300));
  const before = snapshot(out);
  const second = run(['train', ...TINY, '--steps', '400', '--out', out]);
  oneError(second, new RegExp(`${out} is in use by pid ${first.pid} on .*'train --method grpo'.*lock file`));
  assert.deepEqual(snapshot(out), before, 'the refused process wrote nothing');
  first.kill('SIGKILL');
  await firstDone;
  const third = run(['train', ...TINY, '--steps', '400', '--stop-after', '1', '--out', out]);
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stderr, new RegExp(`rlsd-bench: notice: taking over the lock of pid ${first.pid} .*no longer running`));
  const steps = metrics(out).map((m) => m['step']);
  assert.deepEqual(steps, [...new Set(steps)].sort((a, b) => a! - b!), `steps once each, in order: ${steps}`);
});

test('train refuses a folder holding metrics.jsonl or run.json but no checkpoint, naming the file; nothing is changed', () => {
  for (const keep of ['metrics.jsonl', 'run.json']) {
    const out = copyRun(`records-${keep}`);
    rmSync(join(out, 'checkpoints'), { recursive: true });
    if (keep === 'run.json') rmSync(join(out, 'metrics.jsonl'));
    const before = snapshot(out);
    const r = run(['train', ...TINY, '--steps', '3', '--out', out]);
    oneError(r, new RegExp(`${join(out, keep)} exists but ${join(out, 'checkpoints')} holds no checkpoint`));
    assert.deepEqual(snapshot(out), before);
  }
});

test('a corrupt latest checkpoint is named (file and field) and the previous good one resumed, equal to an uninterrupted run; none good is refused', () => {
  const corruptions: [string, (j: { trainer: { state: Record<string, unknown>; tensors: { name: string; shape: number[] }[] } }) => void, RegExp][] = [
    ['step', (j) => (j.trainer.state['step'] = 'banana'), /field 'trainer\.state\.step' must be a whole number ≥ 0 \(got "banana"\)/],
    ['rng', (j) => (j.trainer.state['rng'] = [1, 2, 3]), /field 'trainer\.state\.rng' must be 4 32-bit integers/],
    ['data', (j) => (j.trainer.state['data'] = { epoch: -1, cursor: 0 }), /field 'trainer\.state\.data' must be \{epoch, cursor\}/],
    ['adamStep', (j) => (j.trainer.state['adamStep'] = 1e6), /field 'trainer\.state\.adamStep' must be a whole number from 0 to 3/],
    ['lastEval', (j) => (j.trainer.state['lastEval'] = { 'val-core/all/acc/mean@1': 'high' }), /field 'trainer\.state\.lastEval' must map metric names to finite numbers/],
    ['moment shape', (j) => (j.trainer.tensors.find((t) => t.name.startsWith('adam_m/'))!.shape = [1, 1]), /trainer tensor 'adam_m\/\S+' has shape \[1,1\], expected/],
  ];
  for (const [what, corrupt, pattern] of corruptions) {
    const out = copyRun(`corrupt-${what.replace(' ', '-')}`);
    const file = join(out, 'checkpoints', 'step_000003', 'checkpoint.json');
    const j = JSON.parse(readFileSync(file, 'utf8'));
    corrupt(j);
    writeFileSync(file, JSON.stringify(j));
    const r = run(['train', ...TINY, '--steps', '3', '--out', out]);
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    const notices = lines(r.stderr, 'rlsd-bench: notice:');
    assert.equal(notices.length, 1, r.stderr);
    assert.ok(notices[0]!.includes(file), notices[0]);
    assert.match(notices[0]!, pattern);
    assert.match(notices[0]!, /resuming from the previous good checkpoint .*step_000002/);
    assert.deepEqual(metrics(out).map(deterministic), metrics(RUN3).map(deterministic), `${what}: resumed run equals the uninterrupted one`);
  }
  // Short weights in every checkpoint: one line, non-zero exit, nothing changed.
  const out = copyRun('all-bad');
  for (const n of readdirSync(join(out, 'checkpoints')).filter((n) => n.startsWith('step_'))) writeFileSync(join(out, 'checkpoints', n, 'weights.bin'), Buffer.alloc(100));
  const before = snapshot(out);
  oneError(run(['train', ...TINY, '--steps', '3', '--out', out]), /no usable checkpoint to resume in .*step_000003\/weights\.bin: truncated .*\(and 3 older checkpoints are unusable too\); move .* away to start afresh/);
  assert.deepEqual(snapshot(out), before);
});

test('crash litter of dead writers is removed by the next run, a live writer\'s is kept; pretrain restores an --out set aside by a killed rebuild', () => {
  const out = copyRun('litter');
  const dead = deadPid();
  const sleeper = spawn('sleep', ['60']);
  try {
    mkdirSync(join(out, 'checkpoints', `.step_000004.${dead}.tmp`));
    writeFileSync(join(out, 'checkpoints', `.step_000004.${dead}.tmp`, 'weights.bin'), 'partial');
    writeFileSync(join(out, `.run.json.${dead}.tmp`), '{"half":');
    writeFileSync(join(out, 'checkpoints', `.latest_checkpointed_iteration.txt.${sleeper.pid}.tmp`), '9');
    const r = run(['train', ...TINY, '--steps', '4', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(out, 'checkpoints', `.step_000004.${dead}.tmp`)));
    assert.ok(!existsSync(join(out, `.run.json.${dead}.tmp`)));
    assert.ok(existsSync(join(out, 'checkpoints', `.latest_checkpointed_iteration.txt.${sleeper.pid}.tmp`)), 'a live process\'s temporary is kept');
    assert.equal(lines(r.stderr, 'rlsd-bench: notice: removed').length, 2, r.stderr);
  } finally {
    sleeper.kill('SIGKILL');
  }
  // A rebuild killed between renaming the old --out aside and the new one in: --out is missing.
  const parent = join(scratch, 'pt');
  mkdirSync(parent);
  cpSync(BASE, join(parent, `.base.${dead}.old`), { recursive: true });
  mkdirSync(join(parent, `.base.${dead}.tmp`));
  // --init names a checkpoint whose weights are cut short: its metadata passes the check made before the backend
  // starts, so pretrain restores --out and then stops loading the weights; --out must be the old base.
  const broken = join(scratch, 'broken-init');
  cpSync(BASE, broken, { recursive: true });
  writeFileSync(join(broken, 'weights.bin'), Buffer.alloc(8));
  const r = run(['pretrain', '--out', join(parent, 'base'), '--init', broken, '--steps', '1']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`rlsd-bench: notice: restored ${join(parent, 'base')} from \\.base\\.${dead}\\.old`));
  assert.deepEqual(readFileSync(join(parent, 'base', 'weights.bin')), readFileSync(join(BASE, 'weights.bin')));
  assert.deepEqual(readdirSync(parent).sort(), ['base'], 'no litter and no lock left');
});

test('size flags are bounded with the reason, before anything is written', async () => {
  const out = join(scratch, 'never');
  // The first of each command through the real binary, the others in this process (runCliInProcess: the same entry
  // and output).
  oneError(run(['train', ...TINY.slice(0, 2), '--prompts', '1e9', '--out', out]), /--prompts must be ≤ 1024 \(got 1000000000\): responses per step/);
  oneError(await runCliInProcess(['train', ...TINY.slice(0, 2), '--samples', '1e9', '--out', out]), /--samples must be ≤ 1024/);
  oneError(await runCliInProcess(['train', ...TINY.slice(0, 2), '--prompts', '64', '--samples', '32', '--out', out]), /--prompts × --samples must be ≤ 1024 \(got 64 × 32 = 2048\)/);
  oneError(await runCliInProcess(['train', ...TINY.slice(0, 2), '--train-items', '1e7', '--out', out]), /--train-items must be ≤ 20000 \(got 10000000\): problems per benchmark held in memory/);
  oneError(await runCliInProcess(['train', ...TINY.slice(0, 2), '--eval-items', '1e6', '--out', out]), /--eval-items must be ≤ 20000/);
  oneError(run(['pretrain', '--batch', '1e6', '--out', out]), /--batch must be ≤ 1024/);
  oneError(await runCliInProcess(['pretrain', '--train-items', '1e7', '--out', out]), /--train-items must be ≤ 20000/);
  oneError(await runCliInProcess(['pretrain', '--d-model', '4096', '--out', out]), /--d-model must be ≤ 512/);
  assert.ok(!existsSync(out));
});

test('Ctrl-C: the step reached, exit 130, the lock released; a rerun resumes, and under npx a vanished parent counts as SIGTERM', async () => {
  const out = join(scratch, 'interrupted');
  const child = start(['train', ...SMALL, '--steps', '400', '--checkpoint-every', '2', '--out', out]);
  const done = exited(child);
  await until(() => existsSync(join(out, 'checkpoints', 'step_000002', 'checkpoint.json')));
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /^rlsd-bench: interrupted at step (\d+) — rerun the same command to resume/m);
  assert.ok(!existsSync(join(out, '.rlsd-bench.lock')), 'lock released');
  // SIGTERM to the parent `npx` runs under: it does not pass the signal on; the launcher notices the parent gone.
  const log = join(scratch, 'npx.log');
  const sh = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" --backend wasm --quiet train ${SMALL.join(' ')} --steps 400 --checkpoint-every 2 --out "${out}" 2>"${log}"; true`], {
    cwd: REPO,
    env: { ...process.env, npm_command: 'exec' },
    stdio: 'ignore',
  });
  const lineCount = (): number => readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').length;
  const before = lineCount();
  await until(() => existsSync(join(out, '.rlsd-bench.lock')) && lineCount() > before + 1);
  sh.kill('SIGKILL');
  await until(() => !existsSync(join(out, '.rlsd-bench.lock')), 30_000);
  assert.match(readFileSync(log, 'utf8'), /rlsd-bench: interrupted at step \d+ — rerun the same command to resume/);
});

test('Ctrl-C on a terminal puts the cursor back', async () => {
  const out = join(scratch, 'tty');
  const cmd = `"${process.execPath}" "${BIN}" --backend wasm train ${TINY.join(' ')} --steps 400 --out "${out}"`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += String(d)));
  const ended = new Promise((res) => child.on('exit', res));
  await until(() => existsSync(join(out, 'checkpoints', 'step_000001', 'checkpoint.json')));
  const holder = JSON.parse(readFileSync(join(out, '.rlsd-bench.lock'), 'utf8')) as { pid: number };
  process.kill(holder.pid, 'SIGINT');
  await ended;
  const at = text.indexOf('rlsd-bench: interrupted at step');
  assert.ok(at > 0, text);
  assert.ok(text.includes('\x1b[?25l'), 'the bar hid the cursor');
  assert.ok(text.lastIndexOf('\x1b[?25h') > text.lastIndexOf('\x1b[?25l'), 'and it is shown again');
});

test('a read-only --out is named as read-only, not ENOENT / EACCES', () => {
  oneError(run(['train', ...TINY, '--steps', '1', '--out', '/proc/rlsd-bench-test/run']), /^rlsd-bench: error: \/proc is read-only \(cannot create rlsd-bench-test/);
  // A read-only mount where the system allows one (root in a container may not).
  const ro = join(scratch, 'ro');
  mkdirSync(ro);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]).status !== 0) return;
  try {
    oneError(run(['train', ...TINY, '--steps', '1', '--out', join(ro, 'run')]), new RegExp(`^rlsd-bench: error: ${ro} is read-only \\(cannot create run; EROFS\\)`));
    oneError(run(['pretrain', '--steps', '1', '--out', join(ro, 'base')]), new RegExp(`^rlsd-bench: error: ${ro} is read-only \\(cannot write base\\.lock\\)`));
  } finally {
    spawnSync('umount', [ro]);
  }
});
