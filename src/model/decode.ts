// Decoding on WASM with the KV cache written in place, one engine kernel per token.
//
// transformer.ts's decodeStep appends each token's keys and values with a concatenation, which copies the whole cache
// every step, runs the step as some hundred engine calls, and multiplies attention's batch of tiny products with
// WASM's scalar loop. Here each layer's keys and values live in buffers allocated for the whole generation, a step
// writes its column in place, and the step is one composite kernel (composite.ts) that computes what decodeStep computes
// on the same inputs, the same bits — so the logits are the same, and so are the sampled tokens:
// - the dense layers, the softmax and the unembedding are the WASM kernels decodeStep runs (XNNPACK's);
// - attention's two products are attention-simd.ts's, exactly the scalar loop's operations in SIMD lanes;
// - the embedding lookups, the residual adds and the layer norms are loops over WASM memory here, each float32
//   operation the one the WASM kernel makes, in its order (below: `fround` after each +, −, ×, ÷, √ is the correctly
//   rounded float32 result, as the kernels' own). That saves some sixty kernel calls a token.
// Keys are kept as [B·H, dh, capacity] (a token's keys are a column) for those lanes; values as [B·H, capacity, dh].
// Where the scalar loop does not run (--matmul blas, whose products may sum in an order that depends on their sizes; a
// batch of one product, which WASM gives to XNNPACK), the products run as decodeStep's, on copies of the cached columns.
import * as tf from '@tensorflow/tfjs';
import { attentionSimd } from './attention-simd.ts';
import { composite, flagsTranspose, type Info, type Kernels, layerNormKernels, linearKernels, runComposite } from './composite.ts';
import type { ModelConfig } from './config.ts';
import type { Params } from './params.ts';
import { rowKernels } from './row-kernels.ts';
import type { KVCache } from './transformer.ts';

const NEG = -1e9;

/** The heap of the wasm backend, where a tensor's data starts in it (in bytes), and a tensor's allocation. */
interface Heap {
  wasm: { HEAPF32: Float32Array; HEAP32: Int32Array };
  getMemoryOffset(dataId: object): number;
  write(values: Float32Array | null, shape: number[], dtype: 'float32'): object;
}

function heapBackend(): Heap {
  return tf.backend() as unknown as Heap;
}

/** One layer's buffers: keys [B·H, dh, capacity] and values [B·H, capacity, dh], flat, the first `length` tokens written. */
interface LayerBuffers {
  k: tf.Tensor1D;
  v: tf.Tensor1D;
}

/** Keys are read four columns at a time: room for the last row's overrun. */
const PAD = 4;

/** n float32 zeros, allocated in WASM memory and filled there (tf.zeros fills an array in JavaScript, then copies it in). */
function zeros(n: number): tf.Tensor1D {
  const backend = heapBackend();
  const dataId = backend.write(null, [n], 'float32');
  const at = backend.getMemoryOffset(dataId) / 4;
  backend.wasm.HEAPF32.fill(0, at, at + n);
  return tf.engine().makeTensorFromDataId(dataId, [n], 'float32', backend as unknown as tf.KernelBackend) as tf.Tensor1D;
}

function buffers(rows: number, capacity: number, dh: number): LayerBuffers {
  return { k: zeros(rows * dh * capacity + PAD), v: zeros(rows * capacity * dh) };
}

/** The KV cache of a generation on WASM, written in place. Owns its tensors; call dispose(). */
export class InPlaceCache {
  private constructor(
    public layers: LayerBuffers[],
    public B: number,
    readonly H: number,
    readonly dh: number,
    readonly capacity: number,
    /** [B·length] key mask over the cached columns (1 real, 0 pad). */
    public keyMask: Float32Array,
    public length: number,
    /** [B] the last token of each sequence (the next token's previous token). */
    public lastIds: Int32Array,
  ) {}

  /** The parameters' tied embedding transposed for the unembedding (once a generation; not with BLAS's flags). */
  unembedding: tf.Tensor2D | null = null;
  /** Whether the embedding tables are finite (then a lookup is a row copy), once a generation. */
  finiteTables: boolean | null = null;

