// Checkpoints: a directory with `checkpoint.json` (model config, tokenizer, metadata, tensor manifest) and
// `weights.bin` (float32, little-endian, concatenated in manifest order). Training checkpoints add
// `trainer.bin` (optimizer moments) and the trainer state in the JSON. Written to a temporary directory and
// renamed, so a crash never leaves a half-written checkpoint.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type ModelConfig, validateModelConfig } from './model/config.ts';
import { ensureDir, mapWriteError } from './util/fs.ts';
import { disposeParams, newVariable, paramSpecs, type Params } from './model/params.ts';
import { CheckpointError } from './util/errors.ts';
import { MINI_SUITES, type MiniSuite } from '../benchmarks/mini/types.ts';

export const CHECKPOINT_FORMAT = 'rlsd-bench-checkpoint/1';

/** The hex sha256 of a checkpoint's weights.bin: which weights it holds, whatever its path or metadata say. */
export function weightsSha256(dir: string): string {
  try {
    return createHash('sha256').update(readFileSync(join(dir, 'weights.bin'))).digest('hex');
  } catch (e) {
    throw new CheckpointError(`${join(dir, 'weights.bin')}: cannot read (${(e as Error).message.split('\n')[0]})`);
  }
}
/**
 * The mini suite a checkpoint's policy was trained on, from its metadata: a training checkpoint's `suite`, a base's
 * pretrain config; checkpoints written before suites had versions are the first suite's.
 */
export function checkpointSuite(info: Record<string, unknown>): MiniSuite {
  const config = info['config'] && typeof info['config'] === 'object' ? (info['config'] as Record<string, unknown>) : {};
  const named = info['suite'] ?? config['suite'];
  return MINI_SUITES.includes(named as MiniSuite) ? (named as MiniSuite) : 'mini-1';
}

const CHECKPOINT_FILES = new Set(['checkpoint.json', 'weights.bin', 'trainer.bin']);

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number; // in floats
}

export interface CheckpointMeta {
  format: string;
  model: ModelConfig;
  tokenizer: unknown;
  tensors: TensorEntry[];
  /** Free-form provenance: command, seed, backend, versions, commit, step, metrics. */
  info: Record<string, unknown>;
  /** Present in training checkpoints: everything needed to resume exactly. */
  trainer?: { tensors: TensorEntry[]; state: unknown };
}

function pack(entries: [string, Float32Array, number[]][]): { manifest: TensorEntry[]; bytes: Buffer } {
  let total = 0;
  const manifest: TensorEntry[] = entries.map(([name, v, shape]) => {
    const e = { name, shape, offset: total };
    total += v.length;
    return e;
  });
  const all = new Float32Array(total);
  entries.forEach(([, v], i) => all.set(v, manifest[i]!.offset));
  return { manifest, bytes: Buffer.from(all.buffer, all.byteOffset, all.byteLength) };
}

function unpack(file: string, bytes: Buffer, manifest: TensorEntry[]): Map<string, Float32Array> {
  if (bytes.byteLength % 4 !== 0) throw new CheckpointError(`${file}: size ${bytes.byteLength} is not a multiple of 4 bytes`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out = new Map<string, Float32Array>();
  for (const e of manifest) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + n > all.length) throw new CheckpointError(`${file}: truncated (tensor '${e.name}' needs floats up to ${e.offset + n}, file has ${all.length})`);
    out.set(e.name, all.subarray(e.offset, e.offset + n));
  }
  return out;
}

export interface SaveInput {
  model: ModelConfig;
  tokenizer: unknown;
  params: Params;
  info: Record<string, unknown>;
  trainer?: { tensors: Map<string, Float32Array>; shapes: Map<string, number[]>; state: unknown };
  /**
   * Files that belong with these weights (a base's pretrain.json and metrics), swapped in with them in the same
   * rename: given as text, or moved from a path. They replace kept files of the same name.
   */
  extras?: { name: string; text?: string; moveFrom?: string }[];
}

