// Policy parameters: a flat, ordered map of named tf.Variables, initialised deterministically from a
// seed with our own PRNG (identical on every backend).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.ts';
import { type ModelConfig, patchDim } from './config.ts';

export type Params = Map<string, tf.Variable>;

export interface ParamSpec {
  name: string;
  shape: number[];
  init: 'normal' | 'zeros' | 'ones';
  std?: number;
}

export function paramSpecs(cfg: ModelConfig): ParamSpec[] {
  const d = cfg.dModel;
  const h = d * cfg.mlpRatio;
  const std = cfg.initStd ?? 0.02;
  const residStd = std / Math.sqrt(2 * cfg.nLayers);
  const specs: ParamSpec[] = [
    { name: 'tok_emb', shape: [cfg.vocabSize, d], init: 'normal', std },
    { name: 'pos_emb', shape: [cfg.maxPositions, d], init: 'normal', std: std / 2 },
  ];
  const ph = cfg.patchHidden ?? 0;
  if (ph > 0) specs.push({ name: 'patch_hidden_w', shape: [patchDim(cfg), ph], init: 'normal', std }, { name: 'patch_hidden_b', shape: [ph], init: 'zeros' });
  specs.push({ name: 'patch_w', shape: [ph > 0 ? ph : patchDim(cfg), d], init: 'normal', std }, { name: 'patch_b', shape: [d], init: 'zeros' });
  for (let l = 0; l < cfg.nLayers; l++) {
    specs.push(
      { name: `l${l}.ln1_g`, shape: [d], init: 'ones' },
      { name: `l${l}.ln1_b`, shape: [d], init: 'zeros' },
      { name: `l${l}.qkv_w`, shape: [d, 3 * d], init: 'normal', std },
      { name: `l${l}.qkv_b`, shape: [3 * d], init: 'zeros' },
      { name: `l${l}.out_w`, shape: [d, d], init: 'normal', std: residStd },
      { name: `l${l}.out_b`, shape: [d], init: 'zeros' },
      { name: `l${l}.ln2_g`, shape: [d], init: 'ones' },
      { name: `l${l}.ln2_b`, shape: [d], init: 'zeros' },
      { name: `l${l}.fc_w`, shape: [d, h], init: 'normal', std },
      { name: `l${l}.fc_b`, shape: [h], init: 'zeros' },
      { name: `l${l}.proj_w`, shape: [h, d], init: 'normal', std: residStd },
      { name: `l${l}.proj_b`, shape: [d], init: 'zeros' },
    );
  }
  specs.push({ name: 'lnf_g', shape: [d], init: 'ones' }, { name: 'lnf_b', shape: [d], init: 'zeros' });
  // Last, so every other parameter draws the same initial values with or without it.
  if (cfg.prevTokenEmbedding) specs.push({ name: 'prev_emb', shape: [cfg.vocabSize, d], init: 'normal', std });
  return specs;
}

function normalArray(n: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box–Muller from two uniforms in (0,1].
    const u1 = 1 - rng.next();
    const u2 = rng.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2) * std;
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2) * std;
  }
  return out;
}

let variableCount = 0;

/**
 * A variable holding `init`'s values; `init` itself is disposed (tf.variable shares its data and would
 * otherwise leave the initial tensor counted in tf.memory()). Names get a process-wide counter suffix
 * because tfjs variable names must be unique.
 */
export function newVariable(init: tf.Tensor, trainable: boolean, name: string): tf.Variable {
  const v = tf.variable(init, trainable, `${name}_${variableCount++}`);
  init.dispose();
  return v;
}

export function initParams(cfg: ModelConfig, seed: number): Params {
  const rng = new Rng(seed);
  const params: Params = new Map();
  for (const s of paramSpecs(cfg)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const values =
      s.init === 'normal' ? normalArray(n, s.std ?? 0.02, rng) : s.init === 'ones' ? new Float32Array(n).fill(1) : new Float32Array(n);
    params.set(s.name, newVariable(tf.tensor(values, s.shape), true, s.name));
  }
  return params;
}

export function countParams(params: Params): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

/** A frozen, non-trainable copy (the self-teacher and the reference policy). */
export function cloneParams(params: Params, trainable = false): Params {
  const out: Params = new Map();
  for (const [k, v] of params) out.set(k, newVariable(v.clone(), trainable, `${k}_copy`));
  return out;
}

/** Copies values from `src` into existing variables of `dst` (teacher re-sync). */
export function assignParams(dst: Params, src: Params): void {
  for (const [k, v] of src) {
    const d = dst.get(k);
    if (!d) throw new Error(`assignParams: missing parameter ${k}`);
    d.assign(v);
  }
}

export function disposeParams(params: Params): void {
  for (const v of params.values()) v.dispose();
}
