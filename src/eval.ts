// The evaluation runner (lmms-eval style): for each benchmark, load items, prompt the policy, score every
// response with the benchmark's official rules, append one record per (item, sample) to samples.jsonl,
// and rebuild the metrics from those records into results.json. An interrupted evaluation resumes and
// skips the records already written. The folder records what produced it (eval.json: checkpoint weights or endpoint
// and model, data, sampling, backend, scorer code); a run with other settings refuses instead of mixing its samples in.
//
// Who answers is a Responder: the local policy (a checkpoint, decoded in batches) or a model behind an
// OpenAI-compatible endpoint (src/endpoint/responder.ts, requests in flight at once). Both hand finished records to
// the one loop here that appends them, resumes, and rebuilds the metrics, so the two paths cannot drift apart.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { BenchItem, ItemRecord, Metrics } from '../benchmarks/common/types.ts';
import { getBenchmark, isBenchmarkName, MINI_BENCHMARKS, type BenchmarkModule } from '../benchmarks/index.ts';
import { unresolvedImageItems, unresolvedImagesNotice } from '../benchmarks/common/unresolved.ts';
import type { MiniSuite } from '../benchmarks/mini/types.ts';
import { MINI_SPLITS, miniRows, miniSplitName, type MiniSuiteSplit } from '../benchmarks/mini/build.ts';
import { backendInfo } from './backend.ts';
import { headline, headlineLabel } from './headline-metrics.ts';
import { DATA_ENV, PACKAGE_BASE_SHOWN, PACKAGE_ROOT } from './paths.ts';
import { LOCK_NAME, lockDir } from './util/lock.ts';
import { Policy } from './policy.ts';
import { provenance } from './provenance.ts';
import { appendJsonLine, writeFileAtomic, writeJsonAtomic } from './util/fs.ts';
import { hashString, Rng } from './util/rng.ts';
import { DataError, UsageError } from './util/errors.ts';
import { readJsonl } from './util/jsonl.ts';
import { endpointResponder, scorers } from './endpoint/responder.ts';
import type { EvalConfig, Responder, WorkUnit } from './eval-types.ts';

export type { EvalConfig, RespondTask, Responder, Scorer, WorkUnit } from './eval-types.ts';
import { benchmarkNames } from '../benchmarks/index.ts';
import { MINI_EVAL_ITEMS } from '../benchmarks/mini/build.ts';
import { MINI_SUITES, SUITE_MAX_NEW_TOKENS } from '../benchmarks/mini/types.ts';
import { optionsOf, type FlagOption, type OptionRule } from './util/options.ts';

/** `--data mini` evaluates the built-in mini suite, generated in memory (no files, no downloads). */
export const MINI_DATA = 'mini';

/** The default response length with --endpoint: real models reason at length (the local policy's default is 32). */
export const ENDPOINT_MAX_NEW_TOKENS = 1024;

/** Upper bounds of eval's size flags: beyond them a run cannot fit in memory or time on any machine it targets. */
export const EVAL_BOUNDS = { samples: 1024, batch: 4096, miniItems: 100_000, maxNewTokens: 4096, limit: 1_000_000 } as const;

/**
 * The values eval's flags set, by field: EvalConfig's, with the benchmarks as the comma-separated list the flag
 * takes and the mini suite under its flag's name (an endpoint's flags are src/cli/eval-endpoint.ts's).
 */
export type EvalSettings = Omit<EvalConfig, 'endpoint' | 'judge' | 'client' | 'benchmarks' | 'miniSuite' | 'overwrite' | 'checkpoint' | 'out' | 'split' | 'limit' | 'maxNewTokens'> & {
  checkpoint: string | undefined;
  benchmarks: string;
  split: string | undefined;
  limit: number | undefined;
  maxNewTokens: number | undefined;
  suite: MiniSuite | undefined;
  out: string | undefined;
  overwrite: boolean;
};

/** A comma-separated list of benchmark names, checked: why it names none or an unknown one, or null. */
export function benchmarkListProblem(text: string): string | null {
  const names = parseBenchmarkList(text);
  if (names.length === 0) return 'is empty';
  const unknown = names.find((n) => !isBenchmarkName(n));
  return unknown === undefined ? null : `names an unknown benchmark '${unknown}' (known: ${benchmarkNames.join(', ')})`;
}

