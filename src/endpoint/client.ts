// The client of an OpenAI-compatible chat-completions server (vLLM, SGLang, llama.cpp, Ollama, OpenAI itself), used by
// `eval --endpoint` for the model's responses and by `--judge-endpoint` for MathVista's answer extraction.
//
// Plain fetch (Node's built-in undici), not the `openai` npm package: the retry policy is the part that decides what
// an evaluation records, so it is written here once — exponential backoff with full jitter on 429 / 408 / 5xx /
// network errors / timeouts / malformed or cut-short bodies, `Retry-After` (seconds or an HTTP date) honoured and
// capped, one per-request timeout that covers the body too — instead of being split between the package's own
// retries (which would have to be turned off) and ours; and it adds no dependency.
//
// The API key is read from the environment variable the user names (--api-key-env) and lives only in the
// Authorization header of the requests: it is never part of a cache key, a record, a log line or an error message
// (whatever text a server sends — an answer, its finish reason, an error — has it redacted before it is kept or
// quoted, since some servers echo request headers back).
import { durationWords, requestKey, type CacheScope, type ResponseCache } from './cache.ts';
import type { ChatMessage, Completion } from './protocol.ts';
import { RlsdBenchError, UsageError } from '../util/errors.ts';

/** A server and the model name it serves (the `model` of the request). */
export interface EndpointTarget {
  /** The base URL as OpenAI clients take it (`http://127.0.0.1:8000/v1`), or the full `…/chat/completions` URL. */
  url: string;
  model: string;
  /** The environment variable holding the API key (none: no Authorization header). */
  apiKeyEnv?: string;
  /** The weights the server names for the model (GET /v1/models), filled in when an evaluation starts. */
  fingerprint?: string;
}

/** How requests are sent; every field has a CLI flag (`eval --help`). */
export interface ClientSettings {
  /** Requests in flight at once. */
  concurrency: number;
  /** Seconds a request (headers and body) may take before it is abandoned and retried. */
  timeoutS: number;
  /** Retries after the first attempt. */
  retries: number;
  /** Base of the exponential backoff, seconds: attempt n waits uniformly in [0, min(cap, base · 2^(n−1))]. */
  retryDelayS: number;
  /** The folder of the response cache, or null for none. */
  cache: string | null;
}

export const DEFAULT_CLIENT: ClientSettings = { concurrency: 8, timeoutS: 300, retries: 5, retryDelayS: 1, cache: null };

/** The longest backoff between attempts, and the longest Retry-After obeyed (a server asking for an hour gets a minute). */
export const MAX_BACKOFF_MS = 60_000;
export const MAX_RETRY_AFTER_MS = 60_000;

/** The body of one chat-completions request (one sample: n = 1, so each sample is cached on its own). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature: number;
  top_p?: number;
  max_tokens: number;
  n: 1;
  seed?: number;
}

/** A request that failed for good (retries used up, or a refusal retrying cannot fix); the item gets an error record. */
export class EndpointRequestError extends Error {
  override name = 'EndpointRequestError';
  /** `refused`: the server answered with a refusal (an HTTP 4xx), which asking again meets again; else retries ran out. */
  constructor(
    message: string,
    readonly kind: 'refused' | 'gave-up' = 'gave-up',
  ) {
    super(message);
  }
}

/** A refusal that would fail every request alike (bad key, wrong path or model): the evaluation stops. */
export class EndpointError extends RlsdBenchError {
  override name = 'EndpointError';
}

/** Counts of one client's traffic (the summary line, and the tests' view of retries). */
export interface ClientStats {
  /** Answers taken from the cache (no request sent). */
  cached: number;
  /** HTTP attempts sent (first tries and retries). */
  requests: number;
  retries: number;
  /** Requests that failed for good. */
  failed: number;
}

/** The URL requests go to: the base URL + /chat/completions (unless it already ends so). Refuses what cannot be right. */
export function chatCompletionsUrl(flag: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${flag} must be an http(s) URL such as http://127.0.0.1:8000/v1 (got '${raw}')`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--${flag} must be an http(s) URL such as http://127.0.0.1:8000/v1 (got '${raw}')`);
  // Credentials in a URL would be written into results.json and the cache key: the key goes in an environment variable.
  if (url.username || url.password) throw new UsageError(`--${flag} must not hold credentials (user:password@); name the environment variable holding the key with --api-key-env`);
  if (url.search || url.hash) throw new UsageError(`--${flag} must not have a query or fragment (got '${raw}'): it is recorded in results.json; give the base URL, e.g. http://127.0.0.1:8000/v1`);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/chat/completions') ? path : `${path}/chat/completions`;
  return url;
}

