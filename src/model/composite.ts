// The model's larger ops — layer norm, a dense layer (with its residual), the attention heads' split and the attention
// itself — as one engine kernel each on WASM, forward and backward. Each calls the very WASM kernels, with the same
// inputs in the same order, that the tfjs composition (transformer.ts, ops.ts) runs through the engine one by one,
// so the floats are the same bits; what goes is the engine's work around each of those calls (tensor bookkeeping,
// scopes, the tape, saved clones), which is most of the time of a small kernel. An update step at the bench's shape
// made 2,416 engine kernel calls.
//
// The backward kernels repeat tfjs's gradient functions step by step (tfjs-core 4.22, gradients/*_grad.ts), including
// the order in which a tensor read twice sums its two gradients. Where such a tensor is the op's own input (layer
// norm reads x three times), the kernel takes it as three inputs, so that the engine adds the three gradients in
// the order it added them before. The tests compare every op against the composition bit for bit.
//
// Other backends keep the composition: these run where `compositeKernels()` says so.
import * as tf from '@tensorflow/tfjs';
import { activeMatmulKernel } from './blas.ts';
import { EXP_TABLE_WORDS, expKernel } from './exp-kernel.ts';
import { activeAttentionKernel, convolves } from './ops.ts';
import { type RowKernels, rowKernels } from './row-kernels.ts';
import { type Operand, stridedProduct, stridedProductChunked, stridedProductFromBias, type StridedProducts, stridedProducts } from './strided-product.ts';

export type Info = tf.TensorInfo;
export type Inputs = Record<string, Info>;
export type Attrs = Record<string, unknown>;

/** What a composite kernel uses of a backend: tfjs's KernelBackend, reference-counted data; on WASM, its heap. */
interface CountedBackend {
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
  write(values: Float32Array | Int32Array, shape: number[], dtype: tf.DataType): object;
  wasm?: { HEAPF32: Float32Array; asm?: { memory?: object }; wasmMemory?: object };
  getMemoryOffset?(dataId: object): number;
}

/**
 * Backend kernels called directly, inside one engine kernel. Everything they return is freed when the engine kernel
 * ends, but what it hands back (`output`).
 */
export class Kernels {
  private readonly temps: Info[] = [];
  constructor(
    private readonly backend: CountedBackend,
    private readonly backendName: string,
  ) {}

  private call(name: string, inputs: Inputs, attrs: Attrs): Info | Info[] {
    const kernel = tf.getKernel(name, this.backendName);
    if (!kernel) throw new Error(`no ${name} kernel on backend '${this.backendName}'`);
    return kernel.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: this.backend as unknown as tf.KernelBackend }) as Info | Info[];
  }

  run(name: string, inputs: Inputs, attrs: Attrs = {}): Info {
    const out = this.call(name, inputs, attrs);
    if (Array.isArray(out)) throw new Error(`${name} returned ${out.length} tensors where one was expected`);
    this.temps.push(out);
    return out;
  }

  runAll(name: string, inputs: Inputs, attrs: Attrs = {}): Info[] {
    const out = this.call(name, inputs, attrs);
    const outs = Array.isArray(out) ? out : [out];
    this.temps.push(...outs);
    return outs;
  }

  /** A float32 constant, as tfjs makes one from a JavaScript number or array. */
  constant(values: Float32Array, shape: number[]): Info {
    const t = { dataId: this.backend.write(values, shape, 'float32'), shape, dtype: 'float32' as const };
    this.temps.push(t);
    return t;
  }

  /** An int32 constant. */
  ints(values: Int32Array): Info {
    const t = { dataId: this.backend.write(values, [values.length], 'int32'), shape: [values.length], dtype: 'int32' as const };
    this.temps.push(t);
    return t;
  }

  scalar(value: number): Info {
    return this.constant(Float32Array.of(value), []);
  }

  /** The same data under another shape (what WASM's Reshape kernel makes, without a reference of its own). */
  view(x: Info, shape: number[]): Info {
    return { dataId: x.dataId, shape, dtype: x.dtype };
  }

  /** `x` handed to the engine: a reference of its own, which the engine's tensor takes over. */
  output(x: Info): Info {
    this.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }

  free(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
  }

  /** WASM: the heap as floats. A later allocation may replace it: take it after the kernels that allocate. */
  heap(): Float32Array {
    if (!this.backend.wasm) throw new Error('the heap of a backend other than wasm');
    return this.backend.wasm.HEAPF32;
  }

  /** WASM: the module's WebAssembly.Memory, when it exports it (the single-threaded build does). */
  memory(): object | null {
    return this.backend.wasm?.asm?.memory ?? this.backend.wasm?.wasmMemory ?? null;
  }

  /** WASM: where x's data starts in `heap()`. */
  at(x: Info): number {
    return this.backend.getMemoryOffset!(x.dataId) / 4;
  }

  /** A new float32 tensor of `shape` whose values the caller writes (through `heap()`). */
  empty(shape: number[]): Info {
    const t = { dataId: this.backend.write(null as unknown as Float32Array, shape, 'float32'), shape, dtype: 'float32' as const };
    this.temps.push(t);
    return t;
  }

  // ---- the tfjs ops the model uses, as their kernels ----
  add(a: Info, b: Info): Info {
    return this.run('Add', { a, b });
  }
  sub(a: Info, b: Info): Info {
    return this.run('Sub', { a, b });
  }
  mul(a: Info, b: Info): Info {
    return this.run('Multiply', { a, b });
  }
  div(a: Info, b: Info): Info {
    return this.run('RealDiv', { a, b });
  }
  neg(x: Info): Info {
    return this.run('Neg', { x });
  }
  sum(x: Info, axis: number[], keepDims = false): Info {
    return this.run('Sum', { x }, { axis, keepDims });
  }
  mean(x: Info, axis: number[], keepDims = false): Info {
    return this.run('Mean', { x }, { axis, keepDims });
  }
  transpose(x: Info, perm: number[]): Info {
    return this.run('Transpose', { x }, { perm });
  }
  matMul(a: Info, b: Info, transposeA = false, transposeB = false): Info {
    return this.run('BatchMatMul', { a, b }, { transposeA, transposeB });
  }
  /** tfjs's `reshape(sum(x, axes), shape)` of a broadcast's gradient, or x itself when nothing was broadcast. */
  reduceTo(x: Info, shape: number[]): Info {
    const axes = tf.backend_util.getReductionAxes(shape, x.shape);
    return axes.length > 0 ? this.view(this.sum(x, axes), shape) : x;
  }
}

