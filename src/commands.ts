// The commands of rlsd-bench other than `methods`: each is a yargs builder that validates its flags and
// calls into the library (src/pretrain.ts, src/train/, src/eval.ts, …).
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Argv, Options } from 'yargs';
import { getMethod, methodLr, methodNames, methods, resolveMethodConfig, untunedLrNotice } from '../methods/index.ts';
import { choice, num, parseOptions, setupBackend, tensorOptions } from './cli-util.ts';
import { DEFAULT_PRETRAIN, pretrain } from './pretrain.ts';
import { benchmarkDataRoot, DATA_ENV, PACKAGE_BASE } from './paths.ts';
import { DEFAULT_MODEL } from './model/config.ts';
import { BENCHMARK_MEAN, DEFAULT_TRAIN, POOLED, TRAIN_BOUNDS, TRAIN_OPTIONS, train, type ProgressSink, type RunSummary, type StepMetrics, type TrainConfig, type TrainOption } from './train/index.ts';
import { benchmarkAverage, benchmarkSource, evaluate, LIMIT_WARNING, MINI_DATA, miniSuiteSplit, type EvalConfig, type EvalProgress } from './eval.ts';
import { defaultEndpointOut, ENDPOINT_BOUNDS, ENDPOINT_MAX_NEW_TOKENS, ENDPOINT_OPTIONS, endpointEvalConfig, extractionAndErrorLines, INCOMPLETE_EXIT_CODE, judgeTarget, readEndpointFlags, seriesTable } from './endpoint/eval-options.ts';
import { evaluateSeries, seriesRunDir } from './endpoint/series.ts';
import { pct, startProgress, type ProgressTask } from './progress.ts';
import { headline, headlineEvalNote } from './headline-metrics.ts';
import { setActivity } from './util/activity.ts';
import { defaultEvalOut, resolveCheckpoint } from './run-dir.ts';
import { checkCheckpoint, checkpointSuite } from './checkpoint.ts';
import { scorePredictions } from './score.ts';
import { benchmarkNames, getBenchmark, MINI_BENCHMARKS, type MiniBenchmark } from '../benchmarks/index.ts';
import { MINI_EVAL_ITEMS, writeMiniSuite } from '../benchmarks/mini/build.ts';
import { DRILL_FORMS } from '../benchmarks/mini/drill.ts';
import { MINI_SUITES, SUITE_MAX_NEW_TOKENS } from '../benchmarks/mini/types.ts';
import { UsageError } from './util/errors.ts';
import { reportCommand } from './report/command.ts';
import { sweepCommand } from './sweep/command.ts';
import { regressCommand } from './regress/command.ts';
import { serveCommand } from './endpoint/serve-command.ts';

/** The committed base checkpoint every run starts from by default (resolved from the package, not the cwd). */
export const DEFAULT_BASE = PACKAGE_BASE;
/** How --help shows DEFAULT_BASE (the absolute path differs per machine). */
const DEFAULT_BASE_SHOWN = 'results/reference/base in the package';

type Builder = (cli: Argv) => Argv;

/** Upper bounds of train's and pretrain's size flags (declared with train's options, src/train/config.ts). */
export { TRAIN_BOUNDS };

/** A whole-number size flag within [min, bound.max]; the error says why the bound is there. */
function sizeFlag(flag: string, v: unknown, min: number, bound: { max: number; why: string }): number {
  const x = num(flag, v, { integer: true, min });
  if (x > bound.max) throw new UsageError(`--${flag} must be ≤ ${bound.max} (got ${x}): ${bound.why}`);
  return x;
}

