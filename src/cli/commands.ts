// The commands of rlsd-bench other than `methods`: each is a yargs builder that validates its flags and
// calls into the library (src/pretrain.ts, src/train/, src/eval.ts, …).
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Argv, Options } from 'yargs';
import { getMethod, methodNames, methods, resolveMethodConfig } from '../../methods/index.ts';
import { flagOptions, num, readFlags } from './flags.ts';
import { parseOptions, setupBackend, tensorOptions } from './util.ts';
import { pretrain, PRETRAIN_OPTIONS, resolvePretrainConfig, type PretrainSettings } from '../pretrain.ts';
import { benchmarkDataRoot, DATA_ENV, defaultBase, PACKAGE_BASE_SHOWN } from '../paths.ts';
import { BENCHMARK_MEAN, DEFAULT_TRAIN, POOLED, resolveTrainConfig, TRAIN_BOUNDS, TRAIN_OPTIONS, train, type ProgressSink, type RunSummary, type StepMetrics, type TrainSettings } from '../train/index.ts';
import { defaultsOf } from '../util/options.ts';
import { benchmarkAverage, benchmarkListProblem, benchmarkSource, ENDPOINT_MAX_NEW_TOKENS, EVAL_BOUNDS, EVAL_OPTIONS, evalRulesProblem, evaluate, LIMIT_WARNING, MINI_DATA, miniSuiteSplit, parseBenchmarkList, type EvalConfig, type EvalProgress, type EvalSettings } from '../eval.ts';
import { defaultEndpointOut, ENDPOINT_BOUNDS, ENDPOINT_OPTIONS, endpointEvalConfig, extractionAndErrorLines, INCOMPLETE_EXIT_CODE, judgeTarget, readEndpointFlags, seriesTable } from './eval-endpoint.ts';
import { evaluateSeries, seriesRunDir } from '../endpoint/series.ts';
import { pct, startProgress, type ProgressTask } from '../progress.ts';
import { headline, headlineEvalNote } from '../headline-metrics.ts';
import { setActivity } from '../util/activity.ts';
import { defaultEvalOut, resolveCheckpoint } from '../run-dir.ts';
import { checkCheckpoint, checkpointSuite } from '../checkpoint.ts';
import { scorePredictions } from '../score.ts';
import { benchmarkNames, getBenchmark, MINI_BENCHMARKS, type MiniBenchmark } from '../../benchmarks/index.ts';
import { writeMiniSuite } from '../../benchmarks/mini/build.ts';
import { SUITE_MAX_NEW_TOKENS } from '../../benchmarks/mini/types.ts';
import { UsageError } from '../util/errors.ts';
import { reportCommand } from './report.ts';
import { sweepCommand } from './sweep.ts';
import { regressCommand } from './regress.ts';
import { serveCommand } from './serve.ts';
import { creditCommand } from './credit.ts';

/** How --help shows the default base (the absolute path differs per machine). */
const DEFAULT_BASE_SHOWN = PACKAGE_BASE_SHOWN;

type Builder = (cli: Argv) => Argv;

/** Upper bounds of train's and pretrain's size flags (declared with train's options, src/train/config.ts). */
export { TRAIN_BOUNDS };

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

