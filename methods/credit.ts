// Where the credit went: metrics that hold a per-token credit signal against the ground truth of each response's
// steps (docs/design.md, the deep mini world). Pure functions over plain arrays, one response at a time.
//
// Every metric is taken over the reasoning span only (the tokens before the final answer statement): a teacher that
// sees the gold answer tells right from wrong at the answer token alone, which says nothing about credit inside the
// chain.
//
// - AUROC of the span's summed Δ = log P_T − log P_S over responses: how well the self-teacher ranks correct above
//   incorrect responses (0.5 = chance). Ties count one half (the Mann–Whitney statistic).
// - First-wrong-step blame, for incorrect responses: the share of the response's total blame |c_t| that falls on the
//   tokens of its first wrong step, and whether the single most-blamed token lies inside it. Uniform credit (GRPO)
//   gives the step's share of the span's tokens, the chance level, reported beside it.
// - Filler credit, for correct responses: the share of |c_t| on filler tokens against the filler's share of tokens.
//
// A method's credit c_t is what its loss multiplies the token's log-prob by (GRPO: A; RLSD: Â_t). The teacher's own
// view is RLSD's weight with nothing blended or clipped, c_t = exp(sign(A)·Δ_t): what re-weighting would do if it
// trusted the teacher fully.

/** Mann–Whitney AUROC of `scores` for positives over negatives; NaN when either class is empty or a score is NaN. */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) return Number.NaN;
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < scores.length; i++) (positive[i] ? pos : neg).push(scores[i]!);
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  // Rank-sum with average ranks for ties: O(n log n).
  const all = [...pos.map((s) => ({ s, p: true })), ...neg.map((s) => ({ s, p: false }))].sort((a, b) => a.s - b.s);
  let rankSumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p) rankSumPos += averageRank;
    i = j;
  }
  return (rankSumPos - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

/** One response as the credit metrics see it: every array has one entry per response token. */
export interface CreditResponse {
  /** The verifier's verdict. */
  correct: boolean;
  /** 1 on the reasoning span (tokens before the final answer statement). */
  reasoning: ArrayLike<number>;
  /** Per-token credit whose magnitude is measured (a method's c_t, or the teacher's exp(±Δ_t)). */
  credit: ArrayLike<number>;
  /** For an incorrect response whose first wrong step was found inside the reasoning span: 1 on its tokens. */
  firstWrong?: ArrayLike<number> | null;
  /** 1 on filler tokens (tokens of no step). */
  filler?: ArrayLike<number>;
}

export interface ShareOfCredit {
  /** Σ|c| over the marked tokens of the span / Σ|c| over the span. */
  share: number;
  /** The marked tokens' share of the span's tokens: what uniform credit gives. */
  chance: number;
  /** Whether the token with the largest |c| of the span is marked: on ties, the marked share of the tied tokens. */
  top: number;
}

/** The share of |credit| on the marked tokens of the reasoning span, or null when the span or the mark is empty. */
export function shareOfCredit(credit: ArrayLike<number>, reasoning: ArrayLike<number>, marked: ArrayLike<number>): ShareOfCredit | null {
  let total = 0;
  let inMarked = 0;
  let tokens = 0;
  let markedTokens = 0;
  let best = -1;
  let tiedTokens = 0;
  let tiedMarked = 0;
  for (let t = 0; t < reasoning.length; t++) {
    if (reasoning[t] !== 1) continue;
    const c = Math.abs(credit[t]!);
    if (!Number.isFinite(c)) return null;
    tokens++;
    total += c;
    const m = marked[t] === 1;
    if (m) {
      markedTokens++;
      inMarked += c;
    }
    if (c > best) {
      best = c;
      tiedTokens = 0;
      tiedMarked = 0;
    }
    if (c === best) {
      tiedTokens++;
      if (m) tiedMarked++;
    }
  }
  if (tokens === 0 || markedTokens === 0) return null;
  const chance = markedTokens / tokens;
  // All-zero credit spreads nothing: the share is the chance level, as uniform credit's is.
  if (total === 0) return { share: chance, chance, top: chance };
  return { share: inMarked / total, chance, top: tiedMarked / tiedTokens };
}

export interface CreditSummary {
  /** Incorrect responses with a first wrong step inside the span, and their mean blame share, chance, top-token rate. */
  firstWrongN: number;
  firstWrongShare: number;
  firstWrongChance: number;
  firstWrongTopRate: number;
  /** Correct responses with filler in the span: mean credit share on filler, and filler's mean share of tokens. */
  fillerN: number;
  fillerShare: number;
  fillerTokenShare: number;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The first-wrong-step and filler metrics over a batch of responses (means over the responses that have them). */
export function summariseCredit(responses: readonly CreditResponse[]): CreditSummary {
  const blame: ShareOfCredit[] = [];
  const filler: ShareOfCredit[] = [];
  for (const r of responses) {
    if (!r.correct && r.firstWrong) {
      const s = shareOfCredit(r.credit, r.reasoning, r.firstWrong);
      if (s !== null) blame.push(s);
    }
    if (r.correct && r.filler) {
      const s = shareOfCredit(r.credit, r.reasoning, r.filler);
      if (s !== null) filler.push(s);
    }
  }
  return {
    firstWrongN: blame.length,
    firstWrongShare: mean(blame.map((s) => s.share)),
    firstWrongChance: mean(blame.map((s) => s.chance)),
    firstWrongTopRate: mean(blame.map((s) => s.top)),
    fillerN: filler.length,
    fillerShare: mean(filler.map((s) => s.share)),
    fillerTokenShare: mean(filler.map((s) => s.chance)),
  };
}

/** Σ Δ_t over the reasoning span (NaN when a span token's Δ is not finite). */
export function spanSum(delta: ArrayLike<number>, reasoning: ArrayLike<number>): number {
  let sum = 0;
  for (let t = 0; t < reasoning.length; t++) if (reasoning[t] === 1) sum += delta[t]!;
  return sum;
}

/** The teacher's own credit view of a response: exp(sign·Δ_t), sign +1 for a correct response and −1 otherwise. */
export function teacherCredit(delta: ArrayLike<number>, correct: boolean): Float64Array {
  const sign = correct ? 1 : -1;
  // The exponent is clamped as RLSD clamps it (±50 nats), so an extreme log-prob gives a large finite weight.
  return Float64Array.from({ length: delta.length }, (_, t) => Math.exp(Math.max(-50, Math.min(50, sign * delta[t]!))));
}