function fmt(x: number | undefined, digits = 3): string {
  return x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

/** Train's progress (src/progress.ts): steps with rate and ETA, and a line of its own at each evaluation. */
function trainProgress(label: string, quiet: boolean): ProgressSink {
  let task: ProgressTask | null = null;
  let avg = '—';
  return {
    start: (total, startStep) => {
      task = startProgress({ label, total, done: startStep, unit: 'steps', quiet });
    },
    update: (step: number, m: StepMetrics) => {
      if (m[POOLED] !== undefined) {
        avg = pct(m[BENCHMARK_MEAN]);
        task?.log(`${label} step ${step}: reward ${pct(m['critic/score/mean'])} %, held-out Avg ${avg} % (pooled over items ${pct(m[POOLED])} %)`);
      }
      task?.update(step, `reward ${pct(m['critic/score/mean'])} % | eval Avg ${avg} %`);
    },
    stop: () => task?.stop(),
  };
}

/**
 * The deep world's sequence budget: its longest target is 79 tokens (+ EOS), and a teacher context with the full
 * reference takes up to 55 more (benchmarks/mini/deep; measured over 300 problems per benchmark).
 */
const DEEP_MAX_NEW_TOKENS = SUITE_MAX_NEW_TOKENS['mini-2'];
const DEEP_TEXT_POSITIONS = 176;

const pretrainCommand: Builder = (cli) =>
  cli.command(
    'pretrain',
    'supervised pre-training of the base policy on the mini suite (writes a checkpoint directory)',
    (y) =>
      tensorOptions(y, 'matmul')
        .option('out', { type: 'string', default: 'results/runs/pretrain', describe: 'checkpoint directory to write (the committed base is rebuilt only when named: --out results/reference/base)' })
        .option('suite', { type: 'string', default: DEFAULT_PRETRAIN.suite, describe: `the mini suite's version: ${MINI_SUITES.join(' | ')} (mini-2: the deep world, multi-step problems; its base gets the deep vocabulary, ${DEEP_TEXT_POSITIONS} text positions and --max-new-tokens ${DEEP_MAX_NEW_TOKENS})` })
        .option('answer-fraction', { type: 'number', default: DEFAULT_PRETRAIN.answerFraction, describe: 'share of each batch with only the gold answer in context (the answer-only self-teacher)' })
        .option('steps', { type: 'number', default: DEFAULT_PRETRAIN.steps, describe: 'optimiser steps' })
        .option('batch', { type: 'number', default: DEFAULT_PRETRAIN.batchSize, describe: 'sequences per step' })
        .option('lr', { type: 'number', default: DEFAULT_PRETRAIN.lr, describe: 'peak Adam learning rate (warm-up, then a cosine decay)' })
        .option('seed', { type: 'number', default: DEFAULT_PRETRAIN.seed, describe: 'seed of the initial weights, batch order and drills' })
        .option('data-seed', { type: 'number', default: DEFAULT_PRETRAIN.dataSeed, describe: 'seed of the generated mini suite (which problems)' })
        .option('train-items', { type: 'number', default: DEFAULT_PRETRAIN.trainPerBenchmark, describe: 'training problems per mini benchmark' })
        .option('eval-items', { type: 'number', default: DEFAULT_PRETRAIN.evalPerBenchmark, describe: 'held-out problems per mini benchmark' })
        .option('eval-every', { type: 'number', default: DEFAULT_PRETRAIN.evalEvery, describe: 'held-out greedy evaluation every N steps (0: only at the end)' })
        .option('ref-fraction', { type: 'number', default: DEFAULT_PRETRAIN.referenceFraction, describe: 'share of each batch with the reference solution in context' })
        .option('lookup-drill', { type: 'number', default: DEFAULT_PRETRAIN.lookupDrillFraction, describe: 'share of each batch given to option-lookup drills (no image, no reference)' })
        .option('drill-warmup-steps', { type: 'number', default: DEFAULT_PRETRAIN.lookupDrillWarmupSteps, describe: 'first steps with --drill-warmup-fraction drills (a curriculum: the lookup first)' })
        .option('drill-form', { type: 'string', default: DEFAULT_PRETRAIN.lookupDrillForm, describe: 'question (the value named in the question) | trace (only in the trace, as WeMath)' })
        .option('drill-warmup-fraction', { type: 'number', default: DEFAULT_PRETRAIN.lookupDrillWarmupFraction, describe: 'drill share during the warm-up steps' })
        .option('init', { type: 'string', describe: 'continue from this checkpoint (its model and tokenizer) instead of a fresh init' })
        .option('d-model', { type: 'number', default: DEFAULT_MODEL.dModel, describe: 'model width' })
        .option('layers', { type: 'number', default: DEFAULT_MODEL.nLayers, describe: 'decoder layers' })
        .option('heads', { type: 'number', default: DEFAULT_MODEL.nHeads, describe: 'attention heads (divide --d-model)' })
        .option('patch-hidden', { type: 'number', default: DEFAULT_MODEL.patchHidden ?? 0, describe: 'hidden width of an MLP patch encoder (0: linear)' })
        .option('image-attention', { type: 'string', default: DEFAULT_MODEL.imageAttention ?? 'causal', describe: 'causal | bidirectional (image tokens see each other)' })
        .option('patch-size', { type: 'number', default: DEFAULT_MODEL.patchSize, describe: 'image patch side in pixels (divides 32)' })
        .option('fused-option-markers', { type: 'boolean', default: DEFAULT_PRETRAIN.fusedOptionMarkers, describe: "option markers ' (A)' … ' (D)' as single tokens (a one-token induction lookup)" })
        .option('prev-token-embedding', { type: 'boolean', default: DEFAULT_PRETRAIN.model.prevTokenEmbedding ?? false, describe: "add an embedding of each text token's previous token (eases the induction lookup)" }),
    async (argv) => {
      const cfg = {
        ...DEFAULT_PRETRAIN,
        out: resolve(String(argv.out)),
        steps: num('steps', argv.steps, { integer: true, min: 1 }),
        batchSize: sizeFlag('batch', argv.batch, 2, { max: TRAIN_BOUNDS.responses.max, why: 'sequences per step whose activations the update holds at once, ~6 MB each: 1024 ≈ 6 GB' }),
        lr: num('lr', argv.lr, { min: 0, minExclusive: true }),
        seed: num('seed', argv.seed, { integer: true, min: 0 }),
        dataSeed: num('data-seed', argv['data-seed'], { integer: true, min: 0 }),
        trainPerBenchmark: sizeFlag('train-items', argv['train-items'], 1, TRAIN_BOUNDS.items),
        evalPerBenchmark: sizeFlag('eval-items', argv['eval-items'], 1, TRAIN_BOUNDS.items),
        evalEvery: num('eval-every', argv['eval-every'], { integer: true, min: 0 }),
        referenceFraction: num('ref-fraction', argv['ref-fraction'], { min: 0, max: 1 }),
        answerFraction: num('answer-fraction', argv['answer-fraction'], { min: 0, max: 1 }),
        suite: choice('suite', argv.suite, MINI_SUITES),
        lookupDrillFraction: num('lookup-drill', argv['lookup-drill'], { min: 0, max: 0.9 }),
        lookupDrillWarmupSteps: num('drill-warmup-steps', argv['drill-warmup-steps'], { integer: true, min: 0 }),
        lookupDrillWarmupFraction: num('drill-warmup-fraction', argv['drill-warmup-fraction'], { min: 0, max: 0.9 }),
        lookupDrillForm: choice('drill-form', argv['drill-form'], DRILL_FORMS),
        ...(argv.init ? { init: resolve(String(argv.init)) } : {}),
        fusedOptionMarkers: Boolean(argv['fused-option-markers']),
        model: {
          ...DEFAULT_PRETRAIN.model,
          dModel: sizeFlag('d-model', argv['d-model'], 1, TRAIN_BOUNDS.dModel),
          nLayers: sizeFlag('layers', argv.layers, 1, TRAIN_BOUNDS.layers),
          nHeads: sizeFlag('heads', argv.heads, 1, TRAIN_BOUNDS.heads),
          patchSize: num('patch-size', argv['patch-size'], { integer: true, min: 1 }),
          patchHidden: sizeFlag('patch-hidden', argv['patch-hidden'], 0, TRAIN_BOUNDS.patchHidden),
          imageAttention: choice('image-attention', argv['image-attention'], ['causal', 'bidirectional'] as const),
          prevTokenEmbedding: Boolean(argv['prev-token-embedding']),
        },
        quiet: Boolean(argv.quiet),
      };
      if (cfg.referenceFraction + cfg.answerFraction > 1) throw new UsageError(`--ref-fraction ${cfg.referenceFraction} and --answer-fraction ${cfg.answerFraction} add up to more than the whole batch`);
      // Text positions stay as in the default model (more for the deep world's longer responses); smaller patches add
      // image positions.
      const patch = cfg.model.patchSize!;
      if (DEFAULT_MODEL.imageSize % patch !== 0) throw new UsageError(`--patch-size must divide the image side ${DEFAULT_MODEL.imageSize} (got ${patch})`);
      const imagePositions = (DEFAULT_MODEL.imageSize / patch) ** 2;
      const textPositions = cfg.suite === 'mini-1' ? DEFAULT_MODEL.maxPositions - (DEFAULT_MODEL.imageSize / DEFAULT_MODEL.patchSize) ** 2 : DEEP_TEXT_POSITIONS;
      cfg.model.maxPositions = textPositions + imagePositions;
      if (cfg.suite !== 'mini-1') cfg.maxNewTokens = DEEP_MAX_NEW_TOKENS;
      if (cfg.init) checkCheckpoint(cfg.init); // a wrong path is said before the backend's banner
      // The committed base was built with tfjs's batched matMul: pretrain's defaults are its recipe.
      await setupBackend(argv, 'matmul');
      const t0 = performance.now();
      const task = startProgress({ label: 'pretrain', total: cfg.steps, unit: 'steps', quiet: cfg.quiet });
      let res;
      try {
        res = await pretrain(cfg, (step, m) => {
          if (m['eval/accuracy'] !== undefined)
            task.log(
              `pretrain step ${step}: loss ${fmt(m['sft/loss'])}, held-out Avg ${pct(m['eval/benchmark_mean'])} % (pooled over items ${pct(m['eval/accuracy'])} %); with the reference in context Avg ${pct(m['eval/benchmark_mean_with_reference'])} %`,
            );
          task.update(step, `loss ${fmt(m['sft/loss'])}`);
        });
      } finally {
        task.stop();
      }
      process.stdout.write(
        `base checkpoint → ${cfg.out}\nheld-out greedy Avg ${pct(res.final['eval/benchmark_mean'])} % (the mean over benchmarks; pooled over ${res.final['eval/n']} items ${pct(res.final['eval/accuracy'])} %); ` +
          `with the reference in context Avg ${pct(res.finalWithReference['eval/benchmark_mean'])} % (pooled ${pct(res.finalWithReference['eval/accuracy'])} %); ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
      );
    },
  );

/**
 * Flags yargs must not fill in, so that the command knows whether they were given: --lr takes the method's
 * recommendation when not given, and --eval-schedule may come from its shorthand --eval-every.
 */
const UNFILLED: Partial<Record<TrainOption['field'], string>> = {
  lr: "the method's recommended lr (methods --verbose)",
  evalSchedule: `${DEFAULT_TRAIN.evalSchedule}`,
  maxNewTokens: `the base's mini suite's longest response: ${MINI_SUITES.map((s) => `${SUITE_MAX_NEW_TOKENS[s]} for ${s}`).join(', ')}`,
};

/** Train's yargs flags, each from its one declaration in TRAIN_OPTIONS (src/train/config.ts). */
function trainFlags(): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const o of TRAIN_OPTIONS) {
    const type = o.rule.kind === 'boolean' ? 'boolean' : o.rule.kind === 'number' ? 'number' : 'string';
    const shown = UNFILLED[o.field];
    out[o.flag] = shown !== undefined ? { type, defaultDescription: shown, describe: o.help } : { type, default: o.default, describe: o.help };
  }
  out['eval-every'] = { type: 'number', describe: 'shorthand for --eval-schedule every:N (0: never)' };
  return out;
}

/** One flag read and checked against its rule (the wording of num, choice and sizeFlag). */
function readFlag(o: TrainOption, v: unknown): number | string | boolean {
  const r = o.rule;
  if (r.kind === 'boolean') return Boolean(v);
  if (r.kind === 'choice') return choice(o.flag, v, r.choices);
  if (r.kind === 'text') {
    const problem = typeof v === 'string' ? r.problem(v) : `must be a text (got ${JSON.stringify(v)})`;
    if (problem) throw new UsageError(`--${o.flag} ${problem}`);
    return String(v);
  }
  if (r.why !== undefined && r.max !== undefined) return sizeFlag(o.flag, v, r.min ?? 0, { max: r.max, why: r.why });
  return num(o.flag, v, r);
}

/** Train's flags as TrainConfig fields (--lr and --eval-schedule only when given; --eval-every N as every:N). */
function readTrainFlags(argv: Record<string, unknown>): Partial<TrainConfig> {
  const cfg: Record<string, unknown> = {};
  for (const o of TRAIN_OPTIONS) if (!(o.field in UNFILLED && argv[o.flag] === undefined)) cfg[o.field] = readFlag(o, argv[o.flag]);
  if (argv['eval-every'] !== undefined) {
    const every = num('eval-every', argv['eval-every'], { integer: true, min: 0 });
    if (cfg['evalSchedule'] !== undefined)
      throw new UsageError(`--eval-every ${every} and --eval-schedule ${String(cfg['evalSchedule'])} both given: --eval-every N is --eval-schedule every:N, give one`);
    cfg['evalSchedule'] = `every:${every}`;
  }
  return cfg as Partial<TrainConfig>;
}

/** Train's closing lines: the evaluated curve, then the peak and the last evaluation (the Avg, as the report, and pooled). */
function trainReport(method: string, split: string, res: { finalStep: number; out: string; evals: Record<string, number>[]; summary: RunSummary | null }): string {
  const rows = res.evals.map((e) => `  step ${String(e['step']).padStart(4)}  ${pct(e[BENCHMARK_MEAN]).padStart(6)}  ${pct(e[POOLED]).padStart(6)}`);
  const head = `${method}: ${res.finalStep} steps → ${res.out}\n`;
  if (!res.summary) return `${head}no held-out evaluation (--eval-schedule never)\n`;
  const at = (k: string, what: 'peak' | 'last'): string => {
    const p = res.summary!.metrics[k]?.[what];
    return p ? `${pct(p.value)} % at step ${p.step}` : '—';
  };
  const line = (what: 'peak' | 'last'): string => `${what}: Avg ${at(BENCHMARK_MEAN, what)}, pooled ${at(POOLED, what)}`;
  const columns = `  ${'step'.padEnd(9)}  ${'Avg'.padStart(6)}  ${'pooled'.padStart(6)}`;
  return `${head}held-out greedy accuracy on the mini ${split} split, %: Avg (the mean over benchmarks, as the report) and pooled over items\n${columns}\n${rows.join('\n')}\n${line('peak')}\n${line('last')}\n`;
}

const trainCommand: Builder = (cli) =>
  cli.command(
    'train',
    'post-train a checkpoint with one method on the mini suite (resumes from the last checkpoint in --out)',
    (y) =>
      tensorOptions(y)
        .option('method', { type: 'string', demandOption: true, describe: methodNames.join(' | ') })
        .option('base', { type: 'string', default: DEFAULT_BASE, defaultDescription: DEFAULT_BASE_SHOWN, describe: 'starting checkpoint (a path you give is relative to the working directory)' })
        .option('out', { type: 'string', describe: 'run directory (default results/runs/<method>-s<seed>)' })
        .option('opt', { type: 'string', array: true, describe: 'method option key=value (see `rlsd-bench methods --verbose`)' })
        .option('std-norm', { type: 'boolean', describe: 'group-normalise advantages by their std (the default); --no-std-norm gives Dr.GRPO (= --opt stdNorm=false)' })
        .option('teacher-sync', { type: 'number', hidden: true, describe: 'gone: the self-teacher regime is a method option (--opt teacher=sync:N)' })
        .options(trainFlags()),
    async (argv) => {
      const method = getMethod(String(argv.method));
      const methodOptions = parseOptions('opt', argv.opt);
      if (argv['std-norm'] !== undefined) {
        if (!('stdNorm' in method.defaults)) {
          const withIt = Object.values(methods).filter((m) => 'stdNorm' in m.defaults).map((m) => m.name).join(', ');
          throw new UsageError(`--std-norm / --no-std-norm: method '${method.name}' has no group-normalised advantage (${withIt} have)`);
        }
        const flag = String(Boolean(argv['std-norm']));
        if (methodOptions['stdNorm'] !== undefined && methodOptions['stdNorm'] !== flag)
          throw new UsageError(`--opt stdNorm=${methodOptions['stdNorm']} contradicts --${flag === 'true' ? '' : 'no-'}std-norm`);
        methodOptions['stdNorm'] = flag;
      }
      if (argv['teacher-sync'] !== undefined)
        throw new UsageError(`--teacher-sync is gone: the self-teacher's regime is a method option, --opt teacher=sync:N (or live, frozen, ema:RATE; see \`rlsd-bench methods --verbose\`)`);
      resolveMethodConfig(method, methodOptions); // validate before any work
      const flags = readTrainFlags(argv);
      // --lr defaults to the method's recommended rate (its source goes to run.json).
      const recommended = methodLr(method);
      const lr = argv.lr !== undefined ? { value: flags.lr!, source: '--lr' } : { value: recommended.value, source: `method '${method.name}': ${recommended.source}` };
      const notice = argv.lr === undefined && method.trains ? untunedLrNotice(method) : null;
      if (notice) process.stderr.write(`rlsd-bench: note: ${notice}\n`);
      const cfg: TrainConfig = {
        ...DEFAULT_TRAIN,
        ...flags,
        lr: lr.value,
        lrSource: lr.source,
        method: method.name,
        methodOptions,
        base: resolve(String(argv.base)),
        out: resolve(argv.out ? String(argv.out) : `results/runs/${method.name}${flags.shuffleRewards ? '-shuffled' : ''}-s${flags.seed}`),
        quiet: Boolean(argv.quiet),
      };
      if (flags.maxNewTokens === undefined) cfg.maxNewTokens = SUITE_MAX_NEW_TOKENS[checkpointSuite(checkCheckpoint(cfg.base).info)];
      if (cfg.samplesPerPrompt < 2 && method.trains) throw new UsageError('--samples must be ≥ 2 for group-relative methods');
      if (cfg.promptsPerStep * cfg.samplesPerPrompt > TRAIN_BOUNDS.responses.max)
        throw new UsageError(`--prompts × --samples must be ≤ ${TRAIN_BOUNDS.responses.max} (got ${cfg.promptsPerStep} × ${cfg.samplesPerPrompt} = ${cfg.promptsPerStep * cfg.samplesPerPrompt}): ${TRAIN_BOUNDS.responses.why}`);
      if (cfg.ppoMiniBatch > 0 && cfg.promptsPerStep % cfg.ppoMiniBatch !== 0)
        throw new UsageError(`--ppo-mini-batch ${cfg.ppoMiniBatch} must divide --prompts ${cfg.promptsPerStep} (every update sees whole groups of equal count)`);
      checkCheckpoint(cfg.base); // a wrong path is said before the backend's banner
      await setupBackend(argv);
      const res = await train(cfg, trainProgress(method.name, cfg.quiet));
      process.stdout.write(trainReport(method.name, cfg.evalSplit, res));
    },
  );

function evalProgress(quiet: boolean): EvalProgress {
  return { start: (name, total, done) => startProgress({ label: name.padEnd(10), total, done, unit: 'responses', quiet }) };
}

/** Upper bounds of eval's size flags: beyond them a run cannot fit in memory or time on any machine it targets. */
export const EVAL_BOUNDS = { samples: 1024, batch: 4096, miniItems: 100_000, maxNewTokens: 4096, limit: 1_000_000 } as const;

/** eval's defaults of the settings its output folder records (src/eval.ts evalIdentity). */
const EVAL_DEFAULTS = { samples: 1, temperature: 0, topP: 1, batch: 128, seed: 1, miniItems: MINI_EVAL_ITEMS, miniSeed: 1 } as const;

/**
 * What the default output folder adds to its name for the settings given away from their defaults, in flag order
 * ('@samples=4,temperature=1'; '' at the defaults): two evaluations with different settings never share a folder,
 * which would refuse the second; the same settings find their folder again and resume.
 */
export function evalSettingsSuffix(cfg: Omit<EvalConfig, 'out'>, remote: boolean): string {
  const parts: string[] = [];
  const add = (flag: string, value: unknown, byDefault: unknown): void => {
    if (value !== undefined && value !== byDefault) parts.push(`${flag}=${String(value)}`);
  };
  const dataRoot = benchmarkDataRoot();
  if (cfg.data !== (dataRoot === undefined ? MINI_DATA : resolve(dataRoot))) parts.push(`data=${cfg.data === MINI_DATA ? MINI_DATA : basename(cfg.data)}`);
  add('split', cfg.split, undefined);
  add('limit', cfg.limit, undefined);
  if (cfg.data === MINI_DATA) {
    add('mini-items', cfg.miniCount, EVAL_DEFAULTS.miniItems);
    add('mini-seed', cfg.miniSeed, EVAL_DEFAULTS.miniSeed);
  }
  add('samples', cfg.samples, EVAL_DEFAULTS.samples);
  add('temperature', cfg.temperature, EVAL_DEFAULTS.temperature);
  add('top-p', cfg.topP, EVAL_DEFAULTS.topP);
  add('max-new-tokens', cfg.maxNewTokens, remote ? ENDPOINT_MAX_NEW_TOKENS : SUITE_MAX_NEW_TOKENS[cfg.miniSuite ?? 'mini-1']);
  add('seed', cfg.seed, EVAL_DEFAULTS.seed);
  if (!remote) add('batch', cfg.batchSize, EVAL_DEFAULTS.batch);
  // Not the tensor flags: the backend is the machine's more than the measurement's (a folder evaluated on another
  // one still refuses, naming both).
  return parts.length === 0 ? '' : `@${parts.join(',').replace(/[^A-Za-z0-9._=,@+-]+/g, '_')}`;
}

function parseBenchmarkList(raw: unknown): string[] {
  const names = String(raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError('--benchmarks is empty');
  for (const n of names) getBenchmark(n);
  return names;
}

const evalCommand: Builder = (cli) =>
  cli.command(
    'eval',
    'evaluate a checkpoint, or a model behind an OpenAI-compatible endpoint, on benchmarks with their official scoring (writes results.json and samples.jsonl per benchmark)',
    (y) =>
      tensorOptions(y)
        .option('checkpoint', { type: 'string', defaultDescription: DEFAULT_BASE_SHOWN, describe: 'checkpoint directory to evaluate (a path you give is relative to the working directory)' })
        .option('benchmarks', { type: 'string', default: benchmarkNames.join(','), describe: `comma-separated (${benchmarkNames.join(', ')})` })
        .option('data', { type: 'string', default: benchmarkDataRoot() ?? MINI_DATA, defaultDescription: `$${DATA_ENV} when set, else mini`, describe: "'mini' (built-in, generated in memory) or a directory with one sub-folder per benchmark, or one benchmark's files" })
        .option('split', { type: 'string', describe: "mini: test (default; the set tables report) | validation (for tuning) | train; real data: the benchmark's own split name (default: its evaluation split)" })
        .option('limit', { type: 'number', describe: 'first N items per benchmark (for testing only: metrics over a subset are not comparable)' })
        .option('samples', { type: 'number', default: EVAL_DEFAULTS.samples, describe: 'responses per item (k, for pass@k)' })
        .option('temperature', { type: 'number', default: EVAL_DEFAULTS.temperature, describe: '0 = greedy (with --samples 1)' })
        .option('top-p', { type: 'number', default: EVAL_DEFAULTS.topP, describe: 'nucleus sampling with --temperature > 0 (1: off)' })
        .option('max-new-tokens', { type: 'number', defaultDescription: `the mini suite's longest response (${MINI_SUITES.map((s) => `${s}: ${SUITE_MAX_NEW_TOKENS[s]}`).join(', ')}); ${ENDPOINT_MAX_NEW_TOKENS} with --endpoint`, describe: 'longest response in tokens' })
        .option('batch', { type: 'number', default: EVAL_DEFAULTS.batch, describe: 'sequences decoded together (a batch of other rows rounds differently, so it is one of the settings the output folder records)' })
        .option('seed', { type: 'number', default: EVAL_DEFAULTS.seed, describe: 'sampling seed (with --temperature > 0)' })
        .option('mini-items', { type: 'number', default: EVAL_DEFAULTS.miniItems, describe: "problems per benchmark with --data mini (the default is train's in-run evaluation set)" })
        .option('mini-seed', { type: 'number', default: EVAL_DEFAULTS.miniSeed, describe: 'seed of the mini suite with --data mini' })
        .option('suite', { type: 'string', defaultDescription: "the checkpoint's (mini-1 for an endpoint)", describe: `version of the mini suite with --data mini: ${MINI_SUITES.join(' | ')}` })
        .option('out', { type: 'string', describe: "output directory (default results/eval/<run>/<step> for a run's checkpoint, else results/eval/<checkpoint folder name>; settings away from their defaults are added to the name, e.g. base@samples=4,temperature=1)" })
        .option('overwrite', { type: 'boolean', default: false, describe: '--out holds an evaluation with other settings: start it afresh (without it such a run refuses)' })
        .options(ENDPOINT_OPTIONS),
    async (argv) => {
      const samples = num('samples', argv.samples, { integer: true, min: 1, max: EVAL_BOUNDS.samples });
      const temperature = num('temperature', argv.temperature, { min: 0 });
      if (samples > 1 && temperature === 0) throw new UsageError('--samples > 1 needs --temperature > 0');
      // A served model instead of a checkpoint (src/endpoint/): flags checked here, before any request or file.
      const remote = readEndpointFlags(argv, argv.checkpoint !== undefined);
      const judge = remote ? remote.judge : judgeTarget(argv);
      const resolved = remote ? null : resolveCheckpoint(String(argv.checkpoint ?? DEFAULT_BASE));
      const checkpoint = resolved?.checkpoint;
      // The mini suite a checkpoint learned is the one it is evaluated on, unless --suite says otherwise.
      const suite = argv.suite !== undefined ? choice('suite', argv.suite, MINI_SUITES) : checkpoint !== undefined ? checkpointSuite(checkCheckpoint(checkpoint).info) : 'mini-1';
      const settings: Omit<EvalConfig, 'out'> = {
        ...(checkpoint !== undefined ? { checkpoint } : {}),
        benchmarks: parseBenchmarkList(argv.benchmarks),
        data: String(argv.data) === MINI_DATA ? MINI_DATA : resolve(String(argv.data)),
        ...(argv.split ? { split: String(argv.split) } : {}),
        ...(argv.limit !== undefined ? { limit: num('limit', argv.limit, { integer: true, min: 1, max: EVAL_BOUNDS.limit }) } : {}),
        samples,
        temperature,
        topP: num('top-p', argv['top-p'], { min: 0, max: 1, minExclusive: true }),
        maxNewTokens: num('max-new-tokens', argv['max-new-tokens'] ?? (remote ? ENDPOINT_MAX_NEW_TOKENS : SUITE_MAX_NEW_TOKENS[suite]), { integer: true, min: 1, max: remote ? ENDPOINT_BOUNDS.maxNewTokens : EVAL_BOUNDS.maxNewTokens }),
        ...(suite !== 'mini-1' ? { miniSuite: suite } : {}),
        batchSize: num('batch', argv.batch, { integer: true, min: 1, max: EVAL_BOUNDS.batch }),
        seed: num('seed', argv.seed, { integer: true, min: 0 }),
        miniCount: num('mini-items', argv['mini-items'], { integer: true, min: 1, max: EVAL_BOUNDS.miniItems }),
        miniSeed: num('mini-seed', argv['mini-seed'], { integer: true, min: 0 }),
        overwrite: Boolean(argv.overwrite),
        ...endpointEvalConfig(remote, judge, argv),
      };
      if (settings.data === MINI_DATA) miniSuiteSplit(settings.split);
      else if (!existsSync(settings.data)) throw new UsageError(`--data ${String(argv.data)}: no such directory`);
      // A series' default is the report's folder, whose run folders record their own settings.
      const plainOut = remote ? defaultEndpointOut(remote) : defaultEvalOut(checkpoint!);
      const defaultOut = remote?.series ? plainOut : plainOut + evalSettingsSuffix(settings, remote !== null);
      const cfg: EvalConfig = { ...settings, out: argv.out ? resolve(String(argv.out)) : defaultOut };
      if (resolved?.note) process.stderr.write(`rlsd-bench: ${resolved.note}\n`);
      if (cfg.limit !== undefined) process.stderr.write(`rlsd-bench: warning: ${LIMIT_WARNING}\n`);
      if (checkpoint !== undefined) checkCheckpoint(checkpoint); // a wrong path is said before the backend's banner
      if (!remote) await setupBackend(argv); // a served model needs no tensor backend here
      setActivity({ command: 'eval' }); // for the Ctrl-C line (src/cli.ts)
      if (remote?.series) {
        // --out is the report's folder; the series is the run folder <out>/<label>/seed-<seed> inside it.
        const steps = await evaluateSeries({ eval: cfg, models: remote.series.models, label: remote.series.label, root: cfg.out }, evalProgress(Boolean(argv.quiet)));
        process.stdout.write(seriesTable(steps, cfg.benchmarks));
        process.stdout.write(extractionAndErrorLines(steps.flatMap((s) => s.results), cfg.judge !== undefined));
        process.stdout.write(`series → ${seriesRunDir({ root: cfg.out, label: remote.series.label, eval: cfg })}; tables and curves: rlsd-bench report ${cfg.out}\n`);
        if (steps.some((s) => s.results.some((r) => r.errors > 0))) process.exitCode = INCOMPLETE_EXIT_CODE;
        return;
      }
      const results = await evaluate(cfg, evalProgress(Boolean(argv.quiet)));
      const w = Math.max(10, ...results.map((r) => r.benchmark.length));
      process.stdout.write(`${'benchmark'.padEnd(w)}  ${'split'.padEnd(22)}  ${'items'.padStart(5)}  metric          value\n`);
      for (const r of results) {
        const h = headline(r.benchmark, r.metrics);
        process.stdout.write(`${r.benchmark.padEnd(w)}  ${r.split.padEnd(22)}  ${String(r.n).padStart(5)}  ${h.name.padEnd(14)}  ${h.value === null ? 'n/a' : pct(h.value)}\n`);
        const m = r.metrics;
        const headlineNote = headlineEvalNote(r.benchmark, m);
        if (headlineNote !== undefined) process.stdout.write(`${''.padEnd(w)}  note: ${headlineNote}\n`);
        if (typeof m['items_dropped'] === 'number' && m['items_dropped'] > 0)
          process.stdout.write(`${''.padEnd(w)}  note: group metrics over ${String(m['groups'])} complete groups; ${String(m['groups_incomplete'])} incomplete groups (${m['items_dropped']} items) left out\n`);
        if (r.unknownWords > 0) process.stdout.write(`${''.padEnd(w)}  note: ${r.unknownWords} prompt words outside the policy's vocabulary (mapped to UNK), ${r.truncatedPrompts} prompts truncated\n`);
        if (r.unresolvedImages > 0) process.stdout.write(`${''.padEnd(w)}  note: ${r.unresolvedImages === 1 ? '1 item names images its row does' : `${r.unresolvedImages} items name images their rows do`} not have (shown the images that exist)\n`);
      }
      if (results.length > 1) {
        const avg = benchmarkAverage(results);
        const covered = avg.benchmarks < avg.of ? `  (over ${avg.benchmarks} of ${avg.of} benchmarks; ${(avg.notAvailable ?? []).join(', ')} n/a: no scored response)` : '';
        process.stdout.write(`${'Avg'.padEnd(w)}  ${''.padEnd(22)}  ${''.padStart(5)}  ${'headline mean'.padEnd(14)}  ${avg.value === null ? 'n/a' : pct(avg.value)}${covered}\n`);
      }
      if (remote || judge) process.stdout.write(extractionAndErrorLines(results, judge !== undefined));
      process.stdout.write(`results → ${cfg.out}/results.json\n`);
      // Finished, but some responses failed for good: the numbers are over the rest, so say so in the exit code too.
      if (results.some((r) => r.errors > 0)) process.exitCode = INCOMPLETE_EXIT_CODE;
    },
  );

const scoreCommand: Builder = (cli) =>
  cli.command(
    'score',
    're-score saved responses with a benchmark\'s official rules (no generation)',
    (y) =>
      y
        .option('benchmark', { type: 'string', demandOption: true, describe: benchmarkNames.join(' | ') })
        .option('data', { type: 'string', ...(benchmarkDataRoot() ? { default: benchmarkDataRoot() } : { demandOption: true }), describe: `the benchmark's files (Hugging Face parquet or the authors' GitHub layout), or a directory with one folder per benchmark; default $${DATA_ENV} when set` })
        .option('split', { type: 'string', describe: "split (default: the benchmark's evaluation split)" })
        .option('predictions', { type: 'string', demandOption: true, describe: 'JSONL: {"id": …, "response": …} per line; repeated ids are k samples, the same k for every item' })
        .option('out', { type: 'string', demandOption: true, describe: 'output JSON (items + metrics); not the predictions file, not a folder' }),
    async (argv) => {
      const bench = getBenchmark(String(argv.benchmark));
      const res = await scorePredictions({
        benchmark: bench.name,
        data: benchmarkSource(resolve(String(argv.data)), bench.name),
        ...(argv.split ? { split: String(argv.split) } : {}),
        predictions: resolve(String(argv.predictions)),
        out: resolve(String(argv.out)),
      });
      for (const n of res.notices) process.stderr.write(`rlsd-bench: warning: ${n}\n`);
      const h = headline(bench.name, res.metrics);
      // The rule for repeated ids, stated: k samples per item, the same k for all (uneven repeats are refused).
      const per = res.k === 1 ? 'one per item' : `k = ${res.k} samples per item`;
      const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
      process.stdout.write(`${bench.name}: ${plural(res.items.length, 'response')} over ${plural(res.ids, 'item')} (${per}), ${h.name} ${h.value === null ? 'n/a' : (100 * h.value).toFixed(2)} → ${resolve(String(argv.out))}\n`);
    },
  );

const dataCommand: Builder = (cli) =>
  cli.command('data <kind>', 'write datasets (kind: mini — the five mini benchmarks as parquet in their Hugging Face schemas)', (y) =>
    y
      .positional('kind', { type: 'string', choices: ['mini'], describe: 'what to write (mini: the five mini benchmarks)' })
      .option('out', { type: 'string', demandOption: true, describe: 'directory to write (one folder per benchmark)' })
      .option('seed', { type: 'number', default: 1, describe: 'seed of the generated problems' })
      .option('train', { type: 'number', default: 1000, describe: 'training problems per benchmark' })
      .option('eval', { type: 'number', default: 300, describe: 'evaluation problems per benchmark' })
      .option('benchmarks', { type: 'string', default: MINI_BENCHMARKS.join(','), describe: 'comma-separated mini benchmarks to write' }),
    async (argv) => {
      const seed = num('seed', argv.seed, { integer: true, min: 0 });
      const trainN = num('train', argv.train, { integer: true, min: 0 });
      const evalN = num('eval', argv.eval, { integer: true, min: 0 });
      const names = parseBenchmarkList(argv.benchmarks) as MiniBenchmark[];
      const out = resolve(String(argv.out));
      const counts = Object.fromEntries(names.map((n) => [n, { train: trainN, eval: evalN }]));
      const files = await writeMiniSuite(out, { seed, counts, benchmarks: names });
      process.stdout.write(`${files.length} parquet files → ${out}\n${files.map((f) => '  ' + f.slice(out.length + 1)).join('\n')}\n`);
    },
  );

export const commandRegistry: Builder[] = [pretrainCommand, trainCommand, evalCommand, scoreCommand, dataCommand, reportCommand, sweepCommand, serveCommand({ tensorOptions, setupBackend }), regressCommand];
