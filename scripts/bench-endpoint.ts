// `npm run bench:endpoint`: the endpoint client's sustained requests per second against a loopback server that
// answers at once — the client's own overhead (request building with an image data URL, fetch, JSON parsing, the
// concurrency pool), not a model's. The server runs in a worker thread so that it does not share the client's event
// loop. Three passes of --requests each: no cache; with the cache, every answer written (a first run); every answer
// read back from that cache (a repeated run: no request sent).
// Usage: npm run bench:endpoint [-- --requests 3000 --concurrency 16]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { miniRows, miniSplitName } from '../benchmarks/mini/build.ts';
import { getBenchmark } from '../benchmarks/index.ts';
import { ResponseCache } from '../src/endpoint/cache.ts';
import { EndpointClient, runPool, type ChatRequest } from '../src/endpoint/client.ts';
import { chatRequestMessages } from '../src/endpoint/protocol.ts';
import { num } from '../src/cli/util.ts';
import { parseOrExit, runScript, scriptCli } from '../src/cli/script.ts';

const flags = parseOrExit(
  scriptCli('npm run bench:endpoint -- [options]', "The endpoint client's sustained requests/s against a loopback server that answers at once (no cache, cache writes, cache reads). Writes only a temporary cache folder, removed at the end.")
    .option('requests', { type: 'number', default: 3000, describe: 'requests per pass' })
    .option('concurrency', { type: 'number', default: 16, describe: 'requests in flight at once' }),
  (argv) => ({
    requests: num('requests', argv['requests'], { integer: true, min: 1, max: 1_000_000 }),
    concurrency: num('concurrency', argv['concurrency'], { integer: true, min: 1, max: 256 }),
  }),
);

// The loopback server: a fixed chat completion for every POST, keep-alive on.
const SERVER = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const body = JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'The answer is "3".' }, finish_reason: 'stop' }] });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => server.close(() => process.exit(0)));
`;

await runScript(async () => {
  const worker = new Worker(SERVER, { eval: true });
  const port = await new Promise<number>((r) => worker.once('message', r));
  const url = `http://127.0.0.1:${port}/v1`;
  // A real prompt: a mini MathVista item's text and its PNG, as `eval --endpoint` sends them.
  const split = miniSplitName('mathvista', 'test');
  const bench = getBenchmark('mathvista');
  const item = bench.itemFromRow((await miniRows('mathvista', split, 1, 1))[0]!, split);
  const prompt = bench.prompt(item);
  const request = (i: number): ChatRequest => ({ model: 'm', messages: chatRequestMessages(prompt), temperature: 0, top_p: 1, max_tokens: 64, n: 1, seed: i });
  const cacheDir = mkdtempSync(join(tmpdir(), 'rlsd-bench-endpoint-'));
  const settings = { concurrency: flags.concurrency, timeoutS: 30, retries: 0, retryDelayS: 0, cache: null };
  const figures: Record<string, number> = {};
  try {
    const pass = async (label: string, cache: ResponseCache | null): Promise<void> => {
      const client = new EndpointClient({ url, model: 'm' }, settings, cache, undefined);
      const ids = [...Array(flags.requests).keys()];
      const t0 = performance.now();
      await runPool(ids, flags.concurrency, async (i) => {
        await client.complete(request(i), { sample: 0 });
      });
      const s = (performance.now() - t0) / 1000;
      figures[label] = flags.requests / s;
      process.stdout.write(`${label.padEnd(28)} ${flags.requests} requests in ${s.toFixed(2)} s: ${(flags.requests / s).toFixed(0)} req/s (sent ${client.stats.requests}, from cache ${client.stats.cached})\n`);
    };
    await pass('warm-up (no cache)', null);
    await pass('no cache', null);
    await pass('cache, every answer written', new ResponseCache(cacheDir));
    await pass('cache, every answer read', new ResponseCache(cacheDir));
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
    worker.postMessage('stop');
    await new Promise((r) => worker.once('exit', r));
  }
  process.stdout.write(`sustained at concurrency ${flags.concurrency}: ${figures['no cache']!.toFixed(0)} req/s without cache, ${figures['cache, every answer written']!.toFixed(0)} req/s writing the cache (target ≥ 200)\n`);
});
