// A loopback OpenAI-compatible server for the endpoint tests: a real node:http server on 127.0.0.1, port 0, that
// records every request and answers as the test's behaviour says — a completion, an HTTP error (with Retry-After),
// a hang past the client's timeout, a malformed JSON body, or a body cut short. GET /v1/models is answered apart
// (the model objects the test gives, or none) and counted in `modelQueries`, so `requests` holds chat requests only.
// Also the CLI run without blocking the event loop (spawnSync would stop this very server from answering).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { cliArgs, cliEnv, REPO, type CliOptions, type CliResult } from './fixtures.ts';

export interface SeenRequest {
  /** 0-based arrival index. */
  n: number;
  /** performance.now() at arrival. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: {
    model?: string;
    messages?: { role: string; content: string | { type: string; text?: string; image_url?: { url: string } }[] }[];
    temperature?: number;
    top_p?: number;
    max_tokens?: number;
    n?: number;
    seed?: number;
  };
}

export type Reply =
  | { content: string; finishReason?: string; fingerprint?: string }
  | { status: number; body?: string; headers?: Record<string, string> }
  | { hang: true }
  | { malformed: string }
  | { truncated: true };

export type Behaviour = (req: SeenRequest) => Reply | Promise<Reply>;

export interface Loopback {
  /** The base URL (http://127.0.0.1:PORT/v1). */
  url: string;
  /** Chat requests (everything but GET /v1/models). */
  requests: SeenRequest[];
  /** GET /v1/models queries. */
  modelQueries: number;
  close(): Promise<void>;
}

export function completionBody(content: string, finishReason = 'stop', fingerprint?: string): string {
  return JSON.stringify({ id: 'cmpl-test', object: 'chat.completion', created: 0, model: 'm', ...(fingerprint !== undefined ? { system_fingerprint: fingerprint } : {}), choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }] });
}

export interface LoopbackOptions {
  /** The model objects GET /v1/models lists (default none: an empty list), or a function of the query's headers. */
  models?: Record<string, unknown>[] | ((headers: IncomingHttpHeaders) => Record<string, unknown>[]);
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export async function startLoopback(behaviour: Behaviour, opts: LoopbackOptions = {}): Promise<Loopback> {
  const requests: SeenRequest[] = [];
  let modelQueries = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').replace(/\/+$/, '') === '/v1/models') {
      modelQueries++;
      const data = typeof opts.models === 'function' ? opts.models(req.headers) : (opts.models ?? []);
      req.resume();
      return send(res, 200, JSON.stringify({ object: 'list', data }));
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: SeenRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SeenRequest['body'];
      } catch {
        /* recorded as {} */
      }
      const seen: SeenRequest = { n: requests.length, at: performance.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(seen);
      void Promise.resolve(behaviour(seen)).then((r) => {
        if ('hang' in r) return; // never answers; the client's timeout must fire
        if ('content' in r) return send(res, 200, completionBody(r.content, r.finishReason, r.fingerprint));
        if ('malformed' in r) return send(res, 200, r.malformed);
        if ('truncated' in r) {
          const full = completionBody('never whole');
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
          res.write(full.slice(0, 20));
          setTimeout(() => res.socket?.destroy(), 5);
          return;
        }
        send(res, r.status, r.body ?? JSON.stringify({ error: { message: `status ${r.status}`, type: 'test' } }), r.headers);
      });
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get modelQueries() {
      return modelQueries;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The text part of a request's (last) user message. */
export function promptText(req: SeenRequest): string {
  const content = req.body.messages?.at(-1)?.content;
  if (typeof content === 'string') return content;
  return (content ?? []).filter((p) => p.type === 'text').map((p) => p.text ?? '').join('\n');
}

/** A short hash of a request's prompt: its text and image data URLs (mini items share texts, not images). */
export function promptKey(text: string, imageUrls: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify([text, imageUrls])).digest('hex').slice(0, 16);
}

export function requestPromptKey(req: SeenRequest): string {
  const content = req.body.messages?.at(-1)?.content;
  const urls = typeof content === 'string' ? [] : (content ?? []).filter((p) => p.type === 'image_url').map((p) => p.image_url?.url ?? '');
  return promptKey(promptText(req), urls);
}

/** Runs rlsd-bench as a child process without blocking this process (the loopback server must keep answering). */
export function runCliAsync(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(args, opts), { cwd: opts.cwd ?? REPO, env: cliEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
  });
}
