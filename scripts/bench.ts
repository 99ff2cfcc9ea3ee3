// `npm run bench`: the engine's speed figures on this machine, for the default model size.
//   1. the backend's 256×256 matmul GFLOP/s (the yardstick)
//   2. one update step (forward + backward + Adam) at the default batch: time, achieved GFLOP/s and kernel calls; and — when
//      Debian's python3-torch is installed — the same step in PyTorch on one thread (scripts/perf/torch_step.py),
//      run right after it, with the ratio (the speed issue's goal: ≤ 0.7); then the same step with the products on
//      the system's BLAS (--matmul blas) when it loads, and its ratio
//   3. decoding tokens/s with the KV cache against full recomputation, 32 new tokens
//   3b. the deep world's shape (suite mini-2: 176 text positions, its vocabulary and previous-token embedding, context
//      18, response 52, 80 new tokens): the update step, its kernel calls and PyTorch's ratio, and decoding tokens/s
//   4. the step time of RLSD against GRPO (the real training loop, evaluation off) from each shape's base: the default
//      (the deep world's, mini-2) and base-mini1, or only --base
//   5. tensor count and resident memory across repeated update steps
// With --threads N the multithreaded WASM build runs (experimental; see docs/gpu.md).
// Usage: npm run bench [-- --backend wasm --attention-kernel conv --matmul xnnpack --memory-steps 100 --loop-steps 6 --skip-loop]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend.ts';
import { SUITE_MAX_NEW_TOKENS } from '../benchmarks/mini/types.ts';
import { type ModelConfig, numImageTokens, patchDim } from '../src/model/config.ts';
import { generate } from '../src/model/generate.ts';
import { layoutBatch } from '../src/model/layout.ts';
import { forwardLogits } from '../src/model/transformer.ts';
import { countParams } from '../src/model/params.ts';
import { Adam, DEFAULT_ADAM } from '../src/optim.ts';
import { Policy, tokenLogProbs, type GroupedBatch } from '../src/policy.ts';
import { DEFAULT_TRAIN, train } from '../src/train/index.ts';
import { baseSuite, resolveTrainConfig } from '../src/train/config.ts';
import { rlsdDefaults } from '../methods/rlsd.ts';
import { Rng } from '../src/util/rng.ts';
import { cachedTensorCount, setAttentionKernel } from '../src/model/ops.ts';
import { num, productsDescription, tensorFlags, tensorOptions } from '../src/cli/util.ts';
import { blasInfo, describeBlas, setMatmulKernel } from '../src/model/blas.ts';
import { defaultBase, PACKAGE_BASE, PACKAGE_ROOT, packagePath, userPath } from '../src/paths.ts';
import { parseOrExit, reportError, scriptCli } from '../src/cli/script.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { Tokenizer } from '../src/tokenizer.ts';

const flags = parseOrExit(
  tensorOptions(
    scriptCli(
      'npm run bench -- [options]',
      "Prints the engine's speed figures on this machine: matmul GFLOP/s, the update step and its kernel calls, KV-cached decoding, the same for the deep world's shape (mini-2), RLSD's step time against GRPO's in the real loop, and tensors / memory across update steps. Writes nothing; the last line is the figures as JSON.",
    ),
  )
    .option('memory-steps', { type: 'number', default: 100, describe: 'update steps over which tensor count and resident memory are watched' })
    .option('loop-steps', { type: 'number', default: 6, describe: 'training steps per run of the RLSD-against-GRPO loop (the first warms up)' })
    .option('skip-loop', { type: 'boolean', default: false, describe: 'skip the RLSD-against-GRPO loop' })
    .option('base', { type: 'string', defaultDescription: 'both shapes: results/reference/base (mini-2) and base-mini1 in the package', describe: 'checkpoint the real loop starts from (only that one)' }),
  (argv) => ({
    tensor: tensorFlags(argv),
    memorySteps: num('memory-steps', argv['memory-steps'], { integer: true, min: 0, max: 1_000_000 }),
    loopSteps: num('loop-steps', argv['loop-steps'], { integer: true, min: 2, max: 10_000 }),
    skipLoop: Boolean(argv['skip-loop']),
    base: argv['base'] === undefined ? defaultBase() : userPath(String(argv['base'])),
    baseGiven: argv['base'] !== undefined,
  }),
);
// A backend that cannot start (--matmul blas without OpenBLAS, or on cpu) is one line, as bad flags are.
const backend = await initBackend(flags.tensor.backend, flags.tensor.attentionKernel, flags.tensor.threads, flags.tensor.matmul).catch((e: unknown) => process.exit(reportError(e)));
const { memorySteps, loopSteps, skipLoop, base } = flags;
const out: Record<string, unknown> = { backend: backend.name };
const log = (s: string): void => void process.stdout.write(s + '\n');
log(`backend: ${backend.name} (${backend.provider}${backend.simd !== undefined ? `, simd=${backend.simd}, threads=${backend.threadCount}` : ''}, attention kernel ${backend.attentionKernel}${productsDescription(backend)})`);
out['threads'] = backend.threadCount;
out['matmul_kernel'] = backend.matmulKernel ?? null;