export function parseBenchmarkList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

const evalOption = optionsOf<EvalSettings>();
const evalInt = (min: number, max?: number): OptionRule => ({ kind: 'number', integer: true, min, ...(max !== undefined ? { max } : {}) });
const TEXT: OptionRule = { kind: 'text', syntax: 'a text', problem: () => null };

/**
 * Every eval flag but the endpoint's, in the order `eval --help` lists them. The defaults of the settings an
 * evaluation folder records are the ones its default name leaves out (src/cli/commands.ts evalSettingsSuffix).
 */
export const EVAL_OPTIONS: readonly FlagOption<EvalSettings>[] = [
  evalOption({ field: 'checkpoint', flag: 'checkpoint', default: undefined, shownDefault: PACKAGE_BASE_SHOWN, rule: TEXT, help: 'checkpoint directory to evaluate (a path you give is relative to the working directory)' }),
  evalOption({ field: 'benchmarks', flag: 'benchmarks', default: benchmarkNames.join(','), rule: { kind: 'text', syntax: `comma-separated benchmark names (${benchmarkNames.join(', ')})`, problem: benchmarkListProblem }, help: `comma-separated (${benchmarkNames.join(', ')})` }),
  evalOption({ field: 'data', flag: 'data', default: MINI_DATA, shownDefault: `$${DATA_ENV} when set, else mini`, rule: TEXT, help: "'mini' (built-in, generated in memory) or a directory with one sub-folder per benchmark, or one benchmark's files" }),
  evalOption({ field: 'split', flag: 'split', default: undefined, rule: TEXT, help: "mini: test (default; the set tables report) | validation (for tuning) | train; real data: the benchmark's own split name (default: its evaluation split)" }),
  evalOption({ field: 'limit', flag: 'limit', default: undefined, rule: evalInt(1, EVAL_BOUNDS.limit), help: 'first N items per benchmark (for testing only: metrics over a subset are not comparable)' }),
  evalOption({ field: 'samples', flag: 'samples', default: 1, rule: evalInt(1, EVAL_BOUNDS.samples), help: 'responses per item (k, for pass@k)' }),
  evalOption({ field: 'temperature', flag: 'temperature', default: 0, rule: { kind: 'number', min: 0 }, help: '0 = greedy (with --samples 1)' }),
  evalOption({ field: 'topP', flag: 'top-p', default: 1, rule: { kind: 'number', min: 0, max: 1, minExclusive: true }, help: 'nucleus sampling with --temperature > 0 (1: off)' }),
  evalOption({
    field: 'maxNewTokens',
    flag: 'max-new-tokens',
    default: undefined,
    shownDefault: `the mini suite's longest response (${MINI_SUITES.map((s) => `${s}: ${SUITE_MAX_NEW_TOKENS[s]}`).join(', ')}); ${ENDPOINT_MAX_NEW_TOKENS} with --endpoint`,
    // At most EVAL_BOUNDS.maxNewTokens for a local policy; an endpoint's own bound is checked with its flags.
    rule: evalInt(1),
    help: 'longest response in tokens',
  }),
  evalOption({ field: 'batchSize', flag: 'batch', default: 128, rule: evalInt(1, EVAL_BOUNDS.batch), help: 'sequences decoded together (a batch of other rows rounds differently, so it is one of the settings the output folder records)' }),
  evalOption({ field: 'seed', flag: 'seed', default: 1, rule: evalInt(0), help: 'sampling seed (with --temperature > 0)' }),
  evalOption({ field: 'miniCount', flag: 'mini-items', default: MINI_EVAL_ITEMS, rule: evalInt(1, EVAL_BOUNDS.miniItems), help: "problems per benchmark with --data mini (the default is train's in-run evaluation set)" }),
  evalOption({ field: 'miniSeed', flag: 'mini-seed', default: 1, rule: evalInt(0), help: 'seed of the mini suite with --data mini' }),
  evalOption({ field: 'suite', flag: 'suite', default: undefined, shownDefault: "the checkpoint's (mini-1 for an endpoint)", rule: { kind: 'choice', choices: MINI_SUITES }, help: `version of the mini suite with --data mini: ${MINI_SUITES.join(' | ')}` }),
  evalOption({
    field: 'out',
    flag: 'out',
    default: undefined,
    rule: TEXT,
    help: "output directory (default results/eval/<run>/<step> for a run's checkpoint, else results/eval/<checkpoint folder name>; settings away from their defaults are added to the name, e.g. base@samples=4,temperature=1)",
  }),
  evalOption({ field: 'overwrite', flag: 'overwrite', default: false, rule: { kind: 'boolean' }, help: '--out holds an evaluation with other settings: start it afresh (without it such a run refuses)' }),
];

