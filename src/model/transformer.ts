// A tiny vision-language decoder: image patches (linear or small-MLP patch embedding) followed by text tokens, one causal
// transformer over both, tied input/output embeddings. Written for TensorFlow.js backends without
// `gather` gradients (WASM): lookups are one-hot × matrix, masks are additive constants.
import * as tf from '@tensorflow/tfjs';
import { type ModelConfig, numImageTokens, patchDim } from './config.ts';
import type { Params } from './params.ts';
import { attentionComposite, compositeKernels, embedLookupComposite, flagsTranspose, layerNormComposite, linearComposite, linearTComposite, splitHeadsComposite } from './composite.ts';
import { bmm, bmmT, concatRows, embedLookup as embedLookupOps, linear, linearT, onesRow } from './ops.ts';

/**
 * A batch of B sequences laid out on T columns: the image tokens first (columns 0..nImg-1), then text
 * tokens. Text is aligned by the caller (contexts left-padded to end on one column, responses
 * right-padded), so that the response window is the same slice of columns for every sequence.
 */
export interface SeqBatch {
  B: number;
  T: number;
  /** [B*T] token id per column (ignored on image columns; PAD where keyMask is 0). */
  tokenIds: Int32Array;
  /** [B*T] position id per column (image tokens 0..nImg-1, text continues without counting pads). */
  posIds: Int32Array;
  /** [B*T] 1 on real tokens (image or text), 0 on padding. */
  keyMask: Float32Array;
  /** [B*nImg*patchDim] image patches in [0,1]. */
  patches: Float32Array;
}

const NEG = -1e9;

/** Rows `ids` of `table`: ops.ts's one-hot product, or on WASM the composite kernel with its floats. */
function embedLookup(ids: Int32Array, table: tf.Tensor2D): tf.Tensor2D {
  return compositeKernels() ? embedLookupComposite(ids, table) : embedLookupOps(ids, table);
}

/** Number of leading image columns that attend to each other (0: fully causal). */
function imageBlock(cfg: ModelConfig): number {
  return cfg.imageAttention === 'bidirectional' ? numImageTokens(cfg) : 0;
}

function p(params: Params, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`missing parameter '${name}'`);
  return v;
}

function layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  if (compositeKernels()) return layerNormComposite(x, g, b);
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(g).add(b) as tf.Tensor2D;
}

/** act(x·W + b), added to `residual` when given. */
function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, activation?: 'relu', residual?: tf.Tensor2D): tf.Tensor2D {
  if (compositeKernels()) return linearComposite(x, w as tf.Tensor2D, b as tf.Tensor1D, activation ?? 'linear', onesRow, residual);
  const y = linear(x, w as tf.Tensor2D, b as tf.Tensor1D, activation ?? 'linear');
  return residual ? (residual.add(y) as tf.Tensor2D) : y;
}

/** Input embeddings [B*T, d]: patch embedding on image columns, token embedding on text columns, plus positions. */
function embed(params: Params, cfg: ModelConfig, batch: SeqBatch): tf.Tensor2D {
  const { B, T } = batch;
  const nImg = numImageTokens(cfg);
  const d = cfg.dModel;
  const patches = tf.tensor2d(batch.patches, [B * nImg, patchDim(cfg)]);
  const hidden = (cfg.patchHidden ?? 0) > 0 ? dense(patches, p(params, 'patch_hidden_w'), p(params, 'patch_hidden_b'), 'relu') : patches;
  const img = dense(hidden, p(params, 'patch_w'), p(params, 'patch_b')).reshape([B, nImg, d]);
  const textIds = new Int32Array(B * (T - nImg));
  for (let b = 0; b < B; b++) textIds.set(batch.tokenIds.subarray(b * T + nImg, (b + 1) * T), b * (T - nImg));
  let txt = embedLookup(textIds, p(params, 'tok_emb') as tf.Tensor2D);
  if (cfg.prevTokenEmbedding) {
    // The previous column's token where it is real text; none (a zero vector) after the image or padding.
    const prevIds = new Int32Array(B * (T - nImg));
    const hasPrev = new Float32Array(B * (T - nImg));
    for (let b = 0; b < B; b++)
      for (let c = nImg + 1; c < T; c++)
        if (batch.keyMask[b * T + c - 1]! > 0) {
          prevIds[b * (T - nImg) + c - nImg] = batch.tokenIds[b * T + c - 1]!;
          hasPrev[b * (T - nImg) + c - nImg] = 1;
        }
    txt = txt.add(prevTokenEmbedding(params, prevIds, hasPrev)) as tf.Tensor2D;
  }
  const pos = embedLookup(batch.posIds, p(params, 'pos_emb') as tf.Tensor2D);
  return tf.concat([img, txt.reshape([B, T - nImg, d])], 1).reshape([B * T, d]).add(pos) as tf.Tensor2D;
}

