// A training run's settings, each train flag declared once (TRAIN_OPTIONS: field, flag, default, help, rule, in the
// shared form of src/util/options.ts). DEFAULT_TRAIN, the library's check of a TrainConfig, the rules between
// fields, the learning-rate resolution (resolveTrainConfig) and the CLI's flags, --help and range checks
// (src/cli/commands.ts) are all derived from the table — no option is stated a second time. `train`, a sweep cell and
// the demo resolve their configs through resolveTrainConfig.
import { MINI_EVAL_ITEMS } from '../../benchmarks/mini/build.ts';
import { getMethod, methodLr, resolveMethodConfig, untunedLrNotice } from '../../methods/index.ts';
import { UNTUNED_LR } from '../../methods/tuned-lr.ts';
import { MINI_SUITES, SUITE_FINAL_EVAL_ITEMS, SUITE_MAX_NEW_TOKENS, type MiniSuite } from '../../benchmarks/mini/types.ts';
import { checkCheckpoint, checkpointSuite } from '../checkpoint.ts';
import { TrainingError, UsageError } from '../util/errors.ts';
import { configProblem, defaultsOf, optionsOf, ruleProblem, type FlagOption, type OptionRule, type OptionValue } from '../util/options.ts';
import { EVAL_SCHEDULE_SYNTAX, evalScheduleProblem } from './evaluate.ts';

export { ruleProblem, type OptionRule };

export const TRAIN_MIXES = ['balanced', 'rows'] as const;
export type TrainMix = (typeof TRAIN_MIXES)[number];
export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export const EVAL_SPLITS = ['test', 'validation'] as const;

export interface TrainConfig {
  method: string;
  /** Method options overriding its defaults (validated by the method registry; the teacher regime is one). */
  methodOptions: Record<string, string | number | boolean>;
  base: string;
  out: string;
  seed: number;
  steps: number;
  promptsPerStep: number;
  samplesPerPrompt: number;
  /**
   * Prompts (with all their G responses) per optimiser update; 0 = the whole step's batch in one update (the
   * paper's on-policy setting). Smaller values split the batch into several updates per step, veRL's
   * `ppo_mini_batch_size`: every update after the first is off-policy, bounded by the clipped ratio.
   */
  ppoMiniBatch: number;
  /** Passes over the step's batch (veRL's `ppo_epochs`). */
  ppoEpochs: number;
  lr: number;
  /** Where `lr` comes from (recorded in run.json, not part of the trajectory): e.g. '--lr', or the method's recommendation. */
  lrSource?: string;
  warmupSteps: number;
  /** After warm-up: constant, or cosine decay to 10 % of `lr` at the last step (then `steps` shapes the run). */
  lrSchedule: (typeof LR_SCHEDULES)[number];
  gradClip: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** When the held-out evaluation runs (src/train/evaluate.ts): 'dense', 'every:N', 'never' or 'E@U,…,E'. */
  evalSchedule: string;
  /** Held-out problems per mini benchmark for the periodic greedy evaluation. */
  evalPerBenchmark: number;
  /**
   * Held-out problems per mini benchmark for the last step's evaluation (0: the suite's, SUITE_FINAL_EVAL_ITEMS);
   * when more than evalPerBenchmark, that evaluation covers the larger set, whose first evalPerBenchmark problems
   * are the curve's.
   */
  finalEvalPerBenchmark: number;
  /** Which mini split the periodic evaluation uses: the test set the tables report, or validation for tuning. */
  evalSplit: (typeof EVAL_SPLITS)[number];
  checkpointEvery: number;
  /** Training problems per mini benchmark (the pool cycled in a seeded order). */
  trainPerBenchmark: number;
  /**
   * How an epoch draws from the pool: `balanced` takes as many rows of every benchmark as the smallest one has
   * (WeMath's problem groups expand to ~3.4 rows per problem, so row-uniform order gives it 46 % of the prompts);
   * `rows` walks every row once.
   */
  trainMix: TrainMix;
  /** Control: permute rewards within the batch, so any gain cannot come from the verifier. */
  shuffleRewards: boolean;
  /** Data seed of the mini suite (train/eval items); fixed across runs so methods see the same items. */
  dataSeed: number;
  /** The mini suite's version: the base's (src/checkpoint.ts checkpointSuite), resolved when the run starts. */
  suite?: MiniSuite;
  /** Stop after this many steps in this process (for tests of resume); 0 = run to `steps`. */
  stopAfter: number;
  /**
   * Score the self-teacher in a worker thread (src/teacher-worker.ts) while the student's forward pass runs, on
   * the single-threaded backends (wasm, cpu). Same numbers either way; off: in the main thread, in turn.
   */
  teacherWorker: boolean;
  quiet: boolean;
}

