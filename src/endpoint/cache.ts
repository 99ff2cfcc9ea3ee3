// The response cache of the endpoint client: one small JSON file per answered request, named by the sha256 of the
// request, so an interrupted or repeated evaluation pays for nothing twice (a second identical run sends no request).
//
// The key is the canonical request: the chat-completions URL (origin and path), the whole body (model, messages,
// temperature, top_p, max_tokens, n, seed) with every image data URL replaced by the sha256 of its bytes (the key
// stays small and the same image is the same key), and the sample index. Anything that can change an answer is in
// the body, so a key never stands for two different requests. The API key is in no part of it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, mapWriteError } from '../util/fs.ts';
import type { Completion } from './client.ts';

const FORMAT = 'rlsd-bench-endpoint-cache/1';

/** The body with each data URL replaced by `sha256:<hex>` of the URL (which holds the image's bytes verbatim). */
function withImageHashes(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith('data:') ? `sha256:${createHash('sha256').update(value).digest('hex')}` : value;
  if (Array.isArray(value)) return value.map(withImageHashes);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = withImageHashes((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** The cache key of a request (hex sha256 of its canonical form; keys are sorted so property order does not matter). */
export function requestKey(url: string, body: unknown, extra: Record<string, unknown> = {}): string {
  const canonical = JSON.stringify({ format: FORMAT, url, body: withImageHashes(body), extra: withImageHashes(extra) });
  return createHash('sha256').update(canonical).digest('hex');
}

/** Where a cache entry cannot be: the path is a folder, or a path component is a file. */
const NOT_A_FILE_CODES = new Set(['EISDIR', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY']);

export class ResponseCache {
  /** Entries found unusable in this run: warned about once, then neither read nor written. */
  private readonly bad = new Set<string>();

  /** `warn` receives one line per unusable entry (the CLI prints it as a warning). */
  constructor(
    readonly dir: string,
    private readonly warn: (line: string) => void = (line) => process.stderr.write(`rlsd-bench: warning: ${line}\n`),
  ) {}

  private file(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** Skips an entry that cannot be a file, saying so once: the answer is asked again instead. */
  private skip(file: string, what: string): undefined {
    if (!this.bad.has(file)) {
      this.bad.add(file);
      this.warn(`the response cache entry ${file} ${what}: skipped (the answer is asked again and not cached)`);
    }
    return undefined;
  }

  /** The stored answer, or undefined (also for an entry a kill cut short: it is simply asked again). */
  get(key: string): Completion | undefined {
    const file = this.file(key);
    if (this.bad.has(file) || !existsSync(file)) return undefined;
    if (!statSync(file).isFile()) return this.skip(file, 'is a folder, not a file');
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as { format?: string; text?: unknown; finishReason?: unknown };
      if (v.format !== FORMAT || typeof v.text !== 'string') return undefined;
      return { text: v.text, finishReason: typeof v.finishReason === 'string' ? v.finishReason : null };
    } catch {
      return undefined;
    }
  }

  /**
   * Stores an answer: a temporary file renamed into place (no fsync: a lost entry only costs one request again). An
   * entry that cannot be a file (a folder in its place, a file where its folder should be) is skipped with a warning.
   */
  put(key: string, completion: Completion): void {
    const file = this.file(key);
    if (this.bad.has(file)) return;
    const dir = join(this.dir, key.slice(0, 2));
    if (existsSync(dir) && !statSync(dir).isDirectory()) return void this.skip(file, `cannot be written (${dir} is a file, not a folder)`);
    ensureDir(dir);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      mapWriteError(dir, 'a response cache entry', () => {
        writeFileSync(tmp, JSON.stringify({ format: FORMAT, text: completion.text, finishReason: completion.finishReason }));
        renameSync(tmp, file);
      });
    } catch (e) {
      rmSync(tmp, { force: true });
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== undefined && NOT_A_FILE_CODES.has(code)) return void this.skip(file, existsSync(file) && !statSync(file).isFile() ? 'is a folder, not a file' : `cannot be written (${code})`);
      throw e;
    }
  }
}
