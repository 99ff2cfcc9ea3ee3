// Each trainable method's default learning rate, chosen the same way for all: the tuning grid
// (`rlsd-bench sweep --preset tuning`: lr 3e-5 / 1e-4 / 3e-4, 150 steps with a cosine decay over them, one seed, from
// the committed base) evaluated on the mini validation split, never on the test split the tables report; the value
// with the highest benchmark-mean accuracy (Avg) at the last evaluation wins. One seed of 300 validation problems
// separates values only by more than ~3 points: the sources say where the choice is within that noise.
// The grid, its table and the curves are in results/reference/README.md ("The tuning grid").
// TUNED_LR_MINI2 holds the rates the same protocol chose on the deep world (suite mini-2, the default base); a
// method trains at the rate of its base's suite (methods/index.ts methodLr).
import type { Sourced } from './options.ts';

/** The mini suite whose base the rates of TUNED_LR were tuned from (a method's `recommendedLr`). */
export const DEFAULT_TUNING_SUITE = 'mini-1';

const GRID = 'tuning grid (sweep --preset tuning, validation, 150 steps, 1 seed; results/reference/README.md): last Avg';

export const TUNED_LR = {
  grpo: { value: 3e-5, source: `${GRID} 63.9 at 3e-5, 61.5 at 1e-4, 52.6 at 3e-4 (3e-5 vs 1e-4 within noise; 1e-4 dips to 54.6 at step 50 and recovers)` },
  opsd: { value: 1e-4, source: `${GRID} 4.3 at 3e-5, 6.4 at 1e-4, 0.0 at 3e-4: every rate collapses with the answer-only context` },
  hybrid: { value: 3e-5, source: `${GRID} 57.0 at 3e-5, 15.6 at 1e-4, 6.9 at 3e-4 (with opsdWeight 1; the default pair 3e-5 with 0.25 is untested)` },
  rlsd: { value: 1e-4, source: `${GRID} 62.4 at 3e-5, 62.6 at 1e-4, 53.0 at 3e-4 (3e-5 vs 1e-4 within noise)` },
  sdpo: { value: 3e-5, source: `${GRID} 42.3 at 3e-5, 17.0 at 1e-4, 9.5 at 3e-4: every rate declines after a peak at steps 5–10` },
} as const satisfies Record<string, Sourced<number>>;

const GRID2 = 'mini-2 tuning grid (the tuning preset from results/reference/base, the five-habit base, validation, 150 steps, 1 seed; results/reference/tuning-mini2-2026-12-08): Avg on the final set (2000 problems per benchmark) at step 150';

/**
 * The rates tuned on the deep world (suite mini-2) by the same protocol: a method's `recommendedLrBySuite['mini-2']`.
 * Re-tuned on 2026-12-08 when the five-habit base became the default; the grid from `mini2-habits` chose the same
 * rates except RLSD's (1e-4 there).
 */
export const TUNED_LR_MINI2 = {
  grpo: { value: 1e-4, source: `${GRID2}: 70.97 at 3e-5, 73.61 at 1e-4, 72.24 at 3e-4` },
  opsd: { value: 3e-5, source: `${GRID2}: 16.20 at 3e-5, 0.46 at 1e-4, 0.00 at 3e-4 — every rate collapses after a peak at steps 5–20 (55–59 on the curve)` },
  hybrid: { value: 1e-4, source: `${GRID2}: 72.57 at 1e-4 with the default opsdWeight 0.25 (0.05 with 4), and with opsdWeight 1: 69.96 at 3e-5, 67.92 at 1e-4, 0.34 at 3e-4 — the rate at which the default weight was measured best` },
  rlsd: { value: 3e-4, source: `${GRID2}: 71.32 at 3e-5, 73.01 at 1e-4, 73.12 at 3e-4 (3e-4 vs 1e-4 within noise, 0.11 points against an item SE of ≈ 0.45)` },
  sdpo: { value: 3e-5, source: `${GRID2}: 29.69 at 3e-5, 6.05 at 1e-4, 6.95 at 3e-4 — every rate declines after a peak at steps 5–45` },
} as const satisfies Record<string, Sourced<number>>;

/** Hybrid's OPSD weight (grpoWeight 1), tuned on the same grid at lr 1e-4, one axis at a time. */
export const HYBRID_OPSD_WEIGHT_SOURCE = `${GRID} at lr 1e-4: 59.6 at 0.25, 15.6 at 1, 0.0 at 4 — the OPSD term drags the sum down as it drags OPSD`;

/** The rate of a method that declares none (not yet on the grid): train's --lr default, design §7's 1e-4. */
export const UNTUNED_LR = { value: 1e-4, source: "train's default --lr: the method declares no tuned rate (sweep --preset tuning finds one)" } as const satisfies Sourced<number>;
