// Atomic file writes: write to a temporary sibling, then rename, so that an interrupted run never
// leaves a half-written result behind. Writes into a read-only folder fail with one line naming the folder.
import { accessSync, chmodSync, constants as fsConstants, mkdirSync, renameSync, writeFileSync, appendFileSync, openSync, fsyncSync, closeSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { WriteError } from './errors.ts';

const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM']);

/** Runs a write, turning "read-only" errors of `dir` into a WriteError that names it. */
export function mapWriteError<T>(dir: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined && READ_ONLY_CODES.has(code)) throw new WriteError(`${dir} is read-only (cannot write ${what}; ${code})`);
    throw e;
  }
}

/**
 * mkdir -p that names the folder it could not write in. Node's own recursive mkdir reports ENOENT on a read-only
 * file system and never returns under /proc, so the missing components are made one by one from the nearest
 * existing ancestor.
 */
export function ensureDir(dir: string): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let at = target;
  while (!existsSync(at)) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (missing.length === 0) {
    if (!statSync(target).isDirectory()) throw new WriteError(`${target} is not a folder`);
    return;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      // ENOENT with an existing parent: a pseudo file system (procfs) that takes no new folders.
      if (code !== undefined && (READ_ONLY_CODES.has(code) || code === 'ENOENT')) throw new WriteError(`${dirname(d)} is read-only (cannot create ${basename(d)}; ${code})`);
      if (code === 'ENOTDIR') throw new WriteError(`${dirname(d)} is not a folder`);
      throw e;
    }
  }
}

/** Writes `data` to `tmp` (with `mode` when given), syncs it to disk and renames it over `file`. */
function writeSyncRename(tmp: string, file: string, data: string | Uint8Array, mode?: number): void {
  writeFileSync(tmp, data);
  if (mode !== undefined) chmodSync(tmp, mode);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = dirname(file);
  ensureDir(dir);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  mapWriteError(dir, basename(file), () => writeSyncRename(tmp, file, data));
}

/** JSON replacer: parquet INT64 columns arrive as BigInt, which JSON cannot hold. */
export function jsonSafe(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  return v;
}

/** The JSON text the project writes (non-finite numbers as strings, 2-space indent, final newline). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, jsonSafe, 2) + '\n';
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, jsonText(value));
}

/**
 * Refuses, naming the file, to replace an existing file that is not to be written: one whose mode has no write
 * permission (mode 444 means read-only even to root, who could otherwise replace it), one the system refuses
 * (another owner's, or immutable). `consequence` ends the message ("--update cannot rewrite it"). A missing file passes.
 */
export function checkReplaceable(file: string, consequence: string): void {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return;
  }
  if ((mode & 0o222) === 0) throw new WriteError(`${file} is read-only (mode ${(mode & 0o777).toString(8)}; chmod u+w makes it writable), so ${consequence}`);
  try {
    accessSync(file, fsConstants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'EPERM' ? 'EPERM: the file is immutable, see lsattr; chattr -i lifts it' : code === 'EACCES' ? `EACCES: no write permission for this user` : code;
    throw new WriteError(`${file} cannot be written (${why}), so ${consequence}`);
  }
}

/**
 * Replaces an existing file atomically (see checkReplaceable for what is refused); the new file keeps the old one's
 * mode, and a failed replacement leaves no temporary behind.
 */
export function replaceFileAtomic(file: string, data: string | Uint8Array, consequence: string): void {
  checkReplaceable(file, consequence);
  const dir = dirname(file);
  const mode = existsSync(file) ? statSync(file).mode & 0o7777 : undefined;
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  try {
    mapWriteError(dir, basename(file), () => writeSyncRename(tmp, file, data, mode));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Appends one JSON line (used for per-step metrics and per-item samples, which resume by reading back). */
export function appendJsonLine(file: string, value: unknown): void {
  ensureDir(dirname(file));
  mapWriteError(dirname(file), basename(file), () => appendFileSync(file, JSON.stringify(value, jsonSafe) + '\n'));
}

/** What a writer leaves beside its target while saving: `.<name>.<pid>.tmp` (being written), `.<name>.<pid>.old` (set aside). */
const LITTER = /^\.(.+)\.(\d+)\.(tmp|old)$/;

/** Whether a process of this host may still be writing (pid reuse errs on the side of keeping). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Cleans up after writers that were killed mid-save in `dir`: their temporaries are removed, and a target that a
 * save had set aside (`.<name>.<pid>.old`) but not yet replaced — killed between its two renames — is put back.
 * Only entries of processes that are gone; a live writer's are never touched. `only` limits it to some targets
 * (a folder shared with other outputs). Returns one line per action, for a notice.
 */
export function cleanCrashLitter(dir: string, only?: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const done: string[] = [];
  const entries = readdirSync(dir)
    .map((n) => ({ n, m: LITTER.exec(n) }))
    .filter((e): e is { n: string; m: RegExpExecArray } => e.m !== null && (!only || only(e.m[1]!)) && !pidAlive(Number(e.m[2])));
  // Newest set-aside copy first: it is the one the interrupted save replaced.
  const olds = entries.filter((e) => e.m[3] === 'old').sort((a, b) => statSync(join(dir, b.n)).mtimeMs - statSync(join(dir, a.n)).mtimeMs);
  for (const e of olds) {
    const target = join(dir, e.m[1]!);
    if (!existsSync(target)) {
      mapWriteError(dir, e.m[1]!, () => renameSync(join(dir, e.n), target));
      done.push(`restored ${target} from ${e.n}, set aside by a save of pid ${e.m[2]} that was interrupted`);
    } else {
      mapWriteError(dir, e.n, () => rmSync(join(dir, e.n), { recursive: true, force: true }));
      done.push(`removed ${join(dir, e.n)}, left by pid ${e.m[2]}`);
    }
  }
  for (const e of entries.filter((x) => x.m[3] === 'tmp')) {
    mapWriteError(dir, e.n, () => rmSync(join(dir, e.n), { recursive: true, force: true }));
    done.push(`removed ${join(dir, e.n)}, left by pid ${e.m[2]}`);
  }
  return done;
}
