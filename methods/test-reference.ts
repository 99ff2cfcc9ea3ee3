// Plain-JS reference formulas for the method tests, written independently of the tensor code
// (no tfjs, no imports from the modules under test): double precision, loops, textbook definitions
// (KL as Σ p·log(p/q) on probabilities, the JSD mixture formed on probabilities). Used only by
// methods/*.test.ts; each test also pins a few hand-computed literals.
export type Mat = number[][];

export function refAdvantages(rewards: number[], groups: number[], stdNorm: boolean, eps = 1e-6): number[] {
  return rewards.map((_, i) => {
    const members = rewards.map((r, j) => [Number.isNaN(r) ? 0 : r, groups[j]!] as const).filter(([, g]) => g === groups[i]);
    if (members.length < 2) return 0;
    const scores = members.map(([r]) => r);
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const std = Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / (scores.length - 1));
    if (std === 0) return 0;
    const r = Number.isNaN(rewards[i]!) ? 0 : rewards[i]!;
    return stdNorm ? (r - mean) / (std + eps) : r - mean;
  });
}

export function refAggregate(loss: Mat, mask: Mat, mode: 'token-mean' | 'seq-mean-token-mean' | 'seq-mean-token-sum'): number {
  if (mode === 'token-mean') {
    let num = 0;
    let den = 0;
    loss.forEach((row, b) => row.forEach((l, t) => { num += l * mask[b]![t]!; den += mask[b]![t]!; }));
    return den === 0 ? 0 : num / den;
  }
  const seqs: number[] = [];
  loss.forEach((row, b) => {
    const count = mask[b]!.reduce((a, m) => a + m, 0);
    if (count === 0) return;
    const sum = row.reduce((a, l, t) => a + l * mask[b]![t]!, 0);
    seqs.push(mode === 'seq-mean-token-mean' ? sum / count : sum);
  });
  return seqs.length === 0 ? 0 : seqs.reduce((a, b) => a + b, 0) / seqs.length;
}

export function refMaskedMean(x: Mat, mask: Mat): number {
  let num = 0;
  let den = 0;
  x.forEach((row, b) => row.forEach((v, t) => { num += v * mask[b]![t]!; den += mask[b]![t]!; }));
  return den === 0 ? 0 : num / den;
}

/** veRL vanilla PPO token loss with asymmetric and dual clip. */
export function refPpoToken(logp: number, old: number, A: number, clipLow: number, clipHigh: number, c: number): number {
  const ratio = Math.exp(Math.min(20, Math.max(-20, logp - old)));
  const unclipped = -A * ratio;
  const clipped = -A * Math.min(1 + clipHigh, Math.max(1 - clipLow, ratio));
  const l = Math.max(unclipped, clipped);
  return A < 0 ? Math.min(l, -A * c) : l;
}

export function refK3(logp: number, ref: number): number {
  const kl = Math.min(20, Math.max(-20, ref - logp));
  return Math.min(10, Math.max(-10, Math.exp(kl) - kl - 1));
}

export function refSoftmax(logits: number[], temperature = 1): number[] {
  const z = logits.map((l) => l / temperature);
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function refEntropy(logits: number[]): number {
  return -refSoftmax(logits).reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0);
}

/** KL(p‖q) = Σ p log(p/q) on probabilities. */
export function refKl(p: number[], q: number[]): number {
  return p.reduce((a, pi, i) => a + (pi > 0 ? pi * Math.log(pi / q[i]!) : 0), 0);
}

export function refLogSoftmax(logits: number[], temperature = 1): number[] {
  const z = logits.map((l) => l / temperature);
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}

/** KL(P‖Q) = Σ_{p>0} p·(log p − log q) from log-probabilities (exact even where q underflows to 0). */
export function refKlLog(logP: number[], logQ: number[]): number {
  return logP.reduce((a, lp, i) => (lp === -Infinity || Math.exp(lp) === 0 ? a : a + Math.exp(lp) * (lp - logQ[i]!)), 0);
}

/** Generalised JSD (GKD, eq. 1): β=0 → KL(T‖S), β=1 → KL(S‖T), else β·KL(T‖M) + (1−β)·KL(S‖M), M = βT + (1−β)S on probabilities. */
export function refJsd(studentLogits: number[], teacherLogits: number[], beta: number, temperature = 1): number {
  const logS = refLogSoftmax(studentLogits, temperature);
  const logT = refLogSoftmax(teacherLogits, temperature);
  if (beta === 0) return refKlLog(logT, logS);
  if (beta === 1) return refKlLog(logS, logT);
  const logM = logS.map((ls, i) => Math.log(beta * Math.exp(logT[i]!) + (1 - beta) * Math.exp(ls)));
  return beta * refKlLog(logT, logM) + (1 - beta) * refKlLog(logS, logM);
}