const pretrainCommand: Builder = (cli) =>
  cli.command(
    'pretrain',
    'supervised pre-training of the base policy on the mini suite (writes a checkpoint directory)',
    (y) => tensorOptions(y, 'matmul').options(flagOptions(PRETRAIN_OPTIONS)),
    async (argv) => {
      const settings = readFlags(PRETRAIN_OPTIONS, argv) as PretrainSettings;
      const cfg = resolvePretrainConfig({ ...settings, out: resolve(settings.out), init: argv.init ? resolve(String(argv.init)) : undefined }, Boolean(argv.quiet));
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

/** Train's yargs flags, each from its one declaration in TRAIN_OPTIONS (src/train/config.ts), and the --eval-schedule shorthand. */
function trainFlags(): Record<string, Options> {
  return { ...flagOptions(TRAIN_OPTIONS), 'eval-every': { type: 'number', describe: 'shorthand for --eval-schedule every:N (0: never)' } };
}

/** Train's flags as TrainConfig fields (--lr, --max-new-tokens and --eval-schedule only when given; --eval-every N as every:N). */
function readTrainFlags(argv: Record<string, unknown>): Partial<TrainSettings> {
  const cfg = readFlags(TRAIN_OPTIONS, argv);
  if (argv['eval-every'] !== undefined) {
    const every = num('eval-every', argv['eval-every'], { integer: true, min: 0 });
    if (cfg.evalSchedule !== undefined)
      throw new UsageError(`--eval-every ${every} and --eval-schedule ${String(cfg.evalSchedule)} both given: --eval-every N is --eval-schedule every:N, give one`);
    cfg.evalSchedule = `every:${every}`;
  }
  return cfg;
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
        .option('base', { type: 'string', default: defaultBase(), defaultDescription: DEFAULT_BASE_SHOWN, describe: 'starting checkpoint (a path you give is relative to the working directory)' })
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
      // The library settles the rest (the method's recommended lr, the base suite's response length) and checks the
      // rules between the flags, as it does for a sweep's cells.
      const seed = flags.seed ?? DEFAULT_TRAIN.seed;
      const out = resolve(argv.out ? String(argv.out) : `results/runs/${method.name}${flags.shuffleRewards ? '-shuffled' : ''}-s${seed}`);
      const { config: cfg, notice } = resolveTrainConfig({ method: method.name, methodOptions, base: resolve(String(argv.base)), out, settings: flags, quiet: Boolean(argv.quiet) });
      if (notice) process.stderr.write(`rlsd-bench: note: ${notice}\n`);
      checkCheckpoint(cfg.base); // a wrong path is said before the backend's banner
      await setupBackend(argv);
      const res = await train(cfg, trainProgress(method.name, cfg.quiet));
      process.stdout.write(trainReport(method.name, cfg.evalSplit, res));
    },
  );

function evalProgress(quiet: boolean): EvalProgress {
  return { start: (name, total, done) => startProgress({ label: name.padEnd(10), total, done, unit: 'responses', quiet }) };
}

/** eval's defaults of the settings its output folder records (src/eval.ts evalIdentity). */
const EVAL_DEFAULTS = defaultsOf(EVAL_OPTIONS) as EvalSettings;

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
    add('mini-items', cfg.miniCount, EVAL_DEFAULTS.miniCount);
    add('mini-seed', cfg.miniSeed, EVAL_DEFAULTS.miniSeed);
  }
  add('samples', cfg.samples, EVAL_DEFAULTS.samples);
  add('temperature', cfg.temperature, EVAL_DEFAULTS.temperature);
  add('top-p', cfg.topP, EVAL_DEFAULTS.topP);
  add('max-new-tokens', cfg.maxNewTokens, remote ? ENDPOINT_MAX_NEW_TOKENS : SUITE_MAX_NEW_TOKENS[cfg.miniSuite ?? 'mini-1']);
  add('seed', cfg.seed, EVAL_DEFAULTS.seed);
  if (!remote) add('batch', cfg.batchSize, EVAL_DEFAULTS.batchSize);
  // Not the tensor flags: the backend is the machine's more than the measurement's (a folder evaluated on another
  // one still refuses, naming both).
  return parts.length === 0 ? '' : `@${parts.join(',').replace(/[^A-Za-z0-9._=,@+-]+/g, '_')}`;
}

/** A --benchmarks list, checked (src/eval.ts benchmarkListProblem). */
function benchmarkList(raw: unknown): string[] {
  const problem = benchmarkListProblem(String(raw ?? ''));
  if (problem) throw new UsageError(`--benchmarks ${problem}`);
  return parseBenchmarkList(String(raw));
}

