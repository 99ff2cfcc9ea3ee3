// A sweep interrupted twice — SIGTERM (the sweep stops its cells at a step boundary and exits 143) and SIGKILL of
// its whole process group (nothing gets to clean up) — then rerun: the cell that had finished is neither rerun nor
// rewritten, the others resume from their checkpoints, and every cell's evaluations and summary equal an
// uninterrupted run's byte for byte; then killed during its report and rerun: the same tables as the reference's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellHolder, lastMetrics, readCellFile } from '../src/sweep/state.ts';
import { cliArgs, cliEnv, errorLines, runCli } from './fixtures.ts';

// Two grpo cells long enough to be caught mid-run (tiny steps), with a checkpoint every 2 steps to resume from.
const CONFIG = `name: resume
methods: [base, grpo]
seeds: [1, 2]
train: { steps: 16, prompts: 2, samples: 2, eval-items: 2, train-items: 4, eval-schedule: 'every:4', checkpoint-every: 2 }
`;
const CELLS = ['base/seed-1', 'grpo/seed-1', 'grpo/seed-2'];

function start(config: string, out: string, workers: number): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  // Its own process group, so that the test can kill the sweep and its train processes at once, as kill -9 of a
  // job (or a node going down) would.
  const child = spawn(process.execPath, cliArgs(['sweep', config, '--out', out, '--workers', String(workers), '--backend', 'wasm', '--no-report']), { env: cliEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; stderr: string }>((res) => child.on('close', (code) => res({ code, stderr })));
  return { child, done };
}

