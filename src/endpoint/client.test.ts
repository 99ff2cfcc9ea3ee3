// The endpoint client against a real loopback server that fails on purpose: 503s, 429 with Retry-After, a hang past
// the timeout, malformed JSON, a body cut short — each retried as specified (counted at the server), Retry-After's
// wait honoured, a request out of retries failing with one line, refusals that retrying cannot fix not retried, the
// key never in a message, and the cache answering a repeated request without sending it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopback, type Behaviour, type Loopback, type Reply } from '../../test/endpoint-fixtures.ts';
import { ResponseCache, requestKey } from './cache.ts';
import { backoffMs, chatCompletionsUrl, EndpointClient, EndpointError, EndpointRequestError, parseRetryAfter, readApiKey, runPool, type ChatRequest, type ClientSettings } from './client.ts';
import { chatRequestMessages } from './protocol.ts';
import { UsageError } from '../util/errors.ts';

const FAST: ClientSettings = { concurrency: 4, timeoutS: 2, retries: 3, retryDelayS: 0.01, cache: null };

function request(text = 'what is 1 + 1 ?', seed = 7): ChatRequest {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  return { model: 'm', messages: chatRequestMessages({ text, images: [{ bytes: png }] }), temperature: 0, top_p: 1, max_tokens: 16, n: 1, seed };
}

