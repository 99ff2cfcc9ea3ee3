// `rlsd-bench serve`: a policy checkpoint behind the OpenAI chat-completions API, so that any OpenAI client (and
// `eval --endpoint`) can query it. A request's messages become a benchmark prompt through the one shared mapping
// (protocol.ts promptFromMessages), and the prompt is encoded and decoded exactly as a local evaluation does
// (src/eval.ts: encodeContext lenient with the response reserved, the first image's patches, generate) — so a
// greedy request returns the very text `eval` writes for the item.
//
// Requests are decoded one at a time (a request's n choices together, as one batch): a response never depends on
// which other requests were in flight. Waiting requests are bounded (429 with Retry-After beyond), bodies too
// (413). Every failure is answered with OpenAI's error object and the server keeps serving.
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Policy, PolicyInput } from '../policy.ts';
import { DataError, UsageError } from '../util/errors.ts';
import { hashString, Rng } from '../util/rng.ts';
import { ProtocolError, promptFromMessages } from './protocol.ts';

/** Bounds of a request's fields and of the server's flags; beyond them a request is refused with a 400. */
export const SERVE_BOUNDS = {
  /** Choices per request (OpenAI's own limit); they are decoded together, one row each. */
  n: 128,
  /** Response tokens, before the checkpoint's own positions bound it (policy.assertResponseFits). */
  maxTokens: 4096,
  /** --queue: requests waiting for the decoder. */
  queue: 4096,
  /** --max-body-mb: a request body (base64 images make it ~4/3 of their bytes). */
  bodyMb: 1024,
} as const;

/** max_tokens when a request gives none: eval's --max-new-tokens default. */
export const DEFAULT_MAX_TOKENS = 32;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_QUEUE = 64;

export interface ServeOptions {
  policy: Policy;
  /** The checkpoint directory served (shown in the startup line). */
  checkpoint: string;
  /** The model id clients name in `model`. */
  modelName: string;
  host: string;
  /** 0: any free port (RunningServer.port says which). */
  port: number;
  maxBodyBytes?: number;
  maxQueue?: number;
  /** The model object's `created` (Unix seconds); default: when the server started. */
  created?: number;
  /** Returned as `system_fingerprint`: which weights answered (default: weightsFingerprint of the checkpoint). */
  fingerprint?: string;
  /** One line per request (method, path, status, time); none when absent. */
  log?: (line: string) => void;
  /** Internal failures (500s); default stderr. */
  logError?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  host: string;
  port: number;
  /** http://host:port/v1, what an OpenAI client takes as its base URL. */
  url: string;
  /** The decoder's line (for tests and monitoring: how many wait). */
  queue: GenerationQueue;
  /** Stops accepting, ends open connections, resolves when the server is closed. */
  close(): Promise<void>;
}

/** An answer in OpenAI's error shape: {error: {message, type, param, code}} with an HTTP status. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The `system_fingerprint` of a checkpoint: a hash of its weights, so that a client (and the endpoint cache) can tell
 * two checkpoints served under one name apart. null when the folder has no weights file.
 */
export function weightsFingerprint(checkpoint: string): string | null {
  const file = join(checkpoint, 'weights.bin');
  if (!existsSync(file)) return null;
  return `rlsd-bench-${createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12)}`;
}

/** The default model id: the checkpoint folder's name, `<run>/<step>` for a run's checkpoint (as eval's default --out). */
export function defaultModelName(checkpoint: string): string {
  const parts = checkpoint.split(/[\\/]+/).filter(Boolean);
  const name = parts.at(-1) ?? 'model';
  if (/^step_\d+$/.test(name) && parts.at(-2) === 'checkpoints' && parts.length >= 3) return `${parts.at(-3)}/${name}`;
  return name;
}

/**
 * One decoder, a bounded line of waiting jobs. A job runs on its own turn of the event loop (it is synchronous and
 * blocks it while it runs), so requests keep being read and answered between generations.
 */
export class GenerationQueue {
  private readonly waiting: { run: () => Promise<void>; cancel: () => void; cancelled: () => boolean }[] = [];
  private busy = false;