/** Switches the products to BLAS on `threads` (attention's batched products too) for one measurement, or says why not. */
function withBlas<T>(f: () => T, threads = 1): { value: T } | { error: string } {
  if (backend.name !== 'wasm') return { error: 'the wasm backend only' };
  try {
    setMatmulKernel('blas', threads);
  } catch (e) {
    return { error: (e as Error).message };
  }
  setAttentionKernel('matmul');
  try {
    return { value: f() };
  } finally {
    setMatmulKernel(backend.matmulKernel ?? 'xnnpack', backend.threadCount ?? 1);
    setAttentionKernel(backend.attentionKernel);
  }
}
/**
 * The matmul-bound limit of a step of `flops`: its arithmetic at the 256² matmul's rate on OpenBLAS (the machine's BLAS
 * peak, measured above); null without OpenBLAS.
 */
function matmulBound(flops: number): { seconds: number; text: string } | null {
  const peak = out['matmul256_gflops_blas'] as number | undefined;
  if (!peak) return null;
  const seconds = flops / (peak * 1e9);
  return { seconds, text: `matmul-bound limit (${(flops / 1e9).toFixed(2)} GFLOP at OpenBLAS's ${peak.toFixed(1)} GFLOP/s) ${(seconds * 1e3).toFixed(0)} ms` };
}
/** What a step on OpenBLAS is against PyTorch's (with the goal) and against the matmul-bound limit, for its line. */
function blasRatios(seconds: number, torch: { seconds: number } | null, bound: { seconds: number } | null): string {
  const vsTorch = torch === null ? '' : ` → engine / PyTorch ${(seconds / torch.seconds).toFixed(2)}× (goal ≤ ${TORCH_GOAL.blas.toFixed(2)})`;
  return vsTorch + (bound ? `, ${(seconds / bound.seconds).toFixed(2)}× the matmul-bound limit` : '');
}
const blasLine = (): string => {
  const info = blasInfo();
  return info ? describeBlas(info) : '';
};

/**
 * Seconds per call of `f`: the median over calls for at least `minMs` and at least 7 calls, after `warm` calls. A median,
 * not a mean, so that a slow call (another tenant on the host, a collection) does not move the figure; PyTorch's script
 * reports its median the same way.
 */
function timeIt(f: () => void, minMs = 1500, warm = 2): number {
  for (let i = 0; i < warm; i++) f();
  const t0 = performance.now();
  const times: number[] = [];
  while (performance.now() - t0 < minMs || times.length < 7) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return (times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2) / 1000;
}

// ---- 1. matmul yardstick ----
{
  const a = tf.randomNormal([256, 256]);
  const b = tf.randomNormal([256, 256]);
  const s = timeIt(() => tf.tidy(() => void tf.matMul(a, b).dataSync()));
  const gflops = (2 * 256 ** 3) / s / 1e9;
  out['matmul256_gflops'] = gflops;
  log(`matmul 256×256: ${(s * 1e3).toFixed(2)} ms, ${gflops.toFixed(1)} GFLOP/s`);
  if (backend.matmulKernel === 'xnnpack') {
    const sb = withBlas(() => timeIt(() => tf.tidy(() => void tf.matMul(a, b).dataSync())));
    if ('value' in sb) {
      out['matmul256_gflops_blas'] = (2 * 256 ** 3) / sb.value / 1e9;
      log(`  with --matmul blas (${blasLine()}): ${(sb.value * 1e3).toFixed(2)} ms, ${(out['matmul256_gflops_blas'] as number).toFixed(1)} GFLOP/s`);
    }
  }
  tf.dispose([a, b]);
}

