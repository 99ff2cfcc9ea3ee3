// The policy: model config + parameters + tokenizer, with the two operations the rest of the engine
// needs — sampling responses for (image, context) inputs, and scoring given responses under a context
// (the student sees the question; the self-teacher sees privileged context + question).
import * as tf from '@tensorflow/tfjs';
import { decodeImage } from '../benchmarks/common/images.ts';
import type { EncodedImage } from '../benchmarks/common/types.ts';
import { loadCheckpoint, paramsFromWeights, saveCheckpoint, type SaveInput } from './checkpoint.ts';
import { join } from 'node:path';
import { DEFAULT_MODEL, type ModelConfig, numImageTokens, patchDim, validateModelConfig } from './model/config.ts';
import { compositeKernels, logSoftmaxComposite, tokenGatherComposite } from './model/composite.ts';
import { generate, type Generation, type SampleOptions } from './model/generate.ts';
import { layoutBatch, patchify, type SequenceInput, type LaidOutBatch } from './model/layout.ts';
import { disposeParams, initParams, type Params } from './model/params.ts';
import { forwardGrouped, forwardLogits } from './model/transformer.ts';
import { planChunks, type ChunkCost } from './model/chunks.ts';
import { Tokenizer } from './tokenizer.ts';
import type { Rng } from './util/rng.ts';
import { CheckpointError, ContextOverflowError, UsageError } from './util/errors.ts';

export interface PolicyInput {
  patches: Float32Array;
  /** Context ids: BOS … SEP. */
  context: number[];
}

export interface GroupedBatch {
  prefix: LaidOutBatch;
  G: number;
  B: number;
  R: number;
  /** [B*R] response token ids (PAD-padded). */
  targets: Int32Array;
  /** [B*R] 1 on response tokens. */
  responseMask: Float32Array;
}

export interface EncodedContext {
  ids: number[];
  /** Words the closed vocabulary could not encode (mapped to UNK); 0 on the mini language. */
  unknown: number;
  /** Tokens dropped from the left to fit the model's context window. */
  truncated: number;
}

export class Policy {
  constructor(
    readonly cfg: ModelConfig,
    readonly params: Params,
    readonly tokenizer: Tokenizer,
  ) {}

  static init(seed: number, overrides: Partial<ModelConfig> = {}, tokenizer = Tokenizer.default()): Policy {
    const cfg: ModelConfig = { ...DEFAULT_MODEL, vocabSize: tokenizer.vocabSize, ...overrides };
    validateModelConfig(cfg);
    return new Policy(cfg, initParams(cfg, seed), tokenizer);
  }

  static load(dir: string): { policy: Policy; info: Record<string, unknown> } {
    const ck = loadCheckpoint(dir);
    const metaFile = join(dir, 'checkpoint.json');
    let tokenizer: Tokenizer;
    try {
      tokenizer = Tokenizer.fromJSON(ck.meta.tokenizer);
    } catch (e) {
      throw new CheckpointError(`${metaFile}: field 'tokenizer': ${(e as Error).message}`);
    }
    if (tokenizer.vocabSize !== ck.meta.model.vocabSize)
      throw new CheckpointError(`${metaFile}: tokenizer has ${tokenizer.vocabSize} tokens but model.vocabSize is ${ck.meta.model.vocabSize}`);
    let params: Params;
    try {
      params = paramsFromWeights(ck.meta.model, ck.weights);
    } catch (e) {
      throw new CheckpointError(`${dir}: checkpoint.json's tensor list and weights.bin disagree (${(e as Error).message})`);
    }
    return { policy: new Policy(ck.meta.model, params, tokenizer), info: ck.meta.info };
  }

  save(dir: string, info: Record<string, unknown>, trainer?: SaveInput['trainer'], extras?: SaveInput['extras']): void {
    saveCheckpoint(dir, { model: this.cfg, tokenizer: this.tokenizer.toJSON(), params: this.params, info, ...(trainer ? { trainer } : {}), ...(extras ? { extras } : {}) });
  }

  dispose(): void {
    disposeParams(this.params);
  }

  get imageTokens(): number {
    return numImageTokens(this.cfg);
  }

  /** Positions left for a prompt's text when `reserve` are kept for the response (BOS and SEP take two). */
  promptBudget(reserve: number): number {
    return this.cfg.maxPositions - this.imageTokens - reserve - 2;
  }

