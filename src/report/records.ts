// Reads a sweep folder back into the report's data model (types.ts). Nothing here throws because of one cell: a
// cell that is missing, running, failed or unreadable becomes a CellRecord with its state and the reason, so the
// report names it instead of dropping it. Only a folder that holds no sweep at all is refused.
//
// Two kinds of folder are read: a sweep's (DIR/sweep.json lists the cells), and runs trained by hand — no sweep.json,
// but run folders (a `train --out`, with run.json) anywhere below DIR. Laid out as a sweep's, DIR/<row>/seed-<n>/, their
// row comes from the folder names; otherwise runs are grouped by method and by the settings run.json records, and a
// row is named after the settings its runs do not share with the method's other runs (rlsd-trainMix=balanced).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DataError, UsageError } from '../util/errors.ts';
import { readJsonl } from '../util/jsonl.ts';
import { itemVerdictsFile } from '../train/evaluate.ts';
import { currentNames, RENAMED_METRICS } from '../train/metrics.ts';
import { BENCHMARK_MEAN, POOLED } from '../train/summary.ts';
import { FULL_PREFIX } from '../train/evaluate.ts';
import { DEFAULT_TRAIN } from '../train/config.ts';
import { creditExamplesFile } from '../train/credit-examples.ts';
import { creditRecordProblem, type CreditRecord } from '../credit/records.ts';
import { getMethod, methodLr } from '../../methods/index.ts';
import { formatTeacherRegime } from '../../methods/teacher-regime.ts';
import type { MethodConfig } from '../../methods/types.ts';
import type { SweepCell } from '../sweep/cells.ts';
import { REPORT_BENCHMARKS, type CellRecord, type CellState, type Evaluation, type ItemGroups, type ItemVerdicts, type RunDescription, type SweepRecords } from './types.ts';

/** The metrics.jsonl keys the dynamics table and panels read (everything else of a line is dropped on load). */
export const DYNAMICS_KEYS = [
  'critic/score/mean',
  'actor/entropy',
  'response_length/mean',
  'leakage/rate',
  'grpo_opsd/stgca_clip_low_ratio',
  'grpo_opsd/stgca_clip_high_ratio',
  'rlsd/delta_abs_mean',
  'perf/teacher_tokens',
  'timing_s/teacher',
  'timing_s/step',
  'opsd/divergence',
  // Where the credit went (src/train/credit.ts): the chart beside the dynamics panels and the credit table.
  'credit/first_wrong_share',
  'credit/first_wrong_uniform',
  'credit/first_wrong_chance',
  'credit/first_wrong_top',
  'credit/filler_share',
  'credit/filler_uniform',
  'credit/filler_token_share',
  'credit/teacher_auroc',
  'credit/teacher_first_wrong_share',
] as const;

const DYNAMICS_SET: ReadonlySet<string> = new Set(DYNAMICS_KEYS);

/**
 * A cell as the sweep lists it (sweep.json `cells[]`: src/sweep/cells.ts), or as inferred from a run folder; its
 * `steps` (or, in records of older versions, the `--steps` of its train arguments `args`) give the configured steps
 * when run.json is missing.
 */
type CellSpec = Pick<SweepCell, 'id' | 'row' | 'method' | 'override' | 'seed' | 'dir'> & {
  steps?: number;
  args?: readonly string[];
  /** A run of the same method, settings and seed as the cell with this id: named, not reported twice. */
  duplicateOf?: string;
};

const SEED_DIR = /^seed-(\d+)$/;

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The first line of an error's message (reasons are printed one per line). */
function oneLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!;
}

