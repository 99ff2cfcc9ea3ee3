// One writer per folder: every command that writes a run, evaluation, checkpoint or score file holds a lock
// file created with O_EXCL that names its holder (pid, host, command, time). A second process refuses with one
// line naming the holder; a lock whose process is gone (same host, no such pid) is taken over with a notice.
// Locks are released on exit, including an exit forced by Ctrl-C or an error; a SIGKILLed holder leaves its
// lock, which the next run then takes over.
import { closeSync, existsSync, linkSync, openSync, readFileSync, readdirSync, renameSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ensureDir, pidAlive } from './fs.ts';
import { LockError } from './errors.ts';

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export interface Lock {
  file: string;
  release(): void;
}

/** The lock file of a folder a command writes into. */
export const LOCK_NAME = '.rlsd-bench.lock';

const held = new Map<string, Lock>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lock of [...held.values()]) lock.release();
  });
}

function readHolder(file: string): LockHolder | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof v.pid !== 'number' || typeof v.host !== 'string') return null;
    return { pid: v.pid, host: v.host, command: String(v.command ?? '?'), since: String(v.since ?? '?') };
  } catch {
    return null;
  }
}

/** Whether the holder's process is gone. Only decidable on this host; a lock of another host is kept. */
function holderIsDead(h: LockHolder): boolean {
  return h.host === hostname() && !pidAlive(h.pid);
}

function describe(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host} ('${h.command}', since ${h.since})`;
}

function tryCreate(file: string, me: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') throw new LockError(`${dirname(file)} is read-only (cannot write ${basename(file)})`);
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(me) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the lock file `file` for `command`, or throws LockError naming the holder. A dead holder's lock is moved
 * aside atomically (so two processes taking over the same dead lock cannot both win) and replaced, with a notice.
 */
export function acquireLock(file: string, command: string, notice: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Lock {
  const existing = held.get(file);
  if (existing) return existing;
  ensureDir(dirname(file));
  const me: LockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(file, me)) {
      let released = false;
      const lock: Lock = {
        file,
        release: () => {
          if (released) return;
          released = true;
          held.delete(file);
          // Only remove the file while it still names this process.
          const h = readHolder(file);
          if (h && h.pid === me.pid && h.host === me.host && h.since === me.since) {
            try {
              unlinkSync(file);
            } catch {
              /* already gone */
            }
          }
        },
      };
      held.set(file, lock);
      installExitHook();
      return lock;
    }
    const holder = readHolder(file);
    if (holder === null) {
      // Created but not yet written by its holder, or torn by a crash: give a writer a moment, then treat as dead.
      if (attempt < 2) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
    } else if (!holderIsDead(holder)) {
      throw new LockError(`${dirname(file)} is in use by ${describe(holder)}; wait for it to finish or stop it (lock file ${file})`);
    }
    const aside = `${file}.stale.${process.pid}`;
    try {
      renameSync(file, aside);
    } catch {
      continue; // someone else moved it first
    }
    const moved = readHolder(aside);
    if (holder && moved && (moved.pid !== holder.pid || moved.since !== holder.since)) {
      // We moved a fresh lock another process had just taken over: put it back unless a third one got there.
      try {
        linkSync(aside, file);
      } catch {
        /* the slot is taken again; the next attempt reads its holder */
      }
      unlinkSync(aside);
      continue;
    }
    unlinkSync(aside);
    notice(`rlsd-bench: notice: taking over the lock of ${holder ? describe(holder) : 'an unreadable holder'}, which is no longer running (${file})`);
  }
  throw new LockError(`could not take the lock ${file} (other processes keep taking it)`);
}

/** Locks a folder a command writes into (the lock file lives inside it; the folder is created when missing). */
export function lockDir(dir: string, command: string): Lock {
  const created = !existsSync(dir);
  const lock = acquireLock(join(dir, LOCK_NAME), command);
  if (!created) return lock;
  // A folder made only to hold the lock is removed again when the command wrote nothing into it.
  return {
    file: lock.file,
    release: () => {
      lock.release();
      try {
        if (readdirSync(dir).length === 0) rmdirSync(dir);
      } catch {
        /* gone or not empty */
      }
    },
  };
}

/** Runs `fn` holding the lock of `dir`, released afterwards whatever happens. */
export async function withDirLock<T>(dir: string, command: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = lockDir(dir, command);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
