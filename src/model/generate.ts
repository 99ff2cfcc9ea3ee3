// Batched sampling with a KV cache: one prefill over [image | context], then one decode step per new token.
// Sampling (temperature, top-p, greedy) happens in JS with the run's seeded Rng, so it is reproducible on
// every backend given the same logits.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng.ts';
import type { ModelConfig } from './config.ts';
import { layoutBatch, type SequenceInput } from './layout.ts';
import type { Params } from './params.ts';
import { compositeKernels, flagsTranspose } from './composite.ts';
import { decodeStepInPlace, InPlaceCache } from './decode.ts';
import { decodeStep, type KVCache, prefill, repeatCache, repeatGroups } from './transformer.ts';

export interface SampleOptions {
  maxNewTokens: number;
  /** Sampling temperature; ignored when greedy. */
  temperature: number;
  /** Nucleus mass in (0,1]; 1 disables top-p. */
  topP: number;
  greedy: boolean;
  rng: Rng;
  /**
   * One stream per generated row (response b draws from rngs[b]) instead of the shared `rng`: a row's samples
   * then do not depend on which other rows share its batch or when they stop (eval's resumable sampling).
   * Training leaves it unset and keeps drawing from one stream in row order.
   */
  rngs?: readonly Rng[];
  eosId: number;
  padId: number;
}

export interface Generation {
  /** Response token ids per sequence, including the EOS when one was emitted. */
  responses: number[][];
  /** log π(y_t) of each sampled token under logits / temperature (the rollout's old log-probs). */
  logProbs: Float32Array[];
}

/** exp((logit − max) / τ) of a row, kept from call to call (sampling is not re-entered). */
let probsScratch = new Float64Array(0);

/** Samples one index from a row of logits; returns [index, log-prob of that index under logits/temperature]. */
export function sampleRow(row: Float32Array, temperature: number, topP: number, greedy: boolean, rng: Rng): [number, number] {
  const V = row.length;
  const tau = greedy ? 1 : temperature;
  let max = -Infinity;
  let argmax = 0;
  for (let i = 0; i < V; i++)
    if (row[i]! > max) {
      max = row[i]!;
      argmax = i;
    }
  let z = 0;
  if (probsScratch.length < V) probsScratch = new Float64Array(V);
  const probs = probsScratch;
  for (let i = 0; i < V; i++) {
    probs[i] = Math.exp((row[i]! - max) / tau);
    z += probs[i]!;
  }
  const logZ = Math.log(z);
  if (greedy) return [argmax, (row[argmax]! - max) / tau - logZ];
  let pick = V - 1;
  if (topP < 1) {
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
    let cum = 0;
    let keep = 0;
    while (keep < V) {
      cum += probs[order[keep]!]! / z;
      keep++;
      if (cum >= topP) break;
    }
    let u = rng.next() * (cum * z);
    pick = order[keep - 1]!;
    for (let r = 0; r < keep; r++) {
      u -= probs[order[r]!]!;
      if (u < 0) {
        pick = order[r]!;
        break;
      }
    }
  } else {
    let u = rng.next() * z;
    for (let i = 0; i < V; i++) {
      u -= probs[i]!;
      if (u < 0) {
        pick = i;
        break;
      }
    }
  }
  return [pick, (row[pick]! - max) / tau - logZ];
}

/** The inputs, each once (the same patches array and context), and for each input which of them it is. */
function distinctInputs(seqs: readonly SequenceInput[]): { inputs: SequenceInput[]; source: Int32Array } {
  const seen = new Map<Float32Array, Map<string, number>>();
  const inputs: SequenceInput[] = [];
  const source = Int32Array.from(seqs, (s) => {
    const byContext = seen.get(s.patches) ?? new Map<string, number>();
    seen.set(s.patches, byContext);
    const key = Array.from(s.context).join(',');
    let i = byContext.get(key);
    if (i === undefined) {
      i = inputs.push(s) - 1;
      byContext.set(key, i);
    }
    return i;
  });
  return { inputs, source };
}

/** Rows `source` of x [n, V], copied bit for bit; x is left as it is. */
function copyRows(x: tf.Tensor2D, source: Int32Array): tf.Tensor2D {
  const V = x.shape[1];
  const data = x.dataSync() as Float32Array;
  const out = new Float32Array(source.length * V);
  source.forEach((p, b) => out.set(data.subarray(p * V, (p + 1) * V), b * V));
  return tf.tensor2d(out, [source.length, V]);
}

/**
 * Samples `groupSize` responses for each input (response b = p·groupSize + j answers input p). The prefix of
 * each input is computed once and its KV cache shared by its group.
 */
