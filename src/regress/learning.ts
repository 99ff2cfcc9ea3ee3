// The learning check: short runs of every method at a few seeds, summarised by two statistics per run —
//   reward   the mean training reward over the second half of the steps (the verdicts of the method's own samples);
//   heldout  the pooled greedy accuracy on the held-out items at the last step —
// each inside a band set by reference seeds (mean ± max(k·sd, floor)), and the methods that learn from the verifier
// beating the shuffled-reward control's reward, same seed, by a stated margin. A method that stops learning (a
// flipped advantage, a teacher that sees nothing, rewards that no longer follow the verdicts) leaves its band or
// falls to the control.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mean, sampleSd } from '../report/stats.ts';
import { POOLED } from '../train/summary.ts';
import { readJsonl } from '../util/jsonl.ts';
import { textTableLines } from '../util/text-table.ts';
import { DataError } from '../util/errors.ts';
import type { Band, LearningBaseline, LearningStat } from './baseline.ts';
import { LEARNING_STATS } from './baseline.ts';

/** The mean verdict of a step's samples (veRL's name). */
export const REWARD_KEY = 'critic/score/mean';

export type RunStats = Record<LearningStat, number>;

/** The two statistics of one run folder. */
export function runStats(runDir: string): RunStats {
  const file = join(runDir, 'metrics.jsonl');
  if (!existsSync(file)) throw new DataError(`${file}: no such file (the run did not log a step)`);
  const lines = readJsonl(file).map((l) => l.value as Record<string, number>);
  const rewards = lines.filter((l) => typeof l[REWARD_KEY] === 'number').map((l) => l[REWARD_KEY]!);
  const evals = lines.filter((l) => typeof l[POOLED] === 'number');
  if (rewards.length === 0) throw new DataError(`${file}: no training step logged ${REWARD_KEY}`);
  if (evals.length === 0) throw new DataError(`${file}: no evaluation logged ${POOLED}`);
  const half = rewards.slice(Math.floor(rewards.length / 2));
  return { reward: mean(half), heldout: evals[evals.length - 1]![POOLED]! };
}

/** mean ± max(k·sd, floor); one value (a row that runs once) has no spread, so its band is the floor. */
export function makeBand(values: readonly number[], k: number, floor: number): Band {
  const m = mean(values);
  const sd = values.length < 2 ? 0 : sampleSd(values);
  const half = Math.max(k * sd, floor);
  return { values: [...values], mean: m, sd, low: m - half, high: m + half };
}

/** Row → seed → statistics of the runs of a sweep folder. */
export type SweepStats = Record<string, Record<number, RunStats>>;

/**
 * Bands and the control gaps from the reference seeds' runs. A row that does not train (base) runs once per sweep,
 * at its first seed: its held-out accuracy is the base's own and the same at every seed, but its reward is one
 * step's samples, which another seed draws otherwise — so such a row gets a held-out band only.
 */
export function referenceBands(
  stats: SweepStats,
  b: Pick<LearningBaseline, 'k' | 'floor' | 'control' | 'beats_control' | 'reference_seeds'>,
  rowTrains: (row: string) => boolean = () => true,
): Pick<LearningBaseline, 'bands' | 'gaps'> {
  const bands: LearningBaseline['bands'] = {};
  for (const [row, bySeed] of Object.entries(stats)) {
    const seeds = b.reference_seeds.filter((s) => bySeed[s] !== undefined);
    if (seeds.length === 0) throw new DataError(`no run of ${row} at the reference seeds ${b.reference_seeds.join(', ')}`);
    if (rowTrains(row) && seeds.length < b.reference_seeds.length)
      throw new DataError(`${row} has runs at seeds ${seeds.join(', ')} only, not at every reference seed (${b.reference_seeds.join(', ')})`);
    bands[row] = {};
    for (const stat of LEARNING_STATS) if (rowTrains(row) || stat === 'heldout') bands[row]![stat] = makeBand(seeds.map((s) => bySeed[s]![stat]), b.k, b.floor);
  }
  const gaps: Record<string, Band> = {};
  for (const row of Object.keys(b.beats_control))
    gaps[row] = makeBand(
      b.reference_seeds.map((s) => must(stats[row]?.[s], row, s).reward - must(stats[b.control]?.[s], b.control, s).reward),
      b.k,
      0,
    );
  return { bands, gaps };
}

function must(s: RunStats | undefined, row: string, seed: number): RunStats {
  if (!s) throw new DataError(`no run of ${row} at seed ${seed}`);
  return s;
}