  /**
   * The cache of B sequences, sequence b extending the prefill's prefix `source[b]` (b = p·G + j for groups, as
   * transformer.ts's repeatCache), with room for `capacity` tokens. Takes over (disposes) the prefill's cache.
   */
  static fromPrefill(pre: KVCache, source: Int32Array, H: number, capacity: number): InPlaceCache {
    const B = source.length;
    const T = pre.length;
    const dh = pre.layers[0]!.k.shape[2];
    if (capacity < T) throw new Error(`InPlaceCache: capacity ${capacity} below the prefix's ${T} tokens`);
    const backend = heapBackend();
    const layers = pre.layers.map((layer) => {
      const out = buffers(B * H, capacity, dh);
      // Integers, so that a copy keeps every bit.
      const heap = backend.wasm.HEAP32;
      const [srcK, srcV] = [backend.getMemoryOffset(layer.k.dataId) / 4, backend.getMemoryOffset(layer.v.dataId) / 4];
      const [dstK, dstV] = [backend.getMemoryOffset(out.k.dataId) / 4, backend.getMemoryOffset(out.v.dataId) / 4];
      // A sequence's heads are one run of each buffer: sequences extending a prefix already written copy that run.
      const perSeq = H * dh * capacity;
      const written = new Map<number, number>();
      for (let b = 0; b < B; b++) {
        const p = source[b]!;
        const twin = written.get(p);
        if (twin !== undefined) {
          heap.copyWithin(dstK + b * perSeq, dstK + twin * perSeq, dstK + (twin + 1) * perSeq);
          heap.copyWithin(dstV + b * perSeq, dstV + twin * perSeq, dstV + (twin + 1) * perSeq);
          continue;
        }
        written.set(p, b);
        for (let h = 0; h < H; h++) {
          const from = (p * H + h) * T * dh;
          const head = b * H + h;
          for (let c = 0; c < dh; c++) {
            const row = dstK + (head * dh + c) * capacity;
            for (let j = 0; j < T; j++) heap[row + j] = heap[srcK + from + j * dh + c]!;
          }
          heap.copyWithin(dstV + head * capacity * dh, srcV + from, srcV + from + T * dh);
        }
      }
      return out;
    });
    const keyMask = new Float32Array(B * T);
    const lastIds = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const p = source[b]!;
      keyMask.set(pre.keyMask.subarray(p * T, (p + 1) * T), b * T);
      lastIds[b] = pre.lastIds[p]!;
    }
    pre.dispose();
    return new InPlaceCache(layers, B, H, dh, capacity, keyMask, T, lastIds);
  }

  /**
   * Keeps the sequences `rows` in that order (a row may repeat). In place when they only move towards the front; each
   * sequence's floats do not depend on the others in the batch (transformer.ts's KVCache.keepRows).
   */
  keepRows(rows: readonly number[]): void {
    const { H, dh, capacity } = this;
    const per = H * capacity * dh;
    const inPlace = rows.every((b, i) => b >= i && (i === 0 || b > rows[i - 1]!));
    const backend = heapBackend();
    this.layers = this.layers.map((layer) => {
      const out = inPlace ? layer : buffers(rows.length * H, capacity, dh);
      const heap = backend.wasm.HEAPF32;
      for (const part of ['k', 'v'] as const) {
        const src = backend.getMemoryOffset(layer[part].dataId) / 4;
        const dst = backend.getMemoryOffset(out[part].dataId) / 4;
        rows.forEach((b, i) => {
          if (!inPlace || b !== i) heap.copyWithin(dst + i * per, src + b * per, src + (b + 1) * per);
        });
      }
      if (!inPlace) tf.dispose([layer.k, layer.v]);
      return out;
    });
    const t = this.length;
    const mask = new Float32Array(rows.length * t);
    rows.forEach((b, i) => mask.set(this.keyMask.subarray(b * t, (b + 1) * t), i * t));
    this.keyMask = mask;
    this.lastIds = Int32Array.from(rows, (b) => this.lastIds[b]!);
    this.B = rows.length;
  }

  dispose(): void {
    for (const l of this.layers) tf.dispose([l.k, l.v]);
    this.layers = [];
    this.unembedding?.dispose();
    this.unembedding = null;
  }
}

/** [n, V] one-hot rows of `ids` (ops.ts embedLookup's constant). */
function oneHot(ids: Int32Array, V: number): Float32Array {
  const out = new Float32Array(ids.length * V);
  ids.forEach((id, i) => {
    if (id < 0 || id >= V) throw new Error(`embedLookup: id ${id} out of range [0, ${V})`);
    out[i * V + id] = 1;
  });
  return out;
}