/** The rules between eval's settings, in the words its flags are refused with: the first one broken, or null. */
export function evalRulesProblem(s: Pick<EvalSettings, 'samples' | 'temperature'>): string | null {
  if (s.samples > 1 && s.temperature === 0) return '--samples > 1 needs --temperature > 0';
  return null;
}

/** Reports one benchmark's progress (src/progress.ts in the CLI). */
export interface EvalProgress {
  start(benchmark: string, total: number, done: number): { increment(n: number): void; stop(): void };
}

/** What lm-evaluation-harness says of --limit; printed by the CLI and recorded in the results. */
export const LIMIT_WARNING = '--limit is for testing only; metrics over a subset are not comparable';

export interface BenchmarkResult {
  benchmark: string;
  split: string;
  source: string;
  n: number;
  metrics: Metrics;
  /** Words of the prompts the policy's closed vocabulary could not encode (mapped to UNK). */
  unknownWords: number;
  truncatedPrompts: number;
  /** Items whose text names images their row does not have (evaluated with the images that exist). */
  unresolvedImages: number;
  /** --limit, when the items are a subset. */
  limit?: number;
  /** Responses that failed for good (endpoint requests out of retries): recorded, left out of the metrics, retried by the next run. */
  errors: number;
  /** How answers were extracted: 'rules', or the judge that MathVista's LLM step asked. */
  extraction: string;
}

/** The mini suite's split named by --split (default: test, the set the tables report). */
export function miniSuiteSplit(split: string | undefined): MiniSuiteSplit {
  const s = split ?? 'test';
  if (!(MINI_SPLITS as readonly string[]).includes(s)) throw new UsageError(`--split '${s}': the mini suite's splits are ${MINI_SPLITS.join(', ')}`);
  return s as MiniSuiteSplit;
}

/** What produced an evaluation folder; two runs with different identities never share one. */
export interface EvalIdentity {
  /** A local evaluation's checkpoint (absent when an endpoint answered). */
  checkpoint?: { path: string; weightsSha256: string };
  /** An endpoint evaluation's server and model (never its key), and the weights the server names, when it names them. */
  endpoint?: { url: string; model: string; fingerprint?: string };
  /** MathVista's extraction judge, with a hash of the ported prompt code. */
  judge?: { url: string; model: string; code: string };
  data: { data: string; split: string | null; limit: number | null; miniSeed?: number; miniItems?: number; suite?: MiniSuite };
  /** Every setting that can change a response; the batch shapes float rounding, so it is one of them (local only). */
  sampling: { samples: number; temperature: number; topP: number; maxNewTokens: number; seed: number; batchSize?: number };
  /** Backend and attention kernel: another one rounds differently. */
  backend: string;
  /** Per benchmark: a hash of its code (loader, prompt, extraction, scoring) and the shared code it uses. */
  scorers: Record<string, string>;
}

const IDENTITY_FILE = 'eval.json';
const IDENTITY_FORMAT = 'rlsd-bench-eval/1';

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * The scorer version of a benchmark: a hash of the code that turns its data into prompts and its responses into
 * verdicts and metrics (its folder and benchmarks/common; for mini data also its mini.ts and the mini generators,
 * which real data never reads). Any edit to that code is a new version — simpler and more honest than a number
 * someone has to remember to bump.
 */
export function scorerVersion(name: string, mini: boolean): string {
  const root = join(PACKAGE_ROOT, 'benchmarks');
  const own = sourceFiles(join(root, name)).filter((f) => mini || basename(f) !== 'mini.ts');
  const files = [...own, ...sourceFiles(join(root, 'common')), ...(mini ? sourceFiles(join(root, 'mini')) : [])];
  return sourceHash(files, root);
}