// ---- the default model and a batch shaped like the mini suite (16 prompts × 8 responses) ----
const P = DEFAULT_TRAIN.promptsPerStep;
const G = DEFAULT_TRAIN.samplesPerPrompt;

/** P random prompts of `ctx` tokens (BOS … SEP) with their images, and P·G random responses of `resp` tokens. */
function randomBatch(policy: Policy, ctx: number, resp: number) {
  const cfg = policy.cfg;
  const rng = new Rng(3);
  const nImg = numImageTokens(cfg);
  const prompts = Array.from({ length: P }, () => ({
    patches: new Float32Array(nImg * patchDim(cfg)).map(() => rng.next()),
    context: [policy.tokenizer.bos, ...Array.from({ length: ctx - 2 }, () => rng.int(5, cfg.vocabSize - 1)), policy.tokenizer.sep],
  }));
  const responses = Array.from({ length: P * G }, () => Array.from({ length: resp }, () => rng.int(5, cfg.vocabSize - 1)));
  return { prompts, responses, batch: policy.groupedBatch(prompts, G, responses) };
}

/** One update step (forward, backward, Adam) of the mean response log-prob on a grouped batch. */
function updateStep(policy: Policy, adam: Adam, batch: GroupedBatch, mask: tf.Tensor2D): () => void {
  const vars = [...policy.params.values()];
  return () => {
    const { value, grads } = tf.variableGrads(() => {
      const { tokenLogp } = tokenLogProbs(policy.groupedLogits(batch), batch.targets);
      return tf.neg(tokenLogp.mul(mask).sum()).div(mask.sum()) as tf.Scalar;
    }, vars);
    const named: Record<string, tf.Tensor> = {};
    for (const [k, v] of policy.params) named[k] = grads[v.name]!;
    adam.apply(named);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
}

/** Engine kernel calls of one run of `f` (tf.profile), in all and by kernel, most first. */
async function kernelCalls(f: () => void): Promise<{ total: number; byKind: [string, number][] }> {
  const profile = await tf.profile(f);
  const byName = new Map<string, number>();
  for (const k of profile.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + 1);
  return { total: profile.kernels.length, byKind: [...byName.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)) };
}

const describeCalls = (c: { total: number; byKind: [string, number][] }): string => `${c.total} (${c.byKind.length} kinds; most: ${c.byKind.slice(0, 8).map(([n, k]) => `${n} ${k}`).join(', ')})`;

/** Tokens per second of sampling `newTokens` (no EOS) for P·G sequences with the KV cache, greedy. */
function decodeSeconds(policy: Policy, prompts: { patches: Float32Array; context: number[] }[], newTokens: number): number {
  const inputs = prompts.flatMap((p) => Array.from({ length: G }, () => p));
  const opts = { maxNewTokens: newTokens, temperature: 1, topP: 1, greedy: true, rng: new Rng(1), eosId: -1, padId: policy.tokenizer.pad };
  return timeIt(() => void generate(policy.params, policy.cfg, inputs, opts), 3000, 1);
}

const policy = Policy.init(1);
const cfg = policy.cfg;
const CTX = 14; // BOS + ~12 prompt tokens + SEP
const RESP = 24; // trace + answer statement + EOS
const nImg = numImageTokens(cfg);
const { prompts, responses, batch } = randomBatch(policy, CTX, RESP);

/** Forward FLOPs of the grouped pass: every matmul counted as 2·m·n·k, attention over the keys actually used. */
function forwardFlops(cfg: ModelConfig, Pn: number, Gn: number, ctx: number, resp: number): number {
  const d = cfg.dModel;
  const nImg = numImageTokens(cfg);
  const Tp = nImg + ctx;
  const Rq = resp - 1;
  const B = Pn * Gn;
  const dense = 2 * d * (3 * d + d + 2 * cfg.mlpRatio * d); // qkv, out, fc, proj per token
  const prefixTok = Pn * Tp;
  const respTok = B * Rq;
  let f = cfg.nLayers * (prefixTok * (dense + 4 * Tp * d) + respTok * (dense + 4 * (Tp + Rq) * d));
  f += 2 * Pn * nImg * patchDim(cfg) * d; // patch embedding
  f += 2 * (Pn * ctx + respTok) * (cfg.vocabSize + cfg.maxPositions) * d; // one-hot token + position lookups
  f += 2 * (Pn + respTok) * d * cfg.vocabSize; // tied unembedding
  return f;
}