  /** Refuses a response length that leaves a prompt no room, naming the flag that set it. */
  assertResponseFits(reserve: number, flag = '--max-new-tokens'): void {
    if (this.promptBudget(reserve) < 1)
      throw new UsageError(`${flag} ${reserve} leaves no room for a prompt: the model has ${this.cfg.maxPositions} positions, ${this.imageTokens} of them image tokens (at most ${this.promptBudget(0) - 1})`);
  }

  /**
   * [BOS] text [SEP]. Strict by default (the mini language must encode exactly); lenient maps unknown words
   * to UNK and keeps the rightmost tokens that fit, leaving `reserve` positions for the response.
   */
  encodeContext(text: string, opts: { lenient?: boolean; reserve?: number } = {}): EncodedContext {
    const body = this.tokenizer.encode(text, { lenient: opts.lenient ?? false });
    const unknown = opts.lenient ? body.filter((t) => t === this.tokenizer.unk).length : 0;
    const budget = this.promptBudget(opts.reserve ?? 0);
    const truncated = Math.max(0, body.length - budget);
    if (truncated > 0 && !opts.lenient)
      throw new ContextOverflowError(`context of ${body.length} tokens exceeds the model's budget of ${budget} (text: '${text.slice(0, 60)}…')`);
    return { ids: [this.tokenizer.bos, ...body.slice(truncated), this.tokenizer.sep], unknown, truncated };
  }

  /** Pixels for the policy: the first image resized to the model's size (a blank image when there is none). */
  async patches(images: readonly EncodedImage[], label = 'image'): Promise<Float32Array> {
    const size = this.cfg.imageSize;
    if (images.length === 0) return new Float32Array(numImageTokens(this.cfg) * patchDim(this.cfg));
    const img = await decodeImage(images[0]!, { width: size, height: size }, label);
    return patchify(img.data, size, this.cfg.patchSize);
  }

  /** Samples `groupSize` responses per input (response p·groupSize + j answers input p). */
  sample(inputs: readonly PolicyInput[], opts: Omit<SampleOptions, 'eosId' | 'padId'>, groupSize = 1): Generation {
    return generate(this.params, this.cfg, inputs, { ...opts, eosId: this.tokenizer.eos, padId: this.tokenizer.pad }, groupSize);
  }

  /** Lays out P prefixes shared by G responses each (responses[p·G + j] answers prefix p). */
  groupedBatch(prefixes: readonly PolicyInput[], G: number, responses: readonly (readonly number[])[]): GroupedBatch {
    const B = prefixes.length * G;
    if (responses.length !== B) throw new Error(`groupedBatch: ${responses.length} responses for ${prefixes.length} prefixes × ${G}`);
    const R = Math.max(1, ...responses.map((r) => r.length));
    const targets = new Int32Array(B * R).fill(this.tokenizer.pad);
    const responseMask = new Float32Array(B * R);
    responses.forEach((r, b) => {
      targets.set(r, b * R);
      responseMask.fill(1, b * R, b * R + r.length);
    });
    for (const pfx of prefixes)
      if (this.imageTokens + pfx.context.length + R > this.cfg.maxPositions)
        throw new Error(`a sequence of ${this.imageTokens + pfx.context.length + R} positions exceeds the model's maxPositions ${this.cfg.maxPositions}`);
    return { prefix: layoutBatch(this.cfg, prefixes, this.tokenizer.pad), G, B, R, targets, responseMask };
  }

  /** Logits [B,R,V] of a grouped batch under `params` (defaults to this policy's). */
  groupedLogits(gb: GroupedBatch, params: Params = this.params): tf.Tensor3D {
    return forwardGrouped(params, this.cfg, gb.prefix.batch, gb.prefix.nextPos, gb.G, gb.targets, gb.R);
  }

