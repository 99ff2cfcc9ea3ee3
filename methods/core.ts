// Shared pieces of every post-training method, written once (the veRL `core_algos.py` idea):
// group-relative advantages, loss aggregation, KL estimators, the clipped PPO/GRPO surrogate,
// entropy from logits, and a stop-gradient. Pure functions over tfjs tensors; the caller owns
// memory (wrap calls in tf.tidy / tf.variableGrads).
//
// Written for the WASM backend as much as for cpu: no `gather` in a differentiable path (WASM has
// no gradient for it), masks enter as multiplications, and `where` is used only on conditions that
// depend on constants (masks, advantages) — comparison ops have no gradient.
//
// Departures from veRL (each one deliberate and small):
// - groupAdvantages: a group whose rewards are all equal gets exact zeros (veRL divides the float
//   rounding residue of `r - mean` by `std + eps`, which can leave ~1e-2 noise); singleton groups get
//   0 by default (veRL: mean 0, std 1, i.e. the raw reward; available as `singleton: 'verl'`).
// - masked positions (padding) are replaced by 0 before any arithmetic (`maskFill`), so that
//   garbage there (−Inf log-probs) can never turn a masked loss into NaN. veRL relies on finite padding.
// - aggregateLoss and maskedMean return 0 for an all-zero mask instead of NaN.
import * as tf from '@tensorflow/tfjs';

export type LossAggMode = 'token-mean' | 'seq-mean-token-mean' | 'seq-mean-token-sum';
export const LOSS_AGG_MODES: readonly LossAggMode[] = ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum'];

export type KlKind = 'k1' | 'k3';
export const KL_KINDS: readonly KlKind[] = ['k1', 'k3'];

// ---------------------------------------------------------------------------------------------
// Advantages (CPU: B is a few hundred numbers at most)

export interface GroupAdvantageOptions {
  /** true: (r − mean)/(std + eps) as GRPO; false: r − mean as Dr.GRPO. */
  stdNorm: boolean;
  /** Added to the std; veRL/EasyR1 use 1e-6. */
  eps?: number;
  /**
   * Advantage of a response that is alone in its group. 'zero' (default): no baseline, no signal.
   * 'verl': veRL's `compute_grpo_outcome_advantage` sets mean 0, std 1 for singletons, i.e.
   * A = r/(1 + eps) (r with stdNorm=false). EasyR1 (the RLSD code's base) refuses singletons outright.
   */
  singleton?: 'zero' | 'verl';
}

/**
 * GRPO outcome advantages, one per response: A_i = (r_i − mean_g)/(std_g + eps), std unbiased
 * (Bessel, as torch.std). NaN rewards count as 0 (failed verification). A group whose rewards are
 * all equal gets zeros.
 */
export function groupAdvantages(rewards: Float32Array, groupIds: Int32Array, opts: GroupAdvantageOptions): Float32Array {
  if (rewards.length !== groupIds.length) {
    throw new Error(`groupAdvantages: ${rewards.length} rewards but ${groupIds.length} group ids`);
  }
  const eps = opts.eps ?? 1e-6;
  const singleton = opts.singleton ?? 'zero';
  const clean = Array.from(rewards, (r) => (Number.isNaN(r) ? 0 : r));
  const members = new Map<number, number[]>();
  groupIds.forEach((g, i) => {
    const list = members.get(g);
    if (list) list.push(i);
    else members.set(g, [i]);
  });
  const advantages = new Float32Array(rewards.length);
  for (const idx of members.values()) {
    const scores = idx.map((i) => clean[i]!);
    if (scores.length === 1) {
      const r = scores[0]!;
      advantages[idx[0]!] = singleton === 'zero' ? 0 : opts.stdNorm ? r / (1 + eps) : r;
      continue;
    }
    if (scores.every((s) => s === scores[0])) continue; // zero-variance group: exact zeros
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const variance = scores.reduce((a, s) => a + (s - mean) ** 2, 0) / (scores.length - 1);
    const std = Math.sqrt(variance);
    idx.forEach((i, k) => {
      const centred = scores[k]! - mean;
      advantages[i] = opts.stdNorm ? centred / (std + eps) : centred;
    });
  }
  return advantages;
}

/** [B] per-response values broadcast over the response tokens: [B,T], zero on padding. */
export function perTokenFromSequence(values: Float32Array, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.tensor2d(values, [values.length, 1]), mask);
}