function sourceHash(files: readonly string[], root = PACKAGE_ROOT): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${relative(root, f)}\0`).update(readFileSync(f)).update('\0');
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}

/** What answers: the endpoint and model, or the checkpoint (refused when neither is given). */
function evalSource(cfg: EvalConfig): Pick<EvalIdentity, 'checkpoint' | 'endpoint'> {
  if (cfg.endpoint) return { endpoint: { url: cfg.endpoint.url, model: cfg.endpoint.model, ...(cfg.endpoint.fingerprint !== undefined ? { fingerprint: cfg.endpoint.fingerprint } : {}) } };
  const checkpoint = checkpointOf(cfg);
  return { checkpoint: { path: checkpoint, weightsSha256: sha256File(join(checkpoint, 'weights.bin')) } };
}

/** The checkpoint of a local evaluation (refused when neither a checkpoint nor an endpoint is given). */
function checkpointOf(cfg: EvalConfig): string {
  if (cfg.checkpoint === undefined) throw new UsageError('nothing to evaluate: give a checkpoint or an endpoint and model');
  return cfg.checkpoint;
}

/** One line naming what answers (the lock's holder, messages). */
export function evalSubject(cfg: EvalConfig): string {
  return cfg.endpoint ? `${cfg.endpoint.url} model ${cfg.endpoint.model}` : String(cfg.checkpoint);
}

export function evalIdentity(cfg: EvalConfig): EvalIdentity {
  const mini = cfg.data === MINI_DATA;
  const endpoint = cfg.endpoint !== undefined;
  const b = endpoint ? null : backendInfo();
  return {
    ...evalSource(cfg),
    ...(cfg.judge ? { judge: { url: cfg.judge.url, model: cfg.judge.model, code: sourceHash([join(PACKAGE_ROOT, 'src', 'endpoint', 'mathvista-judge.ts')]) } } : {}),
    data: {
      data: cfg.data,
      split: mini ? miniSuiteSplit(cfg.split) : (cfg.split ?? null),
      limit: cfg.limit ?? null,
      // The first suite's identities name no version, so evaluations recorded before versions still compare.
      ...(mini ? { miniSeed: cfg.miniSeed, miniItems: cfg.miniCount, ...(cfg.miniSuite && cfg.miniSuite !== 'mini-1' ? { suite: cfg.miniSuite } : {}) } : {}),
    },
    // A server batches as it likes, so --batch is no setting of an endpoint evaluation.
    sampling: { samples: cfg.samples, temperature: cfg.temperature, topP: cfg.topP, maxNewTokens: cfg.maxNewTokens, seed: cfg.seed, ...(endpoint ? {} : { batchSize: cfg.batchSize }) },
    backend: b === null ? 'endpoint' : b.attentionKernel ? `${b.name}/${b.attentionKernel}${b.matmulKernel === 'blas' ? `/blas${(b.threadCount ?? 1) > 1 ? `/threads-${b.threadCount}` : ''}` : ''}` : b.name,
    scorers: Object.fromEntries(cfg.benchmarks.map((n) => [n, scorerVersion(n, mini)])),
  };
}

/** The settings of two identities that differ, as 'name old → new' (the flag's name where there is one). */
export function identityDiff(old: EvalIdentity, now: EvalIdentity): string[] {
  const show = (v: unknown): string => (v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));
  const out: string[] = [];
  const cmp = (name: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${name} ${show(a)} → ${show(b)}`);
  };
  if (old.checkpoint && now.checkpoint) {
    if (old.checkpoint.weightsSha256 !== now.checkpoint.weightsSha256)
      out.push(`checkpoint ${show(old.checkpoint.path)} (weights sha256 ${String(old.checkpoint.weightsSha256).slice(0, 8)}…) → ${now.checkpoint.path} (${now.checkpoint.weightsSha256.slice(0, 8)}…)`);
  } else {
    const subject = (id: EvalIdentity): string =>
      id.endpoint ? `endpoint ${id.endpoint.url} model ${id.endpoint.model}${id.endpoint.fingerprint !== undefined ? ` (system_fingerprint ${id.endpoint.fingerprint})` : ''}` : id.checkpoint ? `checkpoint ${id.checkpoint.path}` : '(none)';
    if (subject(old) !== subject(now)) out.push(`${subject(old)} → ${subject(now)}`);
  }
  cmp('--judge-endpoint / --judge-model', old.judge, now.judge);
  const od = old.data ?? ({} as EvalIdentity['data']);
  cmp('--data', od.data, now.data.data);
  cmp('--split', od.split, now.data.split);
  cmp('--limit', od.limit, now.data.limit);
  cmp('--mini-seed', od.miniSeed, now.data.miniSeed);
  cmp('--mini-items', od.miniItems, now.data.miniItems);
  cmp('--suite', od.suite ?? 'mini-1', now.data.suite ?? 'mini-1');
  const os = old.sampling ?? ({} as EvalIdentity['sampling']);
  cmp('--samples', os.samples, now.sampling.samples);
  cmp('--temperature', os.temperature, now.sampling.temperature);
  cmp('--top-p', os.topP, now.sampling.topP);
  cmp('--max-new-tokens', os.maxNewTokens, now.sampling.maxNewTokens);
  cmp('--seed', os.seed, now.sampling.seed);
  cmp('--batch', os.batchSize, now.sampling.batchSize);
  cmp('backend', old.backend, now.backend);
  for (const [name, v] of Object.entries(now.scorers)) if (old.scorers?.[name] !== undefined) cmp(`${name} scorer code`, old.scorers[name], v);
  return out;
}

