// A regression baseline: one JSON file that says what to run (an ordinary sweep config, so the grid, the budget and
// every flag are checked by the sweep's own rules) and what the runs must give. Two kinds:
//   golden    every logged metric of every cell, and a hash of its final weights, equal to the recorded values;
//   learning  statistics of short runs (training reward, held-out accuracy) inside bands taken from reference
//             seeds, and the named methods beating the shuffled-reward control by a stated margin.
// Users keep their own suites as such files; `rlsd-bench regress FILE --update` writes the values.
import { readFileSync } from 'node:fs';
import { checkSweepConfig, expandRows, type SweepConfig } from '../sweep/config.ts';
import { UsageError } from '../util/errors.ts';
import type { Provenance } from '../provenance.ts';

export const REGRESS_FORMAT = 'rlsd-bench-regress/1';
export const REGRESS_KINDS = ['golden', 'learning'] as const;
export type RegressKind = (typeof REGRESS_KINDS)[number];

/** One logged line of metrics.jsonl without its volatile keys (timings, memory). */
export type MetricLine = Record<string, number | null>;

export interface GoldenCell {
  /** sha256 of the final checkpoint's weights.bin. */
  weightsSha256: string;
  metrics: MetricLine[];
}

export interface GoldenBaseline {
  format: typeof REGRESS_FORMAT;
  kind: 'golden';
  description?: string;
  sweep: SweepConfig;
  backend: string;
  /** |expected − got| ≤ tolerance · max(1, |expected|) for every number. */
  tolerance: number;
  written?: WrittenBy;
  expected: Record<string, GoldenCell>;
}

/** mean ± max(k·sd, floor) of one statistic over the reference seeds. */
export interface Band {
  values: number[];
  mean: number;
  sd: number;
  low: number;
  high: number;
}

export const LEARNING_STATS = ['reward', 'heldout'] as const;
export type LearningStat = (typeof LEARNING_STATS)[number];

export interface LearningBaseline {
  format: typeof REGRESS_FORMAT;
  kind: 'learning';
  description?: string;
  /** What a check runs: `seeds` are the check's seeds (the reference seeds are run by --update). */
  sweep: SweepConfig;
  backend: string;
  /** Seeds whose runs set the bands (≥ 3). */
  reference_seeds: number[];
  /** Band half-width in standard deviations over the reference seeds. */
  k: number;
  /** Smallest band half-width (a statistic that every reference seed gives alike would otherwise allow no change). */
  floor: number;
  /** The shuffled-reward control row (an override row of `sweep`). */
  control: string;
  /** Rows that must beat the control's training reward, same seed, by at least this much. */
  beats_control: Record<string, number>;
  written?: WrittenBy;
  /** Row → statistic → band (written by --update). */
  bands: Record<string, Partial<Record<LearningStat, Band>>>;
  /** Row → its reward minus the control's over the reference seeds (written by --update; what the margins are set against). */
  gaps?: Record<string, Band>;
}

export type Baseline = GoldenBaseline | LearningBaseline;

export interface WrittenBy {
  at: string;
  provenance: Provenance;
}

/** Problems with a baseline file: a usage error (exit 2) naming the file and the field. */
export class BaselineError extends UsageError {
  override name = 'BaselineError';
}

