// The OpenAI-compatible server in process, on port 0 with the first suite's base: the model list, chat completions
// (greedy text equal to the policy's own decoding of the same prompts, sampling with a seed, streaming), OpenAI's
// error object for every kind of bad request, a 500 the server survives, and the body and queue bounds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../backend.ts';
import { Policy } from '../policy.ts';
import { packagePath } from '../paths.ts';
import { Rng } from '../util/rng.ts';
import { getBenchmark, MINI_BENCHMARKS } from '../../benchmarks/index.ts';
import { miniRows, miniSplitName } from '../../benchmarks/mini/build.ts';
import type { PromptParts } from '../../benchmarks/common/types.ts';
import { chatRequestMessages } from './protocol.ts';
import { GenerationQueue, HttpError, startServer, type RunningServer } from './serve.ts';

await initBackend('wasm', 'conv');
// The first suite's base: its short answers keep the generation tests cheap (the default base is the deep world's).
const PACKAGE_BASE = packagePath('results', 'reference', 'base-mini1');
const { policy } = Policy.load(PACKAGE_BASE);
const server = await startServer({ policy, checkpoint: PACKAGE_BASE, modelName: 'base', host: '127.0.0.1', port: 0 });
after(async () => {
  await server.close();
  policy.dispose();
});

async function post(s: RunningServer, body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${s.url}/chat/completions`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? JSON.parse(text) : text, headers: res.headers };
}

/** Two test items of every mini benchmark, with their prompts. */
async function miniPrompts(): Promise<{ name: string; id: string; prompt: PromptParts }[]> {
  const out = [];
  for (const name of MINI_BENCHMARKS) {
    const bench = getBenchmark(name);
    const split = miniSplitName(name, 'test');
    for (const row of (await miniRows(name, split, 2, 1)).slice(0, 2)) {
      const item = bench.itemFromRow(row, split);
      out.push({ name, id: item.id, prompt: bench.prompt(item) });
    }
  }
  return out;
}

/** OpenAI's error object, checked field by field. */
function assertError(r: { status: number; json: any }, status: number, param: string | null, code: string | null, type = 'invalid_request_error'): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.deepEqual(Object.keys(r.json), ['error']);
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof r.json.error.message, 'string');
  assert.equal(r.json.error.type, type);
  assert.equal(r.json.error.param, param);
  assert.equal(r.json.error.code, code);
}

test('GET /v1/models lists the one model; /v1/models/{id} retrieves it', async () => {
  const list = (await (await fetch(`${server.url}/models`)).json()) as any;
  assert.equal(list.object, 'list');
  assert.equal(list.data.length, 1);
  assert.equal(list.data[0].id, 'base');
  assert.equal(list.data[0].object, 'model');
  assert.equal(list.data[0].owned_by, 'rlsd-bench');
  assert.ok(Number.isInteger(list.data[0].created));
  assert.deepEqual(await (await fetch(`${server.url}/models/base`)).json(), list.data[0]);
  const r = await fetch(`${server.url}/models/gpt-4o`);
  assertError({ status: r.status, json: await r.json() }, 404, 'model', 'model_not_found');
});

test('greedy chat completions return the text the policy decodes for the same prompts (eval batches them)', async () => {
  const items = await miniPrompts();
  const inputs = [];
  for (const { prompt } of items)
    inputs.push({ patches: await policy.patches(prompt.images), context: policy.encodeContext(prompt.text, { lenient: true, reserve: 32 }).ids });
  // As src/eval.ts decodes: all rows in one batch.
  const local = policy.generateText(inputs, { maxNewTokens: 32, greedy: true, temperature: 1, topP: 1, rng: new Rng(1), batchSize: 128 });
  for (const [i, { name, id, prompt }] of items.entries()) {
    const r = await post(server, { model: 'base', messages: chatRequestMessages(prompt), temperature: 0, max_tokens: 32 });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const c = r.json;
    assert.equal(c.object, 'chat.completion');
    assert.match(c.id, /^chatcmpl-/);
    assert.equal(c.model, 'base');
    assert.equal(c.choices.length, 1);
    assert.equal(c.choices[0].index, 0);
    assert.equal(c.choices[0].message.role, 'assistant');
    assert.equal(c.choices[0].message.content, local[i], `${name} ${id}`);
    assert.ok(['stop', 'length'].includes(c.choices[0].finish_reason));
    assert.equal(c.usage.prompt_tokens, policy.imageTokens + inputs[i]!.context.length);
    assert.ok(c.usage.completion_tokens >= 1 && c.usage.completion_tokens <= 32);
    assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
  }
});

test('sampling: n choices, reproducible with a seed; max_tokens bounds the response', async () => {
  const [{ prompt }] = await miniPrompts();
  const req = { model: 'base', messages: chatRequestMessages(prompt!), temperature: 1.5, n: 4, seed: 7 };
  const a = await post(server, req);
  const b = await post(server, req);
  assert.equal(a.status, 200);
  assert.equal(a.json.choices.length, 4);
  assert.deepEqual(a.json.choices.map((c: any) => c.index), [0, 1, 2, 3]);
  assert.deepEqual(a.json.choices, b.json.choices, 'the same seed gives the same choices');
  const short = await post(server, { model: 'base', messages: [{ role: 'user', content: 'how many red circles ?' }], temperature: 0, max_completion_tokens: 1 });
  assert.equal(short.status, 200);
  assert.equal(short.json.usage.completion_tokens, 1);
  // One token that is not the end of the sequence is cut by the length limit.
  assert.equal(short.json.choices[0].finish_reason, short.json.choices[0].message.content === '' ? 'stop' : 'length');
});

test('stream: server-sent chunks carry the same text, then the finish reason, usage and [DONE]', async () => {
  const [{ prompt }] = await miniPrompts();
  const body = { model: 'base', messages: chatRequestMessages(prompt!), temperature: 0, n: 2 };
  const plain = await post(server, body);
  const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = (await res.text()).split('\n\n').filter(Boolean);
  assert.ok(events.every((e) => e.startsWith('data: ')));
  assert.equal(events.at(-1), 'data: [DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id && c.model === 'base'));
  for (const i of [0, 1]) {
    const mine = chunks.flatMap((c) => c.choices).filter((c: any) => c.index === i);
    assert.equal(mine.map((c: any) => c.delta.content ?? '').join(''), plain.json.choices[i].message.content);
    assert.equal(mine.at(-1).finish_reason, plain.json.choices[i].finish_reason);
  }
  assert.deepEqual(chunks.at(-1).choices, []);
  assert.deepEqual(chunks.at(-1).usage, plain.json.usage);
});

test('every bad request gets OpenAI error object and a 4xx; the server keeps serving', async () => {
  const ok = { model: 'base', messages: [{ role: 'user', content: 'how many red circles ?' }], temperature: 0 };
  const notImage = `data:image/png;base64,${Buffer.from('this is not a png').toString('base64')}`;
  const withImage = (url: string) => ({ ...ok, messages: [{ role: 'user', content: [{ type: 'text', text: 'how many ?' }, { type: 'image_url', image_url: { url } }] }] });
  const cases: [string, unknown, number, string | null, string | null][] = [
    ['bad JSON', '{"model": "base", ', 400, null, 'invalid_json'],
    ['not an object', '[1, 2]', 400, null, 'invalid_type'],
    ['no model', { messages: ok.messages }, 400, 'model', 'missing_required_parameter'],
    ['unknown model', { ...ok, model: 'gpt-4o' }, 404, 'model', 'model_not_found'],
    ['no messages', { model: 'base' }, 400, 'messages', 'missing_required_parameter'],
    ['empty messages', { ...ok, messages: [] }, 400, 'messages', 'invalid_value'],
    ['no user message', { ...ok, messages: [{ role: 'system', content: 'be brief' }] }, 400, 'messages', 'invalid_value'],
    ['bad part type', { ...ok, messages: [{ role: 'user', content: [{ type: 'audio' }] }] }, 400, 'messages[0].content[0].type', 'invalid_value'],
    ['http image URL', withImage('https://example.com/cat.png'), 400, 'messages[0].content[1].image_url.url', 'invalid_value'],
    ['corrupt image bytes', withImage(notImage), 400, 'messages[0].content[1].image_url.url', 'invalid_image'],
    ['max_tokens 0', { ...ok, max_tokens: 0 }, 400, 'max_tokens', 'invalid_value'],
    ['max_tokens a string', { ...ok, max_tokens: '8' }, 400, 'max_tokens', 'invalid_type'],
    ['max_tokens beyond the positions', { ...ok, max_tokens: 142 }, 400, 'max_tokens', 'invalid_value'],
    ['max_completion_tokens beyond the bound', { ...ok, max_completion_tokens: 5000 }, 400, 'max_completion_tokens', 'invalid_value'],
    ['max_tokens and max_completion_tokens disagree', { ...ok, max_tokens: 4, max_completion_tokens: 8 }, 400, 'max_tokens', 'invalid_value'],
    ['negative temperature', { ...ok, temperature: -1 }, 400, 'temperature', 'invalid_value'],
    ['top_p 0', { ...ok, top_p: 0 }, 400, 'top_p', 'invalid_value'],
    ['n 0', { ...ok, n: 0 }, 400, 'n', 'invalid_value'],
    ['n too large', { ...ok, n: 1000 }, 400, 'n', 'invalid_value'],
    ['seed 1.5', { ...ok, seed: 1.5 }, 400, 'seed', 'invalid_type'],
    ['stream not a boolean', { ...ok, stream: 'yes' }, 400, 'stream', 'invalid_type'],
    ['stop sequences', { ...ok, stop: ['\n'] }, 400, 'stop', 'unsupported_parameter'],
    ['logprobs', { ...ok, logprobs: true }, 400, 'logprobs', 'unsupported_parameter'],
  ];
  for (const [what, body, status, param, code] of cases) {
    const r = await post(server, body);
    assert.doesNotThrow(() => assertError(r, status, param, code), `${what}: ${JSON.stringify(r.json)}`);
    if (what === 'corrupt image bytes') assert.match(r.json.error.message, /messages\[0\]\.content\[1\]\.image_url\.url: corrupt or unreadable image/);
  }
  // Neutral values of unsupported fields, and fields this server does not know, are accepted.
  assert.equal((await post(server, { ...ok, stop: null, logprobs: false, presence_penalty: 0, user: 'u', metadata: { a: 'b' } })).status, 200);

  assertError(await post(server, ok, { 'Content-Type': 'text/plain' }), 415, null, 'unsupported_media_type');
  const unknown = await fetch(`${server.url}/completions`, { method: 'POST', body: '{}' });
  assertError({ status: unknown.status, json: await unknown.json() }, 404, null, 'unknown_url');
  const wrong = await fetch(`${server.url}/chat/completions`);
  assert.equal(wrong.headers.get('allow'), 'POST');
  assertError({ status: wrong.status, json: await wrong.json() }, 405, null, 'method_not_allowed');
  const malformed = await fetch(`${server.url}/models/%E0%A4%A`);
  assertError({ status: malformed.status, json: await malformed.json() }, 400, null, 'invalid_url');
  const del = await fetch(`${server.url}/models`, { method: 'DELETE' });
  assertError({ status: del.status, json: await del.json() }, 405, null, 'method_not_allowed');

  const after = await post(server, ok);
  assert.equal(after.status, 200);
  assert.equal(typeof after.json.choices[0].message.content, 'string');
});

test('an internal failure answers 500 in the same shape, and the next request is served', async () => {
  const sample = policy.sample;
  const logged: string[] = [];
  const s = await startServer({ policy, checkpoint: PACKAGE_BASE, modelName: 'base', host: '127.0.0.1', port: 0, logError: (l) => logged.push(l) });
  try {
    policy.sample = () => {
      throw new Error('decoder exploded');
    };
    const r = await post(s, { model: 'base', messages: [{ role: 'user', content: 'hi' }] });
    policy.sample = sample;
    assertError(r, 500, null, null, 'server_error');
    assert.match(r.json.error.message, /decoder exploded/);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /decoder exploded/);
    assert.equal((await post(s, { model: 'base', messages: [{ role: 'user', content: 'hi' }] })).status, 200);
  } finally {
    policy.sample = sample;
    await s.close();
  }
});

test('bounds: a body over --max-body-mb is 413; beyond --queue waiting requests, 429 with Retry-After', async () => {
  const sample = policy.sample;
  const s = await startServer({ policy, checkpoint: PACKAGE_BASE, modelName: 'base', host: '127.0.0.1', port: 0, maxBodyBytes: 4096, maxQueue: 1 });
  try {
    const big = { model: 'base', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] };
    assertError(await post(s, big), 413, null, 'request_too_large');
    // A body sent in chunks without a declared length is cut off too.
    const chunked = await fetch(`${s.url}/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: new Blob([JSON.stringify(big)]).stream(),
      duplex: 'half',
    } as RequestInit);
    assertError({ status: chunked.status, json: await chunked.json() }, 413, null, 'request_too_large');
    assert.equal((await post(s, { model: 'base', messages: [{ role: 'user', content: 'hi' }] })).status, 200, 'served after the 413s');

    // The decoder held busy (the test's client shares this event loop, so a slow decoder would hold it too): the
    // first request waits its turn, the second finds the line full.
    let release = (): void => {};
    const gate = s.queue.run(() => new Promise<void>((r) => (release = r)));
    const hi = { model: 'base', messages: [{ role: 'user', content: 'hi' }], temperature: 0 };
    const waiting = post(s, hi);
    while (s.queue.length < 1) await new Promise((r) => setTimeout(r, 5));
    const refused = await post(s, hi);
    assertError(refused, 429, null, 'rate_limit_exceeded', 'rate_limit_error');
    assert.equal(refused.headers.get('retry-after'), '1');
    release();
    await gate;
    assert.equal((await waiting).status, 200);
  } finally {
    policy.sample = sample;
    await s.close();
  }
});

test('the queue: one job at a time, a bounded line, a cancelled job skipped', async () => {
  const q = new GenerationQueue(1);
  const order: number[] = [];
  const a = q.run(() => order.push(1));
  const b = q.run(() => order.push(2));
  await assert.rejects(q.run(() => order.push(3)), (e: unknown) => e instanceof HttpError && e.status === 429);
  await Promise.all([a, b]);
  assert.deepEqual(order, [1, 2]);
  await assert.rejects(q.run(() => order.push(4), () => true), (e: unknown) => e instanceof HttpError && e.status === 499);
  assert.deepEqual(order, [1, 2]);
});