const evalCommand: Builder = (cli) =>
  cli.command(
    'eval',
    'evaluate a checkpoint, or a model behind an OpenAI-compatible endpoint, on benchmarks with their official scoring (writes results.json and samples.jsonl per benchmark)',
    (y) =>
      tensorOptions(y)
        .options(flagOptions(EVAL_OPTIONS))
        .options(ENDPOINT_OPTIONS),
    async (argv) => {
      const given = readFlags(EVAL_OPTIONS, argv);
      const flags = { ...EVAL_DEFAULTS, ...given } as EvalSettings;
      const rule = evalRulesProblem(flags);
      if (rule) throw new UsageError(rule);
      // A served model instead of a checkpoint (src/endpoint/): flags checked here, before any request or file.
      const remote = readEndpointFlags(argv, given.checkpoint !== undefined);
      const judge = remote ? remote.judge : judgeTarget(argv);
      const resolved = remote ? null : resolveCheckpoint(given.checkpoint ?? defaultBase());
      const checkpoint = resolved?.checkpoint;
      // The mini suite a checkpoint learned is the one it is evaluated on, unless --suite says otherwise.
      const suite = given.suite ?? (checkpoint !== undefined ? checkpointSuite(checkCheckpoint(checkpoint).info) : 'mini-1');
      const data = given.data ?? benchmarkDataRoot() ?? MINI_DATA;
      const settings: Omit<EvalConfig, 'out'> = {
        ...(checkpoint !== undefined ? { checkpoint } : {}),
        benchmarks: parseBenchmarkList(flags.benchmarks),
        data: data === MINI_DATA ? MINI_DATA : resolve(data),
        ...(flags.split ? { split: flags.split } : {}),
        ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        samples: flags.samples,
        temperature: flags.temperature,
        topP: flags.topP,
        // The bound is the answerer's: a local policy's or an endpoint's.
        maxNewTokens: num('max-new-tokens', flags.maxNewTokens ?? (remote ? ENDPOINT_MAX_NEW_TOKENS : SUITE_MAX_NEW_TOKENS[suite]), { integer: true, min: 1, max: remote ? ENDPOINT_BOUNDS.maxNewTokens : EVAL_BOUNDS.maxNewTokens }),
        ...(suite !== 'mini-1' ? { miniSuite: suite } : {}),
        batchSize: flags.batchSize,
        seed: flags.seed,
        miniCount: flags.miniCount,
        miniSeed: flags.miniSeed,
        overwrite: flags.overwrite,
        ...endpointEvalConfig(remote, judge, argv),
      };
      if (settings.data === MINI_DATA) miniSuiteSplit(settings.split);
      else if (!existsSync(settings.data)) throw new UsageError(`--data ${data}: no such directory`);
      // A series' default is the report's folder, whose run folders record their own settings.
      const plainOut = remote ? defaultEndpointOut(remote) : defaultEvalOut(checkpoint!);
      const defaultOut = remote?.series ? plainOut : plainOut + evalSettingsSuffix(settings, remote !== null);
      const cfg: EvalConfig = { ...settings, out: flags.out ? resolve(flags.out) : defaultOut };
      if (resolved?.note) process.stderr.write(`rlsd-bench: ${resolved.note}\n`);
      if (cfg.limit !== undefined) process.stderr.write(`rlsd-bench: warning: ${LIMIT_WARNING}\n`);
      if (checkpoint !== undefined) checkCheckpoint(checkpoint); // a wrong path is said before the backend's banner
      if (!remote) await setupBackend(argv); // a served model needs no tensor backend here
      setActivity({ command: 'eval' }); // for the Ctrl-C line (src/cli/main.ts)
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
      const names = benchmarkList(argv.benchmarks) as MiniBenchmark[];
      const out = resolve(String(argv.out));
      const counts = Object.fromEntries(names.map((n) => [n, { train: trainN, eval: evalN }]));
      const files = await writeMiniSuite(out, { seed, counts, benchmarks: names });
      process.stdout.write(`${files.length} parquet files → ${out}\n${files.map((f) => '  ' + f.slice(out.length + 1)).join('\n')}\n`);
    },
  );

export const commandRegistry: Builder[] = [pretrainCommand, trainCommand, evalCommand, scoreCommand, dataCommand, reportCommand, sweepCommand, serveCommand, creditCommand, regressCommand];
