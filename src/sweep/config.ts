// A sweep's config: a YAML (or JSON) file, its shape checked by ajv against SWEEP_SCHEMA, then every train flag
// and method option checked by the rules they are declared with (TRAIN_OPTIONS in src/train/config.ts, the method
// registry's resolveMethodConfig) — nothing about them is stated here a second time. Every refusal is one line
// naming the file and the key: `sweep.yaml: train.stepz: unknown train option (known: steps, prompts, …)`.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, resolve } from 'node:path';
import type { Ajv, ErrorObject } from 'ajv';
import { getMethod, methodNames, reportOrder, resolveMethodConfig } from '../../methods/index.ts';
import type { OptionValue } from '../../methods/options.ts';
import { defaultBase } from '../paths.ts';
import { checkTrainConfig, DEFAULT_TRAIN, TRAIN_OPTIONS, ruleProblem, type TrainConfig, type TrainOption } from '../train/config.ts';
import { parseEvalSchedule } from '../train/evaluate.ts';
import { UsageError } from '../util/errors.ts';
import { firstInvalidUtf8 } from '../util/jsonl.ts';
import { SWEEP_SCHEMA } from './schema.ts';

export type TrainValue = string | number | boolean;

/** A named ablation row: `<method>-<name>` for each of its methods, with its train flags and method options on top. */
export interface OverrideSpec {
  name: string;
  methods: string[];
  train: Record<string, TrainValue>;
  opt: Record<string, OptionValue>;
}

/**
 * A checked sweep config in its canonical form (what sweep.json records and a rerun compares): every key present,
 * train flags in TRAIN_OPTIONS order, method options in their canonical text (a teacher regime 'sync:010' → 'sync:10').
 */
export interface SweepConfig {
  name: string;
  /** The base checkpoint as written (relative to the config file's folder); null: the committed base. */
  base: string | null;
  methods: string[];
  seeds: number[];
  /** Train flags by long name, the same for every cell. */
  train: Record<string, TrainValue>;
  /** Method options per method. */
  opt: Record<string, Record<string, OptionValue>>;
  /** Per key (a train flag or a method option) the values that each add an override row to every trainable method. */
  grid: Record<string, TrainValue[]>;
  overrides: OverrideSpec[];
  /** With a grid or overrides, whether the plain method rows run too. */
  include_plain: boolean;
}

/** Train flags a sweep sets itself: a config naming them would contradict the grid. */
const SET_BY_SWEEP: Record<string, string> = {
  seed: 'set by seeds (one cell per seed)',
  'stop-after': 'not for sweeps: a cell is done only at its last step (interrupt the sweep instead; a rerun resumes)',
};

/** The train flags a config may name. */
export const SWEEP_TRAIN_OPTIONS: readonly TrainOption[] = TRAIN_OPTIONS.filter((o) => !(o.flag in SET_BY_SWEEP));

/**
 * Most cells a sweep takes: every cell is a train run with a folder of its own (checkpoints of ~3 MB each) and a line
 * in sweep.json, expanded, ordered and listed by --status and --dry-run at once.
 */
export const MAX_CELLS = { max: 10_000, why: 'every cell is a train run with its own folder (≥ 2 checkpoints of ~3 MB: 10000 cells ≥ 60 GB), and sweep.json and --status list them all; split the grid into several sweeps' } as const;

/** A refusal of a config: one line naming the file and the key. */
export class SweepConfigError extends UsageError {
  override name = 'SweepConfigError';
}

/** `lr=3e-5` rather than `lr=0.00003`: values in row names as one would write them. */
export function formatValue(v: TrainValue): string {
  if (typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-3) return v.toExponential();
  return String(v);
}