/** [N, d]: the embedding of each position's previous token (rows with `hasPrev` 0 get zeros). */
function prevTokenEmbedding(params: Params, prevIds: Int32Array, hasPrev?: Float32Array): tf.Tensor2D {
  const e = embedLookup(prevIds, p(params, 'prev_emb') as tf.Tensor2D);
  return hasPrev ? (e.mul(tf.tensor2d(hasPrev, [prevIds.length, 1])) as tf.Tensor2D) : e;
}

/** Input embeddings [N, d] of single text tokens at given positions, with the token before each when the model uses it. */
function embedTokens(params: Params, cfg: ModelConfig, ids: Int32Array, posIds: Int32Array, prevIds: Int32Array): tf.Tensor2D {
  // Summed in embed()'s order (token, previous token, position), so both paths give the same floats.
  let x = embedLookup(ids, p(params, 'tok_emb') as tf.Tensor2D);
  if (cfg.prevTokenEmbedding) x = x.add(prevTokenEmbedding(params, prevIds)) as tf.Tensor2D;
  return x.add(embedLookup(posIds, p(params, 'pos_emb') as tf.Tensor2D)) as tf.Tensor2D;
}

/**
 * Additive attention mask [B,1,T,T]: causal, and padding keys excluded. With `imageBlock` = nImg the image
 * columns 0..nImg-1 also see each other (a bidirectional vision block, as a VLM's vision encoder); text
 * stays causal, so caching and decoding are unchanged.
 */
export function causalPadMask(batch: SeqBatch, imageBlock = 0): tf.Tensor4D {
  const { B, T, keyMask } = batch;
  const m = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      const row = (b * T + i) * T;
      const sees = i < imageBlock ? imageBlock - 1 : i;
      for (let j = 0; j < T; j++) m[row + j] = j <= sees && keyMask[b * T + j]! > 0 ? 0 : NEG;
    }
  }
  return tf.tensor4d(m, [B, 1, T, T]);
}

/**
 * A layer's keys and values, both as rows [B*H, t, dh], so appending columns (a shared prefix's, a decoding step's)
 * concatenates whole rows: WASM's concatenation copies one piece per index before the concatenation axis, and keys
 * kept as [B*H, dh, t] made that dh·B·H pieces. The score product reads the keys transposed (ops.ts bmmT) with the same
 * floats as before.
 */
interface LayerKV {
  k: tf.Tensor3D;
  v: tf.Tensor3D;
}

/** Splits [B*T, 3d] into q, k, v, each [B*H,T,dh], using only 4-D transposes (fast on WASM). */
function splitHeads(qkv: tf.Tensor2D, B: number, T: number, H: number, dh: number): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  const [q, k, v] = tf.split(qkv, 3, 1) as tf.Tensor2D[];
  const heads = (x: tf.Tensor2D): tf.Tensor3D => x.reshape([B, T, H, dh]).transpose([0, 2, 1, 3]).reshape([B * H, T, dh]);
  return [heads(q!), heads(k!), heads(v!)];
}

function mergeHeads(o: tf.Tensor3D, B: number, T: number, H: number, dh: number): tf.Tensor2D {
  return o.reshape([B, H, T, dh]).transpose([0, 2, 1, 3]).reshape([B * T, H * dh]);
}

function attention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: tf.Tensor4D, B: number, H: number): tf.Tensor3D {
  const [, Tq, dh] = q.shape;
  const Tk = k.shape[1];
  const scores = bmmT(q.mul(1 / Math.sqrt(dh)), k).reshape([B, H, Tq, Tk]).add(mask);
  const probs = tf.softmax(scores).reshape([B * H, Tq, Tk]) as tf.Tensor3D;
  return bmm(probs, v);
}

interface BlockKV {
  /** Keys/values of earlier columns to attend to (a shared prefix), prepended to this block's own. */
  past?: LayerKV;
  /** When given, receives the concatenated keys/values of this layer (prefill). */
  record?: LayerKV[];
  /** Decoding one column per sequence: this layer's cache, replaced in `cache.layers` by the cache with the column appended. */
  cache?: { layers: LayerKV[] };
}