/** Registers a composite kernel on WASM. */
export function composite(name: string, body: (k: Kernels, inputs: Inputs, attrs: Attrs) => Info | Info[]): void {
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const k = new Kernels(backend as unknown as CountedBackend, 'wasm');
      try {
        const out = body(k, inputs as Inputs, (attrs ?? {}) as Attrs);
        return Array.isArray(out) ? out.map((o) => k.output(o)) : k.output(out);
      } finally {
        k.free();
      }
    },
  });
}

/** Runs a composite kernel through the engine: one call, one tape node. */
export function runComposite(name: string, inputs: tf.NamedTensorMap, attrs: Attrs = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

let enabled = true;

/** Whether the model runs its composite kernels (on WASM, unless a test turns them off to compare). */
export function compositeKernels(): boolean {
  return enabled && tf.getBackend() === 'wasm';
}

/** Tests: runs `f` with the composite kernels on or off (off: the tfjs composition they are compared with), then restores them. */
export function withCompositeKernels<T>(on: boolean, f: () => T): T {
  const before = enabled;
  enabled = on;
  try {
    return f();
  } finally {
    enabled = before;
  }
}

/** Whether products read transposed operands in place (BLAS) rather than from an explicit transpose (ops.ts). */
export function flagsTranspose(): boolean {
  return activeMatmulKernel() === 'blas';
}

// ---------------------------------------------------------------------------------------------------------------
// Layer norm: transformer.ts's layerNorm, that is tf.moments(x, -1, true), then (x − mean)·rsqrt(variance + 1e-5)·g + b.
// moments computes mean, then square(cast(x) − reshape(mean)) — the same floats as x − mean, which is computed once.

const EPS = 1e-5;

/** Layer norm's forward kernels: y, and the mean and variance + eps its gradient reads. */
export function layerNormKernels(k: Kernels, x: Info, g: Info, b: Info): [Info, Info, Info] {
  const m = k.mean(x, [1], true);
  const xc = k.sub(x, m);
  const v = k.mean(k.run('Square', { x: xc }), [1], true);
  const ve = k.add(v, k.scalar(EPS));
  const y = k.add(k.mul(k.mul(xc, k.run('Rsqrt', { x: ve })), g), b);
  return [y, m, ve];
}

composite('RlsdLayerNorm', (k, { x, g, b }) => {
  const rows = allFinite(k, [x, g, b]) ? rowKernelsOf(k) : null;
  if (!rows) return layerNormKernels(k, x!, g!, b!);
  // row-kernels.ts's layerNorm: the same kernels' operations in one pass per row, its mean and variance + ε kept.
  const [N, d] = x!.shape as [number, number];
  const [y, m, ve] = [k.empty([N, d]), k.empty([N, 1]), k.empty([N, 1])];
  rows.layerNorm(k.at(x!) * 4, 0, k.at(x!) * 4, k.at(y) * 4, k.at(g!) * 4, k.at(b!) * 4, N, d, k.at(m) * 4, k.at(ve) * 4);
  return [y, m, ve];
});

/**
 * The gradients of layer norm in tfjs's order: the last node first. x's three gradients come out apart — from
 * x − mean (ours), from moments' cast(x) − mean, from moments' mean(x) — for the engine to add in that order.
 */
composite('RlsdLayerNormGrad', (k, { dy, x, g, m, ve }) => {
  const [N, d] = x!.shape as [number, number];
  const p15 = k.run('Pow', { a: ve!, b: k.scalar(1.5) });
  const rows = allFinite(k, [dy, x, g, m, ve, p15]) ? rowKernelsOf(k) : null;
  if (rows) {
    // row-kernels.ts's layerNormGrad: every operation below in its order, in two passes per row.
    const [dxOurs, dd, dxMean, dg, db] = [k.empty([N, d]), k.empty([N, d]), k.empty([N, d]), k.empty([d]), k.empty([d])];
    const at = (t: Info): number => k.at(t) * 4;
    rows.layerNormGrad(at(dy!), at(x!), at(g!), at(m!), at(ve!), at(p15), at(dxOurs), at(dd), at(dxMean), at(dg), at(db), N, d);
    return [dxOurs, dd, dxMean, dg, db];
  }
  // Recomputed as in the forward pass, bit for bit.
  const xc = k.sub(x!, m!);
  const r = k.run('Rsqrt', { x: ve! });
  const xn = k.mul(xc, r);
  // y = xg + b; xg = xn·g
  const db = k.reduceTo(dy!, [d]);
  const dxn = k.mul(dy!, g!);
  const dg = k.reduceTo(k.mul(dy!, xn), [d]);
  // xn = xc·r
  const dxc = k.mul(dxn, r);
  const dr = k.reduceTo(k.mul(dxn, xc), [N, 1]);
  // r = rsqrt(ve): −dr / (ve^1.5 · 2); ve = v + eps
  const dv = k.neg(k.div(dr, k.mul(p15, k.scalar(2))));
  // xc = x − m (ours): x's first gradient, and m's
  const dxOurs = dxc;
  const dmOurs = k.view(k.neg(k.sum(dxc, [1])), [N, 1]);
  // v = mean(d²) with d = cast(x) − m (moments)
  const ones = k.constant(new Float32Array(N * d).fill(1), [N, d]);
  const dd2 = k.div(k.mul(k.view(dv, [N, 1]), ones), k.scalar(d));
  const dd = k.mul(dd2, k.mul(xc, k.scalar(2)));
  const dmMoments = k.view(k.neg(k.sum(dd, [1])), [N, 1]);
  const dm = k.add(dmOurs, dmMoments);
  // m = mean(x)
  const dxMean = k.div(k.mul(k.view(dm, [N, 1]), ones), k.scalar(d));
  return [dxOurs, dd, dxMean, dg, db];
});

tf.registerGradient({
  kernelName: 'RlsdLayerNorm',
  inputsToSave: ['x', 'g'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved) => {
    const [x, g, m, ve] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const dy = (dys as tf.Tensor[])[0]!;
    const [dxOurs, dxMoments, dxMean, dg, db] = runComposite('RlsdLayerNormGrad', { dy, x, g, m, ve });
    return { x: () => dxOurs!, xMoments: () => dxMoments!, xMean: () => dxMean!, g: () => dg!, b: () => db! };
  },
});

/** Layer norm over the last axis of x [N, d] (transformer.ts's layerNorm, the same floats). */
export function layerNormComposite(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const [y, ...aux] = runComposite('RlsdLayerNorm', { x, xMoments: x, xMean: x, g, b });
  tf.dispose(aux); // the tape keeps its own references
  return y as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------------------------
// Dense layers: ops.ts's linear, act(x·W + b), plus an optional residual r + (x·W + b) (transformer.ts's x.add(dense(…))).
// tfjs's fused matMul runs the fused kernel unless a tape records and the activation is not linear (shouldFuse):
// then a product, a bias add and the activation, which round differently.

// The project's kernels below compute every finite float as the kernels they replace do, operation for operation. A
// NaN is another matter: which operand's NaN an operation passes on depends on how each module was compiled, and WASM's
// Relu turns a NaN with its sign bit set into 0, so a NaN's bits can change later numbers. From finite operands the
// only NaN an operation can make is the machine's default NaN (∞ − ∞, 0·∞), the same bits in both, so those kernels
// run on finite operands and others take the kernels they replace.

/** Whether each tensor given is all finite (a pass over each: Adam writes the parameters in place, so no answer is kept). */
function allFinite(k: Kernels, xs: (Info | undefined)[]): boolean {
  const rows = rowKernelsOf(k);
  if (!rows) return false;
  return xs.every((x) => !x || (x.dtype === 'float32' && rows.allFinite(k.at(x) * 4, x.shape.reduce((a, b) => a * b, 1)) === 1));
}

/**
 * strided-product.ts's kernels for the dense layers' products, where they run: on WASM with its memory exported, the
 * products not on BLAS, and finite operands. XNNPACK's 2-D product sums each output from +0 in order, as they do.
 */
function denseKernels(k: Kernels, operands: (Info | undefined)[]): StridedProducts | null {
  const memory = k.memory();
  return memory && !flagsTranspose() && allFinite(k, operands) ? stridedProducts(memory) : null;
}

/** A matrix [rows, cols] as a product's operand (`transposed`: read as its transpose). */
function matrix(k: Kernels, x: Info, transposed = false): Operand {
  const cols = x.shape[x.shape.length - 1]!;
  return transposed ? { at: k.at(x) * 4, b: 0, h: 0, row: 1, col: cols } : { at: k.at(x) * 4, b: 0, h: 0, row: cols, col: 1 };
}

/**
 * act(x·W + b) as tfjs's fused matMul computes it (each sum from the bias), or with `fuse` false product, bias add,
 * activation — on WASM one strided product either way, the ReLU applied as it stores (the same floats).
 */
export function linearKernels(k: Kernels, x: Info, w: Info, b: Info, activation: string, fuse: boolean): Info {
  const [N, inputs] = x.shape as [number, number];
  const out = (w.shape as number[])[1]!;
  if (fuse) {
    const fromBias = activation === 'relu' || activation === 'linear' ? denseKernels(k, [x, w, b]) : null;
    if (fromBias) {
      const y = k.empty([N, out]);
      stridedProductFromBias(fromBias, matrix(k, x), matrix(k, w), { at: k.at(b) * 4, b: 0, h: 0, row: 0, col: 1 }, matrix(k, y), N, out, inputs, activation === 'relu');
      return y;
    }
    const fused = k.run('_FusedMatMul', { a: k.view(x, [1, ...x.shape]), b: k.view(w, [1, ...w.shape]), bias: b }, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 });
    return k.view(fused, [N, out]);
  }
  const fns = activation === 'relu' || activation === 'linear' ? denseKernels(k, [x, w, b]) : null;
  if (fns) {
    const y = k.empty([N, out]);
    stridedProduct(fns, matrix(k, x), matrix(k, w), { at: k.at(b) * 4, b: 0, h: 0, row: 0, col: 1 }, matrix(k, y), 1, 1, N, out, inputs, false, activation === 'relu');
    return y;
  }
  const y = k.add(k.matMul(x, w), b);
  return activation === 'relu' ? k.run('Relu', { x: y }) : y;
}

composite('RlsdLinear', (k, { x, w, b, residual }, { activation, fuse }) => {
  const y = linearKernels(k, x!, w!, b!, activation as string, fuse as boolean);
  return residual ? k.add(residual, y) : y;
});

/**
 * Tokens per pass of a weight's gradient (stridedProductChunked): a pass's rows of x and ∂y (256 × (64 + 256) floats at
 * most, 320 KiB) stay in a core's L2 cache for every output. On the deep world's shape the update step took 479 ms
 * against XNNPACK's 527 (p25 over 25 steps; chunks of 512 and 1024 within noise, 2048 slower).
 */
const WEIGHT_GRAD_CHUNK = 256;

composite('RlsdLinearGrad', (k, { dy, x, w, y, ones }, { activation, flags }) => {
  const relu = activation === 'relu';
  const fns = flags ? null : denseKernels(k, [dy, w, relu ? y : undefined]);
  const rows = rowKernelsOf(k);
  // ReLU's gradient and ∂b = 1ᵀ·g as row kernels where they run (the same floats as Step·∂y and as XNNPACK's 1ᵀ·g);
  // ∂x = g·Wᵀ and ∂W = xᵀ·g as strided products (∂W over the tokens in chunks, the same sequential sums as
  // XNNPACK's), else — BLAS's products, or operands not finite — as matMuls.
  const fast = rows && (fns !== null || allFinite(k, [dy, relu ? y : undefined])) ? rows : null;
  const [N, inputs] = x!.shape as [number, number];
  const M = dy!.shape[1]!;
  let g = dy!;
  if (relu) {
    if (fast) {
      g = k.empty([N, M]);
      fast.reluGrad(k.at(dy!) * 4, k.at(y!) * 4, k.at(g) * 4, N * M);
    } else g = k.mul(dy!, k.run('Step', { x: y! }, { alpha: 0 }));
  }
  let dx: Info, dw: Info;
  if (fns) {
    dx = k.empty([N, inputs]);
    stridedProduct(fns, matrix(k, g), matrix(k, k.transpose(w!, [1, 0])), null, matrix(k, dx), 1, 1, N, inputs, M, false);
    dw = k.empty([inputs, M]);
    stridedProductChunked(fns, matrix(k, x!, true), matrix(k, g), null, matrix(k, dw), 1, 1, inputs, M, N, WEIGHT_GRAD_CHUNK);
  } else {
    dx = flags ? k.matMul(g, w!, false, true) : k.matMul(g, k.transpose(w!, [1, 0]));
    dw = flags ? k.matMul(x!, g, true, false) : k.matMul(k.transpose(x!, [1, 0]), g);
  }
  let db: Info;
  if (fast) {
    db = k.empty([M]);
    fast.columnSums(k.at(g) * 4, k.at(db) * 4, N, M);
  } else db = k.view(k.matMul(ones!, g), [M]);
  // A residual's gradient is dy itself (Add's reshape of it), as a tensor of its own.
  return [dy!, dx, dw, db];
});

/** The fused matMul's own rule (tfjs-core fused_util.shouldFuse). */
function shouldFuse(activation: string): boolean {
  return engineState().gradientDepth === 0 || activation === 'linear';
}

function engineState(): { gradientDepth: number; kernelDepth: number } {
  return (tf.engine() as unknown as { state: { gradientDepth: number; kernelDepth: number } }).state;
}

/** Whether a tape records this op (tfjs's Engine.isTapeOn). */
function taping(): boolean {
  const s = engineState();
  return s.gradientDepth > 0 && s.kernelDepth === 0;
}

tf.registerGradient({
  kernelName: 'RlsdLinear',
  inputsToSave: ['x', 'w', 'ones'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, w, ones, y] = saved as tf.Tensor[];
    const { activation } = attrs as { activation: string };
    // With a residual the output is r + y, whose activation is 'linear' (the relu case has no residual).
    const [dr, dx, dw, db] = runComposite('RlsdLinearGrad', { dy: dy as tf.Tensor, x: x!, w: w!, y: y!, ones: ones! }, { activation, flags: flagsTranspose() });
    return { residual: () => dr!, x: () => dx!, w: () => dw!, b: () => db! };
  },
});