interface StepAttrs {
  /** The embedding lookups as row copies (the tables are finite), or as decodeStep's one-hot products. */
  gather: boolean;
  B: number;
  H: number;
  t: number;
  capacity: number;
  nLayers: number;
  prevToken: boolean;
  flags: boolean;
  ids: Int32Array;
  prevIds: Int32Array;
  posIds: Int32Array;
  /** [B·(t+1)] additive mask over the cached columns and the new one. */
  mask: Float32Array;
}

/** Attention of one new token over the t+1 cached ones, its keys and values written at column t first. */
function attendInPlace(k: Kernels, qkv: Info, K: Info, Vb: Info, a: StepAttrs): Info {
  const { B, H, t, capacity: cap } = a;
  const n = B * H;
  const d = qkv.shape[1]! / 3;
  const dh = d / H;
  const T = t + 1;
  const qs = k.empty([n, 1, dh]);
  const mask = k.empty([B * T + PAD]);
  let heap = k.heap();
  // q·(1/√dh), as transformer.ts's attention (one float32 product each)
  const scale = Math.fround(1 / Math.sqrt(dh));
  const memory = k.memory();
  const module = memory ? attentionSimd(memory) : null;
  if (module) module.writeToken(k.at(qkv) * 4, k.at(qs) * 4, k.at(K) * 4, k.at(Vb) * 4, B, H, t, cap, dh, new Int32Array(Float32Array.of(scale).buffer)[0]!);
  else {
    const [src, q, kk, vv] = [k.at(qkv), k.at(qs), k.at(K), k.at(Vb)];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const row = src + b * 3 * d + h * dh;
        const head = b * H + h;
        for (let c = 0; c < dh; c++) heap[q + head * dh + c] = heap[row + c]! * scale;
        for (let c = 0; c < dh; c++) heap[kk + (head * dh + c) * cap + t] = heap[row + d + c]!;
        heap.copyWithin(vv + (head * cap + t) * dh, row + 2 * d, row + 2 * d + dh);
      }
  }
  {
    const m = k.at(mask);
    heap.set(a.mask, m);
    heap.fill(0, m + B * T, m + B * T + PAD);
  }
  const simd = a.flags || n === 1 ? null : simdOver(k, Math.max(T, dh));
  let scores: Info;
  let weighted: (probs: Info) => Info;
  if (simd) {
    scores = k.empty([n * T + PAD]);
    simd.scores(k.at(qs) * 4, k.at(K) * 4, k.at(scores) * 4, k.at(mask) * 4, B, H, T, cap, dh);
    weighted = (probs) => {
      const out = k.empty([B, d]);
      simd.weighted(k.at(probs) * 4, k.at(Vb) * 4, k.at(out) * 4, n, T, cap, dh);
      return out;
    };
  } else {
    // decodeStep's products on copies of the T cached tokens: q·kᵀ, the mask added; then probabilities·v.
    const [keys, values] = [k.empty([n, T, dh]), k.empty([n, T, dh])];
    heap = k.heap();
    const [kk, vv, ko, vo] = [k.at(K), k.at(Vb), k.at(keys), k.at(values)];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < T; j++) for (let c = 0; c < dh; c++) heap[ko + (i * T + j) * dh + c] = heap[kk + (i * dh + c) * cap + j]!;
      heap.copyWithin(vo + i * T * dh, vv + i * cap * dh, vv + (i * cap + T) * dh);
    }
    scores = k.add(k.view(k.matMul(qs, keys, false, true), [B, H, 1, T]), k.view(mask, [B, 1, 1, T]));
    weighted = (probs) => k.view(k.matMul(k.view(probs, [n, 1, T]), values), [B, d]);
  }
  const probs = k.run('Softmax', { logits: k.view(scores, [B, H, 1, T]) }, { dim: 3 });
  return weighted(probs);
}

/**
 * attention-simd.ts over the backend's memory, when it compiles and the scalar loop's bias reads 0: it adds the floats
 * at the start of WASM memory (its bias pointer is null), at the output's index, which are zeros below the data.
 */
