// `eval --endpoint` end to end against loopback servers (test/endpoint-fixtures.ts): the same results.json and
// samples.jsonl as a local evaluation with the endpoint and model recorded; a second run sends no request (the cache);
// a request out of retries leaves a visible error record, counted in results.json, exit code 3, and is asked again by
// the next run; MathVista's judge is asked only where the rules find no answer and its answers decide the score; a
// checkpoint series is a run folder that `report` turns into the convergence table; the API key is in no file and no
// output; bad input is one line and a non-zero exit. Every run is a few mini items (this machine is shared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBenchmark } from '../benchmarks/index.ts';
import type { MathVistaItem } from '../benchmarks/mathvista/index.ts';
import { miniRows, miniSplitName } from '../benchmarks/mini/build.ts';
import { chatRequestMessages } from '../src/endpoint/protocol.ts';
import { DEMO_PROMPT } from '../src/endpoint/mathvista-judge.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { errorLines, runCli, runCliInProcess } from './fixtures.ts';
import { promptKey, promptText, requestPromptKey, runCliAsync, startLoopback, type Loopback } from './endpoint-fixtures.ts';

interface MiniItemInfo {
  benchmark: string;
  id: string;
  gold: string;
  /** Its place among its benchmark's items (0-based). */
  index: number;
  query: string;
  multipleChoice: boolean;
}

/** The mini test items a run with --mini-items n evaluates, keyed by their prompt as a request carries it. */
async function miniItems(benchmarks: string[], n: number): Promise<Map<string, MiniItemInfo>> {
  const out = new Map<string, MiniItemInfo>();
  for (const name of benchmarks) {
    const bench = getBenchmark(name);
    const split = miniSplitName(name as 'mmmu', 'test');
    for (const [index, row] of (await miniRows(name as 'mmmu', split, n, 1)).entries()) {
      const item = bench.itemFromRow(row, split);
      const content = chatRequestMessages(bench.prompt(item))[0]!.content as { type: string; text?: string; image_url?: { url: string } }[];
      const key = promptKey(content[0]!.text!, content.slice(1).map((p) => p.image_url!.url));
      const raw = item.raw as { question_type?: string };
      out.set(key, { benchmark: name, id: item.id, gold: item.answer, index, query: (item as MathVistaItem).query ?? item.question, multipleChoice: raw.question_type === 'multiple-choice' });
    }
  }
  return out;
}

/** A response the benchmark's rules score as right. */
function rightAnswer(info: MiniItemInfo): string {
  if (info.benchmark === 'mathvista') return `The answer is "${info.gold}".`;
  return info.multipleChoice ? `(${info.gold})` : info.gold;
}

const samplesOf = (out: string, b: string): Record<string, unknown>[] => readJsonl(join(out, b, 'samples.jsonl')).map((l) => l.value);
const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