  /**
   * Log-probs of given responses (and their full temperature-scaled logits when `full`) under P prefixes
   * shared by G responses each, without gradient — the self-teacher's and the KL reference's pass. Groups of
   * similar lengths are scored together (model/chunks.ts) to spend less on padding; the numbers are those of
   * one batch up to float rounding. Returns one array per response, as long as the response ([n·V] for logits).
   */
  scoreGrouped(
    prefixes: readonly PolicyInput[],
    G: number,
    responses: readonly (readonly number[])[],
    opts: { params?: Params; temperature: number; full: boolean; cost?: ChunkCost },
  ): { logProbs: Float32Array[]; logits: Float32Array[] | null } {
    if (responses.length !== prefixes.length * G) throw new Error(`scoreGrouped: ${responses.length} responses for ${prefixes.length} prefixes × ${G}`);
    const V = this.cfg.vocabSize;
    const logProbs: Float32Array[] = new Array(responses.length);
    const logits: Float32Array[] | null = opts.full ? new Array(responses.length) : null;
    const shapes = prefixes.map((pfx, g) => ({
      prefixLen: this.imageTokens + pfx.context.length,
      responseLen: Math.max(1, ...responses.slice(g * G, (g + 1) * G).map((r) => r.length)),
      size: G,
    }));
    for (const chunk of planChunks(shapes, opts.cost)) {
      const rows = chunk.flatMap((g) => Array.from({ length: G }, (_, j) => g * G + j));
      const gb = this.groupedBatch(chunk.map((g) => prefixes[g]!), G, rows.map((b) => responses[b]!));
      tf.tidy(() => {
        const scaled = atTemperature(this.groupedLogits(gb, opts.params ?? this.params), opts.temperature);
        const lp = tokenLogProbs(scaled, gb.targets).tokenLogp.dataSync() as Float32Array;
        const full = opts.full ? (scaled.dataSync() as Float32Array) : null;
        rows.forEach((b, k) => {
          const n = responses[b]!.length;
          logProbs[b] = lp.slice(k * gb.R, k * gb.R + n);
          if (logits && full) logits[b] = full.slice(k * gb.R * V, (k * gb.R + n) * V);
        });
      });
    }
    return { logProbs, logits };
  }

  /** Greedy or sampled generation in chunks, decoded to text. */
  generateText(inputs: readonly PolicyInput[], opts: { maxNewTokens: number; greedy: boolean; temperature: number; topP: number; rng: Rng; rngs?: readonly Rng[]; batchSize?: number }): string[] {
    const out: string[] = [];
    const bs = opts.batchSize ?? 128;
    for (let i = 0; i < inputs.length; i += bs) {
      const { rngs, ...rest } = opts;
      const g = this.sample(inputs.slice(i, i + bs), rngs ? { ...rest, rngs: rngs.slice(i, i + bs) } : rest);
      for (const r of g.responses) out.push(this.tokenizer.decode(r));
    }
    return out;
  }

  layout(seqs: readonly SequenceInput[]): LaidOutBatch {
    return layoutBatch(this.cfg, seqs, this.tokenizer.pad);
  }

  /** Logits [B,R,V] over the response window of a laid-out batch under `params` (defaults to this policy's). */
  responseLogits(laid: LaidOutBatch, params: Params = this.params): tf.Tensor3D {
    return forwardLogits(params, this.cfg, laid.batch, laid.responseStart - 1, laid.responseLen);
  }
}

/** Logits at the rollout temperature: student, teacher and reference log-probs all use the same scaling (as veRL). */
export function atTemperature(logits: tf.Tensor3D, temperature: number): tf.Tensor3D {
  return temperature !== 1 ? (logits.div(temperature) as tf.Tensor3D) : logits;
}

/** log-softmax of logits and the log-probs of the target tokens: ([B,R,V], [B,R]). */
export function tokenLogProbs(logits: tf.Tensor3D, targets: Int32Array): { logp: tf.Tensor3D; tokenLogp: tf.Tensor2D } {
  const [B, R, V] = logits.shape;
  if (compositeKernels()) {
    // On WASM: the same floats and gradients as below, in two engine kernels (model/composite.ts).
    const logp = logSoftmaxComposite(logits);
    return { logp, tokenLogp: tokenGatherComposite(logp, targets) as tf.Tensor2D };
  }
  const logp = tf.logSoftmax(logits) as tf.Tensor3D;
  const oneHot = tf.oneHot(tf.tensor1d(targets, 'int32'), V).reshape([B, R, V]);
  return { logp, tokenLogp: logp.mul(oneHot).sum(-1) as tf.Tensor2D };
}