/**
 * act(x·W + b), plus `residual` when given (ops.ts linear, then transformer.ts's residual add; the same floats). `ones`
 * gives the [1, N] row of ones the bias gradient is summed with (ops.ts columnSum), needed only while a tape records.
 */
export function linearComposite(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: 'linear' | 'relu', ones: (n: number) => tf.Tensor2D, residual?: tf.Tensor2D): tf.Tensor2D {
  if (residual && activation !== 'linear') throw new Error('linearComposite: a residual follows a linear layer only');
  const inputs: tf.NamedTensorMap = { x, w, b };
  if (taping()) inputs['ones'] = ones(x.shape[0]);
  if (residual) inputs['residual'] = residual;
  return runComposite('RlsdLinear', inputs, { activation, fuse: shouldFuse(activation) })[0] as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------------------------
// The tied output embedding: ops.ts's linearT, y = x·Wᵀ for W [V, d], as matMul(x, transpose(W)); its gradient
// ∂x = ∂y·W (the transpose of the saved transpose) and ∂W = ∂yᵀ·x. On WASM the three products are strided products
// with XNNPACK's sums (∂W over the tokens in chunks, as a dense layer's).

composite('RlsdLinearT', (k, { x, w }) => {
  const [N, d] = x!.shape as [number, number];
  const V = w!.shape[0]!;
  const wt = k.transpose(w!, [1, 0]);
  const fns = denseKernels(k, [x, w]);
  if (!fns) return k.matMul(x!, wt);
  const y = k.empty([N, V]);
  stridedProduct(fns, matrix(k, x!), matrix(k, wt), null, matrix(k, y), 1, 1, N, V, d, false);
  return y;
});

composite('RlsdLinearTGrad', (k, { dy, x, w }) => {
  const [N, d] = x!.shape as [number, number];
  const V = w!.shape[0]!;
  const fns = denseKernels(k, [dy, x, w]);
  if (!fns) return [k.matMul(dy!, w!), k.matMul(k.transpose(dy!, [1, 0]), x!)];
  const dx = k.empty([N, d]);
  stridedProduct(fns, matrix(k, dy!), matrix(k, w!), null, matrix(k, dx), 1, 1, N, d, V, false);
  const dw = k.empty([V, d]);
  stridedProductChunked(fns, matrix(k, dy!, true), matrix(k, x!), null, matrix(k, dw), 1, 1, V, d, N, WEIGHT_GRAD_CHUNK);
  return [dx, dw];
});

tf.registerGradient({
  kernelName: 'RlsdLinearT',
  inputsToSave: ['x', 'w'],
  gradFunc: (dy, saved) => {
    const [x, w] = saved as tf.Tensor[];
    const [dx, dw] = runComposite('RlsdLinearTGrad', { dy: dy as tf.Tensor, x: x!, w: w! });
    return { x: () => dx!, w: () => dw! };
  },
});

/** y = x·Wᵀ for x [N, d], W [V, d] (ops.ts linearT: the same floats and gradients). */
export function linearTComposite(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return runComposite('RlsdLinearT', { x, w })[0] as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------------------------
// Attention heads: transformer.ts's splitHeads (split of the fused projection, then [B,T,H,dh] → [B*H,T,dh]) and
// attention with its mergeHeads. Splitting moves data only, but WASM transposes 4-D tensors far faster than 5-D ones:
// the split first, then a 4-D transpose of each part, as the composition does.

composite('RlsdSplitHeads', (k, { qkv }, { B, T, H }) => {
  const [b, t, h] = [B as number, T as number, H as number];
  const dh = qkv!.shape[1]! / 3 / h;
  return k.runAll('SplitV', { x: qkv! }, { numOrSizeSplits: 3, axis: 1 }).map((x) => k.view(k.transpose(k.view(x, [b, t, h, dh]), [0, 2, 1, 3]), [b * h, t, dh]));
});

composite('RlsdSplitHeadsGrad', (k, { dq, dk, dv }, { B, T, H }) => {
  const [b, t, h] = [B as number, T as number, H as number];
  const dh = dq!.shape[2]!;
  const parts = [dq, dk, dv].map((x) => k.view(k.transpose(k.view(x!, [b, h, t, dh]), [0, 2, 1, 3]), [b * t, h * dh]));
  return k.run('Concat', parts as unknown as Inputs, { axis: 1 });
});

tf.registerGradient({
  kernelName: 'RlsdSplitHeads',
  gradFunc: (dys, _saved, attrs) => {
    const [dq, dk, dv] = dys as tf.Tensor[];
    const [dqkv] = runComposite('RlsdSplitHeadsGrad', { dq: dq!, dk: dk!, dv: dv! }, attrs as Attrs);
    return { qkv: () => dqkv! };
  },
});

/** [B*T, 3d] → q, k, v as [B*H, T, dh] (transformer.ts's splitHeads, the same bits). */
export function splitHeadsComposite(qkv: tf.Tensor2D, B: number, T: number, H: number): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  return runComposite('RlsdSplitHeads', { qkv }, { B, T, H }) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
}

/** The batched products of ops.ts's bmm and bmmT, forward and backward, on either attention kernel. */
class Products {
  constructor(
    private readonly k: Kernels,
    private readonly conv: boolean,
    private readonly flags: boolean,
  ) {}

  private convolves(rows: number): boolean {
    return convolves(rows, this.conv ? 'conv' : 'matmul');
  }

  /** y[i,c,m] = Σ_k x[i,k,c]·w[k,c,m] (ops.ts channelMatMul). */
  private channel(x: Info, w: Info): Info {
    const [I, K, C] = x.shape as [number, number, number];
    const M = w.shape[2]!;
    const out = this.k.run('DepthwiseConv2dNative', { x: this.k.view(x, [I, 1, K, C]), filter: this.k.view(w, [1, K, C, M]) }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined });
    return this.k.view(out, [I, C, M]);
  }

  private convProduct(aPQN: Info, bQNR: Info): Info {
    return this.k.transpose(this.channel(aPQN, bQNR), [1, 0, 2]);
  }

  private t(x: Info, perm: number[]): Info {
    return this.k.transpose(x, perm);
  }

  /** a·bᵀ (ops.ts matMulBT). */
  private matMulBT(a: Info, b: Info): Info {
    return this.flags ? this.k.matMul(a, b, false, true) : this.k.matMul(a, this.t(b, [0, 2, 1]));
  }

  /** aᵀ·b (ops.ts matMulAT). */
  private matMulAT(a: Info, b: Info): Info {
    return this.flags ? this.k.matMul(a, b, true, false) : this.k.matMul(this.t(a, [0, 2, 1]), b);
  }

  bmm(a: Info, b: Info): Info {
    return this.convolves(a.shape[1]!) ? this.convProduct(this.t(a, [1, 2, 0]), this.t(b, [1, 0, 2])) : this.k.matMul(a, b);
  }

  bmmGrad(a: Info, b: Info, g: Info): [Info, Info] {
    const [, p, q] = a.shape as [number, number, number];
    return [
      this.convolves(p) ? this.convProduct(this.t(g, [1, 2, 0]), this.t(b, [2, 0, 1])) : this.matMulBT(g, b),
      this.convolves(q) ? this.convProduct(this.t(a, [2, 1, 0]), this.t(g, [1, 0, 2])) : this.matMulAT(a, g),
    ];
  }

  bmmT(a: Info, b: Info): Info {
    return this.convolves(a.shape[1]!) ? this.convProduct(this.t(a, [1, 2, 0]), this.t(b, [2, 0, 1])) : this.k.matMul(a, b, false, true);
  }

  bmmTGrad(a: Info, b: Info, g: Info): [Info, Info] {
    const [, p, q] = a.shape as [number, number, number];
    return [
      this.convolves(p) ? this.convProduct(this.t(g, [1, 2, 0]), this.t(b, [1, 0, 2])) : this.k.matMul(g, b),
      this.convolves(q) ? this.t(this.channel(this.t(a, [2, 1, 0]), this.t(g, [1, 0, 2])), [1, 2, 0]) : this.matMulAT(g, a),
    ];
  }
}

