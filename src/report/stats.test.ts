// Golden tests of the report's statistics against values computed by hand or taken from standard tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedInterval, incompleteBeta, lnGamma, mean, MDD_FACTOR, minimumDetectableDifference, pairedBootstrap, sampleSd, sortedQuantile, summarize, tQuantile, type SeedPair } from './stats.ts';

const close = (got: number, want: number, tol: number, what = ''): void => assert.ok(Math.abs(got - want) <= tol, `${what} ${got} ≠ ${want} (±${tol})`);

test('stats: Student t quantiles t(0.975, df) match the tables (df 1, 2, 4, 10, 30, ∞)', () => {
  // Fisher & Yates / any statistics text, to 9 decimals; df = ∞ is the normal quantile 1.959963985.
  const table: [number, number][] = [
    [1, 12.706204736],
    [2, 4.30265273],
    [4, 2.776445105],
    [10, 2.228138852],
    [30, 2.042272456],
    [Infinity, 1.959963985],
  ];
  for (const [df, t] of table) close(tQuantile(0.975, df), t, 1e-8, `df ${df}`);
  close(tQuantile(0.025, 4), -2.776445105, 1e-8, 'lower tail');
  close(tQuantile(0.995, 2), 9.924843201, 1e-8, '99 %');
  assert.equal(tQuantile(0.5, 3), 0);
  assert.ok(Number.isNaN(tQuantile(0, 3)) && Number.isNaN(tQuantile(1, 3)) && Number.isNaN(tQuantile(0.9, 0)));
});