function block(params: Params, cfg: ModelConfig, l: number, x: tf.Tensor2D, mask: tf.Tensor4D, B: number, T: number, kv: BlockKV = {}): tf.Tensor2D {
  const H = cfg.nHeads;
  const dh = cfg.dModel / H;
  const h = layerNorm(x, p(params, `l${l}.ln1_g`), p(params, `l${l}.ln1_b`));
  if (compositeKernels() && !kv.cache && !(kv.past && kv.record)) {
    const [q, k, v] = splitHeadsComposite(dense(h, p(params, `l${l}.qkv_w`), p(params, `l${l}.qkv_b`)), B, T, H);
    if (kv.record) kv.record[l] = { k, v };
    const att = attentionComposite(q, k, v, mask, B, H, kv.past);
    return mlpHalf(params, l, x, att);
  }
  const [q, k, v] = splitHeads(dense(h, p(params, `l${l}.qkv_w`), p(params, `l${l}.qkv_b`)), B, T, H, dh);
  let heads: tf.Tensor3D;
  if (kv.cache) {
    const past = kv.cache.layers[l]!;
    const layer = { k: tf.concat<tf.Tensor3D>([past.k, k], 1), v: tf.concat<tf.Tensor3D>([past.v, v], 1) };
    kv.cache.layers[l] = layer;
    heads = attention(q, layer.k, layer.v, mask, B, H);
  } else {
    const keys = kv.past ? concatRows(kv.past.k, k) : k;
    const values = kv.past ? concatRows(kv.past.v, v) : v;
    if (kv.record) kv.record[l] = { k: keys, v: values };
    heads = attention(q, keys, values, mask, B, H);
  }
  return mlpHalf(params, l, x, mergeHeads(heads, B, T, H, dh));
}

/** The rest of a block after attention: the output projection and its residual, then the MLP and its residual. */
function mlpHalf(params: Params, l: number, x: tf.Tensor2D, att: tf.Tensor2D): tf.Tensor2D {
  const x1 = dense(att, p(params, `l${l}.out_w`), p(params, `l${l}.out_b`), undefined, x);
  const h2 = layerNorm(x1, p(params, `l${l}.ln2_g`), p(params, `l${l}.ln2_b`));
  return dense(dense(h2, p(params, `l${l}.fc_w`), p(params, `l${l}.fc_b`), 'relu'), p(params, `l${l}.proj_w`), p(params, `l${l}.proj_b`), undefined, x1);
}

function unembed(params: Params, h: tf.Tensor2D): tf.Tensor2D {
  const hn = layerNorm(h, p(params, 'lnf_g'), p(params, 'lnf_b'));
  const table = p(params, 'tok_emb') as tf.Tensor2D;
  return compositeKernels() && !flagsTranspose() ? linearTComposite(hn, table) : linearT(hn, table);
}

/**
 * Full forward pass; returns logits [B, len, V] for the columns [from, from+len) — the positions whose
 * next-token predictions are needed (the response window).
 */
export function forwardLogits(params: Params, cfg: ModelConfig, batch: SeqBatch, from: number, len: number): tf.Tensor3D {
  const { B, T } = batch;
  const mask = causalPadMask(batch, imageBlock(cfg));
  let x = embed(params, cfg, batch);
  for (let l = 0; l < cfg.nLayers; l++) x = block(params, cfg, l, x, mask, B, T);
  const window = x.reshape([B, T, cfg.dModel]).slice([0, from, 0], [B, len, cfg.dModel]).reshape([B * len, cfg.dModel]) as tf.Tensor2D;
  return unembed(params, window).reshape([B, len, cfg.vocabSize]);
}

/**
 * The rows of sequences `rows` of a [B*H, …] tensor (H rows a sequence), as a new tensor. On WASM a copy on the host:
 * its Gather kernel takes 7.6 ms for a [512, 50, 16] cache where copying the sequences' slices takes 1.1 ms.
 */
function keepSequences(x: tf.Tensor3D, rows: readonly number[], H: number): tf.Tensor3D {
  const [, t, dh] = x.shape;
  if (tf.getBackend() !== 'wasm') {
    return tf.tidy(() => tf.gather(x, tf.tensor1d(Int32Array.from(rows.flatMap((b) => Array.from({ length: H }, (_, h) => b * H + h))), 'int32')));
  }
  const per = H * t * dh;
  const src = x.dataSync() as Float32Array;
  const out = new Float32Array(rows.length * per);
  rows.forEach((b, i) => out.set(src.subarray(b * per, (b + 1) * per), i * per));
  return tf.tensor3d(out, [rows.length * H, t, dh]);
}