async function until(what: string, cond: () => boolean, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const step = (out: string, cell: string): number => lastMetrics(join(out, cell))?.step ?? -1;

/** The evaluation lines of a cell (step and val-core/* only: timings differ between runs), as text. */
function evalLines(out: string, cell: string): string {
  return readFileSync(join(out, cell, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, number>)
    .filter((m) => m['val-core/all/acc/mean@1'] !== undefined)
    .map((m) => JSON.stringify(Object.fromEntries(Object.entries(m).filter(([k]) => k === 'step' || k.startsWith('val-core/')))))
    .join('\n');
}

test('sweep resume: SIGTERM, then SIGKILL of the process group, then a rerun — finished cells untouched, results equal an uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-sweep-resume-'));
  const config = join(dir, 'sweep.yaml');
  writeFileSync(config, CONFIG);
  const ref = join(dir, 'reference');
  const out = join(dir, 'interrupted');

  // One worker: the cells run one after the other, the grpo cells first (longest first), the base cell last.
  // The reference runs meanwhile, with two workers (the numbers of a cell do not depend on what runs beside it).
  const reference = start(config, ref, 2);
  const first = start(config, out, 1);
  await until('grpo/seed-1 past its first checkpoint', () => step(out, 'grpo/seed-1') >= 3);
  first.child.kill('SIGTERM');
  const stopped = await first.done;
  assert.equal(stopped.code, 143, stopped.stderr);
  assert.match(stopped.stderr, /^rlsd-bench: interrupted \(SIGTERM\) — 0 of 3 cells done; rerun the same command to resume/m);
  assert.equal(cellHolder(join(out, 'grpo/seed-1')), null, 'its train process has exited');
  assert.equal(readCellFile(join(out, 'grpo/seed-1'))?.state, 'running', 'left to resume, not marked failed');
  assert.ok(step(out, 'grpo/seed-1') < 16);
  assert.match(runCli(['sweep', '--status', out]).stdout, /^grpo {2}stopped \d+\/16 {2}pending 0\/16$/m);

  // The rerun starts the cell with the most work left first: grpo/seed-2, then grpo/seed-1 from its checkpoint.
  const stoppedAt = step(out, 'grpo/seed-1');
  const second = start(config, out, 1);
  await until('grpo/seed-2 done and grpo/seed-1 resumed past a checkpoint', () => readCellFile(join(out, 'grpo/seed-2'))?.state === 'done' && readCellFile(join(out, 'grpo/seed-1'))?.attempts === 2 && step(out, 'grpo/seed-1') >= stoppedAt + 2);
  process.kill(-second.child.pid!, 'SIGKILL');
  await second.done;
  await until('the killed train processes to be gone', () => CELLS.every((c) => cellHolder(join(out, c)) === null), 10_000);
  assert.notEqual(readCellFile(join(out, 'grpo/seed-1'))?.state, 'done', 'killed mid-run');
  const files = (): [string, number][] =>
    ['cell.json', 'metrics.jsonl', 'summary.json'].map((f) => {
      const file = join(out, 'grpo/seed-2', f);
      return [readFileSync(file, 'utf8'), statSync(file).mtimeMs];
    });
  const kept = files();

  const last = runCli(['sweep', config, '--out', out, '--workers', '2', '--backend', 'wasm', '--no-report']);
  assert.equal(last.code, 0, last.stderr);
  assert.deepEqual(errorLines(last.stderr), []);
  assert.match(last.stdout, /3 of 3 done, 0 failed this run/);
  assert.deepEqual(files(), kept, 'the finished cell was not rerun');
  assert.deepEqual(CELLS.map((c) => readCellFile(join(out, c))?.attempts), [1, 3, 1], 'grpo/seed-1 ran three times (stopped, killed, finished), the others once');

  const r = await reference.done;
  assert.equal(r.code, 0, r.stderr);
  for (const c of CELLS) {
    assert.equal(readCellFile(join(out, c))?.state, 'done', c);
    assert.equal(evalLines(out, c), evalLines(ref, c), `${c}: evaluations differ from the uninterrupted run`);
    assert.equal(readFileSync(join(out, c, 'summary.json'), 'utf8'), readFileSync(join(ref, c, 'summary.json'), 'utf8'), `${c}: summary.json`);
  }

  // With every cell done a rerun goes straight to the report: killed in it, and rerun, the tables equal the
  // reference's (the report is rebuilt from the records, file by file).
  const reporting = spawn(process.execPath, cliArgs(['sweep', config, '--out', out]), { env: cliEnv(), detached: true, stdio: 'ignore' });
  const reported = new Promise((res) => reporting.on('close', res));
  await until('the report to start', () => existsSync(join(out, 'report')), 60_000).catch(() => undefined);
  try {
    process.kill(-reporting.pid!, 'SIGKILL');
  } catch {
    /* it had finished */
  }
  await reported;
  const final = runCli(['sweep', config, '--out', out]);
  assert.equal(final.code, 0, final.stderr);
  assert.match(final.stdout, /report → /);
  assert.equal(runCli(['report', ref]).code, 0);
  for (const f of ['accuracy.md', 'convergence.md', 'accuracy.csv'])
    assert.equal(readFileSync(join(out, 'report', f), 'utf8'), readFileSync(join(ref, 'report', f), 'utf8'), `report/${f}`);
});

test('a cell outlives no sweep: with RLSD_BENCH_EXIT_WITH_PARENT=1 (set by the sweep) a train whose parent is killed by SIGKILL stops at a step boundary, keeping its checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-orphan-'));
  const out = join(dir, 'run');
  // A shell stands in for the sweep: it starts the train, and is killed with -9 while the train runs.
  const train = cliArgs(['train', '--method', 'grpo', '--steps', '200', '--prompts', '2', '--samples', '2', '--eval-items', '2', '--train-items', '4', '--eval-schedule', 'never', '--checkpoint-every', '1', '--out', out]);
  const shell = spawn('/bin/sh', ['-c', `"${process.execPath}" ${train.map((a) => `'${a}'`).join(' ')} & wait`], { env: cliEnv({ RLSD_BENCH_EXIT_WITH_PARENT: '1' }), stdio: 'ignore' });
  try {
    await until('the train to pass step 2', () => (lastMetrics(out)?.step ?? -1) >= 2);
    shell.kill('SIGKILL');
    await until('the orphaned train to stop by itself', () => cellHolder(out) === null, 20_000);
    const stoppedAt = lastMetrics(out)?.step ?? -1;
    assert.ok(stoppedAt < 200, `stopped early (step ${stoppedAt})`);
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(lastMetrics(out)?.step, stoppedAt, 'nothing ran on after it stopped');
  } finally {
    shell.kill('SIGKILL');
  }
});