/**
 * PyTorch's one-thread update step of the same model and batch, with the BLAS library it ran on, or null without
 * python3-torch. The BLAS thread variables hold OpenBLAS (or MKL) to one thread too, where torch.set_num_threads
 * does not reach them.
 */
/** The update step's goals as ratios to PyTorch's one-thread step: the bit-reproducible default path and --matmul blas. */
const TORCH_GOAL = { default: 1.2, blas: 0.5 } as const;

function torchStepSeconds(shape: 'mini-1' | 'mini-2' = 'mini-1'): { seconds: number; version: string; blas: string } | null {
  const python = '/usr/bin/python3';
  if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return null;
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(python, [join(PACKAGE_ROOT, 'scripts', 'perf', 'torch_step.py'), ...(shape === 'mini-1' ? [] : ['--shape', shape]), '1'], { encoding: 'utf8', env });
  const m = /torch (\S+) 1-thread update step: (\d+) ms/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`scripts/perf/torch_step.py failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return { seconds: Number(m[2]) / 1000, version: m[1]!, blas: /^blas: (.*)$/m.exec(r.stdout)?.[1] ?? 'unknown' };
}

/** Debian's reference BLAS (the generic libblas3) multiplies without blocking or SIMD: PyTorch is slow on it. */
function referenceBlas(blas: string): boolean {
  return /\/blas\/libblas\.so/.test(blas);
}

// ---- 2. update step ----
{
  const adam = new Adam(policy.params, DEFAULT_ADAM);
  const vars = [...policy.params.values()];
  const mask = tf.tensor2d(batch.responseMask, [batch.B, batch.R]);
  const step = updateStep(policy, adam, batch, mask);
  const s = timeIt(step, 4000);
  const flops = 3 * forwardFlops(cfg, P, G, CTX, RESP);
  const gflops = flops / s / 1e9;
  out['update_step_s'] = s;
  out['update_gflops'] = gflops;
  out['update_fraction_of_matmul'] = gflops / (out['matmul256_gflops'] as number);
  log(
    `update step (${P}×${G} sequences, context ${CTX}, response ${RESP}, ${policy.params.size} tensors / ${countParams(policy.params)} params): ${(s * 1e3).toFixed(0)} ms, ${(flops / 1e9).toFixed(2)} GFLOP → ${gflops.toFixed(2)} GFLOP/s = ${(100 * (out['update_fraction_of_matmul'] as number)).toFixed(0)} % of matmul`,
  );
  const bound = matmulBound(flops);
  if (bound) {
    out['matmul_bound_s'] = bound.seconds;
    out['update_over_matmul_bound'] = s / bound.seconds;
    log(`  ${bound.text} → update step ${(s / bound.seconds).toFixed(2)}× it`);
  }
  // The same step in PyTorch, one thread, right after ours on the same machine: the ratio is what compares.
  const torch = torchStepSeconds();
  if (torch === null) log('  PyTorch: /usr/bin/python3 has no torch (apt-get install -y python3-torch for the ratio)');
  else {
    out['torch_update_step_s'] = torch.seconds;
    out['torch_blas'] = torch.blas;
    out['update_over_torch'] = s / torch.seconds;
    log(`  PyTorch ${torch.version} (scripts/perf/torch_step.py, 1 thread, full sequences, BLAS ${torch.blas}): ${(torch.seconds * 1e3).toFixed(0)} ms → engine / PyTorch ${(s / torch.seconds).toFixed(2)}× (goal ≤ ${TORCH_GOAL.default.toFixed(2)})`);
    if (referenceBlas(torch.blas))
      log("  (that is Debian's reference BLAS, which makes PyTorch several times slower: apt-get install -y libopenblas0-pthread for the ratio a PyTorch user would see)");
  }
  // The same step with the products on the system's BLAS (--matmul blas), right after PyTorch's: on one thread, and on
  // two (--threads 2, the second core GRPO leaves free) where there are two cores.
  if (backend.matmulKernel === 'xnnpack') {
    for (const threads of availableParallelism() >= 2 ? [1, 2] : [1]) {
      const sb = withBlas(() => timeIt(step, 4000), threads);
      if ('error' in sb) {
        log(`  same step with --matmul blas: not measured (${sb.error})`);
        break;
      }
      const key = threads === 1 ? 'update_step_blas_s' : `update_step_blas_${threads}_threads_s`;
      out[key] = sb.value;
      if (threads === 1) out['blas'] = { ...blasInfo() };
      if (torch !== null) out[key.replace(/^update_step_(.*)_s$/, 'update_$1_over_torch')] = sb.value / torch.seconds;
      if (bound) out[key.replace(/^update_step_(.*)_s$/, 'update_$1_over_matmul_bound')] = sb.value / bound.seconds;
      log(`  same step with --matmul blas${threads > 1 ? ` --threads ${threads}` : ''} (${blasLine()}; attention kernel matmul): ${(sb.value * 1e3).toFixed(0)} ms (${(sb.value / s).toFixed(2)}×)${blasRatios(sb.value, torch, bound)}`);
    }
  }
  // The same step with attention's batched products on tfjs's batched matMul (--attention-kernel matmul).
  if (backend.name === 'wasm' && backend.attentionKernel !== 'matmul') {
    setAttentionKernel('matmul');
    const sm = timeIt(step, 4000);
    setAttentionKernel(backend.attentionKernel);
    out['update_step_matmul_kernel_s'] = sm;
    log(`  same step with --attention-kernel matmul: ${(sm * 1e3).toFixed(0)} ms (${(sm / s).toFixed(2)}×)`);
  }
  // Kernel calls of one step (tf.profile): how many ops the step is cut into, and which run most often — the
  // speed issue's "fewer, bigger kernels" starts from these counts.
  const calls = await kernelCalls(step);
  out['update_kernel_calls'] = calls.total;
  out['update_kernel_calls_by_kind'] = Object.fromEntries(calls.byKind);
  log(`  kernel calls per update step: ${describeCalls(calls)}`);
  // The same step without prefix sharing (every sequence run in full), for reference.
  const flat = layoutBatch(cfg, responses.map((r, b) => ({ ...prompts[Math.floor(b / G)]!, response: r })), policy.tokenizer.pad);
  const flatMask = tf.tensor2d(flat.responseMask, [batch.B, flat.responseLen]);
  const flatStep = (): void => {
    const { value, grads } = tf.variableGrads(() => {
      const { tokenLogp } = tokenLogProbs(forwardLogits(policy.params, cfg, flat.batch, flat.responseStart - 1, flat.responseLen), flat.targets);
      return tf.neg(tokenLogp.mul(flatMask).sum()).div(flatMask.sum()) as tf.Scalar;
    }, vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const sf = timeIt(flatStep, 3000, 1);
  out['update_step_unshared_s'] = sf;
  log(`  same step without prefix sharing (forward + backward only): ${(sf * 1e3).toFixed(0)} ms`);

  // ---- 5. memory across steps ----
  const tensors0 = tf.memory().numTensors;
  const rss0 = process.memoryUsage().rss;
  const rssSamples: number[] = [];
  for (let i = 0; i < memorySteps; i++) {
    step();
    if (i % Math.max(1, Math.floor(memorySteps / 10)) === 0) rssSamples.push(process.memoryUsage().rss);
  }
  const tensors1 = tf.memory().numTensors;
  const rss1 = process.memoryUsage().rss;
  out['memory'] = { steps: memorySteps, tensorsBefore: tensors0, tensorsAfter: tensors1, cachedTensors: cachedTensorCount(), rssMiBBefore: rss0 / 2 ** 20, rssMiBAfter: rss1 / 2 ** 20, rssMiBSamples: rssSamples.map((r) => Math.round(r / 2 ** 20)) };
  log(`memory over ${memorySteps} update steps: tensors ${tensors0} → ${tensors1}; RSS ${(rss0 / 2 ** 20).toFixed(0)} → ${(rss1 / 2 ** 20).toFixed(0)} MiB (samples ${rssSamples.map((r) => Math.round(r / 2 ** 20)).join(', ')})`);
  tf.dispose([mask, flatMask]);
  adam.dispose();
}

// ---- 3. decoding: KV cache against full recomputation ----
{
  const newTokens = SUITE_MAX_NEW_TOKENS['mini-1'];
  const B = P * G;
  // Exactly 32 tokens: an EOS id that is never sampled.
  const cached = decodeSeconds(policy, prompts, newTokens);
  const inputs = prompts.flatMap((p) => Array.from({ length: G }, () => p));
  const recompute = (): void => {
    const seqs = inputs.map((x) => ({ ...x, response: [] as number[] }));
    for (let t = 0; t < newTokens; t++) {
      const laid = layoutBatch(cfg, seqs, policy.tokenizer.pad);
      const last = tf.tidy(() => {
        const logits = forwardLogits(policy.params, cfg, laid.batch, laid.responseStart - 1 + t, 1);
        return logits.argMax(-1).dataSync();
      });
      seqs.forEach((s, b) => s.response.push(last[b]!));
    }
  };
  const full = timeIt(recompute, 3000, 1);
  out['decode_tokens_per_s_kv'] = (B * newTokens) / cached;
  out['decode_tokens_per_s_full'] = (B * newTokens) / full;
  out['decode_speedup'] = full / cached;
  log(`decode ${B} sequences × ${newTokens} new tokens: KV cache ${((B * newTokens) / cached).toFixed(0)} tok/s, full recomputation ${((B * newTokens) / full).toFixed(0)} tok/s → ${(full / cached).toFixed(1)}×`);
}
policy.dispose();

// ---- 3b. the deep world's shape ----
{
  // The mini-2 candidate base's model (results/reference/mini2-candidate, from pretrain --suite mini-2): 176 text
  // positions after the image, the deep vocabulary with fused option markers (130 tokens), the previous-token
  // embedding; responses of ~52 tokens (its targets' mean) after a context of ~18, and up to 80 new tokens.
  const textPositions = 176;
  const overrides: Partial<ModelConfig> = { maxPositions: nImg + textPositions, prevTokenEmbedding: true };
  const deep = Policy.init(1, overrides, Tokenizer.default({ deep: true, fusedOptionMarkers: true }));
  const [ctx, resp, newTokens] = [18, 52, SUITE_MAX_NEW_TOKENS['mini-2']];
  const d = randomBatch(deep, ctx, resp);
  const adam = new Adam(deep.params, DEFAULT_ADAM);
  const mask = tf.tensor2d(d.batch.responseMask, [d.batch.B, d.batch.R]);
  const step = updateStep(deep, adam, d.batch, mask);
  const s = timeIt(step, 4000);
  const calls = await kernelCalls(step);
  const deepOut: Record<string, unknown> = { context: ctx, response: resp, new_tokens: newTokens, update_step_s: s, update_kernel_calls: calls.total, update_kernel_calls_by_kind: Object.fromEntries(calls.byKind) };
  log(`deep world's shape (mini-2: ${deep.cfg.vocabSize} tokens, ${textPositions} text positions, previous-token embedding; ${P}×${G} sequences, context ${ctx}, response ${resp}):`);
  const deepFlops = 3 * forwardFlops(deep.cfg, P, G, ctx, resp);
  deepOut['update_gflops'] = deepFlops / s / 1e9;
  log(`  update step: ${(s * 1e3).toFixed(0)} ms, ${(deepFlops / 1e9).toFixed(2)} GFLOP → ${(deepFlops / s / 1e9).toFixed(2)} GFLOP/s; kernel calls per update step: ${describeCalls(calls)}`);
  const deepBound = matmulBound(deepFlops);
  if (deepBound) {
    Object.assign(deepOut, { matmul_bound_s: deepBound.seconds, update_over_matmul_bound: s / deepBound.seconds });
    log(`  ${deepBound.text} → update step ${(s / deepBound.seconds).toFixed(2)}× it`);
  }
  const torch = torchStepSeconds('mini-2');
  if (torch !== null) {
    Object.assign(deepOut, { torch_update_step_s: torch.seconds, update_over_torch: s / torch.seconds });
    log(`  PyTorch ${torch.version} (scripts/perf/torch_step.py --shape mini-2, 1 thread): ${(torch.seconds * 1e3).toFixed(0)} ms → engine / PyTorch ${(s / torch.seconds).toFixed(2)}× (goal ≤ ${TORCH_GOAL.default.toFixed(2)})`);
  }
  if (backend.matmulKernel === 'xnnpack') {
    const sb = withBlas(() => timeIt(step, 4000));
    if ('error' in sb) log(`  same step with --matmul blas: not measured (${sb.error})`);
    else {
      deepOut['update_step_blas_s'] = sb.value;
      if (torch !== null) deepOut['update_blas_over_torch'] = sb.value / torch.seconds;
      if (deepBound) deepOut['update_blas_over_matmul_bound'] = sb.value / deepBound.seconds;
      log(`  same step with --matmul blas (${blasLine()}; attention kernel matmul): ${(sb.value * 1e3).toFixed(0)} ms (${(sb.value / s).toFixed(2)}×)${blasRatios(sb.value, torch, deepBound)}`);
    }
  }
  const decode = decodeSeconds(deep, d.prompts, newTokens);
  deepOut['decode_tokens_per_s_kv'] = (P * G * newTokens) / decode;
  log(`  decode ${P * G} sequences × ${newTokens} new tokens: KV cache ${((P * G * newTokens) / decode).toFixed(0)} tok/s`);
  out['deep'] = deepOut;
  tf.dispose(mask);
  adam.dispose();
  deep.dispose();
}