/** The API key named by `envName`, or undefined for none; a variable that is unset or empty is refused by name (never by value). */
export function readApiKey(flag: string, envName: string | undefined): string | undefined {
  if (envName === undefined) return undefined;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envName)) throw new UsageError(`--${flag} takes the name of an environment variable (letters, digits, _), not a key`);
  const v = process.env[envName];
  if (v === undefined || v === '') throw new UsageError(`--${flag} ${envName}: the environment variable ${envName} is not set (or empty)`);
  return v;
}

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): uniform in [0, min(cap, base · 2^(retry−1))]. */
export function backoffMs(retry: number, baseMs: number, random: () => number = Math.random): number {
  return random() * Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (retry - 1));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Attempt = { ok: Completion; fingerprint: string | null } | { retry: string; afterMs?: number | null } | { fail: string } | { fatal: string };

/** What the server says of the model in GET /v1/models (fields it does not give are null). */
export interface ServedModel {
  /** `system_fingerprint` of the model object (rlsd-bench serve's extension): which weights answer. */
  fingerprint: string | null;
  /** vLLM's `max_model_len`: the positions of prompt and response together. */
  maxModelLen: number | null;
  /** The longest response a request may ask for: `max_completion_tokens` of the model object (rlsd-bench serve's), else max_model_len. */
  maxResponseTokens: number | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The eval flag behind a request field, named when a server refuses the field. */
const SETTING_FLAGS: Record<string, string> = { max_tokens: '--max-new-tokens', max_completion_tokens: '--max-new-tokens', temperature: '--temperature', top_p: '--top-p', seed: '--seed', n: '--samples', model: '--model' };

/**
 * The request field an error body (OpenAI's `{error: {param}}`) blames, when it is one every request shares: a
 * refusal of the settings, not of one item's messages (a prompt too long, an unreadable image), which only that item meets.
 */
function settingParam(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const param = isRecord(parsed) && isRecord(parsed['error']) ? parsed['error']['param'] : undefined;
  return typeof param === 'string' && param !== '' && !param.startsWith('messages') ? param : null;
}

export class EndpointClient {
  readonly url: URL;
  readonly stats: ClientStats = { cached: 0, requests: 0, retries: 0, failed: 0 };
  private readonly headers: Record<string, string>;
  private readonly secret: string | undefined;
  private opened: Promise<ServedModel> | null = null;
  private served: ServedModel | null = null;
  private capNoted = false;
  /** The cache's part for this server, model and weights (set by open). */
  private scope: CacheScope | null = null;