// ---------------------------------------------------------------------------------------------
// Masks and aggregation

/**
 * Stop-gradient (torch's `.detach()`): a copy of x that the gradient tape does not connect to x.
 * Built as a custom-gradient op with no declared inputs (x is captured, and copied while the tape
 * is paused inside the op), so nothing downstream is on a path from the differentiated variables —
 * comparisons on it (which have no gradient in tfjs) may then feed a `where` in the loss.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const detached = tf.customGrad(() => ({ value: tf.clone(x), gradFunc: () => [] }));
  return detached() as T;
}

/** x where mask ≠ 0, else exactly 0 (safe even when x holds ±Inf/NaN on padding). Differentiable in x. */
export function maskFill<T extends tf.Tensor>(x: T, mask: tf.Tensor): T {
  return tf.where(tf.notEqual(mask, 0), x, tf.zerosLike(x)) as T;
}

/** Σ x·m / (Σ m + 1e-8) as veRL `masked_mean`; 0 when the mask is empty. */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.div(tf.sum(tf.mul(x, mask)), tf.add(tf.sum(mask), 1e-8));
}

/** Σ x·m. */
export function maskedSum(x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.sum(tf.mul(x, mask));
}

/** count where count > 0, else 1: a divisor that turns an empty mask's 0/0 into 0/1. */
function safeCount(count: tf.Tensor): tf.Tensor {
  return tf.where(tf.greater(count, 0), count, tf.onesLike(count));
}

/**
 * The one place where a [B,T] per-token loss becomes a scalar, as veRL `agg_loss`:
 * - token-mean: Σ L·m / Σ m (every token of the batch weighs the same);
 * - seq-mean-token-mean: mean over sequences with ≥1 token of (Σ_t L·m / (Σ_t m + 1e-8));
 * - seq-mean-token-sum: mean over sequences with ≥1 token of Σ_t L·m.
 * An all-zero mask gives 0, never NaN.
 */
export function aggregateLoss(lossMat: tf.Tensor2D, mask: tf.Tensor2D, mode: LossAggMode): tf.Scalar {
  const masked = tf.mul(lossMat, mask);
  if (mode === 'token-mean') {
    return tf.div(tf.sum(masked), safeCount(tf.sum(mask)));
  }
  const tokensPerSeq = tf.sum(mask, 1);
  const seqHasTokens = tf.cast(tf.greater(tokensPerSeq, 0), 'float32');
  let seqLosses = tf.sum(masked, 1);
  if (mode === 'seq-mean-token-mean') seqLosses = tf.div(seqLosses, tf.add(tokensPerSeq, 1e-8));
  else if (mode !== 'seq-mean-token-sum') throw new Error(`unknown loss aggregation '${String(mode)}' (known: ${LOSS_AGG_MODES.join(', ')})`);
  return tf.div(tf.sum(tf.mul(seqLosses, seqHasTokens)), safeCount(tf.sum(seqHasTokens)));
}

// ---------------------------------------------------------------------------------------------
// KL estimators (Schulman, "Approximating KL divergence"), as veRL `kl_penalty_forward`

/**
 * Per-token KL(π‖π_ref) estimate from sampled-token log-probs.
 * k1: logp − ref. k3 ("low_var_kl"): e^(ref−logp) − (ref−logp) − 1 with ref−logp clamped to
 * [−20, 20] and the result clamped to [−10, 10], exactly as veRL.
 */
export function klPenalty(logp: tf.Tensor2D, refLogp: tf.Tensor2D, kind: KlKind): tf.Tensor2D {
  if (kind === 'k1') return tf.sub(logp, refLogp);
  if (kind === 'k3') {
    const kl = tf.clipByValue(tf.sub(refLogp, logp), -20, 20);
    const kld = tf.sub(tf.sub(tf.exp(kl), kl), 1);
    return tf.clipByValue(kld, -10, 10) as tf.Tensor2D;
  }
  throw new Error(`unknown KL estimator '${String(kind)}' (known: ${KL_KINDS.join(', ')})`);
}

// ---------------------------------------------------------------------------------------------
// Clipped surrogate (veRL `compute_policy_loss_vanilla`: asymmetric clip + dual clip)