export function refLogSoftmaxAt(logits: number[], index: number): number {
  return Math.log(refSoftmax(logits)[index]!);
}

/** RLSD token advantage Â = A·[(1−λ) + λ·clip(exp(sign(A)·Δ), 1−ε, 1+ε)]. */
export function refRlsdAdvantage(A: number, delta: number, lambda: number, eps: number): { adv: number; clipped: boolean } {
  const w = Math.exp(Math.sign(A) * delta);
  const cw = Math.min(1 + eps, Math.max(1 - eps, w));
  return { adv: A * (1 - lambda + lambda * cw), clipped: w < 1 - eps || w > 1 + eps };
}

/**
 * iie-ycx/RLSD dp_opsd_actor._build_stgca_advantages restated on plain arrays: per-token Â with the negative-only
 * and thought-only ablations, and the official `grpo_opsd/stgca_*` metrics (every mean over all valid response
 * tokens, weights before the ablations). `A` per response, `delta` = log P_T − log P_S per token.
 */
export function refStgca(
  A: number[],
  delta: Mat,
  mask: Mat,
  lambda: number,
  eps: number,
  opts: { negativeOnly?: boolean; thought?: Mat } = {},
): { adv: Mat; metrics: Record<string, number> } {
  let n = 0;
  const sums: Record<string, number> = { delta: 0, weight: 0, clipped: 0, low: 0, high: 0, adv: 0, absAdv: 0 };
  let negTokens = 0;
  let negDelta = 0;
  let negRows = 0;
  let thoughtTokens = 0;
  const adv = delta.map((row, b) => {
    let rowNeg = false;
    const out = row.map((d, t) => {
      const m = mask[b]![t]!;
      const a = A[b]! * m;
      const w = m ? Math.exp(Math.sign(a) * d) : 0;
      const cw = Math.min(1 + eps, Math.max(1 - eps, w));
      let r = m ? 1 - lambda + lambda * cw : 0;
      if (opts.negativeOnly && !(A[b]! < 0 && m)) r = m;
      const th = opts.thought ? opts.thought[b]![t]! * m : 1;
      if (opts.thought) r = th * r + (1 - th) * m;
      const hat = a * r;
      if (m) {
        n++;
        sums.delta! += d;
        sums.weight! += w;
        sums.clipped! += cw;
        sums.low! += w < 1 - eps ? 1 : 0;
        sums.high! += w > 1 + eps ? 1 : 0;
        sums.adv! += hat;
        sums.absAdv! += Math.abs(hat);
        thoughtTokens += th;
        if (a < 0) {
          negTokens++;
          negDelta += d;
          rowNeg = true;
        }
      }
      return hat;
    });
    if (rowNeg) negRows++;
    return out;
  });
  const mean = (x: number): number => (n === 0 ? 0 : x / n);
  const metrics: Record<string, number> = {
    'grpo_opsd/stgca_delta_mean': mean(sums.delta!),
    'grpo_opsd/stgca_weight_mean': mean(sums.weight!),
    'grpo_opsd/stgca_clipped_weight_mean': mean(sums.clipped!),
    'grpo_opsd/stgca_clip_low_ratio': mean(sums.low!),
    'grpo_opsd/stgca_clip_high_ratio': mean(sums.high!),
    'grpo_opsd/stgca_adv_mean': mean(sums.adv!),
    'grpo_opsd/stgca_adv_abs_mean': mean(sums.absAdv!),
    'grpo_opsd/stgca_effective_lambda': lambda,
  };
  if (opts.negativeOnly) {
    metrics['grpo_opsd/stgca_negative_only'] = 1;
    metrics['grpo_opsd/stgca_neg_seq_ratio'] = negRows / delta.length;
    metrics['grpo_opsd/stgca_neg_delta_mean'] = negDelta / Math.max(negTokens, 1);
  }
  if (opts.thought) {
    metrics['grpo_opsd/stgca_thought_only'] = 1;
    metrics['grpo_opsd/stgca_thought_token_ratio'] = thoughtTokens / Math.max(n, 1);
  }
  return { adv, metrics };
}

export function mapMat(a: Mat, f: (v: number, b: number, t: number) => number): Mat {
  return a.map((row, b) => row.map((v, t) => f(v, b, t)));
}

/**
 * A small rollout batch as plain arrays: B=6 responses in two interleaved groups of 3, T=4, V=3.
 * Group 0 (rows 0,2,4) has rewards 1,0,0; group 1 (rows 1,3,5) has 1,0,1. Log-probs are the
 * log-softmax of the logits at the sampled tokens, as the loop computes them.
 */