/** The cells of DIR/sweep.json; a file that is not a sweep's is refused naming it (it is the report's input). */
function sweepCells(file: string): { name: string; cells: CellSpec[] } {
  let raw: unknown;
  try {
    raw = readJson(file);
  } catch (e) {
    throw new DataError(`${file}: not readable as JSON (${oneLine(e)})`);
  }
  if (!isObject(raw) || !Array.isArray(raw['cells'])) throw new DataError(`${file}: expected an object with a "cells" list (a sweep.json written by \`rlsd-bench sweep\`)`);
  const cells = raw['cells'].map((c, i): CellSpec => {
    if (!isObject(c) || typeof c['id'] !== 'string' || typeof c['row'] !== 'string' || typeof c['method'] !== 'string' || typeof c['dir'] !== 'string' || typeof c['seed'] !== 'number')
      throw new DataError(`${file}: cells[${i}] lacks one of id, row, method, seed, dir`);
    const override = typeof c['override'] === 'string' ? c['override'] : null;
    const args = Array.isArray(c['args']) ? c['args'].map(String) : undefined;
    const steps = typeof c['steps'] === 'number' ? c['steps'] : undefined;
    return { id: c['id'], row: c['row'], method: c['method'], override, seed: c['seed'], dir: c['dir'], ...(steps !== undefined ? { steps } : {}), ...(args ? { args } : {}) };
  });
  return { name: typeof raw['name'] === 'string' ? raw['name'] : basename(resolve(file, '..')), cells };
}

/** run.json's config object, or null when missing or unreadable. */
function runConfig(dir: string): Record<string, unknown> | null {
  try {
    const run = readJson(join(dir, 'run.json'));
    return isObject(run) && isObject(run['config']) ? run['config'] : null;
  } catch {
    return null;
  }
}

/** How a run was configured, from its run.json (null when missing or unreadable); the teacher from the method when not recorded. */
function runDescription(dir: string): RunDescription | null {
  let run: unknown;
  try {
    run = readJson(join(dir, 'run.json'));
  } catch {
    return null;
  }
  if (!isObject(run) || !isObject(run['config'])) return null;
  const cfg = run['config'];
  const backend = isObject(run['backend']) ? run['backend'] : {};
  const provenance = isObject(run['provenance']) ? run['provenance'] : {};
  const out: RunDescription = {};
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const put = <K extends keyof RunDescription>(k: K, v: RunDescription[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  put('lr', num(cfg['lr']));
  put('lrSchedule', str(cfg['lrSchedule']));
  put('warmupSteps', num(cfg['warmupSteps']));
  put('backend', str(backend['name']));
  put('attentionKernel', str(backend['attentionKernel']));
  put('matmulKernel', str(backend['matmulKernel']));
  put('threads', num(backend['threadCount']));
  put('commit', str(provenance['commit']));
  put('teacherRegime', str(cfg['teacherRegime']));
  try {
    const method = getMethod(String(cfg['method']));
    const mcfg = { ...method.defaults, ...(isObject(cfg['methodConfig']) ? cfg['methodConfig'] : {}) } as MethodConfig;
    const context = method.trains ? method.teacherContext(mcfg) : null;
    out.teacherContext = context ?? '';
    if (method.trains && method.creditMeaning) out.creditMeaning = method.creditMeaning(mcfg);
    if (out.teacherRegime === undefined) out.teacherRegime = context && method.teacherRegime ? formatTeacherRegime(method.teacherRegime(mcfg)) : '';
  } catch {
    // A method this version does not know (an endpoint series' label): its teacher is not known either.
  }
  return out;
}

/** The run folders `<row>/seed-<n>` under a folder without sweep.json (empty when there is none with a run.json). */
function scannedCells(dir: string): CellSpec[] {
  const cells: CellSpec[] = [];
  let anyRun = false;
  for (const row of readdirSync(dir).sort()) {
    if (row.startsWith('.') || !isDir(join(dir, row))) continue;
    for (const seedDir of readdirSync(join(dir, row)).sort()) {
      const m = SEED_DIR.exec(seedDir);
      if (!m || !isDir(join(dir, row, seedDir))) continue;
      const rel = `${row}/${seedDir}`;
      const cfg = runConfig(join(dir, rel));
      if (existsSync(join(dir, rel, 'run.json'))) anyRun = true;
      const method = typeof cfg?.['method'] === 'string' ? cfg['method'] : row.split('-')[0]!;
      const seed = typeof cfg?.['seed'] === 'number' ? cfg['seed'] : Number(m[1]);
      // The row names the override after the method's name (the sweep's `<method>-<override>`); anything else is a row of its own.
      const override = row === method ? null : row.startsWith(`${method}-`) ? row.slice(method.length + 1) : row;
      cells.push({ id: rel, row, method, override, seed, dir: rel });
    }
  }
  cells.sort((a, b) => (a.row < b.row ? -1 : a.row > b.row ? 1 : a.seed - b.seed));
  return anyRun ? cells : [];
}

/** Folders never searched for run folders: a run's own subfolders and a report's. */
const NOT_RUN_FOLDERS: ReadonlySet<string> = new Set(['checkpoints', 'evals', 'eval', 'report', 'node_modules']);
/** How deep below DIR run folders are looked for (results/runs/<group>/<run> is 2). */
const MAX_RUN_DEPTH = 4;

/** Every folder holding a run.json under root (root itself included; a run folder's subfolders are not searched), as paths relative to root. */
function findRunFolders(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string, depth: number): void => {
    const abs = rel ? join(root, rel) : root;
    if (existsSync(join(abs, 'run.json'))) {
      out.push(rel);
      return;
    }
    if (depth >= MAX_RUN_DEPTH) return;
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch {
      return;
    }
    for (const n of names) if (!n.startsWith('.') && !NOT_RUN_FOLDERS.has(n) && isDir(join(abs, n))) walk(rel ? `${rel}/${n}` : n, depth + 1);
  };
  walk('', 0);
  return out;
}

/** run.json config fields that say where or how a run was written, or are derived from others, not what it trained. */
const NOT_SETTINGS: ReadonlySet<string> = new Set(['method', 'seed', 'out', 'quiet', 'lrSource', 'teacherWorker', 'stopAfter', 'checkpointEvery', 'methodOptions', 'methodConfig', 'adam', 'model', 'teacherRegime']);

/** A run's settings: train's fields and, under their own names as a sweep's rows name them, the method's resolved options. */
function runSettings(cfg: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(cfg)) if (!NOT_SETTINGS.has(k)) out.set(k, v);
  if (isObject(cfg['methodConfig'])) for (const [k, v] of Object.entries(cfg['methodConfig'])) out.set(k, v);
  return out;
}