export interface ClipOptions {
  clipLow: number;
  clipHigh: number;
  /** Dual-clip constant c > 1: for A < 0 the per-token loss is capped at −A·c. */
  dualClipC: number;
  agg: LossAggMode;
}

export interface PolicyLossResult {
  pgLoss: tf.Scalar;
  /** Fraction of masked tokens where the (1−εl, 1+εh) clip is active. */
  clipFrac: tf.Scalar;
  /** Fraction of masked tokens where the dual clip is active (A < 0 only). */
  clipFracLower: tf.Scalar;
  /** Masked mean of old − logp (the k1 estimate of KL(π_old‖π), as veRL's `ppo_kl`). */
  ppoKl: tf.Scalar;
}

/**
 * ρ = exp(clamp(logp − old, −20, 20)); L = max(−Aρ, −A·clip(ρ, 1−εl, 1+εh)); for A < 0, L = min(L, −A·c).
 * `advantages` must be a constant [B,T] tensor (it selects the dual-clip branch).
 */
export function clippedPolicyLoss(
  logProbs: tf.Tensor2D,
  oldLogProbs: tf.Tensor2D,
  advantages: tf.Tensor2D,
  mask: tf.Tensor2D,
  opts: ClipOptions,
): PolicyLossResult {
  if (!(opts.dualClipC > 1)) throw new Error(`dual-clip constant must be > 1, got ${opts.dualClipC}`);
  const negativeApproxKl = tf.clipByValue(maskFill(tf.sub(logProbs, oldLogProbs), mask), -20, 20);
  const ratio = tf.exp(negativeApproxKl);
  const negA = tf.neg(advantages);
  const pgLosses1 = tf.mul(negA, ratio);
  const pgLosses2 = tf.mul(negA, tf.clipByValue(ratio, 1 - opts.clipLow, 1 + opts.clipHigh));
  const clipPgLosses1 = tf.maximum(pgLosses1, pgLosses2);
  const pgLosses3 = tf.mul(negA, opts.dualClipC);
  const clipPgLosses2 = tf.minimum(pgLosses3, clipPgLosses1);
  const advantageNegative = tf.less(advantages, 0);
  const pgLosses = tf.where(advantageNegative, clipPgLosses2, clipPgLosses1) as tf.Tensor2D;

  const clipFrac = maskedMean(tf.cast(tf.greater(pgLosses2, pgLosses1), 'float32'), mask);
  const dualClipped = tf.logicalAnd(tf.greater(clipPgLosses1, pgLosses3), advantageNegative);
  const clipFracLower = maskedMean(tf.cast(dualClipped, 'float32'), mask);
  const ppoKl = maskedMean(tf.neg(negativeApproxKl), mask);
  return { pgLoss: aggregateLoss(pgLosses, mask, opts.agg), clipFrac, clipFracLower, ppoKl };
}

// ---------------------------------------------------------------------------------------------
// Distributions

/** Numerically stable log-softmax over the last axis (logits must be finite; −1e4 is fine). */
export function logSoftmax<T extends tf.Tensor>(logits: T): T {
  return tf.logSoftmax(logits, -1) as T;
}

/** [B,T] entropy −Σ_v p log p of softmax(logits) over the last axis. */
export function entropyFromLogits(logits: tf.Tensor3D): tf.Tensor2D {
  const logp = logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1)) as tf.Tensor2D;
}

/** Masked mean token entropy, detached: the 'actor/entropy' metric. */
export function meanEntropy(logits: tf.Tensor3D, mask: tf.Tensor2D): tf.Scalar {
  return maskedMean(entropyFromLogits(stopGradient(logits)), mask);
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the method files

/** A metric scalar that shares no tensor with the loss (the loop disposes metrics itself). */
export function metric(x: tf.Tensor): tf.Scalar {
  return stopGradient(tf.reshape(x, []) as tf.Scalar);
}

/** Checks an input's shape (−1 = any size on that axis); one-line error naming the method and field. */
export function requireShape(name: string, t: tf.Tensor | undefined, shape: readonly number[], method: string): void {
  if (t === undefined) throw new Error(`method '${method}': input '${name}' is required but missing`);
  const ok = t.shape.length === shape.length && t.shape.every((d, i) => shape[i] === -1 || d === shape[i]);
  if (!ok) throw new Error(`method '${method}': input '${name}' has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
}