test('stats: special functions (ln Γ, the incomplete beta)', () => {
  close(lnGamma(5), Math.log(24), 1e-12);
  close(lnGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
  close(incompleteBeta(0.5, 3, 3), 0.5, 1e-14);
  // I_x(1, 1) = x; I_x(2, 1) = x².
  close(incompleteBeta(0.3, 1, 1), 0.3, 1e-14);
  close(incompleteBeta(0.3, 2, 1), 0.09, 1e-14);
  assert.equal(incompleteBeta(0, 2, 2), 0);
  assert.equal(incompleteBeta(1, 2, 2), 1);
});

test('stats: mean, sample sd and the 95 % CI of [0.6, 0.7, 0.8]', () => {
  const s = summarize([0.6, 0.7, 0.8]);
  assert.equal(s.n, 3);
  close(s.mean, 0.7, 1e-12);
  close(s.sd, 0.1, 1e-12);
  // t(0.975, 2) · 0.1 / √3 = 4.302652730 · 0.057735027 = 0.248413771.
  close(s.half, 0.248413771, 1e-9);
});

test('stats: NaN is left out and counted; one value has no interval; empty input is NaN', () => {
  const s = summarize([1, NaN, 3, Infinity]);
  assert.equal(s.n, 2);
  assert.equal(s.mean, 2);
  close(s.sd, Math.SQRT2, 1e-12);
  // t(0.975, 1) · √2 / √2.
  close(s.half, 12.706204736, 1e-8);
  const one = summarize([0.5]);
  assert.equal(one.n, 1);
  assert.equal(one.mean, 0.5);
  assert.ok(Number.isNaN(one.sd) && Number.isNaN(one.half));
  const none = summarize([]);
  assert.equal(none.n, 0);
  assert.ok(Number.isNaN(none.mean) && Number.isNaN(none.half));
  assert.ok(Number.isNaN(mean([NaN])) && Number.isNaN(sampleSd([])));
  assert.equal(sortedQuantile([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Number.isNaN(sortedQuantile([], 0.5)));
});

const items = (prefix: string, verdicts: number[]): Map<string, number> => new Map(verdicts.map((v, i) => [`${prefix}/u${i}`, v]));

test('stats: paired bootstrap — A always right, B always wrong: diff 1, CI [1, 1], p = 2 / (R + 1)', () => {
  const pairs: SeedPair[] = [1, 2, 3].map(() => ({ a: items('mmmu', Array(10).fill(1)), b: items('mmmu', Array(10).fill(0)) }));
  const r = pairedBootstrap(pairs, { resamples: 999, seed: 1 });
  assert.deepEqual(r, { diff: 1, lo: 1, hi: 1, p: 2 / 1000, se: 0, items: 10, seeds: 3, resamples: 999 });
  const flipped = pairedBootstrap(pairs.map((p) => ({ a: p.b, b: p.a })), { resamples: 999, seed: 1 });
  assert.equal(flipped.diff, -1);
  assert.equal(flipped.p, 2 / 1000);
  const same = pairedBootstrap([{ a: items('x', [1, 0, 1]), b: items('x', [1, 0, 1]) }], { resamples: 200, seed: 1 });
  assert.deepEqual([same.diff, same.lo, same.hi, same.p], [0, 0, 0, 1]);
});

test('stats: paired bootstrap — two items with differences 1 and 0: diff 0.5, CI [0, 1], p ≈ 2 · P(draw only the tie) = 0.5', () => {
  // Two draws with replacement: both the tied item with probability 1/4, so a quarter of the resamples are at 0.
  const r = pairedBootstrap([{ a: items('x', [1, 1]), b: items('x', [0, 1]) }], { resamples: 4000, seed: 3 });
  assert.equal(r.diff, 0.5);
  assert.equal(r.lo, 0);
  assert.equal(r.hi, 1);
  close(r.p, 0.5, 0.05);
  // Seeds are resampled too: seed 1 all +1, seed 2 all 0 → diff 0.5; both draws seed 2 with probability 1/4.
  const seeds = pairedBootstrap(
    [
      { a: items('x', [1, 1, 1]), b: items('x', [0, 0, 0]) },
      { a: items('x', [1, 1, 1]), b: items('x', [1, 1, 1]) },
    ],
    { resamples: 4000, seed: 3 },
  );
  assert.equal(seeds.diff, 0.5);
  close(seeds.p, 0.5, 0.05);
  // Same seed, same answer; another seed, other draws.
  assert.deepEqual(pairedBootstrap([{ a: items('x', [1, 1, 0, 1]), b: items('x', [0, 1, 1, 0]) }], { resamples: 500, seed: 9 }), pairedBootstrap([{ a: items('x', [1, 1, 0, 1]), b: items('x', [0, 1, 1, 0]) }], { resamples: 500, seed: 9 }));
});

test('stats: paired bootstrap pairs by key, drops unpaired and NaN items, and averages strata equally', () => {
  // b lists its items in another order and lacks u2; a's u3 is NaN: u0 and u1 remain.
  const a = new Map([
    ['x/u0', 1],
    ['x/u1', 0],
    ['x/u2', 1],
    ['x/u3', NaN],
  ]);
  const b = new Map([
    ['x/u3', 0],
    ['x/u1', 0],
    ['x/u0', 0],
  ]);
  const r = pairedBootstrap([{ a, b }], { resamples: 100, seed: 1 });
  assert.equal(r.items, 2);
  assert.equal(r.diff, 0.5);
  // Strata: benchmark x (2 items, both +1) and y (4 items, all 0) count once each: (1 + 0) / 2, not 2 / 6; resampling
  // within strata keeps every resample at 0.5.
  const s = pairedBootstrap([{ a: new Map([...items('x', [1, 1]), ...items('y', [1, 1, 0, 0])]), b: new Map([...items('x', [0, 0]), ...items('y', [1, 1, 0, 0])]) }], {
    resamples: 300,
    seed: 1,
    stratum: (k) => k.split('/')[0]!,
  });
  assert.deepEqual([s.diff, s.lo, s.hi, s.items], [0.5, 0.5, 0.5, 6]);
});

test('stats: paired bootstrap of empty input is NaN with zero items', () => {
  const none = pairedBootstrap([], { resamples: 100, seed: 1 });
  assert.ok(Number.isNaN(none.diff) && Number.isNaN(none.p) && Number.isNaN(none.lo));
  assert.equal(none.items, 0);
  const disjoint = pairedBootstrap([{ a: items('x', [1]), b: items('y', [1]) }], { resamples: 100, seed: 1 });
  assert.equal(disjoint.items, 0);
  assert.equal(disjoint.seeds, 1);
  assert.ok(Number.isNaN(disjoint.diff));
});

test('stats: the bootstrap standard error, the minimum detectable difference (2.80 SE) and intervals kept in 0–100', () => {
  // Two items, differences 1 and 0: a resample's mean is 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4 → sd √(1/8).
  const r = pairedBootstrap([{ a: items('x', [1, 1]), b: items('x', [0, 1]) }], { resamples: 4000, seed: 3 });
  close(r.se, Math.sqrt(1 / 8), 0.01, 'se');
  // z(0.975) + z(0.80) = 1.959964 + 0.841621.
  close(MDD_FACTOR, 2.801585, 1e-6, 'MDD factor');
  close(minimumDetectableDifference(r.se), MDD_FACTOR * r.se, 1e-12, "MDD");
  // Two seeds, 10 and 90: 50 ± 12.706 · 56.57 / √2 = 50 ± 508 → [0, 100], clipped; 50 and 52 stay as they are.
  assert.deepEqual(boundedInterval(summarize([10, 90])), { lo: 0, hi: 100, clipped: true });
  const inside = boundedInterval(summarize([50, 52]));
  assert.equal(inside.clipped, false);
  close(inside.lo, 51 - 12.706205 * Math.SQRT2 / Math.SQRT2, 1e-5, 'lo');
  assert.ok(Number.isNaN(boundedInterval(summarize([50])).lo), 'one seed: no interval');
});

test('stats: a cluster bootstrap draws whole problem groups (hand-computed), and lone items draw as without clusters', () => {
  // Four rows in two groups of two, differences [1, 1] and [0, 0]: drawing two groups gives 1, 0.5 or 0 with
  // probabilities 1/4, 1/2, 1/4 → sd √(1/8) ≈ 0.354; drawing four rows alone gives sd √(0.25 / 4) = 0.25.
  const a = items('wemath', [1, 1, 0, 0]);
  const b = items('wemath', [0, 0, 0, 0]);
  const group = (k: string): string => (Number(k.split('/')[1]!.slice(1)) < 2 ? 'g1' : 'g2');
  const clustered = pairedBootstrap([{ a, b }], { resamples: 20000, seed: 5, cluster: group });
  const rows = pairedBootstrap([{ a, b }], { resamples: 20000, seed: 5 });
  assert.equal(clustered.diff, 0.5);
  close(clustered.se, Math.sqrt(1 / 8), 0.01, 'cluster SE');
  close(rows.se, 0.25, 0.01, 'row SE');
  assert.deepEqual([clustered.lo, clustered.hi], [0, 1]);
  // Unequal groups, [1, 1, 1] and [0]: a resample is the drawn rows' mean — 1, 3/4 or 0, never the mean of group means.
  const uneven = pairedBootstrap([{ a: items('w', [1, 1, 1, 0]), b: items('w', [0, 0, 0, 0]) }], { resamples: 4000, seed: 2, cluster: (k) => (k.endsWith('3') ? 'g2' : 'g1') });
  assert.equal(uneven.diff, 0.75);
  assert.deepEqual([uneven.lo, uneven.hi], [0, 1]);
  // Every item alone (no cluster named): the very same draws as without the option.
  const pairs = [{ a: items('x', [1, 0, 1, 1, 0]), b: items('x', [0, 0, 1, 0, 1]) }];
  assert.deepEqual(pairedBootstrap(pairs, { resamples: 500, seed: 9, cluster: () => undefined }), pairedBootstrap(pairs, { resamples: 500, seed: 9 }));
});