export interface PlainBatch {
  B: number;
  T: number;
  V: number;
  mask: Mat;
  groupIds: number[];
  rewards: number[];
  tokens: number[][];
  studentLogits: number[][][];
  teacherLogits: number[][][];
  logp: Mat;
  oldLogp: Mat;
  teacherLogp: Mat;
  refLogp: Mat;
  teacherAvailable: number[];
}

/** The response mask of the rows whose self-teacher had privileged context (OPSD / hybrid / SDPO distil only those). */
export function teacherMaskOf(p: PlainBatch): Mat {
  return p.mask.map((row, b) => row.map((m) => m * p.teacherAvailable[b]!));
}

export function makeBatch(): PlainBatch {
  const B = 6;
  const T = 4;
  const V = 3;
  const mask: Mat = [
    [1, 1, 1, 1],
    [1, 1, 1, 0],
    [1, 1, 0, 0],
    [1, 1, 1, 1],
    [1, 0, 0, 0],
    [1, 1, 1, 0],
  ];
  const grid = <X>(f: (b: number, t: number) => X): X[][] => Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => f(b, t)));
  const studentLogits = grid((b, t) => Array.from({ length: V }, (_, v) => (((b * 7 + t * 3 + v * 5) % 11) / 3) - 1.5));
  const teacherLogits = grid((b, t) => Array.from({ length: V }, (_, v) => (((b * 5 + t * 2 + v * 7) % 13) / 4) - 1.2));
  const tokens = grid((b, t) => (b + 2 * t) % V);
  const logp = grid((b, t) => refLogSoftmaxAt(studentLogits[b]![t]!, tokens[b]![t]!));
  const oldLogp = grid((b, t) => logp[b]![t]! + (((b * 5 + t * 3) % 7) - 3) * 0.15);
  const teacherLogp = grid((b, t) => refLogSoftmaxAt(teacherLogits[b]![t]!, tokens[b]![t]!));
  const refLogp = grid((b, t) => logp[b]![t]! + (((b + t) % 5) - 2) * 0.1);
  return {
    B, T, V, mask,
    groupIds: [0, 1, 0, 1, 0, 1],
    rewards: [1, 1, 0, 0, 0, 1],
    tokens, studentLogits, teacherLogits, logp, oldLogp, teacherLogp, refLogp,
    teacherAvailable: [0, 1, 1, 1, 1, 1],
  };
}

export interface RefGrpoConfig {
  stdNorm: boolean;
  clipLow: number;
  clipHigh: number;
  dualClipC: number;
  lossAgg: 'token-mean' | 'seq-mean-token-mean' | 'seq-mean-token-sum';
  klCoef: number;
  klType: 'k1' | 'k3';
}

/** GRPO loss of a plain batch and its metrics, from the textbook formulas above. */
export function refGrpoLoss(p: PlainBatch, cfg: RefGrpoConfig): { loss: number; pg: number; clipfrac: number; ppoKl: number; kl: number } {
  const A = refAdvantages(p.rewards, p.groupIds, cfg.stdNorm);
  const tokenLoss = mapMat(p.logp, (l, b, t) => refPpoToken(l, p.oldLogp[b]![t]!, A[b]!, cfg.clipLow, cfg.clipHigh, cfg.dualClipC));
  const pg = refAggregate(tokenLoss, p.mask, cfg.lossAgg);
  const clipped = mapMat(p.logp, (l, b, t) => {
    const ratio = Math.exp(l - p.oldLogp[b]![t]!);
    const a = A[b]!;
    return -a * Math.min(1 + cfg.clipHigh, Math.max(1 - cfg.clipLow, ratio)) > -a * ratio ? 1 : 0;
  });
  const ppoKl = refMaskedMean(mapMat(p.logp, (l, b, t) => p.oldLogp[b]![t]! - l), p.mask);
  const klMat = mapMat(p.logp, (l, b, t) => (cfg.klType === 'k3' ? refK3(l, p.refLogp[b]![t]!) : l - p.refLogp[b]![t]!));
  const kl = refAggregate(klMat, p.mask, cfg.lossAgg);
  return { loss: pg + cfg.klCoef * kl, pg, clipfrac: refMaskedMean(clipped, p.mask), ppoKl, kl };
}

/** Per-token generalised JSD of a plain batch (β, temperature), as a [B,T] matrix. */
export function refJsdMatrix(p: PlainBatch, beta: number, temperature = 1): Mat {
  return mapMat(p.mask, (_, b, t) => refJsd(p.studentLogits[b]![t]!, p.teacherLogits[b]![t]!, beta, temperature));
}