async function withServer(behaviour: Behaviour, fn: (s: Loopback) => Promise<void>): Promise<void> {
  const s = await startLoopback(behaviour);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

/** Answers the scripted replies in order, then completions. */
function script(...replies: Reply[]): Behaviour {
  return (req) => replies[req.n] ?? { content: 'The answer is "2".' };
}

test('client: 503, malformed JSON and a cut-short body are retried, then the answer comes through', async () => {
  await withServer(script({ status: 503 }, { malformed: '{"choices": [' }, { truncated: true }), async (s) => {
    const c = new EndpointClient({ url: s.url, model: 'm' }, FAST, null, undefined);
    const r = await c.complete(request());
    assert.equal(r.text, 'The answer is "2".');
    assert.equal(s.requests.length, 4, 'three failures, then the answer');
    assert.deepEqual(c.stats, { cached: 0, requests: 4, retries: 3, failed: 0 });
    const b = s.requests[0]!;
    assert.equal(b.path, '/v1/chat/completions');
    assert.equal(b.body.n, 1);
    assert.equal(b.body.seed, 7);
    assert.match(JSON.stringify(b.body.messages), /data:image\/png;base64,/);
  });
});

test('client: 429 with Retry-After waits as long as it says (seconds), and a hang is abandoned at the timeout and retried', async () => {
  await withServer(script({ status: 429, headers: { 'retry-after': '1' } }, { hang: true }), async (s) => {
    const c = new EndpointClient({ url: s.url, model: 'm' }, { ...FAST, timeoutS: 0.4 }, null, undefined);
    const t0 = performance.now();
    await c.complete(request());
    assert.equal(s.requests.length, 3);
    const gap = s.requests[1]!.at - s.requests[0]!.at;
    assert.ok(gap >= 950 && gap < 3000, `Retry-After: 1 → the second request came ${gap.toFixed(0)} ms after the first`);
    const hang = s.requests[2]!.at - s.requests[1]!.at;
    assert.ok(hang >= 390, `the hung request was abandoned after the 0.4 s timeout (${hang.toFixed(0)} ms)`);
    assert.ok(performance.now() - t0 < 5000);
  });
});

test('client: out of retries → one-line EndpointRequestError naming the last problem; 400 is not retried; 401 stops (key redacted)', async () => {
  const key = 'sk-test-REDACT-ME-0123456789';
  await withServer(
    (req) => {
      const echoed = `{"error": {"message": "bad header ${String(req.headers['authorization'])}"}}`;
      if (req.body.model === 'bad-request') return { status: 400, body: echoed };
      if (req.body.model === 'no-auth') return { status: 401, body: echoed };
      return { status: 503, body: echoed };
    },
    async (s) => {
      const c = new EndpointClient({ url: s.url, model: 'm' }, { ...FAST, retries: 2 }, null, key);
      await assert.rejects(c.complete(request()), (e: Error) => {
        assert.ok(e instanceof EndpointRequestError);
        assert.match(e.message, /^HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: .*\(gave up after 3 attempts\)$/);
        assert.ok(!e.message.includes(key), 'the key echoed by the server is redacted');
        assert.match(e.message, /\[redacted\]/);
        return true;
      });
      assert.equal(s.requests.length, 3);
      assert.equal(s.requests[0]!.headers['authorization'], `Bearer ${key}`, 'the key is sent');

      await assert.rejects(c.complete({ ...request(), model: 'bad-request' }), (e: Error) => e instanceof EndpointRequestError && /^HTTP 400/.test(e.message) && !e.message.includes(key));
      assert.equal(s.requests.length, 4, '400 is not retried');
      await assert.rejects(c.complete({ ...request(), model: 'no-auth' }), (e: Error) => e instanceof EndpointError && /HTTP 401/.test(e.message) && /--api-key-env/.test(e.message) && !e.message.includes(key));
      assert.equal(s.requests.length, 5, '401 is not retried');
    },
  );
});

test('client: an unreachable server is a network error, retried, then given up', async () => {
  const s = await startLoopback(() => ({ content: '' }));
  const url = s.url;
  await s.close(); // nothing listens on that port any more
  const c = new EndpointClient({ url, model: 'm' }, { ...FAST, retries: 1 }, null, undefined);
  await assert.rejects(c.complete(request()), /network error talking to http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED \(gave up after 2 attempts\)/);
  assert.deepEqual(c.stats, { cached: 0, requests: 2, retries: 1, failed: 1 });
});

test('client: the cache answers a repeated request without sending it; another sample or image is another key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-endpoint-cache-'));
  try {
    await withServer(
      () => ({ content: 'fresh' }),
      async (s) => {
        const c = new EndpointClient({ url: s.url, model: 'm' }, FAST, new ResponseCache(dir), undefined);
        assert.equal((await c.complete(request(), { sample: 0 })).text, 'fresh');
        assert.equal((await c.complete(request(), { sample: 0 })).text, 'fresh');
        assert.equal(s.requests.length, 1, 'the second identical request came from the cache');
        await c.complete(request(), { sample: 1 });
        assert.equal(s.requests.length, 2, 'another sample index is another request');
        assert.equal(c.stats.cached, 1);
        // A new client (a second run) over the same folder sends nothing.
        const again = new EndpointClient({ url: s.url, model: 'm' }, FAST, new ResponseCache(dir), 'a-key-changes-nothing');
        await again.complete(request(), { sample: 0 });
        assert.equal(s.requests.length, 2);
      },
    );
    const body = request();
    const otherImage = { ...body, messages: chatRequestMessages({ text: 'what is 1 + 1 ?', images: [{ bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9]) }] }) };
    assert.equal(requestKey('u', body), requestKey('u', JSON.parse(JSON.stringify(body)) as unknown));
    assert.notEqual(requestKey('u', body), requestKey('u', otherImage));
    assert.notEqual(requestKey('u', body), requestKey('u', { ...body, temperature: 0.5 }));
    assert.notEqual(requestKey('u', body), requestKey('v', body));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cache: an entry whose folder is a file is skipped with one warning, nothing thrown and no temp file left', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-endpoint-cache-bad-'));
  try {
    const key = requestKey('u', request());
    writeFileSync(join(dir, key.slice(0, 2)), 'not a folder');
    const warnings: string[] = [];
    const cache = new ResponseCache(dir, (line) => warnings.push(line));
    assert.equal(cache.get(key), undefined);
    cache.put(key, { text: 'fresh', finishReason: 'stop' });
    cache.put(key, { text: 'fresh', finishReason: 'stop' });
    assert.equal(cache.get(key), undefined);
    assert.deepEqual(warnings, [`the response cache entry ${join(dir, key.slice(0, 2), `${key}.json`)} cannot be written (${join(dir, key.slice(0, 2))} is a file, not a folder): skipped (the answer is asked again and not cached)`]);
    assert.deepEqual(readdirSync(dir), [key.slice(0, 2)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('client helpers: Retry-After forms, full-jitter bounds, URL and key-variable refusals, the pool bound', async () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter('soon'), null);
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0, 'a date in the past: no wait');
  assert.equal(backoffMs(1, 100, () => 0.999), 99.9);
  assert.equal(backoffMs(4, 100, () => 0.5), 400);
  assert.equal(backoffMs(30, 1000, () => 1), 60_000, 'capped');

  assert.equal(chatCompletionsUrl('endpoint', 'http://127.0.0.1:8000/v1/').href, 'http://127.0.0.1:8000/v1/chat/completions');
  assert.equal(chatCompletionsUrl('endpoint', 'http://h/v1/chat/completions').href, 'http://h/v1/chat/completions');
  assert.throws(() => chatCompletionsUrl('endpoint', 'localhost:8000'), (e: Error) => e instanceof UsageError && /--endpoint must be an http\(s\) URL/.test(e.message));
  assert.throws(() => chatCompletionsUrl('endpoint', 'ftp://h/v1'), /--endpoint must be an http\(s\) URL/);
  assert.throws(() => chatCompletionsUrl('endpoint', 'http://u:secret@h/v1'), (e: Error) => /must not hold credentials/.test(e.message) && !e.message.includes('secret'));
  assert.throws(() => chatCompletionsUrl('endpoint', 'http://h/v1?key=x'), /must not have a query/);

  process.env['RLSD_TEST_UNSET_KEY_VAR'] = '';
  assert.throws(() => readApiKey('api-key-env', 'RLSD_TEST_UNSET_KEY_VAR'), /--api-key-env RLSD_TEST_UNSET_KEY_VAR: the environment variable RLSD_TEST_UNSET_KEY_VAR is not set/);
  assert.throws(() => readApiKey('api-key-env', 'sk-abc-def'), /takes the name of an environment variable/);
  assert.equal(readApiKey('api-key-env', undefined), undefined);

  let inFlight = 0;
  let peak = 0;
  await runPool([...Array(20).keys()], 3, async () => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
  });
  assert.equal(peak, 3);
});