// ---- 4. RLSD against GRPO in the real loop, from each shape's base ----
/** The loop's figures from one base, logged under its suite's name; returns them for the JSON line. */
async function realLoop(base: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { base: base.startsWith(PACKAGE_ROOT) ? base.slice(PACKAGE_ROOT.length + 1) : base, suite: baseSuite(base) };
  const settings = { steps: loopSteps, lr: 0, evalSchedule: 'never', checkpointEvery: 0, trainPerBenchmark: 40, evalPerBenchmark: 4 };
  log(`the real loop from ${out['base'] as string} (suite ${out['suite'] as string}; ${DEFAULT_TRAIN.promptsPerStep}×${DEFAULT_TRAIN.samplesPerPrompt} responses, lr 0, evaluation off):`);
  // Per-step medians over rounds of all variants, so machine drift and warm-up fall on every variant alike.
  // 'rlsd-in-turn': the teacher pass in the main thread between rollout and update (--no-teacher-worker).
  const variants = { grpo: { method: 'grpo', teacherWorker: true }, rlsd: { method: 'rlsd', teacherWorker: true }, 'rlsd-in-turn': { method: 'rlsd', teacherWorker: false } };
  const perStep: Record<string, Record<string, number>[]> = { grpo: [], rlsd: [], 'rlsd-in-turn': [] };
  // Three rounds with the order rotated, so each variant runs once in each position (the first run of a round
  // runs 0.1–0.2 s slower per step on identical work).
  const names = Object.keys(variants) as (keyof typeof variants)[];
  for (let round = 0; round < names.length; round++)
    for (const name of [...names.slice(round), ...names.slice(0, round)]) {
      const variant = variants[name];
      const dir = mkdtempSync(join(tmpdir(), `rlsd-bench-${name}-`));
      try {
        // lr 0: the policy stays at the base, so both methods sample the same responses from the same seed and
        // the comparison prices exactly the teacher pass and the loss (every kernel of an update still runs).
        // Resolved as train resolves it, so the base's suite sets the response length (80 new tokens in mini-2).
        const { config } = resolveTrainConfig({ method: variant.method, base, out: dir, quiet: true, settings: { ...settings, teacherWorker: variant.teacherWorker } });
        await train(config);
        const lines = readJsonl(join(dir, 'metrics.jsonl')).map((l) => l.value as Record<string, number>);
        perStep[name]!.push(...lines.filter((l) => l['timing_s/gen'] !== undefined).slice(1)); // each run's first step warms up
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  const median = (xs: number[]): number => {
    const s = xs.slice().sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const stepTimes: Record<string, number> = {};
  const teacherTimes: Record<string, number> = {};
  for (const [name, steps] of Object.entries(perStep)) {
    const part = (k: string): number => median(steps.map((l) => l[k] ?? 0));
    stepTimes[name] = median(steps.map((l) => l['timing_s/gen']! + l['timing_s/teacher']! + l['timing_s/update_actor']!));
    teacherTimes[name] = part('timing_s/teacher');
    const worker = steps.some((l) => l['timing_s/teacher_worker'] !== undefined) ? `, of which waiting for the worker ${part('timing_s/teacher_wait').toFixed(2)}; the worker's pass ${part('timing_s/teacher_worker').toFixed(2)}` : '';
    log(`${name} step (median of ${steps.length}): ${stepTimes[name]!.toFixed(2)} s (rollout ${part('timing_s/gen').toFixed(2)}, teacher ${part('timing_s/teacher').toFixed(2)}${worker}, update ${part('timing_s/update_actor').toFixed(2)}; response ${part('response_length/mean').toFixed(1)} tokens)`);
  }
  out['step_s'] = stepTimes;
  // The speed issue's yardstick: a default run's steps, at these responses' lengths (evaluations not included).
  out['grpo_default_run_minutes'] = (DEFAULT_TRAIN.steps * stepTimes['grpo']!) / 60;
  log(`a default ${DEFAULT_TRAIN.steps}-step GRPO run at this step time: ${(out['grpo_default_run_minutes'] as number).toFixed(1)} min of training steps (its evaluations not included)`);
  out['rlsd_over_grpo'] = stepTimes['rlsd']! / stepTimes['grpo']!;
  out['rlsd_in_turn_over_grpo'] = stepTimes['rlsd-in-turn']! / stepTimes['grpo']!;
  // The same-work ratio prices the in-turn teacher pass against the rest of RLSD's own steps (the paper's "one
  // extra forward pass"); with lr 0 it should agree with the direct ratio up to timing noise.
  out['rlsd_in_turn_over_grpo_same_work'] = stepTimes['rlsd-in-turn']! / (stepTimes['rlsd-in-turn']! - teacherTimes['rlsd-in-turn']!);
  // RLSD skips the teacher pass once λ has decayed to 0 (Â = A), so over a default run only the first
  // lambdaDecaySteps steps pay for it; the loop above runs entirely before that point.
  const withTeacher = Math.min(rlsdDefaults.lambdaDecaySteps, DEFAULT_TRAIN.steps);
  out['rlsd_over_grpo_default_run'] = (withTeacher * stepTimes['rlsd']! + (DEFAULT_TRAIN.steps - withTeacher) * stepTimes['grpo']!) / (DEFAULT_TRAIN.steps * stepTimes['grpo']!);
  // The worker's step over the in-turn step without its teacher pass: RLSD with the worker against the same work
  // without any teacher (GRPO's work on RLSD's own responses).
  out['rlsd_over_grpo_same_work'] = stepTimes['rlsd']! / (stepTimes['rlsd-in-turn']! - teacherTimes['rlsd-in-turn']!);
  log(`RLSD / GRPO step time: ${(out['rlsd_over_grpo'] as number).toFixed(2)}× with the teacher in a worker thread (default; same work: ${(out['rlsd_over_grpo_same_work'] as number).toFixed(2)}×); ${(out['rlsd_in_turn_over_grpo'] as number).toFixed(2)}× in turn (--no-teacher-worker; same work: ${(out['rlsd_in_turn_over_grpo_same_work'] as number).toFixed(2)}×)`);
  log(`over a default ${DEFAULT_TRAIN.steps}-step run, whose teacher pass stops when λ reaches 0 at step ${withTeacher}: ${(out['rlsd_over_grpo_default_run'] as number).toFixed(2)}×`);
  return out;
}

if (!skipLoop) {
  // Both shapes unless --base names one: the default base (the deep world's) and the first suite's.
  const bases = flags.baseGiven ? [base] : [...new Set([PACKAGE_BASE, packagePath('results', 'reference', 'base-mini1')])];
  const loops: Record<string, Record<string, unknown>> = {};
  for (const b of bases) {
    const figures = await realLoop(b);
    loops[figures['suite'] as string] = figures;
  }
  // The default base's figures stay at the top level (the keys earlier JSON lines have); every shape's under `loop`.
  const { base: _, suite: __, ...first } = Object.values(loops)[0]!;
  Object.assign(out, first, { loop: loops });
}
log(JSON.stringify(out));
// The multithreaded WASM build (--threads > 1) keeps its worker threads alive: end the process explicitly.
process.exit(0);