export function saveCheckpoint(dir: string, input: SaveInput): void {
  for (const extra of input.extras ?? []) {
    if (!/^[^/\\]+$/.test(extra.name) || extra.name === '.' || extra.name === '..') throw new Error(`saveCheckpoint: extra file name '${extra.name}' is not a plain file name`);
    if (CHECKPOINT_FILES.has(extra.name)) throw new Error(`saveCheckpoint: extra file '${extra.name}' would replace part of the checkpoint`);
  }
  const weights = pack([...input.params].map(([k, v]) => [k, v.dataSync() as Float32Array, v.shape]));
  const meta: CheckpointMeta = { format: CHECKPOINT_FORMAT, model: input.model, tokenizer: input.tokenizer, tensors: weights.manifest, info: input.info };
  let trainerBytes: Buffer | null = null;
  if (input.trainer) {
    const t = pack([...input.trainer.tensors].map(([k, v]) => [k, v, input.trainer!.shapes.get(k) ?? [v.length]]));
    meta.trainer = { tensors: t.manifest, state: input.trainer.state };
    trainerBytes = t.bytes;
  }
  ensureDir(dirname(dir));
  const tmp = join(dirname(dir), `.${basename(dir)}.${process.pid}.tmp`);
  const old = join(dirname(dir), `.${basename(dir)}.${process.pid}.old`);
  // Leftovers of a crashed save by an earlier process with the same pid would block the renames.
  rmSync(tmp, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
  mapWriteError(dirname(dir), basename(dir), () => mkdirSync(tmp));
  const keptMoved: string[] = [];
  const extrasMoved: { name: string; from: string }[] = [];
  try {
    writeFileSync(join(tmp, 'weights.bin'), weights.bytes);
    if (trainerBytes) writeFileSync(join(tmp, 'trainer.bin'), trainerBytes);
    writeFileSync(join(tmp, 'checkpoint.json'), JSON.stringify(meta, null, 1) + '\n');
    for (const extra of input.extras ?? []) {
      if (extra.moveFrom !== undefined) {
        renameSync(extra.moveFrom, join(tmp, extra.name));
        extrasMoved.push({ name: extra.name, from: extra.moveFrom });
      } else writeFileSync(join(tmp, extra.name), extra.text ?? '');
    }
    if (existsSync(dir)) {
      // Keep files that are not part of the checkpoint (logs a run writes beside it).
      for (const name of readdirSync(dir))
        if (!CHECKPOINT_FILES.has(name) && !existsSync(join(tmp, name))) {
          renameSync(join(dir, name), join(tmp, name));
          keptMoved.push(name);
        }
      renameSync(dir, old);
    }
    renameSync(tmp, dir);
  } catch (e) {
    // Put back what was moved, so a failed save leaves the checkpoint and the caller's files as they were.
    if (!existsSync(dir) && existsSync(old)) renameSync(old, dir);
    for (const name of keptMoved) if (existsSync(join(tmp, name))) renameSync(join(tmp, name), join(dir, name));
    for (const x of extrasMoved) if (existsSync(join(tmp, x.name))) renameSync(join(tmp, x.name), x.from);
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  weights: Map<string, Float32Array>;
  trainer?: Map<string, Float32Array>;
}

/** A tensor manifest: names with shapes and offsets of non-negative integers (else unpack would read nonsense). */
function validManifest(list: unknown): list is TensorEntry[] {
  const nat = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
  return (
    Array.isArray(list) &&
    list.every((t: Partial<TensorEntry> | null) => typeof t?.name === 'string' && Array.isArray(t.shape) && t.shape.every(nat) && nat(t.offset))
  );
}

/**
 * A checkpoint's metadata, checked (format, fields, model, tensor list, the weights file present) without reading
 * the weights: commands call it before starting a backend, so a wrong path is the first thing they print.
 */
export function checkCheckpoint(dir: string): CheckpointMeta {
  const metaFile = join(dir, 'checkpoint.json');
  if (!existsSync(metaFile)) throw new CheckpointError(`${metaFile}: checkpoint not found`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CheckpointMeta;
  } catch (e) {
    throw new CheckpointError(`${metaFile}: corrupt checkpoint metadata (${(e as Error).message})`);
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new CheckpointError(`${metaFile}: corrupt checkpoint metadata (not a JSON object)`);
  if (meta.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${metaFile}: unknown format '${String(meta.format)}' (expected ${CHECKPOINT_FORMAT})`);
  for (const field of ['model', 'tokenizer', 'tensors'] as const)
    if (meta[field] == null) throw new CheckpointError(`${metaFile}: missing field '${field}'`);
  if (!validManifest(meta.tensors)) throw new CheckpointError(`${metaFile}: field 'tensors' must be a list of {name, shape, offset}`);
  if (meta.trainer != null && (typeof meta.trainer !== 'object' || !validManifest(meta.trainer.tensors)))
    throw new CheckpointError(`${metaFile}: field 'trainer.tensors' must be a list of {name, shape, offset}`);
  try {
    validateModelConfig(meta.model);
  } catch (e) {
    throw new CheckpointError(`${metaFile}: ${(e as Error).message}`);
  }
  const expected = paramSpecs(meta.model);
  const names = new Set(meta.tensors.map((t) => t.name));
  for (const s of expected) if (!names.has(s.name)) throw new CheckpointError(`${metaFile}: missing tensor '${s.name}'`);
  const wFile = join(dir, 'weights.bin');
  if (!existsSync(wFile)) throw new CheckpointError(`${wFile}: weights file not found`);
  return meta;
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const meta = checkCheckpoint(dir);
  const wFile = join(dir, 'weights.bin');
  const weights = unpack(wFile, readFileSync(wFile), meta.tensors);
  for (const [k, v] of weights) if (v.some((x) => !Number.isFinite(x))) throw new CheckpointError(`${wFile}: tensor '${k}' holds NaN or infinite values`);
  const out: LoadedCheckpoint = { meta, weights };
  if (meta.trainer) {
    const tFile = join(dir, 'trainer.bin');
    if (!existsSync(tFile)) throw new CheckpointError(`${tFile}: trainer state file not found`);
    out.trainer = unpack(tFile, readFileSync(tFile), meta.trainer.tensors);
  }
  return out;
}

/** Creates trainable variables from loaded weights, in the order of paramSpecs. */
export function paramsFromWeights(cfg: ModelConfig, weights: Map<string, Float32Array>): Params {
  const params: Params = new Map();
  try {
    for (const s of paramSpecs(cfg)) {
      const v = weights.get(s.name);
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (!v) throw new CheckpointError(`no tensor '${s.name}' (shape [${s.shape}])`);
      if (v.length !== n) throw new CheckpointError(`tensor '${s.name}' has ${v.length} values, expected ${n} for shape [${s.shape}]`);
      params.set(s.name, newVariable(tf.tensor(v, s.shape), true, s.name));
    }
  } catch (e) {
    // A failed load leaves no variables behind (a caller may go on, e.g. a sweep skipping a bad checkpoint).
    disposeParams(params);
    throw e;
  }
  return params;
}