  constructor(readonly maxWaiting: number) {}

  get length(): number {
    return this.waiting.length;
  }

  /**
   * Runs fn after the jobs before it (the next starts when fn's result, or the promise it returns, settles); 429
   * when maxWaiting jobs already wait; rejected without running when cancelled() by its turn.
   */
  run<T>(fn: () => T | Promise<T>, cancelled: () => boolean = () => false): Promise<T> {
    if (this.busy && this.waiting.length >= this.maxWaiting)
      return Promise.reject(new HttpError(429, `the server is busy: ${this.waiting.length} requests are waiting (--queue ${this.maxWaiting}); retry shortly`, null, 'rate_limit_exceeded', 'rate_limit_error', { 'Retry-After': '1' }));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        cancelled,
        cancel: () => reject(new HttpError(499, 'the client closed the connection before its turn', null, 'client_closed')),
        run: async () => {
          try {
            resolve(await fn());
          } catch (e) {
            reject(e);
          }
        },
      });
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.busy = true;
    setImmediate(() => {
      // A client that hung up while waiting gets no generation.
      const done = job.cancelled() ? (job.cancel(), Promise.resolve()) : job.run();
      void done.then(() => {
        this.busy = false;
        this.pump();
      });
    });
  }
}

/** What a chat-completions request asks for, checked. */
export interface ChatParams {
  messages: unknown;
  maxTokens: number;
  /** The field that set maxTokens (named when the checkpoint cannot fit it). */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  temperature: number;
  topP: number;
  n: number;
  seed: number | null;
  stream: boolean;
  includeUsage: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const given = (v: unknown): boolean => v !== undefined && v !== null;

function numberField(body: Record<string, unknown>, name: string, rule: { integer?: boolean; min?: number; minExclusive?: boolean; max?: number }): number | undefined {
  const v = body[name];
  if (!given(v)) return undefined;
  const kind = rule.integer ? 'an integer' : 'a number';
  if (typeof v !== 'number' || !Number.isFinite(v) || (rule.integer && !Number.isSafeInteger(v))) throw new HttpError(400, `'${name}' must be ${kind} (got ${JSON.stringify(v)})`, name, 'invalid_type');
  if (rule.min !== undefined && (rule.minExclusive ? v <= rule.min : v < rule.min))
    throw new HttpError(400, `'${name}' must be ${rule.minExclusive ? '>' : '≥'} ${rule.min} (got ${v})`, name, 'invalid_value');
  if (rule.max !== undefined && v > rule.max) throw new HttpError(400, `'${name}' must be ≤ ${rule.max} (got ${v})`, name, 'invalid_value');
  return v;
}

/** Fields a client may send at their neutral value; anything else would be silently ignored, so it is refused. */
function refuseUnsupported(body: Record<string, unknown>): void {
  const unsupported = (name: string, why: string): never => {
    throw new HttpError(400, `'${name}' is not supported by this server (${why})`, name, 'unsupported_parameter');
  };
  const stop = body['stop'];
  if (given(stop) && !(stop === '' || (Array.isArray(stop) && stop.length === 0))) unsupported('stop', 'responses end at the model\'s end-of-sequence token or max_tokens');
  if (body['logprobs'] === true) unsupported('logprobs', 'no log-probabilities are returned');
  if (given(body['top_logprobs'])) unsupported('top_logprobs', 'no log-probabilities are returned');
  for (const name of ['presence_penalty', 'frequency_penalty'])
    if (given(body[name]) && body[name] !== 0) unsupported(name, 'sampling has temperature and top_p only');
  if (isObject(body['logit_bias']) && Object.keys(body['logit_bias']).length > 0) unsupported('logit_bias', 'sampling has temperature and top_p only');
  for (const name of ['tools', 'functions']) if (Array.isArray(body[name]) && (body[name] as unknown[]).length > 0) unsupported(name, 'the policy answers in text only');
  const rf = body['response_format'];
  if (given(rf) && !(isObject(rf) && rf['type'] === 'text')) unsupported('response_format', "only {type: 'text'}");
}

/**
 * Reads a request body's fields (OpenAI's names and defaults: temperature 1, top_p 1, n 1); max_tokens defaults to
 * 32, eval's --max-new-tokens. Unknown fields are ignored, as the neutral values of unsupported ones are.
 */
export function parseChatRequest(body: unknown, modelName: string): ChatParams {
  if (!isObject(body)) throw new HttpError(400, 'the request body must be a JSON object', null, 'invalid_type');
  if (!given(body['model'])) throw new HttpError(400, "missing required parameter: 'model'", 'model', 'missing_required_parameter');
  if (typeof body['model'] !== 'string') throw new HttpError(400, `'model' must be a string (got ${JSON.stringify(body['model'])})`, 'model', 'invalid_type');
  if (body['model'] !== modelName)
    throw new HttpError(404, `The model \`${body['model']}\` does not exist: this server serves \`${modelName}\` (GET /v1/models)`, 'model', 'model_not_found');
  if (!given(body['messages'])) throw new HttpError(400, "missing required parameter: 'messages'", 'messages', 'missing_required_parameter');
  refuseUnsupported(body);
  const mct = numberField(body, 'max_completion_tokens', { integer: true, min: 1, max: SERVE_BOUNDS.maxTokens });
  const mt = numberField(body, 'max_tokens', { integer: true, min: 1, max: SERVE_BOUNDS.maxTokens });
  if (mct !== undefined && mt !== undefined && mct !== mt)
    throw new HttpError(400, `'max_tokens' (${mt}) and 'max_completion_tokens' (${mct}) disagree: give one`, 'max_tokens', 'invalid_value');
  const stream = body['stream'];
  if (given(stream) && typeof stream !== 'boolean') throw new HttpError(400, `'stream' must be a boolean (got ${JSON.stringify(stream)})`, 'stream', 'invalid_type');
  const so = body['stream_options'];
  if (given(so) && !isObject(so)) throw new HttpError(400, "'stream_options' must be an object", 'stream_options', 'invalid_type');
  if (given(so) && stream !== true) throw new HttpError(400, "'stream_options' is only allowed with 'stream': true", 'stream_options', 'invalid_value');
  return {
    messages: body['messages'],
    maxTokens: mct ?? mt ?? DEFAULT_MAX_TOKENS,
    maxTokensField: mct !== undefined ? 'max_completion_tokens' : 'max_tokens',
    temperature: numberField(body, 'temperature', { min: 0 }) ?? 1,
    topP: numberField(body, 'top_p', { min: 0, minExclusive: true, max: 1 }) ?? 1,
    n: numberField(body, 'n', { integer: true, min: 1, max: SERVE_BOUNDS.n }) ?? 1,
    seed: numberField(body, 'seed', { integer: true }) ?? null,
    stream: stream === true,
    includeUsage: isObject(so) && so['include_usage'] === true,
  };
}

/** Where the image the policy sees sits in the request (the first image part of the last user message). */
function firstImagePart(messages: unknown): string {
  const list = messages as { role?: unknown; content?: unknown }[];
  let last = -1;
  list.forEach((m, i) => {
    if (isObject(m) && m.role === 'user') last = i;
  });
  const content = list[last]?.content;
  const idx = Array.isArray(content) ? content.findIndex((p) => isObject(p) && p['type'] === 'image_url') : -1;
  return `messages[${last}].content[${idx}].image_url.url`;
}

interface Completion {
  texts: string[];
  finish: ('stop' | 'length')[];
  promptTokens: number;
  completionTokens: number;
}

/** Reads a body up to `limit` bytes (413 beyond, without reading the rest). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = (): HttpError => new HttpError(413, `the request body exceeds ${limit} bytes (--max-body-mb)`, null, 'request_too_large');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseJsonBody(req: IncomingMessage, buf: Buffer): unknown {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // No type is taken as JSON; another type (curl -d sends a form type) is named.
  if (type !== '' && type !== 'application/json')
    throw new HttpError(415, `the request body must be JSON (Content-Type: application/json; got '${type}')`, null, 'unsupported_media_type');
  let text: string;
  try {
    text = UTF8.decode(buf);
  } catch {
    throw new HttpError(400, 'the request body is not valid UTF-8', null, 'invalid_json');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the request body is not valid JSON (${(e as Error).message})`, null, 'invalid_json');
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { policy, modelName } = opts;
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const queue = new GenerationQueue(opts.maxQueue ?? DEFAULT_MAX_QUEUE);
  const created = opts.created ?? Math.floor(Date.now() / 1000);
  const logError = opts.logError ?? ((line: string) => process.stderr.write(`${line}\n`));
  const fingerprint = opts.fingerprint ?? weightsFingerprint(opts.checkpoint);
  // Beyond OpenAI's fields: max_model_len as vLLM gives it (positions for image, prompt and response together), and
  // this server's extensions max_completion_tokens (the longest response a request may ask for: one that leaves a
  // prompt one position) and system_fingerprint, so a client learns both before its first request (the endpoint
  // client caps max_tokens to the one, its cache keys on the other).
  const modelObject = {
    id: modelName,
    object: 'model',
    created,
    owned_by: 'rlsd-bench',
    max_model_len: policy.cfg.maxPositions,
    max_completion_tokens: policy.promptBudget(0) - 1,
    system_fingerprint: fingerprint,
  };

  /** The prompt and pixels of a request, prepared as src/eval.ts prepares an item's. */
  async function prepare(params: ChatParams): Promise<{ input: PolicyInput; promptTokens: number }> {
    const prompt = promptFromMessages(params.messages);
    try {
      policy.assertResponseFits(params.maxTokens, `'${params.maxTokensField}'`);
    } catch (e) {
      if (e instanceof UsageError) throw new HttpError(400, e.message, params.maxTokensField, 'invalid_value');
      throw e;
    }
    const ctx = policy.encodeContext(prompt.text, { lenient: true, reserve: params.maxTokens });
    let patches: Float32Array;
    try {
      patches = await policy.patches(prompt.images, firstImagePart(params.messages));
    } catch (e) {
      if (e instanceof DataError) throw new HttpError(400, e.message, firstImagePart(params.messages), 'invalid_image');
      throw e;
    }
    return { input: { patches, context: ctx.ids }, promptTokens: policy.imageTokens + ctx.ids.length };
  }

