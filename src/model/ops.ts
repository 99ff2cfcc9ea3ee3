// Matrix products with hand-written gradients. TensorFlow.js's WASM backend runs a matmul on XNNPACK only
// when it is 2-D and has no transpose flags; transposed or batched products fall back to a naive loop
// 10–20× slower (measured: 368 ms vs 16 ms for xᵀ·dy at 6656×64·6656×256). The default gradients of
// matMul use exactly those transposed forms, so here every backward product is an explicit transpose
// followed by a plain product, and bias gradients are a ones-row product instead of a column sum. With the
// products on BLAS (--matmul blas, blas.ts) a transposed operand costs nothing, so there they pass transpose flags.
import * as tf from '@tensorflow/tfjs';
import { activeMatmulKernel } from './blas.ts';

/** Whether products read transposed operands in place (BLAS) rather than from an explicit transpose (XNNPACK). */
function flagsTranspose(): boolean {
  return activeMatmulKernel() === 'blas';
}

/** a·bᵀ for 2-D or batched operands: a transpose flag on BLAS, an explicit transpose of b's last two axes elsewhere. */
function matMulBT(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (flagsTranspose()) return tf.matMul(a, b, false, true);
  return tf.matMul(a, b.rank === 2 ? b.transpose() : b.transpose([0, 2, 1]));
}

/** aᵀ·b, likewise. */
function matMulAT(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (flagsTranspose()) return tf.matMul(a, b, true, false);
  return tf.matMul(a.rank === 2 ? a.transpose() : a.transpose([0, 2, 1]), b);
}

const onesRowCache = new Map<number, tf.Tensor2D>();

/** A cached [1, n] row of ones (kept alive for the process; a handful of sizes are used). */
export function onesRow(n: number): tf.Tensor2D {
  const cached = onesRowCache.get(n);
  if (cached && !cached.isDisposed) return cached;
  const t = tf.keep(tf.ones([1, n]) as tf.Tensor2D);
  onesRowCache.set(n, t);
  return t;
}

/** Number of tensors held by the internal caches (excluded from leak checks). */
export function cachedTensorCount(): number {
  let n = 0;
  for (const t of onesRowCache.values()) if (!t.isDisposed) n++;
  return n;
}

/** Sum over rows of a 2-D tensor as [1,n]·[n,m] (fast path), returned as [m]. */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  return tf.matMul(onesRow(x.shape[0]), x).reshape([x.shape[1]]);
}

type Act = 'linear' | 'relu';

/** y = act(x·W + b) for x [N,in], W [in,out], b [out]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, act: Act = 'linear'): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = tf.fused.matMul({ a: xi as tf.Tensor2D, b: wi as tf.Tensor2D, bias: bi, activation: act });
    save(act === 'relu' ? [xi, wi, y] : [xi, wi]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D?];
        const g = (act === 'relu' ? dy.mul(tf.step(ys!)) : dy) as tf.Tensor2D;
        return [matMulBT(g, ws), matMulAT(xs, g), columnSum(g)];
      },
    };
  }) as never);
  return f(x, w, b) as tf.Tensor2D;
}

/** y = x·Wᵀ for x [N,in], W [out,in] (tied output embedding). */
export function linearT(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
    if (flagsTranspose()) {
      save([xi, wi]);
      return {
        value: tf.matMul(xi as tf.Tensor2D, wi as tf.Tensor2D, false, true),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(dy, saved[1]!), tf.matMul(dy, saved[0]!, true, false)],
      };
    }
    const wt = (wi as tf.Tensor2D).transpose();
    save([xi, wt]);
    return {
      value: tf.matMul(xi as tf.Tensor2D, wt),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, wts] = saved as [tf.Tensor2D, tf.Tensor2D];
        // dx = dy·W ; dW = dyᵀ·x
        return [tf.matMul(dy as tf.Tensor2D, wts.transpose()), tf.matMul((dy as tf.Tensor2D).transpose(), xs)];
      },
    };
  }) as never);
  return f(x, w) as tf.Tensor2D;
}

/**
 * Embedding lookup as a product with a constant one-hot matrix [N,V]; the gradient uses the one-hot's
 * transpose built on the host ([V,N], no transpose kernel) so both directions take the fast path.
 */
export function embedLookup(ids: Int32Array, table: tf.Tensor2D): tf.Tensor2D {
  const [V, d] = table.shape;
  const N = ids.length;
  const oh = new Float32Array(N * V);
  const ohT = new Float32Array(V * N);
  for (let i = 0; i < N; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= V) throw new Error(`embedLookup: id ${id} out of range [0, ${V})`);
    oh[i * V + id] = 1;
    ohT[id * N + i] = 1;
  }
  const f = tf.customGrad(((tbl: tf.Tensor, save: tf.GradSaveFunc) => {
    const ohTT = tf.tensor2d(ohT, [V, N]);
    save([ohTT]);
    return {
      value: tf.matMul(tf.tensor2d(oh, [N, V]), tbl as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(saved[0] as tf.Tensor2D, dy as tf.Tensor2D)],
    };
  }) as never);
  const out = f(table) as tf.Tensor2D;
  if (out.shape[1] !== d) throw new Error('embedLookup: shape mismatch');
  return out;
}

/**
 * y[i,c,m] = Σ_k x[i,k,c]·w[k,c,m] for x [I,K,C], w [K,C,M]: C independent products with the batch axis
 * last, computed as a depthwise convolution (a 1×K filter per channel, multiplier M), which WASM runs on
 * XNNPACK. No gradient of its own: bmm's gradient is written with it.
 */