/** KV cache for incremental decoding. Owns its tensors; call dispose(). */
export class KVCache {
  layers: LayerKV[] = [];
  /** [B*t] key mask over all cached columns (1 real, 0 pad). */
  keyMask: Float32Array;
  length: number;
  /** [B] the last token of each sequence (the next token's previous token). */
  lastIds: Int32Array;
  constructor(
    public B: number,
    keyMask: Float32Array,
    length: number,
    lastIds: Int32Array,
  ) {
    this.keyMask = keyMask;
    this.length = length;
    this.lastIds = lastIds;
  }
  dispose(): void {
    for (const l of this.layers) {
      l.k.dispose();
      l.v.dispose();
    }
    this.layers = [];
  }

  /**
   * The cache of the sequences `rows` (in that order; a row may repeat, as repeatCache's groups do), replacing this
   * one's tensors. Every kernel of a decode step computes each sequence apart from the others, so a sequence's logits
   * are the same floats in a smaller batch.
   */
  keepRows(rows: readonly number[], H: number): void {
    const t = this.length;
    const layers = this.layers.map((kv) => ({ k: keepSequences(kv.k, rows, H), v: keepSequences(kv.v, rows, H) }));
    this.dispose();
    this.layers = layers;
    const mask = new Float32Array(rows.length * t);
    rows.forEach((b, i) => mask.set(this.keyMask.subarray(b * t, (b + 1) * t), i * t));
    this.keyMask = mask;
    this.lastIds = Int32Array.from(rows, (b) => this.lastIds[b]!);
    this.B = rows.length;
  }
}

/** Runs the prefix (image + left-padded context) and returns the cache and the last column's logits [B,V]. */
export function prefill(params: Params, cfg: ModelConfig, batch: SeqBatch): { cache: KVCache; logits: tf.Tensor2D } {
  const cache = new KVCache(batch.B, batch.keyMask.slice(), batch.T, Int32Array.from({ length: batch.B }, (_, b) => batch.tokenIds[b * batch.T + batch.T - 1]!));
  const logits = tf.tidy(() => {
    const { B, T } = batch;
    const mask = causalPadMask(batch, imageBlock(cfg));
    let x = embed(params, cfg, batch);
    const recorded: LayerKV[] = [];
    for (let l = 0; l < cfg.nLayers; l++) x = block(params, cfg, l, x, mask, B, T, { record: recorded });
    cache.layers = recorded.map((kv) => ({ k: tf.keep(kv.k), v: tf.keep(kv.v) }));
    const last = x.reshape([B, T, cfg.dModel]).slice([0, T - 1, 0], [B, 1, cfg.dModel]).reshape([B, cfg.dModel]) as tf.Tensor2D;
    return unembed(params, last);
  });
  return { cache, logits };
}

/** Appends one token per sequence at the given positions; returns logits [B,V] for the next token. */
export function decodeStep(params: Params, cfg: ModelConfig, cache: KVCache, tokenIds: Int32Array, posIds: Int32Array): tf.Tensor2D {
  const B = cache.B;
  const t = cache.length;
  // The new column is real for every sequence (finished ones keep decoding PAD; their output is ignored).
  const newMask = new Float32Array(B * (t + 1));
  for (let b = 0; b < B; b++) {
    newMask.set(cache.keyMask.subarray(b * t, (b + 1) * t), b * (t + 1));
    newMask[b * (t + 1) + t] = 1;
  }
  const old = cache.layers.slice();
  const logits = tf.tidy(() => {
    const add = new Float32Array(B * (t + 1));
    for (let i = 0; i < add.length; i++) add[i] = newMask[i]! > 0 ? 0 : NEG;
    const mask = tf.tensor4d(add, [B, 1, 1, t + 1]);
    let x = embedTokens(params, cfg, tokenIds, posIds, cache.lastIds);
    for (let l = 0; l < cfg.nLayers; l++) x = block(params, cfg, l, x, mask, B, 1, { cache });
    for (const kv of cache.layers) {
      tf.keep(kv.k);
      tf.keep(kv.v);
    }
    return unembed(params, x);
  });
  for (const kv of old) {
    kv.k.dispose();
    kv.v.dispose();
  }
  cache.keyMask = newMask;
  cache.length = t + 1;
  cache.lastIds = tokenIds.slice();
  return logits;
}