function field(file: string, path: string, why: string): BaselineError {
  return new BaselineError(`${file}: ${path} ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function finite(file: string, path: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw field(file, path, `must be a number${min > -Infinity ? ` ≥ ${min}` : ''} (got ${JSON.stringify(v)})`);
  return v;
}

function band(file: string, path: string, v: unknown): Band {
  if (!isObject(v)) throw field(file, path, 'must be an object {values, mean, sd, low, high}');
  if (!Array.isArray(v['values'])) throw field(file, `${path}.values`, 'must be a list of numbers');
  const values = v['values'].map((x, i) => finite(file, `${path}.values[${i}]`, x));
  const low = finite(file, `${path}.low`, v['low']);
  const high = finite(file, `${path}.high`, v['high']);
  if (low > high) throw field(file, path, `has low ${low} > high ${high}`);
  return { values, mean: finite(file, `${path}.mean`, v['mean']), sd: finite(file, `${path}.sd`, v['sd'], 0), low, high };
}

/** Reads and checks a baseline file; every problem is one line naming the file and the field. */
export function readBaseline(file: string): Baseline {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new BaselineError(`${file}: no such file (a regression baseline: results/reference/regress/*.json, or one written by \`regress FILE --update\`)`);
    if (err.code === 'EISDIR') throw new BaselineError(`${file} is a directory, expected a baseline JSON file`);
    throw new BaselineError(`${file}: not valid JSON (${err.message})`);
  }
  return checkBaseline(raw, file);
}

export function checkBaseline(raw: unknown, file: string): Baseline {
  if (!isObject(raw)) throw new BaselineError(`${file}: a baseline must be a JSON object`);
  if (raw['format'] !== REGRESS_FORMAT) throw field(file, 'format', `must be '${REGRESS_FORMAT}' (got ${JSON.stringify(raw['format'] ?? null)})`);
  const kind = raw['kind'] as RegressKind;
  if (!(REGRESS_KINDS as readonly unknown[]).includes(kind)) throw field(file, 'kind', `must be ${REGRESS_KINDS.join(' or ')} (got ${JSON.stringify(kind ?? null)})`);
  if (!isObject(raw['sweep'])) throw field(file, 'sweep', 'must be a sweep config object (name, methods, seeds, train, …)');
  let sweep: SweepConfig;
  try {
    sweep = checkSweepConfig(raw['sweep'], `${file}: sweep`);
  } catch (e) {
    throw new BaselineError((e as Error).message);
  }
  if (typeof raw['backend'] !== 'string' || raw['backend'] === 'auto') throw field(file, 'backend', `must name the backend the values were recorded on, e.g. "wasm" (got ${JSON.stringify(raw['backend'] ?? null)})`);
  const common = { format: REGRESS_FORMAT, sweep, backend: raw['backend'], ...(typeof raw['description'] === 'string' ? { description: raw['description'] } : {}), ...(isObject(raw['written']) ? { written: raw['written'] as unknown as WrittenBy } : {}) } as const;
  if (kind === 'golden') {
    const tolerance = finite(file, 'tolerance', raw['tolerance'], 0);
    const expectedRaw = raw['expected'] ?? {};
    if (!isObject(expectedRaw)) throw field(file, 'expected', 'must be an object: cell id → {weightsSha256, metrics}');
    const expected: Record<string, GoldenCell> = {};
    for (const [id, c] of Object.entries(expectedRaw)) {
      if (!isObject(c)) throw field(file, `expected["${id}"]`, 'must be an object {weightsSha256, metrics}');
      if (typeof c['weightsSha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(c['weightsSha256'])) throw field(file, `expected["${id}"].weightsSha256`, 'must be a sha256 in hex');
      if (!Array.isArray(c['metrics']) || !c['metrics'].every(isObject)) throw field(file, `expected["${id}"].metrics`, 'must be a list of metric lines');
      expected[id] = { weightsSha256: c['weightsSha256'], metrics: c['metrics'] as MetricLine[] };
    }
    return { ...common, kind, tolerance, expected };
  }
  const seedsRaw = raw['reference_seeds'];
  if (!Array.isArray(seedsRaw) || seedsRaw.length < 3 || !seedsRaw.every((s) => Number.isInteger(s) && s >= 0) || new Set(seedsRaw).size !== seedsRaw.length)
    throw field(file, 'reference_seeds', `must list at least 3 different seeds (got ${JSON.stringify(seedsRaw ?? null)}): a band needs a spread`);
  const k = finite(file, 'k', raw['k'], 0);
  const floor = finite(file, 'floor', raw['floor'], 0);
  const control = raw['control'];
  const rows = new Set(expandedRowNames(sweep));
  if (typeof control !== 'string' || !rows.has(control)) throw field(file, 'control', `must name a row of the sweep (${[...rows].join(', ')}; got ${JSON.stringify(control ?? null)})`);
  const beatsRaw = raw['beats_control'];
  if (!isObject(beatsRaw)) throw field(file, 'beats_control', 'must be an object: row → margin');
  const beats: Record<string, number> = {};
  for (const [row, m] of Object.entries(beatsRaw)) {
    if (!rows.has(row)) throw field(file, `beats_control.${row}`, `is not a row of the sweep (${[...rows].join(', ')})`);
    beats[row] = finite(file, `beats_control.${row}`, m);
  }
  const bandsRaw = raw['bands'] ?? {};
  if (!isObject(bandsRaw)) throw field(file, 'bands', 'must be an object: row → statistic → band');
  const bands: LearningBaseline['bands'] = {};
  for (const [row, stats] of Object.entries(bandsRaw)) {
    if (!isObject(stats)) throw field(file, `bands.${row}`, 'must be an object: statistic → band');
    bands[row] = {};
    for (const [stat, b] of Object.entries(stats)) {
      if (!(LEARNING_STATS as readonly string[]).includes(stat)) throw field(file, `bands.${row}.${stat}`, `is not a statistic (known: ${LEARNING_STATS.join(', ')})`);
      bands[row]![stat as LearningStat] = band(file, `bands.${row}.${stat}`, b);
    }
  }
  const gapsRaw = raw['gaps'];
  const gaps = isObject(gapsRaw) ? Object.fromEntries(Object.entries(gapsRaw).map(([row, b]) => [row, band(file, `gaps.${row}`, b)])) : undefined;
  return { ...common, kind: 'learning', reference_seeds: seedsRaw as number[], k, floor, control, beats_control: beats, bands, ...(gaps ? { gaps } : {}) };
}

/** The row names a sweep config expands to (`grpo`, `grpo-shuffled-rewards`, …). */
export function expandedRowNames(sweep: SweepConfig): string[] {
  return expandRows(sweep, sweep.name).map((r) => r.row);
}