  /** The n choices of one request, decoded together as one batch (as eval decodes its rows). */
  function complete(params: ChatParams, input: PolicyInput, promptTokens: number): Completion {
    const greedy = params.temperature === 0;
    // Each choice draws from its own stream: with a seed, a request's answers are reproducible.
    const base = params.seed ?? randomInt(0, 2 ** 48 - 1);
    const rngs = Array.from({ length: params.n }, (_, i) => new Rng(hashString(`serve|${base}|${i}`)));
    const gen = policy.sample(
      Array.from({ length: params.n }, () => input),
      { maxNewTokens: params.maxTokens, greedy, temperature: params.temperature || 1, topP: params.topP, rng: rngs[0]!, rngs },
    );
    const eos = policy.tokenizer.eos;
    return {
      texts: gen.responses.map((r) => policy.tokenizer.decode(r)),
      finish: gen.responses.map((r) => (r.at(-1) === eos ? 'stop' : 'length')),
      promptTokens,
      completionTokens: gen.responses.reduce((s, r) => s + r.length, 0),
    };
  }

  async function chatCompletions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJsonBody(req, await readBody(req, maxBody));
    const params = parseChatRequest(body, modelName);
    const { input, promptTokens } = await prepare(params);
    const out = await queue.run(() => complete(params, input, promptTokens), () => req.socket.destroyed);
    const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
    const createdAt = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: out.promptTokens, completion_tokens: out.completionTokens, total_tokens: out.promptTokens + out.completionTokens };
    if (!params.stream) {
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created: createdAt,
        model: modelName,
        system_fingerprint: fingerprint,
        choices: out.texts.map((content, index) => ({ index, message: { role: 'assistant', content }, logprobs: null, finish_reason: out.finish[index] })),
        usage,
      });
      return;
    }
    // The whole response is decoded before anything is sent, so a stream carries each choice's text in one chunk,
    // then its finish chunk (then usage when asked, then [DONE]).
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const head = { id, object: 'chat.completion.chunk', created: createdAt, model: modelName, system_fingerprint: fingerprint };
    const send = (choices: unknown[], extra: Record<string, unknown> = {}): void => {
      res.write(`data: ${JSON.stringify({ ...head, choices, ...(params.includeUsage ? { usage: null } : {}), ...extra })}\n\n`);
    };
    out.texts.forEach((content, index) => send([{ index, delta: { role: 'assistant', content }, logprobs: null, finish_reason: null }]));
    out.texts.forEach((_, index) => send([{ index, delta: {}, logprobs: null, finish_reason: out.finish[index] }]));
    if (params.includeUsage) send([], { usage });
    res.end('data: [DONE]\n\n');
  }

  const ROUTES: Record<string, string> = { '/v1/models': 'GET', '/v1/chat/completions': 'POST' };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    let modelPath: string | null = null;
    if (path.startsWith('/v1/models/')) {
      try {
        modelPath = decodeURIComponent(path.slice('/v1/models/'.length));
      } catch {
        throw new HttpError(400, `Invalid URL (${method} ${path}): a malformed %-escape`, null, 'invalid_url');
      }
    }
    const allowed = modelPath !== null ? 'GET' : ROUTES[path];
    if (allowed === undefined) throw new HttpError(404, `Invalid URL (${method} ${path}): this server has GET /v1/models, GET /v1/models/{model} and POST /v1/chat/completions`, null, 'unknown_url');
    if (method !== allowed) throw new HttpError(405, `${method} ${path} is not allowed (use ${allowed})`, null, 'method_not_allowed', 'invalid_request_error', { Allow: allowed });
    if (modelPath !== null) {
      if (modelPath !== modelName) throw new HttpError(404, `The model \`${modelPath}\` does not exist: this server serves \`${modelName}\``, 'model', 'model_not_found');
      return sendJson(res, 200, modelObject);
    }
    if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: [modelObject] });
    return chatCompletions(req, res);
  }

  function fail(req: IncomingMessage, res: ServerResponse, e: unknown): number {
    let err: HttpError;
    if (e instanceof HttpError) err = e;
    else if (e instanceof ProtocolError) err = new HttpError(400, e.message, e.param, 'invalid_value');
    else {
      // A bug or a failure of the engine: answered, logged, and the server keeps serving.
      err = new HttpError(500, `internal error: ${(e as Error)?.message ?? String(e)}`, null, null, 'server_error');
      logError(`rlsd-bench: error serving ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
    }
    if (res.headersSent || res.destroyed) {
      res.destroy(); // a stream already under way cannot change its status
      return err.status;
    }
    // An unread body (413, or an error before reading) would hold the connection: close it after answering.
    const unread = !req.complete;
    sendJson(res, err.status, { error: { message: err.message, type: err.type, param: err.param, code: err.code } }, { ...err.headers, ...(unread ? { Connection: 'close' } : {}) });
    if (unread) req.resume(); // drain what the client is still sending, so it reads the answer instead of a reset
    return err.status;
  }

  const server = createServer((req, res) => {
    const t0 = performance.now();
    route(req, res)
      .then(() => res.statusCode, (e: unknown) => fail(req, res, e))
      .catch((e: unknown) => {
        logError(`rlsd-bench: error answering ${req.method} ${req.url}: ${(e as Error)?.message ?? String(e)}`);
        res.destroy();
        return 500;
      })
      .then((status) => opts.log?.(`${req.method} ${req.url} ${status} ${(performance.now() - t0).toFixed(0)} ms`));
  });
  // A client's broken connection is its own affair; it must not reach the process.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostShown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    server,
    host: opts.host,
    port,
    url: `http://${hostShown}:${port}/v1`,
    queue,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