  /** `notify` receives the lines a user should read at start (the CLI prints them as notes). */
  constructor(
    readonly target: EndpointTarget,
    readonly settings: ClientSettings,
    private readonly cache: ResponseCache | null,
    apiKey: string | undefined,
    private readonly notify: (line: string) => void = (line) => process.stderr.write(`rlsd-bench: note: ${line}\n`),
  ) {
    this.url = chatCompletionsUrl('endpoint', target.url);
    this.secret = apiKey;
    this.headers = { 'content-type': 'application/json', accept: 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
  }

  /** Text a server sent with the key's value replaced by [redacted]: some servers echo request headers back. */
  redact(text: string): string {
    return this.secret ? text.split(this.secret).join('[redacted]') : text;
  }

  /** A completion as it may be written anywhere (records, cache): every field the server chose, redacted. */
  private redacted(c: Completion): Completion {
    return { text: this.redact(c.text), finishReason: c.finishReason === null ? null : this.redact(c.finishReason) };
  }

  /** Text a server sent, fit for a one-line message: the key removed, whitespace folded, cut short. */
  private quote(text: string): string {
    const t = this.redact(text).replace(/\s+/g, ' ').trim();
    return t.length > 200 ? `${t.slice(0, 200)}…` : t;
  }

  /** GET /v1/models beside the chat-completions path (the same base URL). */
  get modelsUrl(): URL {
    const url = new URL(this.url.href);
    url.pathname = url.pathname.replace(/\/chat\/completions$/, '/models');
    return url;
  }

  /**
   * What the server says of the model (once; every later call returns the same): its GET /v1/models entry, read
   * before any request so that the cache can key on the weights it names. A server without the route, or one that is
   * down, simply names nothing (its requests then fail as requests do). Opens the cache's scope and says at start
   * when the cache can only trust the model's name.
   */
  open(): Promise<ServedModel> {
    this.opened ??= this.readServedModel().then((served) => {
      this.served = served;
      if (this.cache) {
        const where = `${this.url.origin}${this.url.pathname}`;
        this.scope = this.cache.scope(where, this.target.model, served.fingerprint);
        if (served.fingerprint === null) this.notify(this.trustNote(this.scope));
      }
      return served;
    });
    return this.opened;
  }

  private trustNote(scope: CacheScope): string {
    const n = scope.entries();
    const since = scope.created;
    const held =
      n === 0 || since === null
        ? 'it holds no answer yet'
        : `it holds ${n} answer${n === 1 ? '' : 's'}, the first stored ${since.toISOString().slice(0, 16).replace('T', ' ')} UTC (${durationWords(Date.now() - since.getTime())} ago)${scope.fingerprint !== null ? ` under system_fingerprint ${scope.fingerprint}` : ''}`;
    return `${this.url.origin} names no weights for model '${this.target.model}' (no system_fingerprint in GET /v1/models), so the response cache ${scope.dir} trusts the name: ${held}. If other weights now answer under this name, delete that folder or run with --no-cache`;
  }

  private async readServedModel(): Promise<ServedModel> {
    const none: ServedModel = { fingerprint: null, maxModelLen: null, maxResponseTokens: null };
    let listing: unknown;
    try {
      const res = await fetch(this.modelsUrl, { headers: { accept: 'application/json', ...(this.headers['authorization'] ? { authorization: this.headers['authorization'] } : {}) }, signal: AbortSignal.timeout(Math.min(this.settings.timeoutS, 30) * 1000) });
      if (!res.ok) return none;
      listing = JSON.parse(await res.text());
    } catch {
      return none;
    }
    const data = isRecord(listing) && Array.isArray(listing['data']) ? listing['data'] : [];
    const entry = data.find((m): m is Record<string, unknown> => isRecord(m) && m['id'] === this.target.model);
    const fp = entry?.['system_fingerprint'];
    const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);
    const maxModelLen = count(entry?.['max_model_len']);
    return { fingerprint: typeof fp === 'string' && fp !== '' ? this.redact(fp) : null, maxModelLen, maxResponseTokens: count(entry?.['max_completion_tokens']) ?? maxModelLen };
  }

  /**
   * The max_tokens to send for `requested`: capped to the longest response the server says the model takes (known
   * after open), so that a request it would refuse for its length is never sent. Says so once when it caps.
   */
  maxTokensFor(requested: number): number {
    const cap = this.served?.maxResponseTokens ?? null;
    if (cap === null || requested <= cap) return requested;
    if (!this.capNoted) {
      this.capNoted = true;
      const len = this.served?.maxModelLen ?? null;
      this.notify(`model '${this.target.model}' at ${this.url.origin} takes responses of at most ${cap} tokens${len !== null ? ` (max_model_len ${len}, prompt and response together)` : ''}: max_tokens ${requested} is capped to ${cap}; a smaller --max-new-tokens leaves the prompt more room`);
    }
    return cap;
  }

  /** Refuses an answer from other weights than the cache's scope holds; records the first fingerprint a scope sees. */
  private checkFingerprint(fingerprint: string | null): void {
    const scope = this.scope;
    if (scope === null || fingerprint === null) return;
    const expected = scope.fingerprint;
    if (expected === null) return scope.noteFingerprint(fingerprint);
    if (fingerprint !== expected)
      throw new EndpointError(
        `${this.url.origin} now answers model '${this.target.model}' with system_fingerprint ${fingerprint}, but the response cache ${scope.dir} holds answers of ${expected}: other weights answer under this name; delete that folder or run with --no-cache (or another --cache)`,
      );
  }

