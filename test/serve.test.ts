// `rlsd-bench serve` as a user meets it: spawned on port 0 (the port read from its startup line), queried with plain
// fetch by requests built as the endpoint client builds them (chatRequestMessages), and compared with what the
// in-process `eval` writes for the same items; then its bounds, bad flags and signals.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createServer } from 'node:net';
import { BASE, BIN, cliEnv, errorLines, REPO, runCli, runCliInProcess } from './fixtures.ts';
import { getBenchmark, MINI_BENCHMARKS } from '../benchmarks/index.ts';
import { miniRows, miniSplitName } from '../benchmarks/mini/build.ts';
import { chatRequestMessages } from '../src/endpoint/protocol.ts';
import { runCliAsync } from './endpoint-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rlsd-serve-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  url: string;
  model: string;
  checkpoint: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Starts `serve` and waits for its startup line `serving MODEL from CHECKPOINT on URL`. */
function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, '--backend', 'wasm', '--quiet', 'serve', ...args], { cwd: REPO, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no startup line in 60 s; stderr: ${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^serving (\S+) from (.+) on (http:\/\/\S+)\n/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, model: m[1]!, checkpoint: m[2]!, url: m[3]!, exit, stderr: () => err });
      }
    });
    void exit.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before its startup line; stderr: ${err}`));
    });
  });
}

async function chat(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const MINI_ITEMS = 4;

/** The mini test items of every benchmark, as `eval --mini-items N` loads them. */
async function miniItems(): Promise<{ name: string; id: string; messages: ReturnType<typeof chatRequestMessages> }[]> {
  const out = [];
  for (const name of MINI_BENCHMARKS) {
    const bench = getBenchmark(name);
    const split = miniSplitName(name, 'test');
    for (const row of await miniRows(name, split, MINI_ITEMS, 1)) {
      const item = bench.itemFromRow(row, split);
      out.push({ name, id: item.id, messages: chatRequestMessages(bench.prompt(item)) });
    }
  }
  return out;
}

test('serve: greedy responses equal the in-process eval of the same checkpoint, item by item (eval at its default --batch 128), and so does eval --endpoint', async () => {
  const s = await serve(['--port', '0']);
  assert.equal(s.model, basename(BASE), 'the checkpoint folder\'s name');
  assert.equal(s.checkpoint, BASE);
  assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  const models = (await (await fetch(`${s.url}/models`)).json()) as { data: { id: string }[] };
  assert.deepEqual(models.data.map((m) => m.id), [basename(BASE)]);

  const out = join(tmp, 'eval');
  const ev = runCli(['eval', '--mini-items', String(MINI_ITEMS), '--out', out]);
  assert.equal(ev.code, 0, ev.stderr);
  const items = await miniItems();
  let compared = 0;
  for (const name of MINI_BENCHMARKS) {
    const records = readFileSync(join(out, name, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; response: string });
    const mine = items.filter((i) => i.name === name);
    assert.equal(records.length, mine.length, `${name}: one record per item`);
    const responses = await Promise.all(mine.map((i) => chat(s.url, { model: s.model, messages: i.messages, temperature: 0, max_tokens: 32 })));
    for (const [k, item] of mine.entries()) {
      const r = responses[k]!;
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const record = records.find((x) => x.id === item.id);
      assert.ok(record, `${name} ${item.id}: in samples.jsonl`);
      assert.equal(r.json.choices[0].message.content, record.response, `${name} ${item.id}`);
      compared++;
    }
  }
  assert.ok(compared >= MINI_ITEMS * MINI_BENCHMARKS.length, `${compared} items compared`);

  // The full loop: `eval --endpoint` against this server gives the in-process eval's records and metrics.
  const viaEndpoint = join(tmp, 'eval-endpoint');
  // Run without blocking this process: a blocked event loop would miss the server closing idle keep-alive sockets,
  // and the next fetch would be sent on a closed one.
  const ep = await runCliAsync(['eval', '--endpoint', s.url, '--model', s.model, '--max-new-tokens', '32', '--no-cache', '--mini-items', String(MINI_ITEMS), '--out', viaEndpoint]);
  assert.equal(ep.code, 0, ep.stderr);
  for (const name of MINI_BENCHMARKS) {
    const read = (dir: string) => new Map(readFileSync(join(dir, name, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; response: string; correct: boolean }).map((r) => [r.id, { response: r.response, correct: r.correct }]));
    assert.deepEqual(read(viaEndpoint), read(out), `${name}: per-item responses and verdicts`);
    const metrics = (dir: string) => (JSON.parse(readFileSync(join(dir, name, 'results.json'), 'utf8')) as { metrics: unknown }).metrics;
    assert.deepEqual(metrics(viaEndpoint), metrics(out), `${name}: metrics`);
  }

  // A bad request answers in OpenAI's shape and the server goes on.
  const bad = await chat(s.url, { model: 'gpt-4o', messages: items[0]!.messages });
  assert.equal(bad.status, 404);
  assert.equal(bad.json.error.code, 'model_not_found');
  assert.equal((await chat(s.url, { model: s.model, messages: items[0]!.messages, temperature: 0 })).status, 200);

  // SIGTERM: the server closes and the command exits 143, as every command does.
  s.child.kill('SIGTERM');
  assert.deepEqual(await s.exit, { code: 143, signal: null });
  await assert.rejects(fetch(`${s.url}/models`));
});

test('serve --model-name: the name clients send; Ctrl-C exits 130', async () => {
  const s = await serve(['--port', '0', '--model-name', 'tiny']);
  assert.equal(s.model, 'tiny');
  const ok = await chat(s.url, { model: 'tiny', messages: [{ role: 'user', content: 'how many red circles ?' }], temperature: 0 });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.model, 'tiny');
  assert.equal((await chat(s.url, { model: basename(BASE), messages: [{ role: 'user', content: 'hi' }] })).status, 404);
  s.child.kill('SIGINT');
  assert.deepEqual(await s.exit, { code: 130, signal: null });
  assert.match(s.stderr(), /rlsd-bench: interrupted/);
});

test('serve names its weights (system_fingerprint in GET /v1/models and in answers); eval --endpoint keys its cache on them: other weights under the same name and port are asked again', async () => {
  const other = join(tmp, 'other-weights');
  mkdirSync(other);
  copyFileSync(join(BASE, 'checkpoint.json'), join(other, 'checkpoint.json'));
  const w = readFileSync(join(BASE, 'weights.bin'));
  w[w.length - 4] = w[w.length - 4]! ^ 1; // the lowest mantissa bit of one weight: other weights, the same shape
  writeFileSync(join(other, 'weights.bin'), w);
  const fingerprintOf = (dir: string) => `rlsd-bench-${createHash('sha256').update(readFileSync(join(dir, 'weights.bin'))).digest('hex').slice(0, 12)}`;
  const cache = join(tmp, 'fingerprint-cache');
  const evalArgs = (url: string, out: string) => ['eval', '--endpoint', url, '--model', 'policy', '--max-new-tokens', '32', '--cache', cache, '--mini-items', '2', '--benchmarks', 'mathvista,mmmu', '--out', join(tmp, out)];
  const listed = async (url: string) => ((await (await fetch(`${url}/models`)).json()) as { data: { id: string; system_fingerprint: string }[] }).data;

  const first = await serve(['--port', '0', '--model-name', 'policy']);
  assert.deepEqual((await listed(first.url)).map((m) => [m.id, m.system_fingerprint]), [['policy', fingerprintOf(BASE)]]);
  const a = await runCliAsync(evalArgs(first.url, 'fp-a'));
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /model policy: 4 requests sent \(0 retries\), 0 answered from the cache/);
  assert.doesNotMatch(a.stderr, /names no weights/, 'a server that names its weights needs no warning');
  first.child.kill('SIGTERM');
  await first.exit;

  // Other weights, the same name and port: nothing comes from the cache, and the folder of the first run refuses.
  const second = await serve(['--port', new URL(first.url).port, '--model-name', 'policy', '--checkpoint', other]);
  assert.equal(second.url, first.url);
  assert.deepEqual((await listed(second.url)).map((m) => m.system_fingerprint), [fingerprintOf(other)]);
  assert.equal((await chat(second.url, { model: 'policy', messages: [{ role: 'user', content: 'how many red circles ?' }], temperature: 0 })).json.system_fingerprint, fingerprintOf(other));
  const b = await runCliAsync(evalArgs(second.url, 'fp-b'));
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stderr, /model policy: 4 requests sent \(0 retries\), 0 answered from the cache/);
  assert.equal((JSON.parse(readFileSync(join(tmp, 'fp-b', 'eval.json'), 'utf8')) as { endpoint: { fingerprint: string } }).endpoint.fingerprint, fingerprintOf(other));
  const again = await runCliAsync(evalArgs(second.url, 'fp-a'));
  assert.equal(again.code, 2, again.stderr);
  assert.match(errorLines(again.stderr)[0] ?? '', new RegExp(`holds an evaluation with other settings: endpoint \\S+ model policy \\(system_fingerprint ${fingerprintOf(BASE)}\\) → endpoint \\S+ model policy \\(system_fingerprint ${fingerprintOf(other)}\\)`));
  // The same weights again: every answer is in the cache.
  const c = await runCliAsync(evalArgs(second.url, 'fp-c'));
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stderr, /model policy: 0 requests sent \(0 retries\), 4 answered from the cache/);
  second.child.kill('SIGTERM');
  await second.exit;
});

test('serve advertises its context in GET /v1/models (max_model_len, as vLLM); eval --endpoint caps max_tokens to it, so its default response length works without --max-new-tokens', async () => {
  const s = await serve(['--port', '0']);
  const models = (await (await fetch(`${s.url}/models`)).json()) as { data: { max_model_len: number; max_completion_tokens: number }[] };
  const checkpoint = JSON.parse(readFileSync(join(BASE, 'checkpoint.json'), 'utf8')) as { model: { maxPositions: number } };
  assert.equal(models.data[0]!.max_model_len, checkpoint.model.maxPositions);
  const longest = models.data[0]!.max_completion_tokens;
  assert.ok(longest > 0 && longest < checkpoint.model.maxPositions);
  // The longest response the model object names is accepted; one more is refused.
  const ask = (maxTokens: number) => chat(s.url, { model: s.model, messages: [{ role: 'user', content: 'how many red circles ?' }], temperature: 0, max_tokens: maxTokens });
  assert.equal((await ask(longest)).status, 200);
  assert.equal((await ask(longest + 1)).status, 400);

  const out = join(tmp, 'eval-capped');
  const r = await runCliAsync(['eval', '--endpoint', s.url, '--model', s.model, '--no-cache', '--mini-items', '2', '--benchmarks', 'mathvista', '--out', out], { quiet: false });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stderr.includes(`rlsd-bench: note: model '${s.model}' at ${new URL(s.url).origin} takes responses of at most ${longest} tokens (max_model_len ${checkpoint.model.maxPositions}, prompt and response together): max_tokens 1024 is capped to ${longest}`), r.stderr);
  assert.match(r.stderr, /2 requests sent \(0 retries\), 0 answered from the cache, 0 failed for good/);
  assert.match(r.stdout, /^mathvista\s+test\s+2\s+accuracy\s+\d+\.\d\d$/m);
  const identity = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as { sampling: { maxNewTokens: number } };
  assert.equal(identity.sampling.maxNewTokens, longest, 'the response length sent is the one recorded');
  s.child.kill('SIGTERM');
  await s.exit;
});

test('serve: bad flags get one line and a non-zero exit', async () => {
  const cases: [string[], number, RegExp][] = [
    [['serve', '--port', '70000'], 2, /--port must be ≤ 65535 \(got 70000\)/],
    [['serve', '--port', '-1'], 2, /--port must be ≥ 0/],
    [['serve'], 2, /Missing required argument: port/],
    [['serve', '--port', '0', '--checkpoint', join(tmp, 'nothing-here')], 1, /nothing-here\/checkpoint\.json: checkpoint not found/],
    [['serve', '--port', '0', '--queue', '-3'], 2, /--queue must be ≥ 0/],
    [['serve', '--port', '0', '--max-body-mb', '0'], 2, /--max-body-mb must be > 0/],
  ];
  // The first through the real binary, the others in this process (runCliInProcess: the same entry and output).
  for (const [i, [args, code, line]] of cases.entries()) {
    const argv = ['--backend', 'wasm', ...args];
    const r = i === 0 ? runCli(argv) : await runCliInProcess(argv);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    const errors = errorLines(r.stderr);
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, line);
  }
  // A port another process listens on is named.
  const taken = createServer();
  await new Promise<void>((res) => taken.listen(0, '127.0.0.1', res));
  try {
    const port = (taken.address() as { port: number }).port;
    const r = runCli(['--backend', 'wasm', 'serve', '--port', String(port)]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(errorLines(r.stderr)[0] ?? '', new RegExp(`--port ${port}: 127\\.0\\.0\\.1:${port} is already in use`));
  } finally {
    taken.close();
  }
});