function simdOver(k: Kernels, outputs: number): ReturnType<typeof attentionSimd> {
  const heap = k.heap();
  if (outputs > 256) return null;
  for (let i = 0; i < outputs; i++) if (!Object.is(heap[i], 0)) return null;
  const memory = k.memory();
  return memory ? attentionSimd(memory) : null;
}

const f = Math.fround;

function checkIds(ids: Int32Array, V: number): void {
  for (const id of ids) if (id < 0 || id >= V) throw new Error(`embedLookup: id ${id} out of range [0, ${V})`);
}

/** Whether every entry of the tables is finite. */
function finite(tables: readonly tf.Tensor[]): boolean {
  const backend = heapBackend();
  for (const t of tables) {
    const heap = backend.wasm.HEAPF32;
    const at = backend.getMemoryOffset(t.dataId) / 4;
    for (let i = at, end = at + t.size; i < end; i++) if (!Number.isFinite(heap[i]!)) return false;
  }
  return true;
}

/**
 * transformer.ts's embedTokens over finite tables, as row copies: XNNPACK's product of a one-hot row with a table sums
 * the chosen row's value and zeros (0·w) onto a +0, which gives that value, a −0 as +0 (v + 0); then the Adds, token +
 * previous token, + position. Rows `ids` of `tok` (offsets in floats into `heap`, tables [·, d]) and so on, into `out`.
 */
export function embedRowsAt(heap: Float32Array, out: number, d: number, tok: number, prev: number | null, pos: number, ids: Int32Array, prevIds: Int32Array, posIds: Int32Array): void {
  for (let b = 0; b < ids.length; b++) {
    const [row, tr, qr] = [out + b * d, tok + ids[b]! * d, pos + posIds[b]! * d];
    if (prev !== null) {
      const pr = prev + prevIds[b]! * d;
      for (let c = 0; c < d; c++) heap[row + c] = f(f(heap[tr + c]! + 0 + (heap[pr + c]! + 0)) + (heap[qr + c]! + 0));
    } else for (let c = 0; c < d; c++) heap[row + c] = f(heap[tr + c]! + 0 + (heap[qr + c]! + 0));
  }
}

function embedRows(k: Kernels, a: StepAttrs, tok: Info, prev: Info | null, pos: Info): Info {
  const d = tok.shape[1]!;
  checkIds(a.ids, tok.shape[0]!);
  if (prev) checkIds(a.prevIds, prev.shape[0]!);
  checkIds(a.posIds, pos.shape[0]!);
  const out = k.empty([a.B, d]);
  embedRowsAt(k.heap(), k.at(out), d, k.at(tok), prev ? k.at(prev) : null, k.at(pos), a.ids, a.prevIds, a.posIds);
  return out;
}

/**
 * The residual sum s = x + y (s = x without y) and the layer norm of s, [N, d]: row-kernels.ts's layerNorm over finite
 * inputs, else (or where it does not run, with no exported memory) WASM's Add and layerNormKernels — a NaN's bits are
 * the kernels' own (composite.ts, before its dense layers).
 */
function residualNorm(k: Kernels, x: Info, y: Info | null, g: Info, b: Info): [Info, Info] {
  const rows = k.memory() ? rowKernels(k.memory()!) : null;
  const size = (t: Info): number => t.shape.reduce((p, q) => p * q, 1);
  if (!rows || ![x, y, g, b].every((t) => !t || rows.allFinite(k.at(t) * 4, size(t)) === 1)) {
    const s = y ? k.add(x, y) : x;
    return [s, layerNormKernels(k, s, g, b)[0]];
  }
  const [N, d] = x.shape as [number, number];
  const s = y ? k.empty([N, d]) : x;
  const out = k.empty([N, d]);
  rows.layerNorm(k.at(x) * 4, y ? k.at(y) * 4 : 0, k.at(s) * 4, k.at(out) * 4, k.at(g) * 4, k.at(b) * 4, N, d, 0, 0);
  return [s, out];
}

