// The report's statistics: mean, sample sd and a Student-t 95 % confidence interval over seeds, and a paired
// bootstrap of the difference between two methods evaluated on the same items. Everything is deterministic: the
// t quantiles are computed (not looked up at a few df), and the bootstrap draws from a seeded Rng.
//
// NaN policy: the summaries ignore non-finite values (a seed whose metric is missing does not poison the row) and
// report how many finite values they used; with none they return NaN.
import { Rng } from '../util/rng.ts';

/** The finite values of xs. */
function finite(xs: readonly number[]): number[] {
  return xs.filter((x) => Number.isFinite(x));
}

/** Mean of the finite values (NaN when there are none). */
export function mean(xs: readonly number[]): number {
  const v = finite(xs);
  return v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length;
}

/** Sample standard deviation (n − 1 in the denominator) of the finite values; NaN below two values. */
export function sampleSd(xs: readonly number[]): number {
  const v = finite(xs);
  if (v.length < 2) return NaN;
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1));
}

// ---- Special functions: ln Γ, the regularized incomplete beta and gamma functions (Numerical Recipes §6.1–6.4).

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7: ~15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

const TINY = 1e-300;

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast only below the mean; above it, use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a).
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** The upper regularized incomplete gamma function Q(a, x) = 1 − P(a, x). */
function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnFront = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    // Series for P(a, x).
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(lnFront);
  }
  // Continued fraction for Q(a, x) (modified Lentz).
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(lnFront) * h;
}

/** P(T > t) for t ≥ 0, T Student-t with `df` degrees of freedom (df = Infinity: the standard normal). */
function upperTail(t: number, df: number): number {
  // Beyond ~1e7 df the beta fraction converges slowly and t equals the normal to far below printed precision.
  if (df > 1e7) return 0.5 * upperGamma(0.5, (t * t) / 2);
  return 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/**
 * The p-quantile of Student's t with `df` degrees of freedom (df > 0; Infinity gives the normal quantile), by
 * bisection on the exact tail probability: accurate to ~1e-12, enough for any table.
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  const tail = 1 - p;
  let hi = 1;
  while (upperTail(hi, df) > tail) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (upperTail(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Summary {
  /** Finite values used. */
  n: number;
  mean: number;
  /** Sample sd (NaN for n < 2). */
  sd: number;
  /** Half-width of the 95 % Student-t interval, t(0.975, n−1)·sd/√n; NaN (undefined) for n < 2. */
  half: number;
}

/** Mean ± 95 % CI half-width over seeds (see Summary). */
export function summarize(xs: readonly number[]): Summary {
  const v = finite(xs);
  const n = v.length;
  const sd = sampleSd(v);
  return { n, mean: mean(v), sd, half: n < 2 ? NaN : (tQuantile(0.975, n - 1) * sd) / Math.sqrt(n) };
}

/**
 * The 95 % interval of a Summary kept inside [min, max] (an accuracy in percent cannot leave 0–100; two seeds give
 * t(0.975, 1) = 12.7 and a half-width that can exceed the scale). `clipped`: whether a bound was moved.
 */
export function boundedInterval(s: Summary, min = 0, max = 100): { lo: number; hi: number; clipped: boolean } {
  if (!Number.isFinite(s.half)) return { lo: NaN, hi: NaN, clipped: false };
  const lo = s.mean - s.half;
  const hi = s.mean + s.half;
  return { lo: Math.max(min, lo), hi: Math.min(max, hi), clipped: lo < min || hi > max };
}

/** Linear-interpolation quantile (R's type 7) of sorted values. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

// ---- The paired bootstrap.

/** One seed pair's verdicts: the same item keys (`${benchmark}/${uid}`) under method A and method B. */
export interface SeedPair {
  a: ReadonlyMap<string, number>;
  b: ReadonlyMap<string, number>;
}

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /**
   * The stratum of an item key (e.g. its benchmark). With strata the statistic is the unweighted mean over strata of
   * each stratum's mean difference and items are resampled within their stratum: the paper's Avg, where every
   * benchmark counts once. Default: one stratum.
   */
  stratum?: (key: string) => string;
  /**
   * The cluster of an item key (e.g. a WeMath problem group: its one-step sub-problems and their composite), or
   * undefined for an item that stands alone. A resample draws whole clusters with replacement within each stratum,
   * and a stratum's statistic is the drawn items' mean difference: rows of one problem are not independent draws.
   * Items that all stand alone draw exactly as without the option.
   */
  cluster?: (key: string) => string | undefined;
}

export interface BootstrapResult {
  /** Observed mean difference A − B (in the verdicts' unit: a fraction of items). */
  diff: number;
  /** 95 % percentile interval of the resampled differences. */
  lo: number;
  hi: number;
  /**
   * Two-sided p-value: 2 × (resamples at 0 or on the other side of it than the observed difference + 1) /
   * (resamples + 1), at most 1. A resample of exactly 0 counts against the difference (verdicts are 0/1, so ties at
   * 0 are common, and counting them keeps the test conservative); the +1 keeps p above 0 for a finite number of draws.
   */
  p: number;
  /** Standard deviation of the resampled differences: the bootstrap's standard error of diff. */
  se: number;
  /** Items paired (present for both methods in every seed pair). */
  items: number;
  seeds: number;
  resamples: number;
}