/**
 * Checks the folder's recorded identity against this run's before any work (refusing with one line that names
 * every difference), and writes it when the run first writes into the folder — so a refused or failed run
 * leaves the folder as it was. `claim(benchmark)` is called before a benchmark's first write.
 */
function openEvalFolder(cfg: EvalConfig, identity: EvalIdentity): { claim(benchmark: string): void } {
  const file = join(cfg.out, IDENTITY_FILE);
  const others = existsSync(cfg.out) ? readdirSync(cfg.out).filter((f) => f !== LOCK_NAME && f !== IDENTITY_FILE && !f.startsWith(`${LOCK_NAME}.`)) : [];
  let recorded: EvalIdentity | null = null;
  if (existsSync(file)) {
    try {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as EvalIdentity & { format?: string };
      if (raw.format !== IDENTITY_FORMAT || (typeof raw.checkpoint !== 'object' && typeof raw.endpoint !== 'object')) throw new Error('not an evaluation record');
      recorded = raw;
    } catch {
      if (!cfg.overwrite) throw new UsageError(`${file} is not a readable evaluation record; use --overwrite to start ${cfg.out} afresh (or another --out)`);
    }
  } else if (others.length > 0 && !cfg.overwrite) {
    throw new UsageError(`${cfg.out} holds files (${others.slice(0, 3).join(', ')}) but no record of the settings that produced them (${IDENTITY_FILE}); use --overwrite to start it afresh (or another --out)`);
  }
  if (recorded && !cfg.overwrite) {
    const diff = identityDiff(recorded, identity);
    if (diff.length > 0) throw new UsageError(`${cfg.out} holds an evaluation with other settings: ${diff.join('; ')}; use --overwrite to start it afresh (or another --out)`);
  }
  let current: EvalIdentity | null = cfg.overwrite ? null : recorded;
  return {
    claim(benchmark) {
      if (current === null) {
        // First write of a fresh (or overwritten) folder: clear what was there, then record what produces it.
        if (cfg.overwrite && existsSync(cfg.out))
          for (const f of readdirSync(cfg.out)) if (f !== LOCK_NAME) rmSync(join(cfg.out, f), { recursive: true, force: true });
        current = { ...identity, scorers: { [benchmark]: identity.scorers[benchmark]! } };
      } else if (current.scorers[benchmark] === undefined) {
        current = { ...current, scorers: { ...current.scorers, [benchmark]: identity.scorers[benchmark]! } };
      } else return;
      writeJsonAtomic(file, { format: IDENTITY_FORMAT, ...current });
    },
  };
}

/** Each generated row's own stream: its samples do not depend on the batch it is in or on what was done before. */
export function sampleRng(seed: number, benchmark: string, itemId: string, sample: number): Rng {
  return new Rng(hashString(`eval-sample|${seed}|${benchmark}|${itemId}|${sample}`));
}