composite('RlsdDecodeStep', (k, inputs, attrs) => {
  const a = attrs as unknown as StepAttrs;
  const { B } = a;
  const w = (name: string): Info => {
    const x = inputs[name];
    if (!x) throw new Error(`decode step: missing parameter '${name}'`);
    return x;
  };
  let x: Info;
  if (a.gather) x = embedRows(k, a, w('tok_emb'), a.prevToken ? w('prev_emb') : null, w('pos_emb'));
  else {
    // transformer.ts's embedTokens: token, previous token, position, summed in that order.
    const V = w('tok_emb').shape[0]!;
    x = k.matMul(k.constant(oneHot(a.ids, V), [B, V]), w('tok_emb'));
    if (a.prevToken) x = k.add(x, k.matMul(k.constant(oneHot(a.prevIds, V), [B, V]), w('prev_emb')));
    const P = w('pos_emb').shape[0]!;
    x = k.add(x, k.matMul(k.constant(oneHot(a.posIds, P), [B, P]), w('pos_emb')));
  }
  // Each layer norm takes the residual sum before it: layer l's first its input, its second x + attention, the next
  // layer's first (or the final one) x + MLP.
  let h: Info;
  [x, h] = residualNorm(k, x, null, w('l0.ln1_g'), w('l0.ln1_b'));
  for (let l = 0; l < a.nLayers; l++) {
    const p = (s: string): Info => w(`l${l}.${s}`);
    const att = attendInPlace(k, linearKernels(k, h, p('qkv_w'), p('qkv_b'), 'linear', true), w(`cache${l}.k`), w(`cache${l}.v`), a);
    const [x1, h2] = residualNorm(k, x, linearKernels(k, att, p('out_w'), p('out_b'), 'linear', true), p('ln2_g'), p('ln2_b'));
    const mlp = linearKernels(k, linearKernels(k, h2, p('fc_w'), p('fc_b'), 'relu', true), p('proj_w'), p('proj_b'), 'linear', true);
    const next = l + 1 < a.nLayers ? [w(`l${l + 1}.ln1_g`), w(`l${l + 1}.ln1_b`)] : [w('lnf_g'), w('lnf_b')];
    [x, h] = residualNorm(k, x1, mlp, next[0]!, next[1]!);
  }
  // transformer.ts's unembed: ops.ts's linearT with the tied embedding (its transpose made once a generation).
  return a.flags ? k.matMul(h, w('tok_emb'), false, true) : k.matMul(h, w('unembedding'));
});

/**
 * Appends one token per sequence at the given positions, writing the cache in place; returns logits [B, V] for the
 * next token — transformer.ts's decodeStep, the same bits, in one engine kernel.
 */
export function decodeStepInPlace(params: Params, cfg: ModelConfig, cache: InPlaceCache, tokenIds: Int32Array, posIds: Int32Array): tf.Tensor2D {
  const { B, length: t } = cache;
  if (t >= cache.capacity) throw new Error(`decodeStepInPlace: the cache's ${cache.capacity} columns are full`);
  const keyMask = new Float32Array(B * (t + 1));
  const mask = new Float32Array(B * (t + 1));
  for (let b = 0; b < B; b++) {
    keyMask.set(cache.keyMask.subarray(b * t, (b + 1) * t), b * (t + 1));
    keyMask[b * (t + 1) + t] = 1;
  }
  for (let i = 0; i < mask.length; i++) mask[i] = keyMask[i]! > 0 ? 0 : NEG;
  const inputs: tf.NamedTensorMap = {};
  for (const [name, v] of params) inputs[name] = v;
  cache.layers.forEach((l, i) => Object.assign(inputs, { [`cache${i}.k`]: l.k, [`cache${i}.v`]: l.v }));
  const flags = flagsTranspose();
  if (!flags) inputs['unembedding'] = cache.unembedding ??= tf.keep(tf.transpose(params.get('tok_emb')!) as tf.Tensor2D);
  const tables = ['tok_emb', 'prev_emb', 'pos_emb'].flatMap((name) => (params.has(name) ? [params.get(name)!] : []));
  cache.finiteTables ??= finite(tables);
  const attrs: StepAttrs = { gather: cache.finiteTables, B, H: cfg.nHeads, t, capacity: cache.capacity, nLayers: cfg.nLayers, prevToken: Boolean(cfg.prevTokenEmbedding), flags, ids: tokenIds, prevIds: cache.lastIds, posIds, mask };
  const [logits] = runComposite('RlsdDecodeStep', inputs, attrs as unknown as Record<string, unknown>);
  cache.keyMask = keyMask;
  cache.length = t + 1;
  cache.lastIds = tokenIds.slice();
  return logits as tf.Tensor2D;
}