/** [n, s, d] and [n, t, d] → [n, s+t, d] (ops.ts concatRows). */
function concatRowsInfo(k: Kernels, a: Info, b: Info): Info {
  return k.run('Concat', [a, b] as unknown as Inputs, { axis: 1 });
}

/** ops.ts concatRows's gradient: ∂y [n, s+t, d] split along its rows. */
function splitRowsInfo(k: Kernels, dy: Info, s: number): [Info, Info] {
  const [n, st, d] = dy.shape as [number, number, number];
  const [da, db] = k.runAll('SplitV', { x: k.view(dy, [n, st * d]) }, { numOrSizeSplits: [s * d, (st - s) * d], axis: 1 });
  return [k.view(da!, [n, s, d]), k.view(db!, [n, st - s, d])];
}

/** What attention's forward pass and its gradient both start from: the shapes, the keys and values with any past rows, the products. */
function attentionOperands(k: Kernels, { q, k: keys0, v: values0, pastK, pastV }: Inputs, { B, H, conv, flags }: Attrs) {
  const [n, Tq, dh] = q!.shape as [number, number, number];
  const keys = pastK ? concatRowsInfo(k, pastK, keys0!) : keys0!;
  const values = pastV ? concatRowsInfo(k, pastV, values0!) : values0!;
  return { n, Tq, dh, b: B as number, h: H as number, keys, values, Tk: keys.shape[1]!, prod: new Products(k, conv as boolean, flags as boolean) };
}