/**
 * Upper bounds of train's and pretrain's size flags, checked before anything is written: past them a run does
 * not fail cleanly but exhausts memory mid-run. Measured on the default model: a training problem per benchmark
 * holds ~185 KiB of images and tokens (the five benchmarks, WeMath's groups expanded), a response of the update
 * ~6 MB of activations (64 prompts × 8 samples take 3.0 GB).
 */
export const TRAIN_BOUNDS = {
  steps: { max: 1_000_000, why: 'metrics.jsonl holds a line per step (1–2 KB each), read whole by the report and a resume: 1000000 ≈ 1–2 GB' },
  items: { max: 20_000, why: 'problems per benchmark held in memory, ~185 KiB each: 20000 ≈ 3.6 GB' },
  responses: { max: 1024, why: 'responses per step whose activations the update holds at once, ~6 MB each: 1024 ≈ 6 GB' },
  dModel: { max: 512, why: 'the weights, their gradients and Adam\'s two moments are held in memory' },
  layers: { max: 24, why: 'the weights, their gradients and Adam\'s two moments are held in memory' },
  heads: { max: 64, why: 'attention scores per head are held for every position pair' },
  patchHidden: { max: 4096, why: 'the weights, their gradients and Adam\'s two moments are held in memory' },
} as const;

/** Fields a flag sets (the method, base, output and options are the command's own arguments). */
export type FlagField = Exclude<keyof TrainConfig, 'method' | 'methodOptions' | 'base' | 'out' | 'lrSource' | 'quiet' | 'suite'>;

/** The values train's flags set, by field. */
export type TrainSettings = Pick<TrainConfig, FlagField>;

export type TrainOption = FlagOption<TrainSettings>;

const int = (min: number): OptionRule => ({ kind: 'number', integer: true, min });
const size = (bound: { max: number; why: string }): OptionRule => ({ kind: 'number', integer: true, min: 1, max: bound.max, why: bound.why });
const option = optionsOf<TrainSettings>();

