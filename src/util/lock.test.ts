// One writer per folder: a live holder is refused with its name, a dead one is taken over, release cleans up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, LOCK_NAME, lockDir } from './lock.ts';
import { LockError } from './errors.ts';

test('a second holder is refused with one line naming the first; release frees the lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-lock-'));
  const file = join(dir, LOCK_NAME);
  // A live holder: this test's parent process (certainly running), written as another process would.
  writeFileSync(file, JSON.stringify({ pid: process.ppid, host: hostname(), command: 'train --method grpo', since: '2026-01-01T00:00:00Z' }));
  assert.throws(() => acquireLock(file, 'eval'), (e: Error) => e instanceof LockError && /in use by pid \d+ on .*'train --method grpo'/.test(e.message) && !e.message.includes('\n'));
  assert.ok(existsSync(file), 'the live lock is kept');
});

test('a lock whose process is gone is taken over with a notice, and released on release()', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-lock-'));
  const file = join(dir, LOCK_NAME);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  writeFileSync(file, JSON.stringify({ pid: deadPid, host: hostname(), command: 'train', since: 'then' }));
  const notices: string[] = [];
  const lock = acquireLock(file, 'eval', (l) => notices.push(l));
  assert.equal(notices.length, 1);
  assert.match(notices[0]!, new RegExp(`taking over the lock of pid ${deadPid} .*no longer running`));
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
  lock.release();
  assert.ok(!existsSync(file));
});

test('a lock of another host is never taken over', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-lock-'));
  const file = join(dir, LOCK_NAME);
  writeFileSync(file, JSON.stringify({ pid: 999999, host: 'elsewhere', command: 'sweep', since: 'then' }));
  assert.throws(() => acquireLock(file, 'eval'), /in use by pid 999999 on elsewhere/);
});

test('lockDir removes a folder it created when nothing was written; a read-only folder says read-only', () => {
  const root = mkdtempSync(join(tmpdir(), 'rlsd-lock-'));
  const dir = join(root, 'fresh');
  const lock = lockDir(dir, 'eval');
  assert.ok(existsSync(join(dir, LOCK_NAME)));
  lock.release();
  assert.ok(!existsSync(dir));
  if (process.getuid?.() !== 0) {
    const ro = join(root, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    assert.throws(() => lockDir(ro, 'eval'), /read-only/);
  }
});