/**
 * strided-product.ts's kernels, where they run: on WASM with its memory exported, without BLAS's products, a batch of
 * more than one head (a batch of one product goes to XNNPACK, whose sums are another matter), and finite operands.
 */
function stridedKernels(k: Kernels, n: number, flags: boolean, operands: (Info | undefined)[]): StridedProducts | null {
  const memory = k.memory();
  return memory && !flags && n > 1 && allFinite(k, operands) ? stridedProducts(memory) : null;
}

/** Whether the composition sums a product with `rows` rows as the convolution (else as the batched matMul). */
function blockedSum(rows: number, conv: boolean): boolean {
  return !convolves(rows, conv ? 'conv' : 'matmul');
}

/** The mask [b|1, 1, Tq|1, Tk] as an addend of the scores [b, h, Tq, Tk]: its strides, or null if its last axis is broadcast. */
function maskOperand(k: Kernels, mask: Info, Tk: number): Operand | null {
  const [mb, mh, mq, mk] = mask.shape as [number, number, number, number];
  if (mask.shape.length !== 4 || mk !== Tk || mh !== 1) return null;
  return { at: k.at(mask) * 4, b: mb === 1 ? 0 : mq * Tk, h: 0, row: mq === 1 ? 0 : Tk, col: 1 };
}