/** Test hook: SIGKILL this process after N records (RLSD_TEST_KILL_AFTER_RECORDS), to test kill-and-resume. */
function testKillHook(): number {
  const n = Number(process.env['RLSD_TEST_KILL_AFTER_RECORDS']);
  return Number.isInteger(n) && n > 0 ? n : -1;
}

/**
 * The paper's Avg: the unweighted mean of the benchmarks' headline metrics, over those that have one (`benchmarks` of
 * `of`; `notAvailable` names the others). null when none has.
 */
export function benchmarkAverage(results: readonly BenchmarkResult[]): { metric: string; value: number | null; benchmarks: number; of: number; notAvailable?: string[] } {
  const values = results.map((r) => headline(r.benchmark, r.metrics).value).filter((v): v is number => v !== null);
  const notAvailable = results.filter((r) => headline(r.benchmark, r.metrics).value === null).map((r) => r.benchmark);
  const metric = `unweighted mean of the benchmarks' headline metrics: ${results.map((r) => `${r.benchmark} ${headlineLabel(r.benchmark, headline(r.benchmark, r.metrics).name)}`).join(', ')}`;
  return {
    metric,
    value: values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length,
    benchmarks: values.length,
    of: results.length,
    ...(notAvailable.length > 0 ? { notAvailable } : {}),
  };
}

/** Where a benchmark's files are under --data: `<data>/<name>` when it exists, else `<data>` itself. */
export function benchmarkSource(data: string, name: string): string {
  const sub = join(data, name);
  return existsSync(sub) ? sub : data;
}

async function loadItems(name: string, bench: BenchmarkModule, cfg: EvalConfig): Promise<{ items: BenchItem[]; split: string; source: string }> {
  if (cfg.data === MINI_DATA) {
    if (!isBenchmarkName(name) || !MINI_BENCHMARKS.includes(name)) throw new DataError(`no mini version of '${name}'`);
    const split = miniSuiteSplit(cfg.split);
    const rowSplit = miniSplitName(name, split);
    const suite = cfg.miniSuite ?? 'mini-1';
    const rows = await miniRows(name, rowSplit, cfg.miniCount, cfg.miniSeed, suite);
    const items = rows.map((r) => bench.itemFromRow(r, rowSplit));
    return { items: cfg.limit ? items.slice(0, cfg.limit) : items, split, source: `${suite === 'mini-1' ? 'mini' : suite}(seed=${cfg.miniSeed}, n=${cfg.miniCount}, rows '${rowSplit}')` };
  }
  const source = benchmarkSource(cfg.data, name);
  if (!existsSync(source)) throw new DataError(`${source}: no such file or directory (benchmark '${name}')`);
  // Without --split the loader picks its default (e.g. MathVision: test when present, else testmini).
  const items = await bench.load(source, { ...(cfg.split ? { split: cfg.split } : {}), ...(cfg.limit ? { limit: cfg.limit } : {}) });
  const split = cfg.split ?? items[0]?.split ?? bench.splits[0]!;
  if (items.length === 0) throw new DataError(`${source}: no items for split '${split}'`);
  const missing = items.filter((i) => i.imagesMissing);
  if (missing.length > 0)
    throw new DataError(
      `${source}: ${missing.length} of ${items.length} ${name} items have no image in this layout (e.g. id ${missing[0]!.id}); evaluating a model needs the images — use the Hugging Face parquet files (scoring saved responses works without them: rlsd-bench score)`,
    );
  return { items, split, source };
}

/** The records a killed run left; the last line an interruption cut short is dropped (its item is redone). */
function readRecords(file: string): ItemRecord[] {
  if (!existsSync(file)) return [];
  return readJsonl(file, { tornLastLine: true }).map((l) => l.value as ItemRecord);
}