export function generate(params: Params, cfg: ModelConfig, seqs: readonly SequenceInput[], opts: SampleOptions, groupSize = 1): Generation {
  const G = groupSize;
  const B = seqs.length * G;
  const inPlace = compositeKernels();
  // On WASM, inputs given more than once (the same patches and context, as repeated samples of an item) are prefilled
  // once: every kernel of the prefill computes a sequence apart from the others, so its floats do not change. Not with
  // --matmul blas, whose products may round a row otherwise in a batch of other rows.
  const distinct = inPlace && G === 1 && !flagsTranspose() ? distinctInputs(seqs) : null;
  const prefixes = distinct ? distinct.inputs : seqs;
  const prefixOf = (b: number): number => (distinct ? distinct.source[b]! : Math.floor(b / G));
  const laid = layoutBatch(
    cfg,
    prefixes.map((s) => ({ patches: s.patches, context: s.context })),
    opts.padId,
  );
  const responses: number[][] = Array.from({ length: B }, () => []);
  const logProbs: number[][] = Array.from({ length: B }, () => []);
  if (opts.rngs && opts.rngs.length !== B) throw new Error(`generate: ${opts.rngs.length} row streams for ${B} rows`);
  const done = new Uint8Array(B);
  const pos = Int32Array.from({ length: B }, (_, b) => laid.nextPos[prefixOf(b)]!);
  const maxNew = Math.min(opts.maxNewTokens, cfg.maxPositions - Math.max(...pos));
  const pre = prefill(params, cfg, laid.batch);
  // On WASM the cache is written in place, with a column for each token decoded (the last one sampled is not).
  const cache: KVCache | InPlaceCache = inPlace ? InPlaceCache.fromPrefill(pre.cache, Int32Array.from({ length: B }, (_, b) => prefixOf(b)), cfg.nHeads, laid.batch.T + Math.max(0, maxNew - 1)) : repeatCache(pre.cache, G, cfg.nHeads);
  let logits: tf.Tensor2D;
  if (distinct) logits = copyRows(pre.logits, distinct.source);
  else logits = G === 1 ? pre.logits : tf.tidy(() => repeatGroups(pre.logits.reshape([seqs.length, 1, -1]) as tf.Tensor3D, seqs.length, G, 1).reshape([B, -1]) as tf.Tensor2D);
  if (logits !== pre.logits) pre.logits.dispose();
  // rows[i]: the sequence in row i of the decoding batch. Finished sequences leave the batch once they are a quarter of it
  // (each kernel of a decode step computes a sequence apart from the others, so its floats do not change).
  let rows = Array.from({ length: B }, (_, b) => b);
  try {
    for (let step = 0; step < maxNew; step++) {
      const data = logits.dataSync() as Float32Array;
      logits.dispose();
      const V = cfg.vocabSize;
      let next = new Int32Array(rows.length).fill(opts.padId);
      let alive = 0;
      rows.forEach((b, i) => {
        if (done[b]) return;
        const [tok, lp] = sampleRow(data.subarray(i * V, (i + 1) * V), opts.temperature, opts.topP, opts.greedy, opts.rngs ? opts.rngs[b]! : opts.rng);
        responses[b]!.push(tok);
        logProbs[b]!.push(lp);
        next[i] = tok;
        if (tok === opts.eosId) done[b] = 1;
        else alive++;
      });
      if (alive === 0 || step === maxNew - 1) {
        logits = tf.zeros([1, 1]);
        break;
      }
      if (alive <= 0.75 * rows.length && rows.length > 2) {
        const keep = rows.flatMap((b, i) => (done[b] ? [] : [i]));
        // XNNPACK multiplies a one-row batch with another kernel (its floats differ in the last bit), so a last
        // sequence keeps a finished one beside it.
        if (keep.length === 1) keep.push(keep[0] === 0 ? 1 : 0);
        if (cache instanceof InPlaceCache) cache.keepRows(keep);
        else cache.keepRows(keep, cfg.nHeads);
        next = Int32Array.from(keep, (i) => next[i]!);
        rows = keep.map((i) => rows[i]!);
      }
      const nextPos = Int32Array.from(rows, (b) => pos[b]!);
      logits = cache instanceof InPlaceCache ? decodeStepInPlace(params, cfg, cache, next, nextPos) : decodeStep(params, cfg, cache, next, nextPos);
      for (let b = 0; b < B; b++) pos[b]!++;
    }
  } finally {
    logits.dispose();
    cache.dispose();
  }
  return { responses, logProbs: logProbs.map((l) => Float32Array.from(l)) };
}