/** A tensor [.., rows, cols] read as b × h batches (strides of whole matrices), or `rowStride`/`colStride` for its axes. */
function dense(k: Kernels, x: Info, h: number, rows: number, cols: number, rowStride = cols, colStride = 1): Operand {
  return { at: k.at(x) * 4, b: h * rows * cols, h: rows * cols, row: rowStride, col: colStride };
}

function attentionForward(k: Kernels, inputs: Inputs, attrs: Attrs): Info[] {
  const { q, mask } = inputs;
  const { n, Tq, dh, b, h, keys, values, Tk, prod } = attentionOperands(k, inputs, attrs);
  const qs = k.mul(q!, k.scalar(1 / Math.sqrt(dh)));
  const fns = stridedKernels(k, n, attrs['flags'] as boolean, [q, keys, values, mask]);
  if (fns) {
    // scores [b, h, Tq, Tk] = qs · keysᵀ (+ mask), then probabilities · values written as the merged heads [b·Tq, h·dh].
    const conv = attrs['conv'] as boolean;
    const keysT = k.transpose(keys, [0, 2, 1]);
    let scores = k.empty([b, h, Tq, Tk]);
    const m = maskOperand(k, mask!, Tk);
    stridedProduct(fns, dense(k, qs, h, Tq, dh), dense(k, keysT, h, dh, Tk), m, dense(k, scores, h, Tq, Tk), b, h, Tq, Tk, dh, blockedSum(Tq, conv));
    if (!m) scores = k.add(scores, mask!);
    const probs = k.run('Softmax', { logits: scores }, { dim: 3 });
    const merged = k.empty([b * Tq, h * dh]);
    stridedProduct(fns, dense(k, probs, h, Tq, Tk), dense(k, values, h, Tk, dh), null, { at: k.at(merged) * 4, b: Tq * h * dh, h: dh, row: h * dh, col: 1 }, b, h, Tq, dh, Tk, blockedSum(Tq, conv));
    return [merged, probs];
  }
  const scores = prod.bmmT(qs, keys);
  const probs = k.run('Softmax', { logits: k.add(k.view(scores, [b, h, Tq, Tk]), mask!) }, { dim: 3 });
  const o = prod.bmm(k.view(probs, [n, Tq, Tk]), values);
  const merged = k.view(k.transpose(k.view(o, [b, h, Tq, dh]), [0, 2, 1, 3]), [b * Tq, h * dh]);
  return [merged, probs];
}

composite('RlsdAttention', attentionForward);
composite('RlsdAttentionPast', attentionForward);

/**
 * The gradients of attention in tfjs's order: mergeHeads, bmm, the mask's reshapes, softmax, bmmT, the scaling, the
 * concatenations. With the strided kernels, each product reads ∂y's heads in place and sums as the composition's does.
 */
composite('RlsdAttentionGrad', (k, inputs, attrs) => {
  const { dy, q, probs, pastK, pastV } = inputs;
  const { n, Tq, dh, b, h, keys, values, Tk, prod } = attentionOperands(k, inputs, attrs);
  const scale = k.scalar(1 / Math.sqrt(dh));
  const qs = k.mul(q!, scale);
  const fns = stridedKernels(k, n, attrs['flags'] as boolean, [dy, q, keys, values, probs]);
  let dQs: Info, dKeys: Info, dValues: Info;
  if (fns) {
    const conv = attrs['conv'] as boolean;
    const d = h * dh;
    // ∂y [b·Tq, h·dh] as the heads' ∂o [b, h, Tq, dh], as the product's first operand and as its second.
    const dO: Operand = { at: k.at(dy!) * 4, b: Tq * d, h: dh, row: d, col: 1 };
    // ∂P = ∂o · valuesᵀ; ∂values = Pᵀ · ∂o
    const valuesT = k.transpose(values, [0, 2, 1]);
    const dP = k.empty([b, h, Tq, Tk]);
    stridedProduct(fns, dO, dense(k, valuesT, h, dh, Tk), null, dense(k, dP, h, Tq, Tk), b, h, Tq, Tk, dh, blockedSum(Tq, conv));
    dValues = k.empty([n, Tk, dh]);
    stridedProduct(fns, dense(k, probs!, h, Tq, Tk, 1, Tk), dO, null, dense(k, dValues, h, Tk, dh), b, h, Tk, dh, Tq, blockedSum(Tk, conv));
    // softmax's gradient
    const dLogits = k.empty([b, h, Tq, Tk]);
    fns.softmaxGrad(k.at(dP) * 4, k.at(probs!) * 4, k.at(dLogits) * 4, n * Tq, Tk);
    // ∂qs = ∂logits · keys; ∂keys = ∂logitsᵀ · qs
    dQs = k.empty([n, Tq, dh]);
    stridedProduct(fns, dense(k, dLogits, h, Tq, Tk), dense(k, keys, h, Tk, dh), null, dense(k, dQs, h, Tq, dh), b, h, Tq, dh, Tk, blockedSum(Tq, conv));
    dKeys = k.empty([n, Tk, dh]);
    stridedProduct(fns, dense(k, dLogits, h, Tq, Tk, 1, Tk), dense(k, qs, h, Tq, dh), null, dense(k, dKeys, h, Tk, dh), b, h, Tk, dh, Tq, blockedSum(dh, conv));
  } else {
    const dO = k.view(k.transpose(k.view(dy!, [b, Tq, h, dh]), [0, 2, 1, 3]), [n, Tq, dh]);
    let dP: Info;
    [dP, dValues] = prod.bmmGrad(k.view(probs!, [n, Tq, Tk]), values, dO);
    // softmax's gradient: strided-product.ts's softmaxGrad (the same floats as these four kernels) where it runs
    const memory = k.memory();
    const grad = memory && allFinite(k, [dP, probs]) ? stridedProducts(memory) : null;
    let dLogits: Info;
    if (grad) {
      dLogits = k.empty([b, h, Tq, Tk]);
      grad.softmaxGrad(k.at(dP) * 4, k.at(probs!) * 4, k.at(dLogits) * 4, n * Tq, Tk);
    } else {
      const dyTimesY = k.mul(k.view(dP, [b, h, Tq, Tk]), probs!);
      dLogits = k.sub(dyTimesY, k.mul(k.sum(dyTimesY, [3], true), probs!));
    }
    [dQs, dKeys] = prod.bmmTGrad(qs, keys, k.view(dLogits, [n, Tq, Tk]));
  }
  const dq = k.mul(dQs, scale);
  if (!pastK) return [dq, dKeys, dValues];
  const [dPastV, dv] = splitRowsInfo(k, dValues, pastV!.shape[1]!);
  const [dPastK, dk] = splitRowsInfo(k, dKeys, pastK.shape[1]!);
  return [dq, dk, dv, dPastK, dPastV];
});