/** The local policy: batches of `--batch` rows, each row from its own random stream (see sampleRng). */
function localResponder(checkpoint: string): Responder {
  const { policy, info } = Policy.load(checkpoint);
  return {
    prepare: async (cfg) => {
      policy.assertResponseFits(cfg.maxNewTokens);
      return cfg;
    },
    promptStats(_name, bench, items, cfg) {
      let unknownWords = 0;
      let truncatedPrompts = 0;
      for (const item of items) {
        const ctx = policy.encodeContext(bench.prompt(item).text, { lenient: true, reserve: cfg.maxNewTokens });
        unknownWords += ctx.unknown;
        truncatedPrompts += ctx.truncated > 0 ? 1 : 0;
      }
      return { unknownWords, truncatedPrompts };
    },
    async respond({ name, bench, work, isDone, score, deliver }, cfg) {
      // The work is cut into chunks over the whole list, never over what is left, so a resumed evaluation runs
      // every unfinished chunk with the same rows as an uninterrupted one (the batch shape can change float
      // rounding), and each row draws from its own stream keyed by (seed, benchmark, item, sample).
      const prepared = new Map<string, { patches: Float32Array; context: number[] }>();
      const greedy = cfg.samples === 1 && cfg.temperature === 0;
      for (let i = 0; i < work.length; i += cfg.batchSize) {
        const chunk = work.slice(i, i + cfg.batchSize);
        if (chunk.every(isDone)) continue;
        const inputs = [];
        for (const { item } of chunk) {
          let input = prepared.get(item.id); // k samples of one item share its prompt and pixels
          if (!input) {
            const p = bench.prompt(item);
            const ctx = policy.encodeContext(p.text, { lenient: true, reserve: cfg.maxNewTokens });
            input = { patches: await policy.patches(p.images, `${name} item ${item.id}`), context: ctx.ids };
            prepared.set(item.id, input);
          }
          inputs.push(input);
        }
        const rngs = chunk.map(({ item, sample }) => sampleRng(cfg.seed, name, item.id, sample));
        const texts = policy.generateText(inputs, { maxNewTokens: cfg.maxNewTokens, greedy, temperature: cfg.temperature || 1, topP: cfg.topP, rng: rngs[0]!, rngs, batchSize: cfg.batchSize });
        for (const [j, unit] of chunk.entries()) if (!isDone(unit)) deliver(unit, await score(unit.item, texts[j]!));
      }
    },
    describe: () => ({ checkpoint: { path: checkpoint, info }, backend: backendInfo() }),
    summary: () => null,
    dispose: () => policy.dispose(),
  };
}

/** Whether a record stands for a failed response (kept visible in samples.jsonl, never scored, redone by the next run). */
export function isErrorRecord(r: ItemRecord): boolean {
  return typeof r['error'] === 'string';
}

export async function evaluate(cfg: EvalConfig, progress?: EvalProgress): Promise<BenchmarkResult[]> {
  // One writer per folder; a second evaluation into it refuses, naming the holder.
  const lock = lockDir(cfg.out, `eval ${evalSubject(cfg)}`);
  try {
    return await evaluateLocked(cfg, progress);
  } finally {
    lock.release();
  }
}

