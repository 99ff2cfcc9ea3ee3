// Matrix products with hand-written gradients. TensorFlow.js's WASM backend runs a matmul on XNNPACK only
// when it is 2-D and has no transpose flags; transposed or batched products fall back to a naive loop
// 10–20× slower (measured: 368 ms vs 16 ms for xᵀ·dy at 6656×64·6656×256). The default gradients of
// matMul use exactly those transposed forms, so here every backward product is an explicit transpose
// followed by a plain product, and bias gradients are a ones-row product instead of a column sum.
import * as tf from '@tensorflow/tfjs';

const onesRowCache = new Map<number, tf.Tensor2D>();

/** A cached [1, n] row of ones (kept alive for the process; a handful of sizes are used). */
function onesRow(n: number): tf.Tensor2D {
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
        return [tf.matMul(g, ws.transpose()), tf.matMul(xs.transpose(), g), columnSum(g)];
      },
    };
  }) as never);
  return f(x, w, b) as tf.Tensor2D;
}

/** y = x·Wᵀ for x [N,in], W [out,in] (tied output embedding). */
export function linearT(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor, wi: tf.Tensor, save: tf.GradSaveFunc) => {
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

/** Batched product a [n,p,q] · b [n,q,r] with gradients built from explicit transposes. */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const f = tf.customGrad(((ai: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([ai, bi]);
    return {
      value: tf.matMul(ai as tf.Tensor3D, bi as tf.Tensor3D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
        return [tf.matMul(dy as tf.Tensor3D, bs.transpose([0, 2, 1])), tf.matMul(as.transpose([0, 2, 1]), dy as tf.Tensor3D)];
      },
    };
  }) as never);
  return f(a, b) as tf.Tensor3D;
}