for (const [name, past] of [['RlsdAttention', false], ['RlsdAttentionPast', true]] as const)
  tf.registerGradient({
    kernelName: name,
    inputsToSave: past ? ['q', 'k', 'v', 'pastK', 'pastV'] : ['q', 'k', 'v'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const dy = (dys as tf.Tensor[])[0]!;
      const [q, k, v, ...rest] = saved as tf.Tensor[];
      const probs = rest.pop()!;
      const inputs: tf.NamedTensorMap = { dy, q: q!, k: k!, v: v!, probs };
      if (past) Object.assign(inputs, { pastK: rest[0]!, pastV: rest[1]! });
      const grads = runComposite('RlsdAttentionGrad', inputs, { ...(attrs as Attrs), conv: activeAttentionKernel() === 'conv', flags: flagsTranspose() });
      const named: Record<string, () => tf.Tensor> = { q: () => grads[0]!, k: () => grads[1]!, v: () => grads[2]! };
      if (past) Object.assign(named, { pastK: () => grads[3]!, pastV: () => grads[4]! });
      return named;
    },
  });

/**
 * softmax(q·kᵀ/√dh + mask)·v over the heads [B*H, T, dh], merged back to [B*T, d] (transformer.ts's attention and
 * mergeHeads, the same floats); `past` keys and values are prepended to k and v (ops.ts concatRows).
 */
export function attentionComposite(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: tf.Tensor4D, B: number, H: number, past?: { k: tf.Tensor3D; v: tf.Tensor3D }): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = past ? { q, k, v, mask, pastK: past.k, pastV: past.v } : { q, k, v, mask };
  const [merged, probs] = runComposite(past ? 'RlsdAttentionPast' : 'RlsdAttention', inputs, { B, H, conv: activeAttentionKernel() === 'conv', flags: flagsTranspose() });
  probs!.dispose(); // the tape keeps its own reference
  return merged as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding lookups: ops.ts's embedLookup, a product with a constant one-hot matrix, and its gradient, the product with
// the transposed one-hot. XNNPACK sums each output of a product from +0, one product at a time in order (checked in the
// tests), so over a finite table the lookup gives the chosen rows, a −0 as +0, and over a finite ∂y the gradient of a
// row is the sum from +0, in order, of the ∂y rows that chose it: row-kernels.ts's gatherRows and scatterAddRows,
// without the one-hot matrices ([N, V] and [V, N] floats built on the host and copied in). A non-finite table or ∂y
// (where 0·∞ makes NaN in the other rows) takes the products.

/** [N, V] one-hot rows of `ids`, or their transpose [V, N]. */
function oneHot(ids: Int32Array, V: number, transposed: boolean): Float32Array {
  const N = ids.length;
  const out = new Float32Array(N * V);
  ids.forEach((id, i) => (out[transposed ? id * N + i : i * V + id] = 1));
  return out;
}

function rowKernelsOf(k: Kernels): RowKernels | null {
  const memory = k.memory();
  return memory ? rowKernels(memory) : null;
}

composite('RlsdEmbedLookup', (k, { table }, { ids }) => {
  const idv = ids as Int32Array;
  const [V, d] = table!.shape as [number, number];
  const N = idv.length;
  const rows = rowKernelsOf(k);
  if (rows && rows.allFinite(k.at(table!) * 4, V * d)) {
    const out = k.empty([N, d]);
    rows.gatherRows(k.at(table!) * 4, k.at(k.ints(idv)) * 4, k.at(out) * 4, N, d);
    return out;
  }
  return k.matMul(k.constant(oneHot(idv, V, false), [N, V]), table!);
});

composite('RlsdEmbedLookupGrad', (k, { dy }, { ids, V }) => {
  const idv = ids as Int32Array;
  const rowsV = V as number;
  const [N, d] = dy!.shape as [number, number];
  const rows = rowKernelsOf(k);
  if (rows && rows.allFinite(k.at(dy!) * 4, N * d)) {
    const out = k.empty([rowsV, d]);
    rows.scatterAddRows(k.at(dy!) * 4, k.at(k.ints(idv)) * 4, k.at(out) * 4, N, d, rowsV);
    return out;
  }
  return k.matMul(k.constant(oneHot(idv, rowsV, true), [rowsV, N]), dy!);
});

tf.registerGradient({
  kernelName: 'RlsdEmbedLookup',
  gradFunc: (dy, _saved, attrs) => {
    const [grad] = runComposite('RlsdEmbedLookupGrad', { dy: dy as tf.Tensor }, attrs as Attrs);
    return { table: () => grad! };
  },
});