/** `/train/stepz` → `train.stepz`, `/methods/2` → `methods[2]` (JSON Pointer escapes undone; `raw` tells lists from maps). */
function keyPath(pointer: string, raw: unknown, extra?: string): string {
  const segs = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segs.push(extra);
  let at: unknown = raw;
  let out = '';
  for (const s of segs) {
    out = Array.isArray(at) ? `${out}[${s}]` : out ? `${out}.${s}` : s;
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[s] : undefined;
  }
  return out;
}

/** The properties a schema node declares, for the 'unknown key (known: …)' line. */
function knownKeys(pointer: string): string[] {
  const segs = pointer.split('/').slice(1);
  let node: unknown = SWEEP_SCHEMA;
  for (const s of segs) {
    const n = node as { properties?: Record<string, unknown>; items?: unknown };
    node = /^\d+$/.test(s) ? n.items : n.properties?.[s];
  }
  return Object.keys((node as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
}

function schemaError(e: ErrorObject, raw: unknown): { key: string; message: string } {
  const p = e.params as Record<string, unknown>;
  const at = (extra?: string): string => keyPath(e.instancePath, raw, extra) || '(top level)';
  if (e.keyword === 'additionalProperties') return { key: at(String(p['additionalProperty'])), message: `unknown key (known: ${knownKeys(e.instancePath).join(', ')})` };
  if (e.keyword === 'required') return { key: at(String(p['missingProperty'])), message: 'missing' };
  if (e.keyword === 'type') {
    // `{ eval-schedule: 5@50,25 }`: in a flow mapping the comma ends the entry, and `25` becomes a key of its own.
    const flowComma = e.data === null && /\.\d+$/.test(at()) ? "; inside { … } a comma separates entries: quote a value that has one, e.g. eval-schedule: '5@50,25'" : '';
    return { key: at(), message: `must be ${String(p['type']).replace(/,/g, ' or ')}${e.data === null ? ` (got nothing${flowComma})` : ''}` };
  }
  if (e.keyword === 'pattern') return { key: at(), message: `must be a name of letters, digits and . _ - (= , : + in override names), starting with a letter or digit` };
  if (e.keyword === 'uniqueItems') {
    const [i, j] = [Number(p['i']), Number(p['j'])].sort((a, b) => a - b);
    return { key: at(), message: `holds the same value twice (items ${i} and ${j})` };
  }
  return { key: at(), message: e.message ?? e.keyword };
}

// ajv and yaml (CommonJS packages) are required on first use rather than imported: every command of the CLI imports
// this module, and only the ones that read a sweep's config need them.
const requireHere = createRequire(import.meta.url);

let validator: ReturnType<Ajv['compile']> | null = null;

/** The raw value's shape against SWEEP_SCHEMA; throws the first problem. */
function checkShape(raw: unknown, file: string): void {
  validator ??= new (requireHere('ajv') as typeof import('ajv')).Ajv({ allErrors: false, strict: true, allowUnionTypes: true, verbose: true }).compile(SWEEP_SCHEMA);
  if (validator(raw)) return;
  const { key, message } = schemaError(validator.errors![0]!, raw);
  throw new SweepConfigError(`${file}: ${key}: ${message}`);
}

/**
 * `methods: all` (every registered method) and `methods: trainable` (those that train) as the list they stand for,
 * in the report's row order, so that a preset takes a new method without naming it.
 */
export const METHOD_LISTS: Readonly<Record<string, () => string[]>> = {
  all: () => [...reportOrder],
  trainable: () => reportOrder.filter((m) => getMethod(m).trains),
};

function withMethodLists(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  if (!('methods' in raw) || typeof raw.methods !== 'string' || !Object.hasOwn(METHOD_LISTS, raw.methods)) return raw;
  return { ...raw, methods: METHOD_LISTS[raw.methods]!() };
}

/** Checks and canonicalises config values; `fail` throws the one-line error for a key. */
class Checker {
  constructor(readonly file: string) {}

  fail(key: string, message: string): never {
    throw new SweepConfigError(`${this.file}: ${key}: ${message}`);
  }

  method(key: string, name: string): string {
    if (!methodNames.includes(name)) this.fail(key, `unknown method '${name}' (known: ${methodNames.join(', ')})`);
    return name;
  }

  trainOption(key: string, flag: string): TrainOption {
    if (flag in SET_BY_SWEEP) this.fail(key, SET_BY_SWEEP[flag]!);
    const o = SWEEP_TRAIN_OPTIONS.find((x) => x.flag === flag);
    if (!o) this.fail(key, `unknown train option (known: ${SWEEP_TRAIN_OPTIONS.map((x) => x.flag).join(', ')})`);
    return o;
  }

  trainValue(key: string, o: TrainOption, v: TrainValue): TrainValue {
    const problem = ruleProblem(o.rule, v);
    // A size bound says why it is there, as train's flag does.
    if (problem) this.fail(key, o.rule.kind === 'number' && o.rule.why !== undefined && typeof v === 'number' && Number.isSafeInteger(v) && o.rule.max !== undefined && v > o.rule.max ? `${problem}: ${o.rule.why}` : problem);
    // The report is built from evaluations: a cell that never evaluates has nothing to report.
    if (o.field === 'evalSchedule') {
      const s = parseEvalSchedule(String(v));
      if (typeof s !== 'string' && s.segments.length === 0) this.fail(key, `a sweep needs evaluations (${JSON.stringify(v)} never evaluates)`);
    }
    return v;
  }

  /** Train flags by long name, checked one by one, in TRAIN_OPTIONS order. */
  train(key: string, values: Record<string, TrainValue> | undefined): Record<string, TrainValue> {
    const out: Record<string, TrainValue> = {};
    for (const [flag, v] of Object.entries(values ?? {})) out[flag] = this.trainValue(`${key}.${flag}`, this.trainOption(`${key}.${flag}`, flag), v);
    return sortTrain(out);
  }

  /** A method's options through the registry; returns them in canonical form. */
  options(key: string, method: string, values: Record<string, OptionValue>): Record<string, OptionValue> {
    let resolved: Record<string, OptionValue>;
    try {
      resolved = resolveMethodConfig(getMethod(method), values) as Record<string, OptionValue>;
    } catch (e) {
      return this.fail(key, (e as Error).message);
    }
    return Object.fromEntries(Object.keys(values).sort().map((k) => [k, resolved[k]!]));
  }
}

/** Train flags in the order of TRAIN_OPTIONS (so equal configs are equal text). */
export function sortTrain(values: Record<string, TrainValue>): Record<string, TrainValue> {
  const out: Record<string, TrainValue> = {};
  for (const o of TRAIN_OPTIONS) if (values[o.flag] !== undefined) out[o.flag] = values[o.flag]!;
  return out;
}

/** Whether a method changes the policy (the base row is one evaluation; grids and overrides apply to the others). */
export function trains(method: string): boolean {
  return getMethod(method).trains;
}

interface RawConfig {
  name?: string;
  base?: string | null;
  methods: string[];
  seeds: number[];
  train?: Record<string, TrainValue>;
  opt?: Record<string, Record<string, OptionValue>>;
  grid?: Record<string, TrainValue[]>;
  overrides?: { name: string; methods: string[]; train?: Record<string, TrainValue>; opt?: Record<string, OptionValue> }[];
  include_plain?: boolean;
}

/** A sweep name: it names the sweep's records (the schema's pattern). */
const SWEEP_NAME = new RegExp(SWEEP_SCHEMA.properties.name.pattern);

/** The seed rule train's --seed is checked by. */
const SEED_OPTION = TRAIN_OPTIONS.find((o) => o.flag === 'seed')!;

/**
 * A parsed config (the object a YAML or JSON file holds) checked and put in canonical form. `file` names it in
 * errors; `defaultName` is the name when the config gives none (a file's name; without it, name is required). The
 * cell count is checked before anything is expanded; last, its rows are expanded once for what only a whole row
 * shows (expandRows).
 */
export function checkSweepConfig(given: unknown, file: string, defaultName?: string): SweepConfig {
  const raw = withMethodLists(given);
  checkShape(raw, file);
  const r = raw as RawConfig;
  const c = new Checker(file);
  if (r.name === undefined && defaultName === undefined) c.fail('name', 'missing');
  if (r.name === undefined && !SWEEP_NAME.test(defaultName!))
    c.fail('name', `missing, and the file name '${defaultName}' is not a sweep name (letters, digits and . _ -, starting with a letter or digit): give one`);
  const name = r.name ?? defaultName!;
  const methods = r.methods.map((m, i) => c.method(`methods[${i}]`, m));
  r.seeds.forEach((s, i) => {
    const problem = ruleProblem(SEED_OPTION.rule, s);
    if (problem) c.fail(`seeds[${i}]`, problem);
  });
  const trainable = methods.filter(trains);
  const train = c.train('train', r.train);
  const opt: SweepConfig['opt'] = {};
  for (const [m, values] of Object.entries(r.opt ?? {})) {
    c.method(`opt.${m}`, m);
    const inOverrides = (r.overrides ?? []).some((o) => o.methods.includes(m));
    if (!methods.includes(m) && !inOverrides) c.fail(`opt.${m}`, `method '${m}' is in neither methods nor an override (methods: ${methods.join(', ')})`);
    opt[m] = c.options(`opt.${m}`, m, values);
  }
  const grid: SweepConfig['grid'] = {};
  for (const [k, values] of Object.entries(r.grid ?? {})) {
    if (trainable.length === 0) c.fail(`grid.${k}`, `a grid adds rows to the methods that train, and methods lists none (${methods.join(', ')})`);
    const o = SWEEP_TRAIN_OPTIONS.find((x) => x.flag === k);
    if (o) grid[k] = values.map((v, i) => c.trainValue(`grid.${k}[${i}]`, o, v));
    else if (k in SET_BY_SWEEP) c.trainOption(`grid.${k}`, k);
    else {
      const having = trainable.filter((m) => Object.hasOwn(getMethod(m).options, k));
      if (having.length === 0)
        c.fail(`grid.${k}`, `neither a train option (${SWEEP_TRAIN_OPTIONS.map((x) => x.flag).join(', ')}) nor an option of ${trainable.join(', ')} (see \`rlsd-bench methods --verbose\`)`);
      grid[k] = values.map((v, i) => {
        let canonical: OptionValue = v;
        for (const m of having) canonical = c.options(`grid.${k}[${i}]`, m, { ...(opt[m] ?? {}), [k]: v })[k]!;
        return canonical;
      });
    }
  }
  const overrides: OverrideSpec[] = (r.overrides ?? []).map((o, i) => {
    const at = `overrides[${i}]`;
    const ms = o.methods.map((m, j) => {
      c.method(`${at}.methods[${j}]`, m);
      if (!trains(m)) c.fail(`${at}.methods[${j}]`, `method '${m}' trains nothing: its override row would equal the base row`);
      return m;
    });
    const otrain = c.train(`${at}.train`, o.train);
    let oopt: Record<string, OptionValue> = {};
    for (const m of ms) oopt = c.options(`${at}.opt`, m, { ...(opt[m] ?? {}), ...(o.opt ?? {}) });
    // Keep only the override's own keys (the per-method options are applied again per row).
    oopt = Object.fromEntries(Object.keys(o.opt ?? {}).sort().map((k) => [k, oopt[k]!]));
    return { name: o.name, methods: ms, train: otrain, opt: oopt };
  });
  const cfg: SweepConfig = { name, base: r.base ?? null, methods, seeds: [...r.seeds], train, opt, grid, overrides, include_plain: r.include_plain ?? true };
  checkCellCount(cfg, file);
  expandRows(cfg, file);
  return cfg;
}

/** One row of the tables: a method with its train flags and method options. */
export interface SweepRow {
  /** The label: the method, or `<method>-<override>` (`grpo-lr=3e-5`, `hybrid-opsdWeight=0.25`). */
  row: string;
  method: string;
  override: string | null;
  train: Record<string, TrainValue>;
  opt: Record<string, OptionValue>;
  /** The config key the row comes from, for errors ('train', 'grid', 'overrides[1]'). */
  where: string;
}

/** Cartesian product of the grid: one assignment per combination, keys in the config's order. */
function gridCombinations(grid: Record<string, TrainValue[]>): [string, TrainValue][][] {
  let out: [string, TrainValue][][] = [[]];
  for (const [k, values] of Object.entries(grid)) out = out.flatMap((combo) => values.map((v) => [...combo, [k, v] as [string, TrainValue]]));
  return Object.keys(grid).length === 0 ? [] : out;
}

const TRAIN_FLAGS = new Set(TRAIN_OPTIONS.map((o) => o.flag));

/**
 * The rows of a config in table order: base, then per method its plain row and grid rows, then the override rows
 * in the order they are declared. Checks what only a whole row shows (train flags that must agree with each other,
 * two rows of one name) and throws one line naming the file and the key.
 */
export function expandRows(cfg: SweepConfig, file: string): SweepRow[] {
  const rows: SweepRow[] = [];
  const optOf = (m: string): Record<string, OptionValue> => ({ ...(cfg.opt[m] ?? {}) });
  const variants = Object.keys(cfg.grid).length > 0 || cfg.overrides.length > 0;
  for (const m of cfg.methods) {
    if (!trains(m) || !variants || cfg.include_plain) rows.push({ row: m, method: m, override: null, train: { ...cfg.train }, opt: optOf(m), where: 'train' });
    if (!trains(m)) continue;
    for (const combo of gridCombinations(cfg.grid)) {
      const train = { ...cfg.train };
      const opt = optOf(m);
      let applies = true;
      for (const [k, v] of combo) {
        if (TRAIN_FLAGS.has(k)) train[k] = v;
        else if (Object.hasOwn(getMethod(m).options, k)) opt[k] = v as OptionValue;
        else applies = false; // a method option this method does not have: no such row for it
      }
      if (!applies) continue;
      const name = combo.map(([k, v]) => `${k}=${formatValue(v)}`).join(',');
      rows.push({ row: `${m}-${name}`, method: m, override: name, train: sortTrain(train), opt, where: 'grid' });
    }
  }
  cfg.overrides.forEach((o, i) => {
    for (const m of o.methods)
      rows.push({ row: `${m}-${o.name}`, method: m, override: o.name, train: sortTrain({ ...cfg.train, ...o.train }), opt: { ...optOf(m), ...o.opt }, where: `overrides[${i}]` });
  });
  const seen = new Map<string, string>();
  for (const r of rows) {
    const before = seen.get(r.row);
    if (before !== undefined) throw new SweepConfigError(`${file}: ${r.where}: row '${r.row}' is also made by ${before}; give the override another name`);
    seen.set(r.row, r.where);
    checkRow(r, file);
  }
  return rows;
}

/**
 * Refuses a config of more than MAX_CELLS cells, counted without expanding anything (a grid's combinations multiply):
 * per method, its plain row and, when it has every grid key, one row per combination; the base rows once, the
 * others once per seed.
 */
function checkCellCount(cfg: SweepConfig, file: string): void {
  const variants = Object.keys(cfg.grid).length > 0 || cfg.overrides.length > 0;
  let once = 0;
  let rows = 0;
  for (const m of cfg.methods) {
    if (!trains(m)) {
      once += 1;
      continue;
    }
    if (!variants || cfg.include_plain) rows += 1;
    const keys = Object.keys(cfg.grid);
    if (keys.length > 0 && keys.every((k) => TRAIN_FLAGS.has(k) || Object.hasOwn(getMethod(m).options, k))) rows += keys.reduce((n, k) => n * cfg.grid[k]!.length, 1);
  }
  rows += cfg.overrides.reduce((n, o) => n + o.methods.length, 0);
  const seeds = cfg.seeds.length;
  const total = once + rows * seeds;
  if (total <= MAX_CELLS.max) return;
  const parts = [...(once > 0 ? [`${once} base cell${once === 1 ? '' : 's'}`] : []), `${rows} row${rows === 1 ? '' : 's'} × ${seeds} seed${seeds === 1 ? '' : 's'}`].join(' + ');
  // Name the key that makes it large: many seeds, else the grid.
  const key = seeds > rows ? 'seeds' : Object.keys(cfg.grid).length > 0 ? 'grid' : cfg.overrides.length > 0 ? 'overrides' : 'methods';
  throw new SweepConfigError(`${file}: ${key}: ${total} cells (${parts}) — more than the ${MAX_CELLS.max} a sweep takes: ${MAX_CELLS.why}`);
}

/**
 * The flags of one row checked together, by the library's check of a run's config (src/train/config.ts): the rules
 * between train's settings refuse a row in the words train refuses its flags with.
 */
function checkRow(r: SweepRow, file: string): void {
  const cfg: Record<string, unknown> = { ...DEFAULT_TRAIN, method: r.method, base: '', out: '' };
  for (const o of TRAIN_OPTIONS) if (r.train[o.flag] !== undefined) cfg[o.field] = r.train[o.flag];
  try {
    checkTrainConfig(cfg as unknown as TrainConfig);
    resolveMethodConfig(getMethod(r.method), r.opt);
  } catch (e) {
    throw new SweepConfigError(`${file}: ${r.where}: row '${r.row}': ${(e as Error).message}`);
  }
}

/** Parses YAML (JSON is YAML too) into a plain value; a syntax error is one line naming the file and position. */
export function parseSweepText(text: string, file: string): unknown {
  const { parse } = requireHere('yaml') as typeof import('yaml');
  try {
    return parse(text, { prettyErrors: false });
  } catch (e) {
    const first = String((e as Error).message).split('\n')[0];
    throw new SweepConfigError(`${file}: not valid YAML or JSON: ${first}`);
  }
}

/** A config file's text; one that is not UTF-8 (UTF-16 from a Windows editor, Latin-1) is refused as such. */
function readUtf8(path: string, shown: string): string {
  const bytes = readFileSync(path);
  const notUtf8 = (why: string): never => {
    throw new SweepConfigError(`${shown}: not UTF-8 (${why}); save it as UTF-8`);
  };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) notUtf8(`it is UTF-16, by its byte-order mark 0x${bytes[0]!.toString(16)} 0x${bytes[1]!.toString(16)}`);
  // UTF-16 without a mark: ASCII text with a zero byte beside every character.
  if (bytes.length >= 2 && bytes.subarray(0, 64).includes(0)) notUtf8('it is UTF-16: it holds zero bytes between its characters');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    const before = bytes.subarray(0, at).toString('utf8');
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return notUtf8(`byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at line ${line}, column ${column} is not valid UTF-8`);
  }
}

/**
 * Reads, parses and checks a config file (rows included: see cells.ts expandRows). Without a name, the sweep is
 * named after the file (`grid.yaml` → grid).
 */
export function readSweepConfig(path: string, shown: string = path): SweepConfig {
  if (!existsSync(path)) throw new SweepConfigError(`${shown}: no such file`);
  return checkSweepConfig(parseSweepText(readUtf8(path, shown), shown), shown, basename(path, extname(path)));
}

/** The base checkpoint's absolute path: the config's, against the config file's folder `from`, or the committed base. */
export function sweepBase(cfg: SweepConfig, from: string): string {
  return cfg.base === null ? defaultBase() : resolve(from, cfg.base);
}

/** The folder a config file's paths are relative to. */
export function configFolder(path: string): string {
  return dirname(resolve(path));
}