async function evaluateLocked(asked: EvalConfig, progress?: EvalProgress): Promise<BenchmarkResult[]> {
  let cfg = asked;
  const responder = cfg.endpoint ? endpointResponder(cfg.endpoint, cfg.client) : localResponder(checkpointOf(cfg));
  const scoring = scorers(cfg.judge ? { target: cfg.judge, settings: cfg.client } : null);
  const results: BenchmarkResult[] = [];
  try {
    // Every refusal comes before anything is written: the response length, then the folder's recorded settings.
    cfg = await responder.prepare(cfg);
    const identity = evalIdentity(cfg);
    const folder = openEvalFolder(cfg, identity);
    const stopAfterRecords = testKillHook();
    let written = 0;
    for (const name of cfg.benchmarks) {
      const bench = getBenchmark(name);
      const { items, split, source } = await loadItems(name, bench, cfg);
      const unresolved = unresolvedImageItems(items);
      const notice = unresolvedImagesNotice(name, unresolved);
      if (notice) process.stderr.write(`rlsd-bench: warning: ${notice}\n`);
      folder.claim(name);
      const samplesFile = join(cfg.out, name, 'samples.jsonl');
      // Error records of an earlier run are dropped here: their units are asked again (and come from the cache
      // when the failure was the judge's).
      const existing = readRecords(samplesFile).filter((r) => !isErrorRecord(r));
      const done = new Set(existing.map((r) => `${r.id}#${r.sample ?? 0}`));
      // Rewrite the file without a possibly cut last line before appending.
      if (existsSync(samplesFile)) writeJsonLines(samplesFile, existing);
      const work: WorkUnit[] = [];
      for (const item of items) for (let s = 0; s < cfg.samples; s++) work.push({ item, sample: s });
      const isDone = (w: WorkUnit): boolean => done.has(`${w.item.id}#${w.sample}`);
      const task = progress?.start(name, work.length, work.filter(isDone).length);
      const { unknownWords, truncatedPrompts } = responder.promptStats(name, bench, items, cfg);
      const scorer = scoring.forBenchmark(name, bench);
      await responder.respond(
        {
          name,
          bench,
          work,
          isDone,
          score: scorer.score,
          deliver(unit, record) {
            if (isDone(unit)) return;
            appendJsonLine(samplesFile, { ...record, sample: unit.sample });
            // An error record leaves the unit undone: the next run asks again.
            if (!isErrorRecord(record)) done.add(`${unit.item.id}#${unit.sample}`);
            task?.increment(1);
            if (++written === stopAfterRecords) process.kill(process.pid, 'SIGKILL');
          },
        },
        cfg,
      );
      task?.stop();
      // Metrics are rebuilt from the records on disk, never from memory; failed responses are counted, not scored.
      const wanted = new Set(items.map((it) => it.id));
      const onDisk = readRecords(samplesFile).filter((r) => wanted.has(r.id) && (r.sample ?? 0) < cfg.samples);
      const records = onDisk.filter((r) => !isErrorRecord(r));
      const metrics = records.length > 0 ? bench.aggregate(records) : withoutRates(bench.aggregate([]));
      const result: BenchmarkResult = {
        benchmark: name,
        split,
        source,
        n: items.length,
        metrics,
        unknownWords,
        truncatedPrompts,
        unresolvedImages: Object.keys(unresolved).length,
        ...(cfg.limit !== undefined ? { limit: cfg.limit } : {}),
        errors: onDisk.length - records.length,
        extraction: scorer.extraction,
      };
      writeJsonAtomic(join(cfg.out, name, 'results.json'), {
        ...result,
        ...(cfg.limit !== undefined ? { warning: LIMIT_WARNING } : {}),
        ...(result.errors > 0 ? { incomplete: INCOMPLETE_NOTE } : {}),
        config: { ...cfg, benchmarks: undefined, benchmark: name },
        identity: { ...identity, scorer: identity.scorers[name] },
        ...responder.describe(),
        provenance: provenance(),
      });
      results.push(result);
    }
    const errors = results.reduce((a, r) => a + r.errors, 0);
    writeJsonAtomic(join(cfg.out, 'results.json'), {
      results,
      average: benchmarkAverage(results),
      ...(cfg.limit !== undefined ? { limit: cfg.limit, warning: LIMIT_WARNING } : {}),
      ...(errors > 0 ? { errors, incomplete: INCOMPLETE_NOTE } : {}),
      config: cfg,
      identity,
      ...responder.describe(),
      provenance: provenance(),
    });
    return results;
  } finally {
    for (const line of [responder.summary(), scoring.summary()]) if (line !== null) process.stderr.write(`rlsd-bench: ${line}\n`);
    responder.dispose();
  }
}

/** What results.json says when some responses failed for good. */
export const INCOMPLETE_NOTE = 'some responses failed after every retry: they are error records in samples.jsonl, left out of the metrics, and asked again when the same command is rerun';

/** Atomic rewrite of a JSONL file (used to drop a partial last line when resuming). */
function writeJsonLines(file: string, records: unknown[]): void {
  writeFileAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** The metric names that count (items, records, groups): zero when nothing was scored, not n/a. */
const COUNT_METRICS = new Set(['n', 'num', 'total', 'correct', 'count', 'groups', 'groups_incomplete', 'items_dropped', 'k', 'num_questions', 'num_records']);

/** The metrics of a benchmark with no scored response: every rate n/a (null), the counts zero. */
export function withoutRates(metrics: Metrics): Metrics {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(metrics)) out[k] = typeof v === 'number' ? (COUNT_METRICS.has(k) ? v : null) : v === null ? null : withoutRates(v);
  return out;
}