  /**
   * One response: from the cache when this exact request was answered before, else from the server (retried as the
   * top of this file says). `keyExtra` joins the cache key (the sample index). Throws EndpointRequestError when the
   * request fails for good and EndpointError when the server refuses in a way every request would meet, or answers
   * from other weights than the cache holds.
   */
  async complete(asked: ChatRequest, keyExtra: Record<string, unknown> = {}): Promise<Completion> {
    await this.open();
    const request = { ...asked, max_tokens: this.maxTokensFor(asked.max_tokens) };
    const scope = this.scope;
    const key = scope ? requestKey(`${this.url.origin}${this.url.pathname}`, request, { ...keyExtra, ...(scope.subject.advertised !== null ? { fingerprint: scope.subject.advertised } : {}) }) : null;
    if (key !== null) {
      const hit = scope!.get(key);
      if (hit) {
        this.stats.cached++;
        return this.redacted(hit);
      }
    }
    const payload = JSON.stringify(request);
    let problem = '';
    const attempts = this.settings.retries + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      this.stats.requests++;
      const r = await this.attempt(payload);
      if ('ok' in r) {
        this.checkFingerprint(r.fingerprint);
        const answer = this.redacted(r.ok);
        if (key !== null) scope!.put(key, answer);
        return answer;
      }
      if ('fatal' in r) throw new EndpointError(r.fatal);
      if ('fail' in r) {
        this.stats.failed++;
        throw new EndpointRequestError(r.fail, 'refused');
      }
      problem = r.retry;
      if (attempt === attempts) break;
      this.stats.retries++;
      const wait = r.afterMs != null ? Math.min(r.afterMs, MAX_RETRY_AFTER_MS) : backoffMs(attempt, this.settings.retryDelayS * 1000);
      await sleep(wait);
    }
    this.stats.failed++;
    throw new EndpointRequestError(`${problem} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
  }

  private async attempt(payload: string): Promise<Attempt> {
    const where = `${this.url.origin}${this.url.pathname}`;
    let res: Response;
    let body: string;
    // One deadline for the headers and the body: a server that stalls mid-body is as stuck as one that never answers.
    const signal = AbortSignal.timeout(this.settings.timeoutS * 1000);
    try {
      res = await fetch(this.url, { method: 'POST', headers: this.headers, body: payload, signal });
      body = await res.text();
    } catch (e) {
      return { retry: this.networkProblem(e) };
    }
    const status = res.status;
    if (status === 429 || status === 408 || status >= 500) return { retry: `HTTP ${status} from ${where}: ${this.quote(body) || res.statusText}`, afterMs: parseRetryAfter(res.headers.get('retry-after')) };
    if (status === 401 || status === 403)
      return { fatal: `${where} refused the request (HTTP ${status}: ${this.quote(body) || res.statusText}); check the key (--api-key-env names the variable that holds it)` };
    if (status === 404) return { fatal: `${where} answered HTTP 404 (${this.quote(body) || res.statusText}); check --endpoint (the base URL, e.g. http://127.0.0.1:8000/v1) and --model '${this.target.model}'` };
    const refusedSetting = status === 400 || status === 422 ? settingParam(body) : null;
    if (refusedSetting !== null)
      return { fatal: `${where} refused the request's '${refusedSetting}' (HTTP ${status}: ${this.quote(body) || res.statusText}); every request carries it, so no retry can help: change the setting${SETTING_FLAGS[refusedSetting] ? ` (${SETTING_FLAGS[refusedSetting]})` : ''} and rerun` };
    if (status < 200 || status >= 300) return { fail: `HTTP ${status} from ${where}: ${this.quote(body) || res.statusText}` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { retry: `malformed JSON from ${where} (${body.length} bytes: ${this.quote(body.slice(0, 60))})` };
    }
    const answer = parsed as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[]; system_fingerprint?: unknown } | null;
    const choice = answer?.choices?.[0];
    const content = choice?.message?.content;
    if (!choice || (typeof content !== 'string' && content !== null)) return { retry: `a response from ${where} without choices[0].message.content` };
    const fingerprint = typeof answer?.system_fingerprint === 'string' && answer.system_fingerprint !== '' ? this.redact(answer.system_fingerprint) : null;
    return { ok: { text: content ?? '', finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null }, fingerprint };
  }

  private networkProblem(e: unknown): string {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no complete answer within ${this.settings.timeoutS} s (--timeout) from ${this.url.origin}`;
    const detail = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
    return `network error talking to ${this.url.origin}: ${this.quote(String(detail))}`;
  }
}

/**
 * Runs `work` over `items` with at most `concurrency` in flight, in order of index. The first thrown error stops
 * new work; the calls in flight are awaited before it is rethrown, so nothing runs on after the caller has moved on.
 */
export async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
