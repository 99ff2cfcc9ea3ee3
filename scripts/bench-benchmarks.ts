// `npm run bench:benchmarks`: the benchmark side's speed figures on this machine.
//   1. load + decode all 1,740 WeMath testmini images (the authors' GitHub layout in <data>/wemath)
//   2. scoring 10,000 predictions with each benchmark's official rules
//   3. evaluating the committed base policy on the 304 MathVision testmini items (real data, greedy)
// Usage: npm run bench:benchmarks [-- --data DIR --backend auto] (--data defaults to $RLSD_BENCH_DATA)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { benchmarkNames, benchmarks, getBenchmark } from '../benchmarks/index.ts';
import { miniRows } from '../benchmarks/mini/build.ts';
import { initBackend } from '../src/backend.ts';
import { productsDescription, tensorFlags, tensorOptions } from '../src/cli/util.ts';
import { benchmarkDataRoot, DATA_ENV, defaultBase, userPath } from '../src/paths.ts';
import { parseOrExit, reportError, scriptCli } from '../src/cli/script.ts';
import { evaluate } from '../src/eval.ts';
import { Rng } from '../src/util/rng.ts';
import { UsageError } from '../src/util/errors.ts';

const flags = parseOrExit(
  tensorOptions(
    scriptCli(
      'npm run bench:benchmarks -- [options]',
      "The benchmark side's figures: loading and decoding every WeMath testmini image, scoring 10,000 predictions with each benchmark's rules, and evaluating the base policy on the real MathVision testmini. Parts whose data is absent are skipped. Writes nothing.",
    ),
  )
    .option('data', { type: 'string', alias: 'shared', defaultDescription: `$${DATA_ENV}`, describe: 'real benchmark files, one folder per benchmark (wemath/, mathvision/)' })
    .option('base', { type: 'string', defaultDescription: 'results/reference/base in the package, or $RLSD_BENCH_BASE', describe: 'checkpoint to evaluate' }),
  (argv) => {
    const data = argv['data'] !== undefined ? userPath(String(argv['data'])) : benchmarkDataRoot();
    if (argv['data'] !== undefined && String(argv['data']).trim() === '') throw new UsageError('--data is empty');
    return { data, base: argv['base'] === undefined ? defaultBase() : userPath(String(argv['base'])), tensor: tensorFlags(argv) };
  },
);
const shared = flags.data;
const log = (s: string): void => void process.stdout.write(s + '\n');
if (shared === undefined) log(`no real data (--data not given, $${DATA_ENV} unset): the WeMath and MathVision parts are skipped`);
const out: Record<string, unknown> = {};

// ---- 1. WeMath: load all items and decode every image ----
const wemathDir = shared === undefined ? undefined : join(shared, 'wemath');
if (wemathDir !== undefined && existsSync(wemathDir)) {
  sharp.concurrency(1);
  const t0 = performance.now();
  const items = await benchmarks.wemath.load(wemathDir, { split: 'testmini' });
  const tLoad = performance.now();
  let decoded = 0;
  const queue = items.flatMap((it) => it.images);
  const worker = async (): Promise<void> => {
    for (let img = queue.pop(); img; img = queue.pop()) {
      await sharp(img.bytes, { failOn: 'error' }).raw().toBuffer();
      decoded++;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const total = (performance.now() - t0) / 1000;
  out['wemath_load_decode_s'] = total;
  log(`WeMath testmini: ${items.length} items loaded in ${((tLoad - t0) / 1000).toFixed(2)} s, ${decoded} images decoded, ${total.toFixed(2)} s in all`);
} else if (wemathDir !== undefined) log(`WeMath: ${wemathDir} not found — skipped`);

// ---- 2. scoring 10,000 predictions per benchmark (mini items; right and wrong answer statements mixed) ----
const N = 10_000;
for (const name of benchmarkNames) {
  const bench = getBenchmark(name);
  const split = bench.mini.evalSplit;
  const rows = await miniRows(name, split, 100, 1);
  const items = rows.map((r) => bench.itemFromRow(r, split));
  const rng = new Rng(5);
  const responses = Array.from({ length: N }, (_, i) => {
    const item = items[i % items.length]!;
    const wrong = rng.next() < 0.5;
    const answer = wrong ? (/^[A-D]$/.test(item.answer) ? 'C' : String(Number(item.answer) + 1)) : item.answer;
    return `in the image i see red ${rng.int(0, 9)} so the total is ${answer}. ${bench.mini.answerStatement(answer)}`;
  });
  const t0 = performance.now();
  // Item i % n, sample ⌊i / n⌋: repeated ids are k samples, as in a k-sample evaluation.
  const records = responses.map((r, i) => ({ ...bench.score(items[i % items.length]!, r), sample: Math.floor(i / items.length) }));
  bench.aggregate(records);
  const s = (performance.now() - t0) / 1000;
  out[`score_10k_${name}_s`] = s;
  log(`scoring ${N} ${name} predictions + aggregate: ${s.toFixed(2)} s`);
}

// ---- 3. evaluation of the base policy on the real MathVision testmini ----
const mvDir = shared === undefined ? undefined : join(shared, 'mathvision');
const base = flags.base;
if (mvDir !== undefined && existsSync(mvDir) && existsSync(base)) {
  const info = await initBackend(flags.tensor.backend, flags.tensor.attentionKernel, flags.tensor.threads, flags.tensor.matmul).catch((e: unknown) => process.exit(reportError(e)));
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-bench-eval-'));
  try {
    const t0 = performance.now();
    const [res] = await evaluate({
      checkpoint: base,
      benchmarks: ['mathvision'],
      data: mvDir,
      split: 'testmini',
      samples: 1,
      temperature: 0,
      topP: 1,
      maxNewTokens: 32,
      batchSize: 128,
      seed: 1,
      miniCount: 0,
      miniSeed: 1,
      out: dir,
    });
    const s = (performance.now() - t0) / 1000;
    out['eval_mathvision_304_s'] = s;
    log(`eval of the base policy on MathVision testmini (${res!.n} items, ${info.name}${productsDescription(info)}): ${s.toFixed(1)} s, accuracy ${(100 * (res!.metrics['accuracy'] as number)).toFixed(2)} %`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else if (mvDir !== undefined) log(`MathVision eval: ${mvDir} or ${base} not found — skipped`);
log(JSON.stringify(out));
