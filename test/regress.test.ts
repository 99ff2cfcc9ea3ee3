// `rlsd-bench regress` end to end with the committed baselines (results/reference/regress/): the golden
// trajectories of all six methods (from the deep world's base, and from the first suite's) and the learning check
// (every method's reward and held-out accuracy in their bands, GRPO and RLSD above the shuffled-reward control) pass
// on this tree; a baseline whose recorded values differ
// fails with exit 1 and a table of what moved, `--update` records the runs and says what changed; a malformed
// baseline is exit 2, runs that cannot run are exit 3. (`npm run regress:mutations` shows that the checks catch
// broken learning: it runs them on mutated copies of the tree.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, BIN, cliArgs, cliEnv, errorLines, REPO, runCli } from './fixtures.ts';

const GOLDEN = join(REPO, 'results', 'reference', 'regress', 'golden.json');
const LEARNING = join(REPO, 'results', 'reference', 'regress', 'learning.json');
const GOLDEN_MINI1 = join(REPO, 'results', 'reference', 'regress', 'golden-mini1.json');
const readJson = (f: string): Record<string, unknown> => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;

test('golden: the six methods reproduce their recorded trajectories and weights; a moved value fails with its table; --update records it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-regress-'));
  try {
    const r = runCli(['regress', GOLDEN, '--out', dir], { quiet: false });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /golden golden\.json: 6 cells, \d+ values and final weights as recorded \(tolerance 0\.000001\) — pass/);
    const runs = join(dir, 'golden');
    // The recorded values, one of them moved and another cell's weights hash changed: exit 1, the table names both.
    const moved = readJson(GOLDEN) as { expected: Record<string, { weightsSha256: string; metrics: Record<string, number>[] }> };
    const line = moved.expected['rlsd/seed-1']!.metrics.find((l) => l['step'] === 3 && 'actor/loss' in l)!;
    const was = line['actor/loss']!;
    line['actor/loss'] = was + 1e-3;
    moved.expected['grpo/seed-1']!.weightsSha256 = '0'.repeat(64);
    const copy = join(dir, 'moved.json');
    writeFileSync(copy, JSON.stringify(moved));
    const f = runCli(['regress', copy, '--runs', runs]);
    assert.equal(f.code, 1, f.stdout + f.stderr);
    assert.match(f.stdout, /golden moved\.json: 2 values moved in 2 of 6 cells — FAIL/);
    assert.match(f.stdout, /^cell\s+step\s+metric\s+expected\s+got$/m);
    assert.match(f.stdout, new RegExp(`^rlsd/seed-1\\s+3\\s+actor/loss\\s+${(was + 1e-3).toPrecision(9).replace('.', '\\.')}\\s+${was.toPrecision(9).replace('.', '\\.')}$`, 'm'));
    assert.match(f.stdout, /^grpo\/seed-1\s+—\s+final weights sha256\s+0{16}\s+[0-9a-f]{16}$/m);
    assert.match(f.stdout, /--update` records them/);
    // --update from the same runs: says what changed, and the file then passes.
    const u = runCli(['regress', copy, '--runs', runs, '--update']);
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.match(u.stdout, /rewritten; 2 values changed in 2 cells:/);
    assert.deepEqual((readJson(copy) as typeof moved).expected, readJson(GOLDEN)['expected'], 'the rewritten values are the committed ones');
    assert.equal(runCli(['regress', copy, '--runs', runs]).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('golden, first suite: the six methods reproduce their trajectories from the mini-1 base (the committed mini-1 tables stay reproducible)', () => {
  const r = runCli(['regress', GOLDEN_MINI1], { quiet: false });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /golden golden-mini1\.json: 6 cells, \d+ values and final weights as recorded \(tolerance 0\.000001\) — pass/);
});

test('learning: every method inside its bands and GRPO and RLSD above the shuffled-reward control (the CI smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-regress-'));
  try {
    const r = spawnSync(process.execPath, [BIN, '--quiet', 'regress', LEARNING, '--out', dir], { cwd: REPO, encoding: 'utf8', timeout: 900_000, env: cliEnv() });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^grpo\s+1\s+reward − control\s+[\d.]+\s+≥ 10\.00\s+pass$/m);
    assert.match(r.stdout, /^rlsd\s+1\s+reward − control\s+[\d.]+\s+≥ 10\.00\s+pass$/m);
    for (const row of ['base', 'grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd', 'grpo-shuffled-rewards'])
      for (const stat of row === 'base' ? ['heldout'] : ['reward', 'heldout'])
        assert.match(r.stdout, new RegExp(`^${row}\\s+1\\s+${stat}\\s+[\\d.]+\\s+\\[[\\d.-]+, [\\d.]+\\]\\s+pass$`, 'm'), `${row} ${stat}`);
    assert.match(r.stdout, /learning learning\.json: 15 checks over 7 rows × seed 1 — pass/);
    // A band the runs are outside of: exit 1, the row named.
    const b = readJson(LEARNING) as { bands: Record<string, Record<string, { low: number; high: number; mean: number }>> };
    const band = b.bands['rlsd']!['reward']!;
    band.low = band.high + 0.01;
    band.high = band.low + 0.02;
    const copy = join(dir, 'narrow.json');
    writeFileSync(copy, JSON.stringify(b));
    const f = runCli(['regress', copy, '--runs', join(dir, 'learning')]);
    assert.equal(f.code, 1, f.stdout + f.stderr);
    assert.match(f.stdout, /— FAIL: rlsd seed 1 reward [\d.]+$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('regress refuses a malformed baseline (exit 2) and says when the runs cannot run (exit 3)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-regress-'));
  try {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...readJson(GOLDEN), kind: 'fuzzy' }));
    const r = runCli(['regress', bad]);
    assert.equal(r.code, 2);
    assert.deepEqual(errorLines(r.stderr), [`rlsd-bench: error: ${bad}: kind must be golden or learning (got "fuzzy")`]);
    assert.equal(runCli(['regress', join(dir, 'none.json')]).code, 2);
    // A backend this machine lacks: the cell fails, nothing to compare.
    const tf = join(dir, 'tf.json');
    const g = readJson(GOLDEN) as { sweep: Record<string, unknown> };
    writeFileSync(tf, JSON.stringify({ ...g, backend: 'tensorflow', sweep: { ...g.sweep, base: BASE, methods: ['base'] } }));
    const t = runCli(['regress', tf, '--out', join(dir, 'runs')]);
    if (existsSync(join(REPO, 'node_modules', '@tensorflow', 'tfjs-node'))) return; // a machine with the native backend runs it
    assert.equal(t.code, 3, t.stdout + t.stderr);
    assert.match(errorLines(t.stderr)[0] ?? '', /^rlsd-bench: error: the runs of the baseline did not finish: 1 of 1 cells failed \(base\/seed-1: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A one-cell golden baseline (the base method, one step): --update on it runs in seconds.
function tinyGolden(dir: string): string {
  const g = readJson(GOLDEN) as { sweep: Record<string, unknown> };
  const file = join(dir, 'tiny.json');
  writeFileSync(file, JSON.stringify({ ...g, sweep: { ...g.sweep, base: BASE, name: 'tiny', methods: ['base'] }, expected: {} }, null, 2) + '\n');
  return file;
}

/** What is beside the baseline, apart from the baseline itself and the runs folder. */
const litter = (dir: string, keep: string[]): string[] => readdirSync(dir).filter((n) => !keep.includes(n));

test('regress --update keeps the mode of the baseline it rewrites', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-regress-'));
  try {
    const file = tinyGolden(dir);
    chmodSync(file, 0o640);
    const u = runCli(['regress', file, '--update', '--out', join(dir, 'runs')]);
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.match(u.stdout, /golden .*tiny\.json: rewritten/);
    assert.ok('base/seed-1' in (readJson(file)['expected'] as Record<string, unknown>));
    assert.equal(statSync(file).mode & 0o7777, 0o640);
    assert.deepEqual(litter(dir, ['tiny.json', 'runs']), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('regress --update refuses an immutable baseline before running, naming the file, and leaves nothing behind', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-regress-'));
  const file = tinyGolden(dir);
  if (spawnSync('chattr', ['+i', file]).status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    t.skip('chattr +i is not available here (needs root and a file system with the immutable flag)');
    return;
  }
  try {
    const before = readFileSync(file, 'utf8');
    const r = runCli(['regress', file, '--update', '--out', join(dir, 'runs')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(errorLines(r.stderr), [`rlsd-bench: error: ${file} cannot be written (EPERM: the file is immutable, see lsattr; chattr -i lifts it), so --update cannot rewrite it`]);
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.deepEqual(litter(dir, ['tiny.json']), [], 'no temporary file and no runs: refused before anything ran');
  } finally {
    spawnSync('chattr', ['-i', file]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('regress --update as a non-root user refuses a mode-444 baseline, naming the file; the mode and the text stay', (t) => {
  // As root, the test runs the command as nobody (setpriv); as another user, directly.
  const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  if (asUser.length > 0 && spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']).status !== 0) {
    t.skip('cannot run a command as a non-root user here (setpriv)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-regress-'));
  try {
    chmodSync(dir, 0o777); // the folder is writable by the user: only the file's mode says read-only
    const file = tinyGolden(dir);
    chmodSync(file, 0o444);
    const before = readFileSync(file, 'utf8');
    const [cmd, ...pre] = [...asUser, process.execPath];
    const r = spawnSync(cmd!, [...pre, ...cliArgs(['regress', file, '--update', '--out', join(dir, 'runs')])], { cwd: REPO, encoding: 'utf8', timeout: 180_000, env: cliEnv() });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.deepEqual(errorLines(r.stderr), [`rlsd-bench: error: ${file} is read-only (mode 444; chmod u+w makes it writable), so --update cannot rewrite it`]);
    assert.equal(statSync(file).mode & 0o7777, 0o444);
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.deepEqual(litter(dir, ['tiny.json']), []);
    // Root is refused the same: a file without write permission is not rewritten by anyone.
    const root = runCli(['regress', file, '--update', '--out', join(dir, 'runs')]);
    assert.equal(root.code, 1, root.stdout + root.stderr);
    assert.match(errorLines(root.stderr)[0] ?? '', /is read-only \(mode 444/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