function channelMatMul(x: tf.Tensor3D, w: tf.Tensor3D): tf.Tensor3D {
  const [I, K, C] = x.shape;
  const M = w.shape[2];
  return tf.depthwiseConv2d(x.reshape([I, 1, K, C]) as tf.Tensor4D, w.reshape([1, K, C, M]) as tf.Tensor4D, 1, 'valid').reshape([I, C, M]);
}

/** Rows from which the convolution beats WASM's batched loop (measured: 8 rows 7 vs 8 ms, 16 rows 14 vs 10 ms). */
const CONV_MIN_ROWS = 12;

/**
 * How attention's batched products run on WASM: 'conv' (the depthwise convolution, the default) or 'matmul' (tfjs's
 * batched matMul, as before it existed). Both give the same products up to float rounding, which over hundreds of
 * training steps makes different (equally valid) trajectories — so a checkpoint built with 'matmul', such as the
 * committed base, is rebuilt bit for bit only with 'matmul'.
 */
export const ATTENTION_KERNELS = ['conv', 'matmul'] as const;
export type AttentionKernel = (typeof ATTENTION_KERNELS)[number];
let attentionKernel: AttentionKernel = 'conv';

export function setAttentionKernel(k: AttentionKernel): void {
  attentionKernel = k;
}

/** The kernel batched products use on the current backend ('matmul' on every backend but WASM). */
export function activeAttentionKernel(): AttentionKernel {
  return tf.getBackend() === 'wasm' ? attentionKernel : 'matmul';
}

/**
 * On WASM a batched matMul runs a naive loop (34 ms for the attention scores [512,23,16]·[512,16,53]); with the
 * batch axis moved last the depthwise convolution takes 6 ms, 14 ms with the transposes. With few rows (decoding's
 * single query: 1 ms against 3 ms) the loop wins, and other backends keep matMul.
 */
export function convolves(rows: number, kernel: AttentionKernel = activeAttentionKernel()): boolean {
  return kernel === 'conv' && rows >= CONV_MIN_ROWS;
}

/** The product [n,p,r] from a as [p,q,n] and b as [q,n,r]. */
function convProduct(aPQN: tf.Tensor3D, bQNR: tf.Tensor3D): tf.Tensor3D {
  return channelMatMul(aPQN, bQNR).transpose([1, 0, 2]);
}

/**
 * Batched product a [n,p,q] · b [n,q,r] with gradients built from explicit transposes. Each operand goes to the
 * convolution's layout in one transpose: ∂a = ∂y·bᵀ reads b as [r,n,q], ∂b = aᵀ·∂y reads a as [q,p,n].
 */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const f = tf.customGrad(((ai: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const [x, y] = [ai as tf.Tensor3D, bi as tf.Tensor3D];
    save([x, y]);
    return {
      value: convolves(x.shape[1]) ? convProduct(x.transpose([1, 2, 0]), y.transpose([1, 0, 2])) : tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
        const g = dy as tf.Tensor3D;
        const [, p, q] = as.shape;
        return [
          convolves(p) ? convProduct(g.transpose([1, 2, 0]), bs.transpose([2, 0, 1])) : matMulBT(g, bs),
          convolves(q) ? convProduct(as.transpose([2, 1, 0]), g.transpose([1, 0, 2])) : matMulAT(as, g),
        ];
      },
    };
  }) as never);
  return f(a, b) as tf.Tensor3D;
}

/**
 * Batched product a [n,p,q] · bᵀ for b [n,r,q] → [n,p,r]: attention's scores with the keys as rows, like the values,
 * so that appending keys is a concatenation of whole rows. Each operand reaches the convolution's layout in one
 * transpose, the same floats as `bmm(a, b transposed)` (the same products summed in the same order).
 */
export function bmmT(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const f = tf.customGrad(((ai: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const [x, y] = [ai as tf.Tensor3D, bi as tf.Tensor3D];
    save([x, y]);
    return {
      value: convolves(x.shape[1]) ? convProduct(x.transpose([1, 2, 0]), y.transpose([2, 0, 1])) : tf.matMul(x, y, false, true),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
        const g = dy as tf.Tensor3D;
        const [, p, q] = as.shape;
        return [
          // ∂a = ∂y·b reads b as [r,n,q]; ∂b is (aᵀ·∂y)ᵀ, the convolution with q output rows (with r it is 2× slower).
          convolves(p) ? convProduct(g.transpose([1, 2, 0]), bs.transpose([1, 0, 2])) : tf.matMul(g, bs),
          convolves(q) ? channelMatMul(as.transpose([2, 1, 0]), g.transpose([1, 0, 2])).transpose([1, 2, 0]) : matMulAT(g, as),
        ];
      },
    };
  }) as never);
  return f(a, b) as tf.Tensor3D;
}

/**
 * [n, s, d] and [n, t, d] → [n, s+t, d]. The gradient splits ∂y as [n, (s+t)·d], one copy per row: WASM slices a 3-D
 * tensor with one copy per row of its last two axes.
 */
export function concatRows(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const f = tf.customGrad(((ai: tf.Tensor, bi: tf.Tensor) => {
    const [n, s, d] = (ai as tf.Tensor3D).shape;
    const t = (bi as tf.Tensor3D).shape[1];
    return {
      value: tf.concat([ai, bi], 1),
      gradFunc: (dy: tf.Tensor) => {
        const [da, db] = tf.split(dy.reshape([n, (s + t) * d]), [s * d, t * d], 1);
        return [da!.reshape([n, s, d]), db!.reshape([n, t, d])];
      },
    };
  }) as never);
  return f(a, b) as tf.Tensor3D;
}
