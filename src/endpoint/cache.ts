// The response cache of the endpoint client: one small JSON file per answered request, named by the sha256 of the
// request, so an interrupted or repeated evaluation pays for nothing twice (a second identical run sends no request).
//
// The key is the canonical request: the chat-completions URL (origin and path), the whole body (model, messages,
// temperature, top_p, max_tokens, n, seed) with every image data URL replaced by the sha256 of its bytes (the key
// stays small and the same image is the same key), and the sample index. Anything that can change an answer is in
// the body, so a key never stands for two different requests. The API key is in no part of it.
//
// A model name does not say which weights answer. Entries live in one folder per URL and model (a scope), and per
// weights where the server names them before any request (`system_fingerprint` in its GET /v1/models entry, as
// `rlsd-bench serve` gives): other weights are another folder, never a hit. A scope also records when it was started
// and the first `system_fingerprint` its answers carried, so that a server that names its weights only in answers
// (OpenAI) is refused when it names other ones, and a server that names none is said to be trusted by name.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, mapWriteError, writeJsonAtomic } from '../util/fs.ts';
import type { Completion } from './protocol.ts';

// 2: entries in scope folders (format 1 kept answers of every weights under one name together, and is never read).
const FORMAT = 'rlsd-bench-endpoint-cache/2';
const SCOPE_FORMAT = 'rlsd-bench-endpoint-cache-scope/1';
const SCOPE_FILE = 'scope.json';

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
  protected readonly bad = new Set<string>();

  /** `warn` receives one line per unusable entry (the CLI prints it as a warning). */
  constructor(
    readonly dir: string,
    protected readonly warn: (line: string) => void = (line) => process.stderr.write(`rlsd-bench: warning: ${line}\n`),
  ) {}

  /** The part of the cache answering `model` at `url` (a chat-completions URL), with the weights `advertised` when known. */
  scope(url: string, model: string, advertised: string | null): CacheScope {
    const id = createHash('sha256').update(JSON.stringify({ format: FORMAT, url, model, fingerprint: advertised })).digest('hex').slice(0, 12);
    const readable = model.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 48);
    return new CacheScope(join(this.dir, `${readable}-${id}`), this.warn, { url, model, advertised });
  }

  private file(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** Skips an entry that cannot be a file, saying so once: the answer is asked again instead. */
  protected skip(file: string, what: string): undefined {
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

/** What a scope folder records about itself (scope.json). */
export interface ScopeRecord {
  format: string;
  url: string;
  model: string;
  /** The weights the answers came from: advertised by the server, else the first `system_fingerprint` an answer carried. */
  fingerprint: string | null;
  /** Whether `fingerprint` was advertised in GET /v1/models (and is part of the folder's name). */
  advertised: boolean;
  /** When the first answer was stored (ISO 8601). */
  created: string;
}

/** One scope of the cache: its entries, and what it records of the weights that answered. */
export class CacheScope extends ResponseCache {
  private record: ScopeRecord | null;

  constructor(
    dir: string,
    warn: (line: string) => void,
    readonly subject: { url: string; model: string; advertised: string | null },
  ) {
    super(dir, warn);
    this.record = this.readRecord();
  }

  private get recordFile(): string {
    return join(this.dir, SCOPE_FILE);
  }

  private readRecord(): ScopeRecord | null {
    const file = this.recordFile;
    if (!existsSync(file)) return null;
    try {
      const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<ScopeRecord>;
      if (v.format === SCOPE_FORMAT && typeof v.created === 'string' && (typeof v.fingerprint === 'string' || v.fingerprint === null)) return v as ScopeRecord;
    } catch {
      /* warned below */
    }
    this.warn(`${file} is not a readable cache scope record: it is written afresh (the answers beside it are kept)`);
    return null;
  }

  private writeRecord(record: ScopeRecord): void {
    this.record = record;
    try {
      writeJsonAtomic(this.recordFile, record);
    } catch (e) {
      // A record that cannot be written costs the age and the recorded fingerprint of the next run, not this one's answers.
      if (!this.bad.has(this.recordFile)) this.warn(`${this.recordFile} cannot be written (${(e as Error).message})`);
      this.bad.add(this.recordFile);
    }
  }

  /** The weights this scope's answers came from (advertised, or recorded from an answer), or null when unknown. */
  get fingerprint(): string | null {
    return this.subject.advertised ?? this.record?.fingerprint ?? null;
  }

  /** When the first answer was stored, or null for an empty scope. */
  get created(): Date | null {
    return this.record ? new Date(this.record.created) : null;
  }

  /** The answers stored. */
  entries(): number {
    if (!existsSync(this.dir)) return 0;
    return readdirSync(this.dir, { recursive: true, encoding: 'utf8' }).filter((f) => /[0-9a-f]{64}\.json$/.test(f)).length;
  }

  /** Records the `system_fingerprint` of an answer when the scope has none yet. */
  noteFingerprint(fingerprint: string): void {
    if (this.fingerprint !== null) return;
    this.writeRecord({ ...this.newRecord(), ...(this.record ?? {}), fingerprint });
  }

  private newRecord(): ScopeRecord {
    const { url, model, advertised } = this.subject;
    return { format: SCOPE_FORMAT, url, model, fingerprint: advertised, advertised: advertised !== null, created: new Date().toISOString() };
  }

  override put(key: string, completion: Completion): void {
    if (this.record === null && !this.bad.has(this.recordFile)) this.writeRecord(this.newRecord());
    super.put(key, completion);
  }
}

/** A duration in words, coarsely ('3 min', '2 h', '5 days'). */
export function durationWords(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}