/** What a setting is when not given: the method's recommended lr on the run's suite, train's default, the method option's default (undefined: unknown). */
function settingDefault(method: string, key: string, suite: string | undefined): unknown {
  const train = DEFAULT_TRAIN as unknown as Record<string, unknown>;
  try {
    const m = getMethod(method);
    if (key === 'lr') return methodLr(m, suite).value;
    if (key in train) return train[key];
    return (m.defaults as Record<string, unknown>)[key];
  } catch {
    return train[key];
  }
}

/** A setting's value in a row name: 3e-5 rather than 0.00003, a path by its last part. */
function settingText(v: unknown): string {
  if (typeof v === 'number') return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
  if (typeof v === 'string') return v.startsWith('/') ? basename(v) : v;
  return JSON.stringify(v);
}

/**
 * Runs trained by hand, grouped: one row per method and settings. A row's name is the method, then the settings in
 * which its runs differ from the method's other runs and from the default (`rlsd-trainMix=balanced`), so the runs of
 * `train --method rlsd --seed 1` and `--seed 2` form one row with two seeds. A second run of the same row and seed is
 * named as a duplicate of the first (by path order) and not reported twice.
 */
function groupedCells(root: string, rels: readonly string[]): CellSpec[] {
  const runs = rels.map((rel) => {
    const cfg = runConfig(rel ? join(root, rel) : root);
    const id = rel || basename(root);
    return { rel: rel || '.', id, cfg, method: typeof cfg?.['method'] === 'string' ? cfg['method'] : null, settings: cfg ? runSettings(cfg) : new Map<string, unknown>() };
  });
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const cells: CellSpec[] = [];
  const seen = new Map<string, string>();
  for (const run of runs) {
    if (run.method === null) {
      // run.json without a config or a method: loadCell names it unreadable.
      cells.push({ id: run.id, row: run.id, method: run.id, override: null, seed: 0, dir: run.rel });
      continue;
    }
    const method = run.method;
    const others = runs.filter((r) => r.method === method);
    const keys = [...new Set(others.flatMap((r) => [...r.settings.keys()]))].sort();
    const differing = keys.filter((k) => others.some((r) => !same(r.settings.get(k), run.settings.get(k))));
    const own = differing.filter((k) => run.settings.has(k) && !same(run.settings.get(k), settingDefault(method, k, typeof run.cfg?.['suite'] === 'string' ? run.cfg['suite'] : undefined)));
    const override = own.length ? own.map((k) => `${k}=${settingText(run.settings.get(k))}`).join(',') : null;
    const row = override === null ? method : `${method}-${override}`;
    const seed = typeof run.cfg?.['seed'] === 'number' ? run.cfg['seed'] : 0;
    const first = seen.get(`${row}\u0000${seed}`);
    if (first === undefined) seen.set(`${row}\u0000${seed}`, run.id);
    cells.push({ id: run.id, row, method, override, seed, dir: run.rel, ...(first !== undefined ? { duplicateOf: first } : {}) });
  }
  cells.sort((a, b) => (a.row < b.row ? -1 : a.row > b.row ? 1 : a.seed - b.seed || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  return cells;
}

/** The configured steps: run.json's, else sweep.json's, else the `--steps` of the cell's command line, else 0 (unknown). */
function configuredSteps(cfg: Record<string, unknown> | null, spec: CellSpec): number {
  if (typeof cfg?.['steps'] === 'number') return cfg['steps'];
  if (spec.steps !== undefined) return spec.steps;
  const i = spec.args?.indexOf('--steps') ?? -1;
  const v = i >= 0 ? Number(spec.args![i + 1]) : NaN;
  return Number.isFinite(v) ? v : 0;
}

/** The accuracy fields of an evaluation line (per benchmark, pooled `all`, benchmark mean `avg`). */
const ACCURACY_KEY = /^val-core\/[^/]+\/acc\/mean@1$/;
const accuracyKey = (benchmark: string): string => `val-core/${benchmark}/acc/mean@1`;

function isProportion(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
}

/** A bad value as a refusal names it: null, the string "…", 5, NaN. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || v === null || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v;
}

/** The final set's figures of an evaluation line (val-full/*), checked as the curve's are; undefined when it has none. */
function readFull(l: Record<string, number>, where: string): Evaluation['full'] {
  const keys = Object.keys(l).filter((k) => k.startsWith(`${FULL_PREFIX}/`));
  if (keys.length === 0) return undefined;
  const fullKey = (b: string): string => `${FULL_PREFIX}/${b}/acc/mean@1`;
  for (const k of keys) if (k.endsWith('/acc/mean@1') && !isProportion(l[k])) throw new DataError(`${where}: ${k} is ${describeValue(l[k])}; expected a number in 0–1`);
  const perBenchmark: NonNullable<Evaluation['full']>['perBenchmark'] = {};
  for (const b of REPORT_BENCHMARKS) if (fullKey(b) in l) perBenchmark[b] = l[fullKey(b)]!;
  const present = Object.values(perBenchmark);
  const avg = fullKey('avg') in l ? l[fullKey('avg')]! : present.length ? present.reduce((a, b) => a + b, 0) / present.length : NaN;
  const n = l[`${FULL_PREFIX}/n`];
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new DataError(`${where}: ${FULL_PREFIX}/n is ${describeValue(n)}; expected the final set's row count`);
  return { perBenchmark, avg, pooled: l[fullKey('all')] ?? NaN, n };
}

/** metrics.jsonl as evaluations and dynamics, under today's metric names; a step logged twice keeps its last line. */
function readMetrics(file: string): { evaluations: Evaluation[]; dynamics: CellRecord['dynamics']; lastStep: number } {
  // A running cell may be cut mid-append: its torn last line is not an error.
  const lines = readJsonl(file, { tornLastLine: true });
  const evals = new Map<number, Evaluation>();
  const dyn = new Map<number, Record<string, number>>();
  let lastStep = -1;
  // The benchmarks of the first evaluation and its line: every later evaluation must report the same ones.
  let firstBenchmarks: { line: number; keys: string[] } | null = null;
  for (const { line, value } of lines) {
    // Only the keys the report reads go through the renaming (a training line has ~60 others).
    const kept: Record<string, number> = {};
    for (const k in value) if (k === 'step' || k.startsWith('val-') || k.startsWith('eval/') || k in RENAMED_METRICS || DYNAMICS_SET.has(k)) kept[k] = value[k] as number;
    const l = currentNames(kept);
    const step = l['step'];
    if (typeof step !== 'number' || !Number.isFinite(step)) continue;
    lastStep = Math.max(lastStep, step);
    const accuracyKeys = Object.keys(l).filter((k) => ACCURACY_KEY.test(k));
    if (accuracyKeys.length > 0) {
      const where = `${file} line ${line}`;
      // A value that is not a proportion would enter a mean as NaN (dropped, so a row mixes 4 benchmarks with 5) or
      // as a wrong number; a line that is not an evaluation would let an earlier step pass for the last one.
      for (const k of accuracyKeys) if (!isProportion(l[k])) throw new DataError(`${where}: ${k} is ${describeValue(l[k])}; expected a number in 0–1`);
      if (!(POOLED in l)) throw new DataError(`${where}: an evaluation without ${POOLED}`);
      const benchmarkKeys = REPORT_BENCHMARKS.map(accuracyKey).filter((k) => k in l);
      if (firstBenchmarks === null) firstBenchmarks = { line, keys: benchmarkKeys };
      for (const k of firstBenchmarks.keys) if (!benchmarkKeys.includes(k)) throw new DataError(`${where}: ${k} is missing (line ${firstBenchmarks.line} has it)`);
      for (const k of benchmarkKeys) if (!firstBenchmarks.keys.includes(k)) throw new DataError(`${where}: ${k} is present but line ${firstBenchmarks.line} has no such field`);
      const perBenchmark: Evaluation['perBenchmark'] = {};
      for (const b of REPORT_BENCHMARKS) if (accuracyKey(b) in l) perBenchmark[b] = l[accuracyKey(b)]!;
      const present = Object.values(perBenchmark);
      const avg = BENCHMARK_MEAN in l ? l[BENCHMARK_MEAN]! : present.length ? present.reduce((a, b) => a + b, 0) / present.length : NaN;
      const evaluation: Evaluation = { step, perBenchmark, avg, pooled: l[POOLED]! };
      const full = readFull(l, where);
      if (full) evaluation.full = full;
      evals.set(step, evaluation);
    }
    const values: Record<string, number> = {};
    let any = false;
    for (const k of DYNAMICS_KEYS)
      if (typeof l[k] === 'number') {
        values[k] = l[k];
        any = true;
      }
    if (any) dyn.set(step, values);
  }
  const evaluations = [...evals.values()].sort((a, b) => a.step - b.step);
  const dynamics = [...dyn.entries()].sort((a, b) => a[0] - b[0]).map(([step, values]) => ({ step, values }));
  return { evaluations, dynamics, lastStep };
}

/** Per-item verdicts of one evaluation file, keyed `${benchmark}/${uid}`. */
export function readItemVerdicts(file: string): ItemVerdicts {
  return readItemFile(file).verdicts;
}

/** An evaluation file's verdicts and, for the items that carry them, their problem groups. */
export function readItemFile(file: string): { verdicts: ItemVerdicts; groups: ItemGroups } {
  const verdicts: ItemVerdicts = new Map();
  const groups: ItemGroups = new Map();
  for (const { line, value } of readJsonl(file)) {
    const { uid, benchmark, correct, group, key } = value;
    if ((typeof uid !== 'string' && typeof uid !== 'number') || typeof benchmark !== 'string' || (correct !== 0 && correct !== 1 && typeof correct !== 'boolean'))
      throw new DataError(`${file} line ${line}: expected {"uid": …, "benchmark": …, "correct": 0|1}`);
    const id = `${benchmark}/${uid}`;
    verdicts.set(id, correct === 1 || correct === true ? 1 : 0);
    if (typeof group === 'string' && typeof key === 'string') groups.set(id, { group, key });
  }
  return { verdicts, groups };
}

/** A run's worked examples (src/train/credit-examples.ts), each line checked; null when the file is missing. */
export function readCreditExamples(file: string): CreditRecord[] | null {
  if (!existsSync(file)) return null;
  return readJsonl(file).map(({ line, value }) => {
    const problem = creditRecordProblem(value);
    if (problem) throw new DataError(`${file} line ${line}: ${problem} (expected a record of src/credit/records.ts)`);
    return value as unknown as CreditRecord;
  });
}

/** One cell read back; never throws (see the top of this file). */
function loadCell(root: string, spec: CellSpec): CellRecord {
  const dir = resolve(root, spec.dir);
  const cfg = runConfig(dir);
  const cache = new Map<number, { verdicts: ItemVerdicts; groups: ItemGroups } | null>();
  const itemFile = (step: number): { verdicts: ItemVerdicts; groups: ItemGroups } | null => {
    if (!cache.has(step)) {
      const file = itemVerdictsFile(dir, step);
      cache.set(step, existsSync(file) ? readItemFile(file) : null);
    }
    return cache.get(step)!;
  };
  const cell: CellRecord = {
    id: spec.id,
    row: spec.row,
    method: spec.method,
    override: spec.override,
    seed: spec.seed,
    dir,
    state: 'pending',
    steps: configuredSteps(cfg, spec),
    ...(typeof cfg?.['evalSplit'] === 'string' ? { evalSplit: cfg['evalSplit'] } : {}),
    ...(cfg ? { run: runDescription(dir) ?? {} } : {}),
    evaluations: [],
    dynamics: [],
    // Loaded on first use, and only for the steps a table asks for: a 600-step run has dozens of these files.
    items: (step: number): ItemVerdicts | null => itemFile(step)?.verdicts ?? null,
    itemGroups: (step: number): ItemGroups | null => itemFile(step)?.groups ?? null,
    creditExamples: (step: number): CreditRecord[] | null => readCreditExamples(creditExamplesFile(dir, step)),
  };
  const set = (state: CellState, reason?: string): CellRecord => {
    cell.state = state;
    if (reason !== undefined) cell.reason = reason;
    return cell;
  };
  if (spec.duplicateOf !== undefined) return set('duplicate', `the same method, settings and seed as ${spec.duplicateOf}, which is reported`);

  let status: Record<string, unknown> | null = null;
  if (existsSync(join(dir, 'cell.json'))) {
    try {
      const raw = readJson(join(dir, 'cell.json'));
      if (!isObject(raw)) throw new Error('not an object');
      status = raw;
    } catch (e) {
      return set('unreadable', `cell.json: ${oneLine(e)}`);
    }
  }
  if (!existsSync(dir)) return set('pending', 'not started (no folder)');

  const metricsFile = join(dir, 'metrics.jsonl');
  let lastStep = -1;
  let metricsProblem: string | null = null;
  if (existsSync(metricsFile)) {
    try {
      const m = readMetrics(metricsFile);
      cell.evaluations = m.evaluations;
      cell.dynamics = m.dynamics;
      lastStep = m.lastStep;
    } catch (e) {
      metricsProblem = oneLine(e);
    }
  } else metricsProblem = 'no metrics.jsonl';
  const at = `step ${Math.max(lastStep, 0)} of ${cell.steps || '?'}`;

  if (status?.['state'] === 'failed') {
    const exit = typeof status['exitCode'] === 'number' ? `exit code ${status['exitCode']}` : 'failed';
    return set('failed', typeof status['error'] === 'string' && status['error'] ? status['error'].split('\n')[0] : exit);
  }
  if (status?.['state'] === 'running') return set('running', `running (or interrupted) at ${at}`);
  if (status === null && !existsSync(join(dir, 'run.json')) && metricsProblem) return set('pending', 'not started (no run.json, no cell.json)');
  if (cfg === null) return set('unreadable', existsSync(join(dir, 'run.json')) ? 'run.json: not readable or has no config' : 'no run.json');
  // A run folder with run.json but no metrics yet: train was started and has not finished a step (or was killed).
  if (metricsProblem === 'no metrics.jsonl' && status === null) return set('running', 'no metrics.jsonl yet, no cell.json (running or interrupted)');
  if (metricsProblem) return set('unreadable', metricsProblem);
  if (cell.steps > 0 && lastStep < cell.steps) {
    if (status?.['state'] === 'done') return set('unreadable', `cell.json says done but metrics.jsonl ends at ${at}`);
    return set('running', `${at}, no cell.json (running or interrupted)`);
  }
  if (cell.evaluations.length === 0) return set('unreadable', 'no evaluation in metrics.jsonl');
  return set('done');
}

/**
 * The records of a sweep folder: the cells of DIR/sweep.json, or — without one — the run folders
 * DIR/<row>/seed-<n>/run.json. A folder with neither is refused (a UsageError naming sweep.json: DIR is an argument).
 */
export function loadSweepRecords(dir: string): SweepRecords {
  const records = readRecords(dir);
  checkOneBase(records);
  return records;
}

/** The base weights a cell started from: its cell.json's sha256, else its run.json's (null: not recorded). */
function baseWeightsOf(cellDir: string): string | null {
  for (const [file, pick] of [
    ['cell.json', (v: Record<string, unknown>) => v['baseWeightsSha256']],
    ['run.json', (v: Record<string, unknown>) => (isObject(v['base']) ? v['base']['weightsSha256'] : undefined)],
  ] as const) {
    try {
      const v = readJson(join(cellDir, file));
      const sha = isObject(v) ? pick(v) : undefined;
      if (typeof sha === 'string') return sha;
    } catch {
      // missing or unreadable: the cell's own state says so
    }
  }
  return null;
}

/** Refuses cells started from two different base weights (and a sweep.json naming other weights than its cells): one table compares from one base. */
function checkOneBase(records: SweepRecords): void {
  const seen: { who: string; sha: string }[] = [];
  for (const c of records.cells) {
    const sha = baseWeightsOf(c.dir);
    if (sha !== null) seen.push({ who: c.id, sha });
  }
  if (records.source === 'sweep.json') {
    try {
      const sha = (readJson(join(records.dir, 'sweep.json')) as Record<string, unknown>)['baseWeightsSha256'];
      if (typeof sha === 'string') seen.push({ who: 'sweep.json', sha });
    } catch {
      // read before: sweepCells refuses an unreadable one
    }
  }
  const other = seen.find((s) => s.sha !== seen[0]!.sha);
  if (other) throw new DataError(`${records.dir}: cells from two base checkpoints cannot share a table: ${seen[0]!.who} started from base weights sha256 ${seen[0]!.sha.slice(0, 12)}…, ${other.who} from ${other.sha.slice(0, 12)}…; report each base's cells separately`);
}

function readRecords(dir: string): SweepRecords {
  const root = resolve(dir);
  if (!isDir(root)) throw new UsageError(`${root}: no such folder (give a sweep folder: the --out of \`rlsd-bench sweep\`)`);
  const sweepFile = join(root, 'sweep.json');
  if (existsSync(sweepFile)) {
    const { name, cells } = sweepCells(sweepFile);
    return { dir: root, name, source: 'sweep.json', cells: cells.map((c) => loadCell(root, c)) };
  }
  const runFolders = findRunFolders(root);
  if (runFolders.length === 0) throw new UsageError(`${sweepFile}: no such file, and no run folders (a \`train --out\`, with run.json) under ${root}`);
  // A sweep's layout without its sweep.json keeps the rows its folders name; any other gets grouped by settings.
  const sweepLayout = runFolders.every((rel) => {
    const parts = rel.split('/');
    return parts.length === 2 && SEED_DIR.test(parts[1]!);
  });
  const cells = sweepLayout ? scannedCells(root) : groupedCells(root, runFolders);
  return { dir: root, name: basename(root), source: 'run folders', cells: cells.map((c) => loadCell(root, c)) };
}