async function withTmp(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function closing<T>(servers: Loopback[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    for (const s of servers) await s.close();
  }
}

const MINI = ['--data', 'mini', '--mini-items', '3'];

test('eval --endpoint: records as a local evaluation, endpoint and model in the identity; a second run (another --out) sends no request', async () => {
  const items = await miniItems(['mathvista', 'mmmu'], 3);
  const server = await startLoopback((req) => {
    const info = items.get(requestPromptKey(req));
    return { content: info && info.id !== '2' ? rightAnswer(info) : 'no idea' };
  });
  await closing([server], () =>
    withTmp('rlsd-endpoint-eval-', async (dir) => {
      const cache = join(dir, 'cache');
      const args = ['eval', '--endpoint', server.url, '--model', 'served-model', ...MINI, '--benchmarks', 'mathvista,mmmu', '--cache', cache, '--concurrency', '4'];
      const a = await runCliAsync([...args, '--out', join(dir, 'a')]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(server.requests.length, 6, 'one request per item');
      for (const r of server.requests) {
        assert.equal(r.body.model, 'served-model');
        assert.equal(r.body.n, 1);
        assert.equal(r.body.temperature, 0);
        assert.equal(r.body.max_tokens, 1024, 'the endpoint default response length');
        assert.equal(typeof r.body.seed, 'number');
        assert.match(JSON.stringify(r.body.messages), /"type":"image_url","image_url":\{"url":"data:image\/png;base64,/);
        assert.equal(r.headers['authorization'], undefined, 'no key unless --api-key-env names one');
      }
      assert.match(a.stdout, /^mathvista\s+test\s+3\s+accuracy\s+66\.67$/m);
      assert.match(a.stdout, /^mmmu\s+test\s+3\s+accuracy\s+\d+\.\d\d$/m);
      assert.match(a.stdout, /^extraction: rules/m);
      assert.match(a.stderr, /rlsd-bench: endpoint http:\/\/127\.0\.0\.1:\d+\/v1 model served-model: 6 requests sent \(0 retries\), 0 answered from the cache, 0 failed for good/);

      const outA = join(dir, 'a');
      const id = json(join(outA, 'eval.json'));
      assert.deepEqual(id['endpoint'], { url: server.url, model: 'served-model' });
      assert.equal(id['checkpoint'], undefined);
      assert.equal(id['backend'], 'endpoint');
      const res = json(join(outA, 'mathvista', 'results.json'));
      assert.equal(res['errors'], 0);
      assert.equal(res['extraction'], 'rules');
      assert.deepEqual((res['identity'] as { endpoint: unknown }).endpoint, { url: server.url, model: 'served-model' });
      const recs = samplesOf(outA, 'mathvista');
      assert.deepEqual(recs.map((r) => [r['id'], r['sample'], r['correct']]), [['1', 0, true], ['2', 0, false], ['3', 0, true]], 'records in item order, whatever order the answers came in');

      // The same evaluation into another folder: every answer is in the cache.
      const b = await runCliAsync([...args, '--out', join(dir, 'b')]);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(server.requests.length, 6, 'a second run sends zero requests');
      assert.match(b.stderr, /0 requests sent \(0 retries\), 6 answered from the cache/);
      assert.equal(readFileSync(join(dir, 'b', 'mathvista', 'samples.jsonl'), 'utf8'), readFileSync(join(outA, 'mathvista', 'samples.jsonl'), 'utf8'));

      // Killed after 2 records (SIGKILL) and resumed: every item is asked once over both runs, and the records are
      // those of the uninterrupted run.
      const before = server.requests.length;
      const killedArgs = ['eval', '--endpoint', server.url, '--model', 'served-model', ...MINI, '--benchmarks', 'mathvista,mmmu', '--cache', join(dir, 'cache-k'), '--concurrency', '4', '--out', join(dir, 'k')];
      const killed = await runCliAsync(killedArgs, { env: { RLSD_TEST_KILL_AFTER_RECORDS: '2' } });
      assert.equal(killed.signal, 'SIGKILL');
      const answered = filesUnder(join(dir, 'cache-k')).filter((f) => /[0-9a-f]{64}\.json$/.test(f)).length;
      assert.ok(answered >= 2, `the answers received before the kill are cached (${answered})`);
      const afterKill = server.requests.length;
      const resumed = await runCliAsync(killedArgs);
      assert.equal(resumed.code, 0, resumed.stderr);
      // Only requests in flight at the kill (sent, never answered to the client) can be sent again.
      assert.equal(server.requests.length - afterKill, 6 - answered, 'the resumed run asks only what had no answer');
      assert.ok(server.requests.length - before <= 6 + 4);
      for (const bench of ['mathvista', 'mmmu']) assert.equal(readFileSync(join(dir, 'k', bench, 'samples.jsonl'), 'utf8'), readFileSync(join(outA, bench, 'samples.jsonl'), 'utf8'));

      // Another model into the first folder refuses, naming the difference.
      const c = await runCliAsync(['eval', '--endpoint', server.url, '--model', 'other-model', ...MINI, '--benchmarks', 'mathvista,mmmu', '--cache', cache, '--out', outA]);
      assert.equal(c.code, 2);
      assert.match(errorLines(c.stderr)[0]!, /holds an evaluation with other settings: endpoint http:\/\/127\.0\.0\.1:\d+\/v1 model served-model → endpoint .* model other-model; use --overwrite/);
    }),
  );
});

test('eval --endpoint: a request out of retries is an error record (counted, exit 3) and is asked again by the next run', async () => {
  const items = await miniItems(['mathvista'], 3);
  let healthy = false;
  const attempts = new Map<string, number>();
  const server = await startLoopback((req) => {
    const info = items.get(requestPromptKey(req))!;
    attempts.set(info.id, (attempts.get(info.id) ?? 0) + 1);
    if (info.id === '2' && !healthy) return { status: 503, body: '{"error": "overloaded"}' };
    // Item 3 is throttled once, then answered: a retry that succeeds leaves no trace in the records.
    if (info.id === '3' && attempts.get('3') === 1) return { status: 429, headers: { 'retry-after': '0' } };
    return { content: rightAnswer(info) };
  });
  await closing([server], () =>
    withTmp('rlsd-endpoint-errors-', async (dir) => {
      const out = join(dir, 'out');
      const args = ['eval', '--endpoint', server.url, '--model', 'm', ...MINI, '--benchmarks', 'mathvista', '--retries', '2', '--retry-delay', '0.01', '--concurrency', '1', '--cache', join(dir, 'cache'), '--out', out];
      const a = await runCliAsync(args);
      assert.equal(a.code, 3, `finished with a failed response: exit 3\n${a.stderr}`);
      assert.match(a.stdout, /^mathvista: 1 response failed after every retry — error records in samples\.jsonl, left out of the metrics; rerun the same command to ask again$/m);
      assert.match(a.stderr, /1 failed for good/);
      assert.deepEqual(Object.fromEntries(attempts), { '1': 1, '2': 3, '3': 2 }, 'item 2: the first try and 2 retries; item 3: one retry after the 429');
      const recs = samplesOf(out, 'mathvista');
      const bad = recs.find((r) => r['id'] === '2')!;
      assert.equal(bad['response'], null);
      assert.equal(bad['correct'], false);
      assert.equal(bad['extractor'], 'error');
      assert.match(String(bad['error']), /^HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: \{"error": "overloaded"\} \(gave up after 3 attempts\)$/);
      const res = json(join(out, 'mathvista', 'results.json'));
      assert.equal(res['errors'], 1);
      assert.match(String(res['incomplete']), /asked again when the same command is rerun/);
      assert.deepEqual([(res['metrics'] as { correct: number; total: number }).correct, (res['metrics'] as { total: number }).total], [2, 2], 'scored over the answered items only');
      assert.equal(json(join(out, 'results.json'))['errors'], 1);

      healthy = true;
      const before = server.requests.length;
      const b = await runCliAsync(args);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(server.requests.length - before, 1, 'only the failed item is asked again');
      const again = samplesOf(out, 'mathvista');
      assert.deepEqual(again.map((r) => [r['id'], r['correct'], r['error']]), [['1', true, undefined], ['3', true, undefined], ['2', true, undefined]]);
      assert.equal(json(join(out, 'mathvista', 'results.json'))['errors'], 0);
    }),
  );
});

test('eval --endpoint: an unreachable server gives per-item error records, a summary line and exit 3', async () => {
  const gone = await startLoopback(() => ({ content: '' }));
  await gone.close();
  await withTmp('rlsd-endpoint-down-', async (dir) => {
    const out = join(dir, 'out');
    const r = await runCliAsync(['eval', '--endpoint', gone.url, '--model', 'm', '--data', 'mini', '--mini-items', '2', '--benchmarks', 'mathvista', '--retries', '1', '--retry-delay', '0.01', '--no-cache', '--out', out]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /4 requests sent \(2 retries\), 0 answered from the cache, 2 failed for good/);
    assert.match(r.stdout, /^mathvista: 2 responses failed after every retry/m);
    const recs = samplesOf(out, 'mathvista');
    assert.equal(recs.length, 2);
    for (const rec of recs) assert.match(String(rec['error']), /network error talking to http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED \(gave up after 2 attempts\)/);

    // Many items: after 8 units in a row fail for good (2 × --concurrency, at least 8) the evaluation stops, exit 1.
    const many = join(dir, 'many');
    const stop = await runCliAsync(['eval', '--endpoint', gone.url, '--model', 'm', '--data', 'mini', '--mini-items', '12', '--benchmarks', 'mathvista', '--retries', '0', '--concurrency', '1', '--no-cache', '--out', many]);
    assert.equal(stop.code, 1, stop.stderr);
    assert.match(errorLines(stop.stderr).join('\n'), /^rlsd-bench: error: stopped: the last 8 requests to http:\/\/127\.0\.0\.1:\d+ failed after every retry \(last: network error .*ECONNREFUSED.*\); the records so far are kept — rerun the same command when the server answers$/);
    assert.equal(samplesOf(many, 'mathvista').length, 8);
  });
});

test('eval --judge-endpoint: MathVista asks the judge only where its rules find no answer, with the official prompt; the scores follow its answers', async () => {
  const items = await miniItems(['mathvista', 'mmmu'], 3);
  const vista = [...items.values()].filter((i) => i.benchmark === 'mathvista');
  assert.equal(new Set(vista.map((i) => i.query)).size, vista.length, 'the test items have distinct queries');
  const model = await startLoopback((req) => {
    const info = items.get(requestPromptKey(req))!;
    // Item 1 is settled by the quick rule; the others only a judge can read.
    return { content: info.benchmark === 'mathvista' && info.id === '1' ? `The answer is "${info.gold}".` : 'I believe the bars suggest something like that one.' };
  });
  const judge = await startLoopback((req) => {
    const text = promptText(req);
    const info = vista.find((i) => text.includes(`\n\n${i.query}\n\n`))!;
    // Item 2's extraction is right, item 3's wrong.
    return { content: info.id === '2' ? `  ${info.gold}\n` : '12345' };
  });
  await closing([model, judge], () =>
    withTmp('rlsd-endpoint-judge-', async (dir) => {
      const out = join(dir, 'out');
      const r = await runCliAsync(['eval', '--endpoint', model.url, '--model', 'm', '--judge-endpoint', judge.url, '--judge-model', 'judge-m', ...MINI, '--benchmarks', 'mathvista,mmmu', '--cache', join(dir, 'cache'), '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(judge.requests.length, 2, 'the judge is asked for the two responses no rule settles');
      for (const q of judge.requests) {
        assert.equal(q.body.model, 'judge-m');
        assert.equal(q.body.temperature, 0);
        assert.equal(q.body.max_tokens, 1024);
        const text = promptText(q);
        assert.ok(text.startsWith(DEMO_PROMPT.trim()), 'the official few-shot demo prompt first');
        assert.ok(text.endsWith('\n\nI believe the bars suggest something like that one.\n\nExtracted answer: '));
      }
      assert.match(r.stdout, /^mathvista\s+test\s+3\s+accuracy\s+66\.67$/m);
      assert.match(r.stdout, /^extraction mathvista: judge judge-m at http:\/\/127\.0\.0\.1:\d+\/v1 where MathVista's rules find no answer/m);
      assert.match(r.stdout, /^extraction mmmu: rules \(its official scorer has no LLM step; the judge is for MathVista\)$/m);
      const recs = samplesOf(out, 'mathvista');
      assert.deepEqual(recs.map((x) => [x['id'], x['extractor'], x['extracted'], x['correct']]), [
        ['1', 'answer_is_quoted', vista[0]!.gold, true],
        ['2', 'judge', vista[1]!.gold, true],
        ['3', 'judge', '12345', false],
      ]);
      const res = json(join(out, 'mathvista', 'results.json'));
      assert.match(String(res['extraction']), /^judge judge-m/);
      assert.equal((json(join(out, 'eval.json'))['judge'] as { model: string }).model, 'judge-m');
    }),
  );
});

test('eval --endpoint --models: a checkpoint series written as a run folder; report turns it into the convergence table', async () => {
  const items = await miniItems(['mathvista', 'mmmu'], 3);
  const server = await startLoopback((req) => {
    const info = items.get(requestPromptKey(req))!;
    // step-10 knows item 1 of each benchmark, step-20 every item.
    return { content: req.body.model === 'step-20' || info.index === 0 ? rightAnswer(info) : 'no idea' };
  });
  await closing([server], () =>
    withTmp('rlsd-endpoint-series-', async (dir) => {
      const root = join(dir, 'series');
      const modelsFile = join(dir, 'models.txt');
      writeFileSync(modelsFile, '# step model\n20 step-20\n10\tstep-10\n');
      const r = await runCliAsync(['eval', '--endpoint', server.url, '--models-file', modelsFile, '--label', 'rlsd', ...MINI, '--benchmarks', 'mathvista,mmmu', '--cache', join(dir, 'cache'), '--out', root]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\s+10\s+step-10\s+33\.33\s+33\.33\s+33\.33\s+0$/m);
      assert.match(r.stdout, /^\s+20\s+step-20\s+100\.00\s+100\.00\s+100\.00\s+0$/m);
      const run = join(root, 'rlsd', 'seed-1');
      assert.match(r.stdout, new RegExp(`series → ${run}; tables and curves: rlsd-bench report ${root}`));
      const config = json(join(run, 'run.json'))['config'] as Record<string, unknown>;
      assert.deepEqual([config['method'], config['seed'], config['steps'], config['evalSplit']], ['rlsd', 1, 20, 'test']);
      const lines = readJsonl(join(run, 'metrics.jsonl')).map((l) => l.value);
      assert.deepEqual(lines.map((l) => [l['step'], l['val-core/mathvista/acc/mean@1'], l['val-core/all/acc/mean@1']]), [[10, 1 / 3, 1 / 3], [20, 1, 1]]);
      assert.equal(readJsonl(join(run, 'evals', 'step_000010.jsonl')).length, 6);
      assert.ok(existsSync(join(run, 'eval', 'step_000020', 'mmmu', 'results.json')));
      assert.equal(json(join(run, 'eval', 'step_000020', 'eval.json'))['endpoint'] !== undefined, true);

      const rep = runCli(['report', root]);
      assert.equal(rep.code, 0, rep.stderr);
      assert.match(rep.stdout, /### Convergence/);
      const convergence = rep.stdout.slice(rep.stdout.indexOf('### Convergence'));
      assert.match(convergence, /^\| RLSD\s+\|\s+1 \|\s+33\.33 \|\s+100\.00 \|\s+20 \| 100\.00 \|/m, 'the series is a row of the convergence table: its Avg at steps 10 and 20');
      assert.ok(existsSync(join(root, 'report', 'convergence.md')));
    }),
  );
});

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

test('eval --endpoint --api-key-env: the key is sent, and in no file, no cache entry, no output — even when servers echo it in errors', async () => {
  const key = `sk-rlsd-secret-${process.pid}-${Date.now()}-XYZZY`;
  const judgeKey = `${key}-JUDGE`;
  const items = await miniItems(['mathvista'], 3);
  const echo = (req: { headers: Record<string, unknown> }) => `{"error": {"message": "rejected; you sent authorization: ${String(req.headers['authorization'])}"}}`;
  const model = await startLoopback((req) => {
    const info = items.get(requestPromptKey(req))!;
    if (info.id === '2') return { status: 503, body: echo(req) };
    if (info.id === '3') return { status: 400, body: echo(req) };
    return { content: 'something a judge must read' };
  });
  const judge = await startLoopback((req) => ({ status: 500, body: echo(req) }));
  await closing([model, judge], () =>
    withTmp('rlsd-endpoint-secret-', async (dir) => {
      const out = join(dir, 'out');
      const cache = join(dir, 'cache');
      const r = await runCliAsync(
        ['eval', '--endpoint', model.url, '--model', 'm', '--api-key-env', 'RLSD_TEST_ENDPOINT_KEY', '--judge-endpoint', judge.url, '--judge-model', 'j', '--judge-api-key-env', 'RLSD_TEST_JUDGE_KEY', ...MINI, '--benchmarks', 'mathvista', '--retries', '1', '--retry-delay', '0.01', '--cache', cache, '--out', out],
        { env: { RLSD_TEST_ENDPOINT_KEY: key, RLSD_TEST_JUDGE_KEY: judgeKey, RLSD_DEBUG: '1' }, quiet: false },
      );
      assert.equal(r.code, 3, r.stderr);
      assert.equal(model.requests[0]!.headers['authorization'], `Bearer ${key}`, 'the key reaches the server');
      assert.equal(judge.requests[0]!.headers['authorization'], `Bearer ${judgeKey}`);
      const recs = samplesOf(out, 'mathvista');
      assert.equal(recs.filter((x) => typeof x['error'] === 'string').length, 3, 'the 503, the 400 and the failed judge call are error records');
      assert.match(JSON.stringify(recs), /\[redacted\]/, 'the echoed header is quoted with the key redacted');
      const written = [...filesUnder(out), ...filesUnder(cache)];
      assert.ok(written.length >= 5, `records, results and the cached answer: ${written.join(', ')}`);
      for (const f of written) {
        const text = readFileSync(f, 'latin1');
        assert.ok(!text.includes(key) && !text.includes("sk-rlsd-secret"), `${f} holds the key: ${text.slice(Math.max(0, text.indexOf("sk-rlsd-secret") - 300), text.indexOf("sk-rlsd-secret") + 80)}`);
      }
      for (const [name, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) assert.ok(!text.includes('sk-rlsd-secret'), `${name} holds the key:\n${text}`);
    }),
  );
});

test('eval --endpoint --api-key-env: a server that echoes the key in its answers (text, finish reason, fingerprint) gets it redacted in records, cache and output', async () => {
  const key = `sk-rlsd-echo-${process.pid}-${Date.now()}-PLUGH`;
  const items = await miniItems(['mathvista'], 3);
  const model = await startLoopback((req) => {
    const info = items.get(requestPromptKey(req))!;
    const sent = String(req.headers['authorization']);
    return { content: `${rightAnswer(info)} (you sent ${sent})`, finishReason: `stop ${sent}`, fingerprint: `fp-${sent}` };
  });
  await closing([model], () =>
    withTmp('rlsd-endpoint-echo-', async (dir) => {
      const out = join(dir, 'out');
      const cache = join(dir, 'cache');
      const args = ['eval', '--endpoint', model.url, '--model', 'm', '--api-key-env', 'RLSD_TEST_ENDPOINT_KEY', ...MINI, '--benchmarks', 'mathvista', '--cache', cache, '--out', out];
      const opts = { env: { RLSD_TEST_ENDPOINT_KEY: key, RLSD_DEBUG: '1' }, quiet: false };
      const r = await runCliAsync(args, opts);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(model.requests[0]!.headers['authorization'], `Bearer ${key}`, 'the key reaches the server');
      const recs = samplesOf(out, 'mathvista');
      assert.equal(recs.length, 3);
      for (const rec of recs) {
        assert.match(String(rec['response']), / \(you sent Bearer \[redacted\]\)$/, 'the echoed key is redacted in the response text');
        assert.equal(rec['correct'], true, 'the answer is still scored');
      }
      // A second run answers from the cache: what it reads back is redacted too.
      const again = await runCliAsync([...args.slice(0, -1), join(dir, 'again')], opts);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /3 answered from the cache/);
      const written = [...filesUnder(out), ...filesUnder(join(dir, 'again')), ...filesUnder(cache)];
      assert.ok(filesUnder(cache).length >= 3, `the answers are cached: ${written.join(', ')}`);
      for (const f of written) {
        const text = readFileSync(f, 'latin1');
        assert.ok(!text.includes('sk-rlsd-echo'), `${f} holds the key: ${text.slice(Math.max(0, text.indexOf('sk-rlsd-echo') - 200), text.indexOf('sk-rlsd-echo') + 60)}`);
      }
      for (const [name, text] of [['stdout', r.stdout], ['stderr', r.stderr], ['stdout (cached)', again.stdout], ['stderr (cached)', again.stderr]] as const) assert.ok(!text.includes('sk-rlsd-echo'), `${name} holds the key:\n${text}`);
    }),
  );
});

test('eval --endpoint: a server naming no weights is said to be trusted by name at start (age, folder to delete); answers from other weights than the cache recorded are refused', async () => {
  const items = await miniItems(['mathvista'], 4);
  let fingerprint = 'fp-A';
  const server = await startLoopback((req) => ({ content: rightAnswer(items.get(requestPromptKey(req))!), fingerprint }));
  await closing([server], () =>
    withTmp('rlsd-endpoint-trust-', async (dir) => {
      const cache = join(dir, 'cache');
      const args = (out: string, n: number) => ['eval', '--endpoint', server.url, '--model', 'm', '--data', 'mini', '--mini-items', String(n), '--benchmarks', 'mathvista', '--concurrency', '1', '--cache', cache, '--out', join(dir, out)];
      const notes = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('rlsd-bench: note: '));
      const trust = /^rlsd-bench: note: http:\/\/127\.0\.0\.1:\d+ names no weights for model 'm' \(no system_fingerprint in GET \/v1\/models\), so the response cache (\S+) trusts the name: (.*)\. If other weights now answer under this name, delete that folder or run with --no-cache$/;

      const a = await runCliAsync(args('a', 3));
      assert.equal(a.code, 0, a.stderr);
      assert.equal(server.modelQueries, 1, 'the model list is read once, before any request');
      const first = trust.exec(notes(a.stderr)[0] ?? '');
      assert.ok(first, a.stderr);
      assert.equal(first[2], 'it holds no answer yet');
      const scopeDir = first[1]!;
      assert.ok(scopeDir.startsWith(join(cache, 'm-')), scopeDir);

      const b = await runCliAsync(args('b', 3));
      assert.equal(b.code, 0, b.stderr);
      assert.equal(server.requests.length, 3, 'the second run is answered by the cache');
      const second = trust.exec(notes(b.stderr)[0] ?? '');
      assert.ok(second, b.stderr);
      assert.equal(second[1], scopeDir);
      assert.match(second[2]!, /^it holds 3 answers, the first stored \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+ s ago\) under system_fingerprint fp-A$/);

      // Other weights behind the same name and URL: the first new answer is refused, naming both and the folder.
      fingerprint = 'fp-B';
      const c = await runCliAsync(args('c', 4));
      assert.equal(c.code, 1, c.stderr);
      assert.equal(server.requests.length, 4, 'one request for the one item the cache lacks');
      assert.deepEqual(errorLines(c.stderr), [
        `rlsd-bench: error: ${server.url.replace('/v1', '')} now answers model 'm' with system_fingerprint fp-B, but the response cache ${scopeDir} holds answers of fp-A: other weights answer under this name; delete that folder or run with --no-cache (or another --cache)`,
      ]);
      assert.equal(filesUnder(scopeDir).filter((f) => /[0-9a-f]{64}\.json$/.test(f)).length, 3, 'the answer of the other weights is not cached');

      // Invalidated as the message says: everything is asked again.
      rmSync(scopeDir, { recursive: true });
      const d = await runCliAsync(args('d', 4));
      assert.equal(d.code, 0, d.stderr);
      assert.equal(server.requests.length, 8);
    }),
  );
});

test('eval --endpoint: a benchmark whose every request failed has no metric (n/a in the table and null in results.json, not 0.00), and Avg says how many benchmarks it covers', async () => {
  const items = await miniItems(['mathvista', 'mmmu'], 2);
  let mmmuFails = false;
  const server = await startLoopback((req) => {
    const info = items.get(requestPromptKey(req))!;
    if (info.benchmark === 'mathvista' || mmmuFails) return { status: 503 };
    return { content: rightAnswer(info) };
  });
  await closing([server], () =>
    withTmp('rlsd-endpoint-na-', async (dir) => {
      const args = (out: string) => ['eval', '--endpoint', server.url, '--model', 'm', '--data', 'mini', '--mini-items', '2', '--benchmarks', 'mathvista,mmmu', '--retries', '0', '--no-cache', '--out', join(dir, out)];
      const r = await runCliAsync(args('a'));
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stdout, /^mathvista\s+test\s+2\s+accuracy\s+n\/a$/m);
      assert.match(r.stdout, /^mmmu\s+test\s+2\s+accuracy\s+100\.00$/m);
      assert.match(r.stdout, /^Avg\s+headline mean\s+100\.00 {2}\(over 1 of 2 benchmarks; mathvista n\/a: no scored response\)$/m);
      const vista = json(join(dir, 'a', 'mathvista', 'results.json'));
      const m = vista['metrics'] as Record<string, unknown>;
      assert.equal(m['accuracy'], null, 'no scored item: the accuracy is n/a, not 0');
      assert.equal(m['total'], 0, 'counts stay counts');
      assert.equal(vista['errors'], 2);
      const top = json(join(dir, 'a', 'results.json'))['average'] as Record<string, unknown>;
      assert.deepEqual([top['value'], top['benchmarks'], top['of']], [1, 1, 2]);

      mmmuFails = true;
      const none = await runCliAsync(args('b'));
      assert.equal(none.code, 3, none.stderr);
      assert.match(none.stdout, /^Avg\s+headline mean\s+n\/a {2}\(over 0 of 2 benchmarks; mathvista, mmmu n\/a: no scored response\)$/m);
      assert.doesNotMatch(none.stdout, /0\.00/);
      const avg = json(join(dir, 'b', 'results.json'))['average'] as Record<string, unknown>;
      assert.deepEqual([avg['value'], avg['benchmarks']], [null, 0]);
    }),
  );
});

test('eval --endpoint: a 400 refusing a setting every request carries stops the run at once with the server\'s reason; a 400 about one item\'s messages is that item\'s error record', async () => {
  const items = await miniItems(['mathvista'], 4);
  const refusal = (param: string, message: string) => ({ status: 400, body: JSON.stringify({ error: { message, type: 'invalid_request_error', param, code: 'invalid_value' } }) });
  const server = await startLoopback((req) => {
    const info = items.get(requestPromptKey(req))!;
    if (req.body.max_tokens === 1024) return refusal('max_tokens', "'max_tokens' 1024 leaves no room for a prompt: the model has 160 positions");
    if (info.id === '2') return refusal('messages[0].content[1].image_url.url', 'the image is not a PNG');
    return { content: rightAnswer(info) };
  });
  await closing([server], () =>
    withTmp('rlsd-endpoint-refused-', async (dir) => {
      const args = ['eval', '--endpoint', server.url, '--model', 'm', '--data', 'mini', '--mini-items', '4', '--benchmarks', 'mathvista', '--concurrency', '1', '--retries', '3', '--no-cache'];
      const stopped = await runCliAsync([...args, '--out', join(dir, 'a')]);
      assert.equal(stopped.code, 1, stopped.stderr);
      assert.equal(server.requests.length, 1, 'one request: no retry, no other item');
      assert.deepEqual(errorLines(stopped.stderr), [
        `rlsd-bench: error: ${server.url}/chat/completions refused the request's 'max_tokens' (HTTP 400: {"error":{"message":"'max_tokens' 1024 leaves no room for a prompt: the model has 160 positions","type":"invalid_request_error","param":"max_tokens","code":"invalid_value"}}); every request carries it, so no retry can help: change the setting (--max-new-tokens) and rerun`,
      ]);
      assert.doesNotMatch(stopped.stdout, /accuracy/, 'no table of zeros');

      const ok = await runCliAsync([...args, '--max-new-tokens', '32', '--out', join(dir, 'b')]);
      assert.equal(ok.code, 3, ok.stderr);
      assert.equal(server.requests.length, 1 + 4, 'the item-specific refusal is not retried either');
      const recs = samplesOf(join(dir, 'b'), 'mathvista');
      assert.deepEqual(recs.map((r) => [r['id'], typeof r['error'] === 'string']), [['1', false], ['2', true], ['3', false], ['4', false]]);
    }),
  );
});

test('eval --endpoint: a folder where a cache entry should be is skipped with a warning and the answer asked again; no temp file is left', async () => {
  const items = await miniItems(['mathvista'], 4);
  const server = await startLoopback((req) => ({ content: rightAnswer(items.get(requestPromptKey(req))!) }));
  await closing([server], () =>
    withTmp('rlsd-endpoint-cache-dir-', async (dir) => {
      const cache = join(dir, 'cache');
      const args = (out: string) => ['eval', '--endpoint', server.url, '--model', 'm', '--data', 'mini', '--mini-items', '4', '--benchmarks', 'mathvista', '--concurrency', '1', '--cache', cache, '--out', join(dir, out)];
      const a = await runCliAsync(args('a'));
      assert.equal(a.code, 0, a.stderr);
      const entries = filesUnder(cache).filter((f) => /[0-9a-f]{64}\.json$/.test(f));
      assert.equal(entries.length, 4);
      // Two entries become folders (one empty, one holding a file): neither can be read, nor replaced by a rename.
      for (const f of entries.slice(0, 2)) {
        rmSync(f);
        mkdirSync(f);
      }
      writeFileSync(join(entries[1]!, 'inside'), 'x');
      const b = await runCliAsync(args('b'), { quiet: false });
      assert.equal(b.code, 0, b.stderr);
      assert.equal(server.requests.length, 4 + 2, 'the two bad entries are asked again');
      assert.match(b.stderr, /2 requests sent \(0 retries\), 2 answered from the cache/);
      const warnings = b.stderr.split('\n').filter((l) => l.startsWith('rlsd-bench: warning: '));
      assert.equal(warnings.length, 2, b.stderr);
      assert.deepEqual(warnings.sort(), entries.slice(0, 2).map((f) => `rlsd-bench: warning: the response cache entry ${f} is a folder, not a file: skipped (the answer is asked again and not cached)`).sort());
      assert.doesNotMatch(b.stderr, /EISDIR|error:/);
      assert.equal(samplesOf(join(dir, 'b'), 'mathvista').length, 4, 'every item answered');
      assert.deepEqual(filesUnder(cache).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
    }),
  );
});

test('eval --endpoint: bad input is one line and a non-zero exit, before any request', async () => {
  // The first through the real binary, the others in this process (runCliInProcess: the same entry and output).
  let viaBinary = true;
  const expectError = async (args: string[], pattern: RegExp, env: Record<string, string | undefined> = {}) => {
    const argv = ['eval', ...args, '--data', 'mini', '--out', join(tmpdir(), 'rlsd-endpoint-never')];
    const r = viaBinary ? runCli(argv, { env }) : await runCliInProcess(argv, { env });
    viaBinary = false;
    assert.equal(r.code, 2, `${args.join(' ')}: exit 2\n${r.stderr}`);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, pattern);
    assert.ok(!existsSync(join(tmpdir(), 'rlsd-endpoint-never')));
    return lines[0]!;
  };
  await expectError(['--endpoint', 'localhost:8000', '--model', 'm'], /--endpoint must be an http\(s\) URL such as http:\/\/127\.0\.0\.1:8000\/v1 \(got 'localhost:8000'\)/);
  await expectError(['--endpoint', 'http://127.0.0.1:9/v1'], /--endpoint needs --model NAME/);
  await expectError(['--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm', '--checkpoint', 'results/reference/base'], /--checkpoint and --endpoint both given/);
  const line = await expectError(['--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm', '--api-key-env', 'RLSD_TEST_NO_SUCH_VAR'], /--api-key-env RLSD_TEST_NO_SUCH_VAR: the environment variable RLSD_TEST_NO_SUCH_VAR is not set/, { RLSD_TEST_NO_SUCH_VAR: undefined });
  assert.ok(line.length < 200);
  await expectError(['--model', 'm'], /--model applies only with --endpoint URL/);
  await expectError(['--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm', '--judge-endpoint', 'http://127.0.0.1:9/v1'], /--judge-endpoint needs --judge-model NAME/);
  await expectError(['--endpoint', 'http://127.0.0.1:9/v1', '--models', 'base,final'], /--models: cannot tell the step of 'base'/);
  await expectError(['--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm', '--concurrency', '0'], /--concurrency must be ≥ 1 \(got 0\)/);
});