/** Every train flag, in the order `train --help` lists them. */
export const TRAIN_OPTIONS: readonly TrainOption[] = [
  // Long enough for GRPO and RLSD to climb and settle from the committed base (results/reference/README.md).
  option({ field: 'steps', flag: 'steps', default: 600, rule: size(TRAIN_BOUNDS.steps), help: 'training steps (one rollout batch each); the cosine schedule decays over them' }),
  option({ field: 'promptsPerStep', flag: 'prompts', default: 16, rule: size(TRAIN_BOUNDS.responses), help: 'prompts per step' }),
  option({ field: 'samplesPerPrompt', flag: 'samples', default: 8, rule: size(TRAIN_BOUNDS.responses), help: 'responses per prompt (G)' }),
  option({ field: 'ppoMiniBatch', flag: 'ppo-mini-batch', default: 0, rule: int(0), help: 'prompts per optimiser update (veRL ppo_mini_batch_size); 0: the whole step in one on-policy update' }),
  option({ field: 'ppoEpochs', flag: 'ppo-epochs', default: 1, rule: int(1), help: "passes over each step's batch (veRL ppo_epochs)" }),
  // docs/design.md §7's 1e-4, decayed by a cosine to 10 % over the run: the decay keeps the early pace and settles
  // the end, where a constant rate wanders (results/reference/README.md). Unless --lr is given,
  // resolveTrainConfig takes the method's own recommendation when it declares one; a method without one trains at
  // this rate.
  option({ field: 'lr', flag: 'lr', default: UNTUNED_LR.value, shownDefault: "the method's recommended lr (methods --verbose)", rule: { kind: 'number', min: 0 }, help: 'peak Adam learning rate' }),
  option({ field: 'warmupSteps', flag: 'warmup', default: 10, rule: int(0), help: 'linear learning-rate warm-up steps' }),
  option({ field: 'lrSchedule', flag: 'lr-schedule', default: 'cosine', rule: { kind: 'choice', choices: LR_SCHEDULES }, help: 'after warm-up: constant | cosine (decay to 10 % of --lr at --steps)' }),
  option({ field: 'gradClip', flag: 'grad-clip', default: 1.0, rule: { kind: 'number', min: 0 }, help: 'clip the global gradient norm to this (0: no clipping)' }),
  option({ field: 'temperature', flag: 'temperature', default: 1.0, rule: { kind: 'number', min: 0, minExclusive: true }, help: 'rollout sampling temperature' }),
  option({ field: 'topP', flag: 'top-p', default: 1.0, rule: { kind: 'number', min: 0, max: 1, minExclusive: true }, help: 'rollout nucleus sampling (1: off)' }),
  option({
    field: 'maxNewTokens',
    flag: 'max-new-tokens',
    default: SUITE_MAX_NEW_TOKENS['mini-1'],
    shownDefault: `the base's mini suite's longest response: ${MINI_SUITES.map((s) => `${SUITE_MAX_NEW_TOKENS[s]} for ${s}`).join(', ')}`,
    rule: int(1),
    help: 'longest response in tokens',
  }),
  // Dense early, where the methods differ (RLSD's λ decays to 0 by step 50; OPSD peaks early), sparse late. The
  // schedule leaves the trajectory as it is: evaluation draws nothing from the run's RNG. --eval-every N is
  // every:N (src/cli/commands.ts), so yargs leaves the flag unset.
  option({ field: 'evalSchedule', flag: 'eval-schedule', default: 'dense', shownDefault: 'dense', rule: { kind: 'text', syntax: EVAL_SCHEDULE_SYNTAX, problem: evalScheduleProblem }, help: `when the held-out greedy evaluation runs, always at step 0 and the last step: ${EVAL_SCHEDULE_SYNTAX}` }),
  option({ field: 'evalPerBenchmark', flag: 'eval-items', default: MINI_EVAL_ITEMS, rule: size(TRAIN_BOUNDS.items), help: 'held-out problems per mini benchmark' }),
  option({ field: 'finalEvalPerBenchmark', flag: 'final-eval-items', default: 0, rule: { kind: 'number', integer: true, min: 0, max: TRAIN_BOUNDS.items.max, why: TRAIN_BOUNDS.items.why }, help: `held-out problems per mini benchmark at the last step's evaluation, the accuracy tables' (0: the suite's — ${MINI_SUITES.map((s) => `${SUITE_FINAL_EVAL_ITEMS[s] || '--eval-items'} for ${s}`).join(', ')}); the curve reads its first --eval-items` }),
  option({ field: 'evalSplit', flag: 'eval-split', default: 'test', rule: { kind: 'choice', choices: EVAL_SPLITS }, help: 'mini split of the in-run evaluation: test (the set tables report) | validation (for tuning)' }),
  option({ field: 'trainPerBenchmark', flag: 'train-items', default: 400, rule: size(TRAIN_BOUNDS.items), help: 'training problems per mini benchmark' }),
  // 'rows' is the order the reference runs trained in, so their numbers hold (results/reference/README.md compares
  // it with 'balanced').
  option({ field: 'trainMix', flag: 'train-mix', default: 'rows', rule: { kind: 'choice', choices: TRAIN_MIXES }, help: 'balanced: every benchmark weighs the same in an epoch | rows: every training row once' }),
  option({ field: 'checkpointEvery', flag: 'checkpoint-every', default: 25, rule: int(0), help: 'write a resumable checkpoint every N steps (and at the end; 0: only at the end)' }),
  option({ field: 'seed', flag: 'seed', default: 1, rule: int(0), help: 'seed of sampling and data order (names the default --out)' }),
  option({ field: 'dataSeed', flag: 'data-seed', default: 1, rule: int(0), help: 'seed of the generated mini suite (keep it fixed to compare methods on the same items)' }),
  option({ field: 'shuffleRewards', flag: 'shuffle-rewards', default: false, rule: { kind: 'boolean' }, help: 'control: permute rewards within each batch' }),
  option({ field: 'stopAfter', flag: 'stop-after', default: 0, rule: int(0), help: 'stop after N steps in this process (resume later)' }),
  option({ field: 'teacherWorker', flag: 'teacher-worker', default: true, rule: { kind: 'boolean' }, help: 'score the self-teacher (and the KL reference, with --opt klCoef) in a worker thread during the student forward pass (wasm/cpu; same numbers); --no-teacher-worker: in turn' }),
];

export const DEFAULT_TRAIN: Omit<TrainConfig, 'method' | 'base' | 'out'> = {
  methodOptions: {},
  quiet: false,
  ...(defaultsOf(TRAIN_OPTIONS) as TrainSettings),
};

/**
 * The rules between train's settings, in the words train's flags are refused with (a sweep's check and a library
 * caller get the same line): the first one broken, or null.
 */