/** One check of the learning regression and its outcome. */
export interface LearningCheck {
  row: string;
  seed: number;
  /** 'reward' | 'heldout' | 'reward − control'. */
  what: string;
  value: number;
  low: number;
  high: number;
  pass: boolean;
}

/** Every check of a set of runs against the baseline's bands and margins. */
export function learningChecks(baseline: LearningBaseline, stats: SweepStats): LearningCheck[] {
  const out: LearningCheck[] = [];
  for (const [row, bySeed] of Object.entries(stats).sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const [seedText, s] of Object.entries(bySeed)) {
      const seed = Number(seedText);
      const bands = baseline.bands[row];
      if (!bands || Object.keys(bands).length === 0) throw new DataError(`the baseline has no band for ${row}: run \`rlsd-bench regress FILE --update\` to set the bands`);
      for (const stat of LEARNING_STATS) {
        const band = bands[stat];
        if (band) out.push({ row, seed, what: stat, value: s[stat], low: band.low, high: band.high, pass: s[stat] >= band.low && s[stat] <= band.high });
      }
      const margin = baseline.beats_control[row];
      if (margin !== undefined) {
        const control = stats[baseline.control]?.[seed];
        if (!control) throw new DataError(`no run of the control ${baseline.control} at seed ${seed}`);
        const gap = s.reward - control.reward;
        out.push({ row, seed, what: 'reward − control', value: gap, low: margin, high: Infinity, pass: gap >= margin });
      }
    }
  }
  return out;
}

/**
 * The false-failure rate estimated from the reference runs themselves: each reference seed checked against bands
 * made from the other seeds (leave-one-out), as an innocent change that moves the numbers like another seed would.
 */
export function leaveOneOut(
  stats: SweepStats,
  b: Pick<LearningBaseline, 'k' | 'floor' | 'control' | 'beats_control' | 'reference_seeds'>,
  rowTrains: (row: string) => boolean = () => true,
): { seeds: number; seedsFailed: number[]; checks: number; checksFailed: string[] } {
  const seedsFailed: number[] = [];
  const checksFailed: string[] = [];
  let checks = 0;
  for (const seed of b.reference_seeds) {
    const others = { ...b, reference_seeds: b.reference_seeds.filter((s) => s !== seed) };
    const trained = Object.fromEntries(Object.entries(stats).filter(([row]) => rowTrains(row)));
    const { bands } = referenceBands(trained, others, () => true);
    const held = Object.fromEntries(Object.entries(trained).filter(([, bySeed]) => bySeed[seed] !== undefined).map(([row, bySeed]) => [row, { [seed]: bySeed[seed]! }]));
    const result = learningChecks({ ...others, bands } as LearningBaseline, held);
    checks += result.length;
    const failed = result.filter((c) => !c.pass);
    if (failed.length > 0) seedsFailed.push(seed);
    checksFailed.push(...failed.map((c) => `${c.row} seed ${c.seed} ${c.what} ${(100 * c.value).toFixed(2)}`));
  }
  return { seeds: b.reference_seeds.length, seedsFailed, checks, checksFailed };
}

/** P(X < x) for X ~ N(mean, sd) (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number, mean: number, sd: number): number {
  if (sd === 0) return x > mean ? 1 : 0;
  const z = (x - mean) / (sd * Math.SQRT2);
  const t = 1 / (1 + 0.3275911 * Math.abs(z));
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * (1 + (z >= 0 ? erf : -erf));
}

const pctText = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(2) : '∞');

/** The checks as a table: row, seed, statistic, value, band, PASS/FAIL. */
/** What the statistics are, under the table: heldout is pooled over items, not the report's Avg. */
export const LEARNING_STATS_NOTE = "reward: the mean training reward over the second half of the steps; heldout: greedy accuracy pooled over the held-out items at the last evaluation (pooled, not the report's Avg over benchmarks)";

export function learningTable(checks: readonly LearningCheck[]): string {
  const rows = checks.map((c) => [c.row, String(c.seed), c.what, pctText(c.value), c.high === Infinity ? `≥ ${pctText(c.low)}` : `[${pctText(c.low)}, ${pctText(c.high)}]`, c.pass ? 'pass' : 'FAIL']);
  return `${textTableLines(['row', 'seed', 'statistic (%)', 'value', 'band', ''], rows, ['l', 'r', 'l', 'r']).join('\n')}\n${LEARNING_STATS_NOTE}\n`;
}