const EMPTY: BootstrapResult = { diff: NaN, lo: NaN, hi: NaN, p: NaN, se: NaN, items: 0, seeds: 0, resamples: 0 };

/**
 * Paired bootstrap of the accuracy difference A − B over items and seeds. Items are those both methods answered in
 * every seed pair (pairing by key, so the order of the files does not matter); an item whose verdict is not a finite
 * number is left out. Each resample draws the seed pairs with replacement (when there is more than one) and, jointly
 * for those seeds, the items with replacement — an item is the same question under every seed, so it is drawn once.
 */
export function pairedBootstrap(pairs: readonly SeedPair[], opts: BootstrapOptions): BootstrapResult {
  if (pairs.length === 0) return { ...EMPTY };
  const keys = [...pairs[0]!.a.keys()]
    .filter((k) => pairs.every((p) => Number.isFinite(p.a.get(k)) && Number.isFinite(p.b.get(k))))
    .sort();
  if (keys.length === 0) return { ...EMPTY, seeds: pairs.length };
  const S = pairs.length;
  const K = keys.length;
  // d[s·K + k]: the difference of seed pair s on item k.
  const d = new Float64Array(S * K);
  pairs.forEach((p, s) => keys.forEach((k, i) => (d[s * K + i] = p.a.get(k)! - p.b.get(k)!)));
  const strataOf = opts.stratum ?? (() => '');
  const byStratum = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const h = strataOf(k);
    const list = byStratum.get(h);
    if (list) list.push(i);
    else byStratum.set(h, [i]);
  });
  const strata = [...byStratum.keys()].sort().map((h) => byStratum.get(h)!);
  // Per stratum, its units: clusters of item indices (in order of first appearance), singletons for lone items.
  const units = strata.map((items) => {
    if (!opts.cluster) return items.map((k) => [k]);
    const byCluster = new Map<string, number[]>();
    const out: number[][] = [];
    for (const k of items) {
      const c = opts.cluster(keys[k]!);
      const unit = c === undefined ? undefined : byCluster.get(c);
      if (unit) unit.push(k);
      else {
        const fresh = [k];
        out.push(fresh);
        if (c !== undefined) byCluster.set(c, fresh);
      }
    }
    return out;
  });
  const colSum = new Float64Array(K);
  const allSeeds = pairs.map((_, s) => s);
  const rng = new Rng(opts.seed);
  // The statistic over the given seeds and, per stratum, either all its items or as many drawn with replacement.
  const statistic = (seeds: readonly number[], resample: boolean): number => {
    colSum.fill(0);
    for (const s of seeds) for (let k = 0; k < K; k++) colSum[k] += d[s * K + k]!;
    let total = 0;
    strata.forEach((items, h) => {
      let sum = 0;
      const n = items.length;
      const stratumUnits = units[h]!;
      if (!resample) for (const k of items) sum += colSum[k]!;
      else if (stratumUnits.length === n) for (let j = 0; j < n; j++) sum += colSum[items[rng.int(0, n - 1)]!]!;
      else {
        // Whole clusters: as many draws as the stratum has units, the mean over the items they bring.
        let drawn = 0;
        for (let j = 0; j < stratumUnits.length; j++) {
          const unit = stratumUnits[rng.int(0, stratumUnits.length - 1)]!;
          for (const k of unit) sum += colSum[k]!;
          drawn += unit.length;
        }
        total += sum / (drawn * seeds.length);
        return;
      }
      total += sum / (n * seeds.length);
    });
    return total / strata.length;
  };
  const diff = statistic(allSeeds, false);
  const R = Math.max(1, Math.floor(opts.resamples));
  const draws = new Float64Array(R);
  let opposite = 0;
  for (let r = 0; r < R; r++) {
    const seeds = S > 1 ? allSeeds.map(() => rng.int(0, S - 1)) : allSeeds;
    const x = statistic(seeds, true);
    draws[r] = x;
    if (diff > 0 ? x <= 0 : diff < 0 ? x >= 0 : true) opposite++;
  }
  draws.sort();
  const p = diff === 0 ? 1 : Math.min(1, (2 * (opposite + 1)) / (R + 1));
  return { diff, lo: sortedQuantile(draws, 0.025), hi: sortedQuantile(draws, 0.975), p, se: R > 1 ? sampleSd(Array.from(draws)) : NaN, items: K, seeds: S, resamples: R };
}

/**
 * z(0.975) + z(0.80): a difference of this many standard errors is detected with 80 % power by a two-sided test at
 * α = 0.05 (the usual minimum detectable difference: MDD = (z₁₋α/₂ + z₁₋β) · SE).
 */
export const MDD_FACTOR = tQuantile(0.975, Infinity) + tQuantile(0.8, Infinity);

/** The minimum detectable difference of a comparison whose difference has standard error `se` (see MDD_FACTOR). */
export function minimumDetectableDifference(se: number): number {
  return MDD_FACTOR * se;
}
