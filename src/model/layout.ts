// Lays out [image tokens | left-padded context | right-padded response] so that every sequence's response
// starts on the same column: the response window is then one slice for the whole batch.
import { type ModelConfig, numImageTokens, patchDim } from './config.ts';
import type { SeqBatch } from './transformer.ts';

export interface SequenceInput {
  /** [nImg*patchDim] patches in [0,1] (see patchify). */
  patches: Float32Array;
  /** Context token ids, starting with BOS and ending with SEP. */
  context: ArrayLike<number>;
  /** Response token ids (may be empty for generation). */
  response?: ArrayLike<number>;
}

export interface LaidOutBatch {
  batch: SeqBatch;
  /** Column of the first response token. */
  responseStart: number;
  /** Padded response length R. */
  responseLen: number;
  /** [B*R] response token ids (PAD beyond each response). */
  targets: Int32Array;
  /** [B*R] 1 on response tokens. */
  responseMask: Float32Array;
  /** Per sequence: next position id after the context (for decoding). */
  nextPos: Int32Array;
}

/** RGB bytes [S,S,3] → patches [nImg, P*P*3] in [0,1], row-major over patches, then (y, x, c) inside a patch. */
export function patchify(rgb: Uint8Array, size: number, patch: number): Float32Array {
  if (rgb.length !== size * size * 3) throw new Error(`patchify: expected ${size}×${size}×3 bytes, got ${rgb.length}`);
  const n = size / patch;
  const out = new Float32Array(n * n * patch * patch * 3);
  let o = 0;
  for (let py = 0; py < n; py++)
    for (let px = 0; px < n; px++)
      for (let y = 0; y < patch; y++) {
        const row = ((py * patch + y) * size + px * patch) * 3;
        for (let i = 0; i < patch * 3; i++) out[o++] = rgb[row + i]! / 255;
      }
  return out;
}

export function layoutBatch(cfg: ModelConfig, seqs: readonly SequenceInput[], padId: number): LaidOutBatch {
  const B = seqs.length;
  const nImg = numImageTokens(cfg);
  const pd = patchDim(cfg);
  let C = 0;
  let R = 0;
  for (const s of seqs) {
    C = Math.max(C, s.context.length);
    R = Math.max(R, s.response?.length ?? 0);
  }
  const T = nImg + C + R;
  for (const s of seqs) {
    const used = nImg + s.context.length + (s.response?.length ?? 0);
    if (used > cfg.maxPositions) throw new Error(`a sequence of ${used} positions exceeds the model's maxPositions ${cfg.maxPositions}`);
  }
  const tokenIds = new Int32Array(B * T).fill(padId);
  const posIds = new Int32Array(B * T);
  const keyMask = new Float32Array(B * T);
  const patches = new Float32Array(B * nImg * pd);
  const targets = new Int32Array(B * R).fill(padId);
  const responseMask = new Float32Array(B * R);
  const nextPos = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const s = seqs[b]!;
    if (s.patches.length !== nImg * pd) throw new Error(`layoutBatch: sequence ${b} has ${s.patches.length} patch values, expected ${nImg * pd}`);
    patches.set(s.patches, b * nImg * pd);
    const row = b * T;
    for (let i = 0; i < nImg; i++) {
      posIds[row + i] = i;
      keyMask[row + i] = 1;
    }
    let pos = nImg;
    const ctxStart = nImg + C - s.context.length;
    for (let i = 0; i < s.context.length; i++) {
      tokenIds[row + ctxStart + i] = s.context[i]!;
      posIds[row + ctxStart + i] = pos++;
      keyMask[row + ctxStart + i] = 1;
    }
    nextPos[b] = pos;
    const resp = s.response ?? [];
    for (let i = 0; i < resp.length; i++) {
      tokenIds[row + nImg + C + i] = resp[i]!;
      posIds[row + nImg + C + i] = pos++;
      keyMask[row + nImg + C + i] = 1;
      targets[b * R + i] = resp[i]!;
      responseMask[b * R + i] = 1;
    }
  }
  return { batch: { B, T, tokenIds, posIds, keyMask, patches }, responseStart: nImg + C, responseLen: R, targets, responseMask, nextPos };
}