/** Rows `ids` of `table` [V, d] (ops.ts embedLookup, the same floats and gradient). */
export function embedLookupComposite(ids: Int32Array, table: tf.Tensor2D): tf.Tensor2D {
  const V = table.shape[0];
  for (const id of ids) if (id < 0 || id >= V) throw new Error(`embedLookup: id ${id} out of range [0, ${V})`);
  return runComposite('RlsdEmbedLookup', { table }, { ids, V })[0] as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------------------------
// Log-softmax and the cross-entropy gather (policy.ts tokenLogProbs): tfjs's logSoftmax — Max, x − max, Exp, Sum, Log,
// shifted − log, its gradient dy − Σdy·exp(value) — and Σ logp·oneHot(target) over the last axis, its gradient
// dy·oneHot. Over finite inputs, row-kernels.ts's passes make each float32 operation of those kernels in their order
// (Exp as exp-kernel.ts's copy of WASM's, Log stays WASM's std::log); otherwise the kernels themselves. No one-hot
// tensor is made.

/** WASM's Exp: exp-kernel.ts's copy of it (the same bits for every float, twice as fast) where its module compiles. */
function expInfo(k: Kernels, x: Info): Info {
  const memory = k.memory();
  const fns = memory ? expKernel(memory) : null;
  if (!fns || x.dtype !== 'float32') return k.run('Exp', { x });
  const out = k.empty(x.shape);
  fns.exp(k.at(x) * 4, k.at(out) * 4, x.shape.reduce((a, b) => a * b, 1), k.at(k.constant(EXP_TABLE_WORDS, [EXP_TABLE_WORDS.length])) * 4);
  return out;
}

/** [rows, V] one-hot rows of `targets` as floats (tf.oneHot, an index out of range a row of zeros). */
function oneHotTargets(targets: Int32Array, V: number): Float32Array {
  const out = new Float32Array(targets.length * V);
  targets.forEach((t, r) => {
    if (t >= 0 && t < V) out[r * V + t] = 1;
  });
  return out;
}

composite('RlsdLogSoftmax', (k, { logits }) => {
  const V = logits!.shape[logits!.shape.length - 1]!;
  const rows = logits!.shape.reduce((a, b) => a * b, 1) / Math.max(V, 1);
  const fns = allFinite(k, [logits]) ? rowKernelsOf(k) : null;
  if (!fns) {
    const keep = [...logits!.shape.slice(0, -1), 1];
    const shifted = k.sub(logits!, k.view(k.run('Max', { x: logits! }, { reductionIndices: [-1], keepDims: false }), keep));
    return k.sub(shifted, k.view(k.run('Log', { x: k.sum(k.run('Exp', { x: shifted }), [logits!.shape.length - 1], true) }), keep));
  }
  const shifted = k.empty(logits!.shape);
  fns.maxShift(k.at(logits!) * 4, k.at(shifted) * 4, rows, V);
  const e = expInfo(k, shifted);
  const sums = k.empty([rows]);
  fns.rowSums(k.at(e) * 4, k.at(sums) * 4, rows, V);
  const l = k.run('Log', { x: sums });
  const value = k.empty(logits!.shape);
  fns.subRows(k.at(shifted) * 4, k.at(l) * 4, k.at(value) * 4, rows, V);
  return value;
});

composite('RlsdLogSoftmaxGrad', (k, { dy, value }) => {
  const V = value!.shape[value!.shape.length - 1]!;
  const rows = value!.shape.reduce((a, b) => a * b, 1) / Math.max(V, 1);
  const softmax = expInfo(k, value!);
  const fns = allFinite(k, [dy, softmax]) ? rowKernelsOf(k) : null;
  if (!fns) return k.sub(dy!, k.mul(k.sum(dy!, [dy!.shape.length - 1], true), softmax));
  const out = k.empty(value!.shape);
  fns.logSoftmaxGrad(k.at(dy!) * 4, k.at(softmax) * 4, k.at(out) * 4, rows, V);
  return out;
});

tf.registerGradient({
  kernelName: 'RlsdLogSoftmax',
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [grad] = runComposite('RlsdLogSoftmaxGrad', { dy: dy as tf.Tensor, value: saved[0]! });
    return { logits: () => grad! };
  },
});

composite('RlsdTokenGather', (k, { logp }, { targets }) => {
  const t = targets as Int32Array;
  const V = logp!.shape[logp!.shape.length - 1]!;
  const outShape = logp!.shape.slice(0, -1);
  const fns = allFinite(k, [logp]) ? rowKernelsOf(k) : null;
  if (!fns) return k.sum(k.mul(logp!, k.constant(oneHotTargets(t, V), logp!.shape)), [logp!.shape.length - 1]);
  const out = k.empty(outShape);
  fns.gatherTargets(k.at(logp!) * 4, k.at(k.ints(t)) * 4, k.at(out) * 4, t.length, V);
  return out;
});

composite('RlsdTokenGatherGrad', (k, { dy }, { targets, shape }) => {
  const t = targets as Int32Array;
  const full = shape as number[];
  const V = full[full.length - 1]!;
  const fns = allFinite(k, [dy]) ? rowKernelsOf(k) : null;
  if (!fns) return k.mul(k.mul(k.view(dy!, [...dy!.shape, 1]), k.constant(new Float32Array(t.length * V).fill(1), full)), k.constant(oneHotTargets(t, V), full));
  const out = k.empty(full);
  fns.gatherTargetsGrad(k.at(dy!) * 4, k.at(k.ints(t)) * 4, k.at(out) * 4, t.length, V);
  return out;
});

tf.registerGradient({
  kernelName: 'RlsdTokenGather',
  gradFunc: (dy, _saved, attrs) => {
    const [grad] = runComposite('RlsdTokenGatherGrad', { dy: dy as tf.Tensor }, attrs as Attrs);
    return { logp: () => grad! };
  },
});

/** tfjs's logSoftmax over the last axis (the same floats and gradient). */
export function logSoftmaxComposite<T extends tf.Tensor>(logits: T): T {
  return runComposite('RlsdLogSoftmax', { logits })[0] as T;
}

/** Σ_v logp[…, v]·oneHot(target)[v] over the last axis (policy.ts's gather with tf.oneHot: the same floats and gradient). */
export function tokenGatherComposite(logp: tf.Tensor, targets: Int32Array): tf.Tensor {
  return runComposite('RlsdTokenGather', { logp }, { targets, shape: logp.shape })[0]!;
}

// ---------------------------------------------------------------------------------------------------------------
// The global gradient norm of Adam's clipping (optim.ts): sqrt(addN(sum(square(g)) for each g)).

composite('RlsdGradNorm', (k, inputs) => {
  const squares = Object.values(inputs).map((g) => k.run('Sum', { x: k.run('Square', { x: g }) }, { axis: null, keepDims: false }));
  return k.run('Sqrt', { x: k.run('AddN', squares as unknown as Inputs) });
});

/** √(Σ‖g‖²) over `grads` in their order, as optim.ts's composition computes it (the same float). */
export function gradientNormComposite(grads: readonly tf.Tensor[]): number {
  const inputs: tf.NamedTensorMap = {};
  grads.forEach((g, i) => (inputs[`g${i}`] = g));
  const [norm] = runComposite('RlsdGradNorm', inputs);
  const value = norm!.dataSync()[0]!;
  norm!.dispose();
  return value;
}