/** Row ids [P*G] → p (b = p·G + j): which prefix each sequence of a grouped batch extends. */
function groupRows(P: number, G: number): Int32Array {
  return Int32Array.from({ length: P * G }, (_, b) => Math.floor(b / G));
}

/**
 * Repeats each of P rows G times along the batch axis of a [P*H, a, b] tensor → [P*G*H, a, b], as a row
 * lookup (one-hot product): WASM's Tile kernel takes 29 ms for this shape, the lookup well under 1 ms.
 */
export function repeatGroups(t: tf.Tensor3D, P: number, G: number, H: number): tf.Tensor3D {
  if (G === 1) return t;
  const [, a, b] = t.shape;
  return embedLookup(groupRows(P, G), t.reshape([P, H * a * b])).reshape([P * G * H, a, b]);
}

/**
 * Grouped forward for training and teacher passes: the P prefixes ([image | context]) are computed once and
 * shared by the G responses of each group (b = p·G + j), as a KV prefix — the same numbers as running every
 * sequence in full, with the prefix work divided by G. Gradients flow through the shared prefix.
 * `responses` holds [B*R] token ids (right-padded); returns logits [B,R,V] predicting response tokens 0..R-1.
 */
export function forwardGrouped(params: Params, cfg: ModelConfig, prefix: SeqBatch, nextPos: Int32Array, G: number, responses: Int32Array, R: number): tf.Tensor3D {
  const P = prefix.B;
  const B = P * G;
  const Tp = prefix.T;
  const d = cfg.dModel;
  const V = cfg.vocabSize;
  // 1. prefixes
  const pastLayers: LayerKV[] = [];
  let xp = embed(params, cfg, prefix);
  const pmask = causalPadMask(prefix, imageBlock(cfg));
  for (let l = 0; l < cfg.nLayers; l++) xp = block(params, cfg, l, xp, pmask, P, Tp, { record: pastLayers });
  const lastHidden = xp.reshape([P, Tp, d]).slice([0, Tp - 1, 0], [P, 1, d]).reshape([P, d]) as tf.Tensor2D;
  const first = embedLookup(groupRows(P, G), unembed(params, lastHidden)).reshape([B, 1, V]);
  if (R === 1) return first as tf.Tensor3D;
  // 2. responses (inputs: tokens 0..R-2, predicting tokens 1..R-1), attending to their group's prefix
  const Rq = R - 1;
  const ids = new Int32Array(B * Rq);
  const prev = new Int32Array(B * Rq);
  const pos = new Int32Array(B * Rq);
  const add = new Float32Array(B * Rq * (Tp + Rq));
  for (let b = 0; b < B; b++) {
    const pi = Math.floor(b / G);
    for (let t = 0; t < Rq; t++) {
      ids[b * Rq + t] = responses[b * R + t]!;
      prev[b * Rq + t] = t === 0 ? prefix.tokenIds[pi * Tp + Tp - 1]! : responses[b * R + t - 1]!;
      pos[b * Rq + t] = Math.min(nextPos[pi]! + t, cfg.maxPositions - 1);
      const row = (b * Rq + t) * (Tp + Rq);
      for (let j = 0; j < Tp; j++) add[row + j] = prefix.keyMask[pi * Tp + j]! > 0 ? 0 : NEG;
      for (let j = 0; j < Rq; j++) add[row + Tp + j] = j <= t ? 0 : NEG;
    }
  }
  const mask = tf.tensor4d(add, [B, 1, Rq, Tp + Rq]);
  const H = cfg.nHeads;
  let x = embedTokens(params, cfg, ids, pos, prev);
  for (let l = 0; l < cfg.nLayers; l++) {
    const past = { k: repeatGroups(pastLayers[l]!.k, P, G, H), v: repeatGroups(pastLayers[l]!.v, P, G, H) };
    x = block(params, cfg, l, x, mask, B, Rq, { past });
  }
  const rest = unembed(params, x).reshape([B, Rq, V]);
  return tf.concat([first, rest], 1) as tf.Tensor3D;
}

/** Expands a cache over P prefixes to P·G sequences (each prefix repeated G times, b = p·G + j). */
export function repeatCache(cache: KVCache, G: number, H: number): KVCache {
  if (G !== 1) cache.keepRows(Array.from(groupRows(cache.B, G)), H);
  return cache;
}