export function trainRulesProblem(cfg: Pick<TrainConfig, 'method' | 'promptsPerStep' | 'samplesPerPrompt' | 'ppoMiniBatch'>): string | null {
  if (cfg.samplesPerPrompt < 2 && getMethod(cfg.method).trains) return '--samples must be ≥ 2 for group-relative methods';
  const responses = cfg.promptsPerStep * cfg.samplesPerPrompt;
  if (responses > TRAIN_BOUNDS.responses.max)
    return `--prompts × --samples must be ≤ ${TRAIN_BOUNDS.responses.max} (got ${cfg.promptsPerStep} × ${cfg.samplesPerPrompt} = ${responses}): ${TRAIN_BOUNDS.responses.why}`;
  if (cfg.ppoMiniBatch > 0 && cfg.promptsPerStep % cfg.ppoMiniBatch !== 0)
    return `--ppo-mini-batch ${cfg.ppoMiniBatch} must divide --prompts ${cfg.promptsPerStep} (every update sees whole groups of equal count)`;
  return null;
}

/** A library caller's TrainConfig checked against the same table the CLI's flags come from (names are the fields), then the rules between them. */
export function checkTrainConfig(cfg: TrainConfig): void {
  const problem = configProblem(TRAIN_OPTIONS, cfg);
  if (problem) throw new TrainingError(problem);
  const rule = trainRulesProblem(cfg);
  if (rule) throw new UsageError(rule);
}

/** What a caller states of a run; resolveTrainConfig settles the rest. */
export interface TrainRequest {
  method: string;
  /** Method options overriding its defaults (strings from the command line are coerced by the method's rules). */
  methodOptions?: Record<string, OptionValue>;
  base: string;
  out: string;
  /** Train's settings given, by field; the others take their defaults. */
  settings?: Partial<TrainSettings>;
  quiet?: boolean;
}

export interface ResolvedTrainConfig {
  config: TrainConfig;
  /** The line train prints for a method that trains without a tuned rate (null when it has one, or lr is given). */
  notice: string | null;
}

/**
 * The config a run trains with: the settings given over the defaults; `lr`, when not given, the method's
 * recommended rate (else UNTUNED_LR), with its source; the base's mini suite, and from it `maxNewTokens`, when not
 * given, its longest response, and the size of the last evaluation. The method options, every setting and the rules
 * between them are checked first, in train's words; the base is read only for its suite.
 */
export function resolveTrainConfig(req: TrainRequest): ResolvedTrainConfig {
  const method = getMethod(req.method);
  const methodOptions = { ...(req.methodOptions ?? {}) };
  resolveMethodConfig(method, methodOptions);
  const given = req.settings ?? {};
  const checked: TrainConfig = { ...DEFAULT_TRAIN, ...given, method: method.name, methodOptions, base: req.base, out: req.out, quiet: req.quiet ?? false };
  const problem = configProblem(TRAIN_OPTIONS, checked, (o) => `--${o.flag}`) ?? trainRulesProblem(checked);
  if (problem) throw new UsageError(problem);
  // The rate is the one tuned on the base's suite, so the suite comes first.
  const recommended = methodLr(method, withSuite(checked).suite);
  const lr = given.lr !== undefined ? { value: given.lr, source: '--lr' } : { value: recommended.value, source: `method '${method.name}': ${recommended.source}` };
  const config: TrainConfig = { ...DEFAULT_TRAIN, ...given, lr: lr.value, lrSource: lr.source, method: method.name, methodOptions, base: req.base, out: req.out, quiet: req.quiet ?? false };
  const suited = withSuite(config);
  if (given.maxNewTokens === undefined) suited.maxNewTokens = SUITE_MAX_NEW_TOKENS[suited.suite];
  return { config: suited, notice: given.lr === undefined && method.trains ? untunedLrNotice(method) : null };
}

/**
 * The run's mini suite is its base's (a run on a deep-world base trains and evaluates on the deep world), and the
 * size of its last evaluation follows from it (finalEvalItems). `train` applies it to every config it is given.
 */
export function withSuite(cfg: TrainConfig): TrainConfig & { suite: MiniSuite } {
  const suite = baseSuite(cfg.base);
  return { ...cfg, suite, finalEvalPerBenchmark: finalEvalItems({ ...cfg, suite }) };
}

/** The mini suite a base checkpoint learned (its checkpoint.json; mini-1 when it names none). */
export function baseSuite(base: string): MiniSuite {
  return checkpointSuite(checkCheckpoint(base).info);
}

/** Held-out problems per benchmark of the last step's evaluation: --final-eval-items, else the suite's (0: the curve's), never fewer than the curve's. */
export function finalEvalItems(cfg: Pick<TrainConfig, 'evalPerBenchmark' | 'finalEvalPerBenchmark'> & { suite: MiniSuite }): number {
  return Math.max(cfg.evalPerBenchmark, cfg.finalEvalPerBenchmark > 0 ? cfg.finalEvalPerBenchmark : SUITE_FINAL_EVAL_ITEMS[cfg.suite]);
}
