// Adam with linear warm-up and global-norm gradient clipping, written out so that its whole state
// (moments and step) is saved in checkpoints and a resumed run continues bit-for-bit.
import * as tf from '@tensorflow/tfjs';
import { compositeKernels, gradientNormComposite } from './model/composite.ts';
import { newVariable, type Params } from './model/params.ts';
import type { WasmBackend } from './wasm-kernels.ts';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  warmupSteps: number;
  /** Global gradient-norm clip; 0 disables. */
  gradClip: number;
  /** After warm-up: constant, or cosine decay to 10 % of lr at `totalSteps`. */
  schedule?: 'constant' | 'cosine';
  totalSteps?: number;
}

export const DEFAULT_ADAM: AdamConfig = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, warmupSteps: 10, gradClip: 1.0 };

export class Adam {
  /** On WASM, one pass per parameter (`fusedAdamWasm`) rather than tfjs's element-wise kernels; the same floats. */
  static fusedOnWasm = true;
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(
    readonly params: Params,
    readonly cfg: AdamConfig,
  ) {
    for (const [k, p] of params) {
      this.m.set(k, newVariable(tf.zerosLike(p), false, `adam_m_${k}`));
      this.v.set(k, newVariable(tf.zerosLike(p), false, `adam_v_${k}`));
    }
  }

  lrAt(step: number): number {
    const { lr, warmupSteps: w, schedule, totalSteps } = this.cfg;
    if (w > 0 && step < w) return (lr * (step + 1)) / w;
    if (schedule === 'cosine' && totalSteps && totalSteps > w) {
      const progress = Math.min(1, (step - w) / (totalSteps - w));
      return lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
    return lr;
  }

  /**
   * Applies one update; returns the pre-clip global gradient norm. Disposes nothing it does not own. The learning
   * rate is the schedule's at `scheduleStep` (the training step, when a step makes several updates); bias
   * correction counts updates.
   */
  apply(grads: Record<string, tf.Tensor>, scheduleStep = this.step): number {
    const { beta1, beta2, eps, weightDecay, gradClip } = this.cfg;
    const lr = this.lrAt(scheduleStep);
    const t = this.step + 1;
    const norm = compositeKernels()
      ? gradientNormComposite(Object.values(grads))
      : tf.tidy(() => {
          const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)));
          return tf.sqrt(tf.addN(sq)).dataSync()[0]!;
        });
    if (!Number.isFinite(norm)) return norm; // caller stops the run; no update applied
    const scale = gradClip > 0 && norm > gradClip ? gradClip / (norm + 1e-6) : 1;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    const wasm = Adam.fusedOnWasm && Object.values(grads).every((g) => g.dtype === 'float32') ? wasmHeap() : null;
    if (wasm) {
      for (const [k, p] of this.params) {
        const g = grads[k];
        if (g) fusedAdamWasm(wasm, p, this.m.get(k)!, this.v.get(k)!, g, { scale, beta1, beta2, bc1, bc2, eps, weightDecay, lr });
      }
      this.step++;
      return norm;
    }
    tf.tidy(() => {
      for (const [k, p] of this.params) {
        const g0 = grads[k];
        if (!g0) continue;
        const g = scale === 1 ? g0 : g0.mul(scale);
        const m = this.m.get(k)!;
        const v = this.v.get(k)!;
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        let update = m.div(bc1).div(v.div(bc2).sqrt().add(eps));
        if (weightDecay > 0) update = update.add(p.mul(weightDecay));
        p.assign(p.sub(update.mul(lr)));
      }
    });
    this.step++;
    return norm;
  }

  state(): { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> } {
    const dump = (src: Map<string, tf.Variable>): Map<string, Float32Array> => new Map([...src].map(([k, x]) => [k, x.dataSync() as Float32Array]));
    return { step: this.step, m: dump(this.m), v: dump(this.v) };
  }

  load(state: { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> }): void {
    this.step = state.step;
    for (const [dst, src] of [
      [this.m, state.m],
      [this.v, state.v],
    ] as const) {
      for (const [k, x] of dst) {
        const vals = src.get(k);
        if (!vals) throw new Error(`optimizer state lacks '${k}'`);
        tf.tidy(() => x.assign(tf.tensor(vals, x.shape)));
      }
    }
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}

/** The wasm backend, when it is the one running (its tensors live in one Float32Array heap). */
function wasmHeap(): WasmBackend | null {
  return tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackend) : null;
}

interface AdamStep {
  scale: number;
  beta1: number;
  beta2: number;
  bc1: number;
  bc2: number;
  eps: number;
  weightDecay: number;
  lr: number;
}

/**
 * One parameter's Adam update in a single pass over WASM memory, instead of the dozen element-wise kernels of the tfjs
 * version (`apply`'s other branch), with the same floats: each operation of that version is one float32 operation
 * here, in the same order, with the same float32 constants (`Math.fround` after each step: +, −, ×, ÷ and √ rounded
 * from doubles give the correctly rounded float32 result). New tensors for p, m and v, as `assign` expects: another
 * tensor may share the old data.
 */
function fusedAdamWasm(backend: WasmBackend, p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, s: AdamStep): void {
  const f = Math.fround;
  const [scale, b1, b1c, b2, b2c, bc1, bc2, eps, wd, lr] = [f(s.scale), f(s.beta1), f(1 - s.beta1), f(s.beta2), f(1 - s.beta2), f(s.bc1), f(s.bc2), f(s.eps), f(s.weightDecay), f(s.lr)];
  const n = p.size;
  const outs = [p, m, v].map(() => backend.makeOutput(p.shape.slice(), 'float32'));
  const heap = backend.wasm.HEAPF32; // after the allocations, which may grow the memory
  const at = (t: { dataId: object }): number => backend.getMemoryOffset(t.dataId) / 4;
  const [gi, pi, mi, vi] = [at(g), at(p), at(m), at(v)];
  const [po, mo, vo] = outs.map(at) as [number, number, number];
  for (let i = 0; i < n; i++) {
    const gRaw = heap[gi + i]!;
    const gr = s.scale === 1 ? gRaw : f(gRaw * scale);
    const mNew = f(f(heap[mi + i]! * b1) + f(gr * b1c));
    const vNew = f(f(heap[vi + i]! * b2) + f(f(gr * gr) * b2c));
    let update = f(f(mNew / bc1) / f(f(Math.sqrt(f(vNew / bc2))) + eps));
    const pOld = heap[pi + i]!;
    if (s.weightDecay > 0) update = f(update + f(pOld * wd));
    heap[po + i] = f(pOld - f(update * lr));
    heap[mo + i] = mNew;
    heap[vo + i] = vNew;
  }
  const engine = tf.engine();
  [p, m, v].forEach((variable, j) => {
    const fresh = engine.makeTensorFromTensorInfo(outs[j]!);
    variable.assign(fresh);
    fresh.dispose();
  });
}
