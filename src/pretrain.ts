// Supervised pre-training of the base policy on the mini suite's solution traces. Half of every batch sees
// the reference solution in its context (the self-teacher's format), half does not, so the same network
// learns both to solve and to use privileged information — the starting point of every method.
import { rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { backendInfo } from './backend.ts';
import { Adam, DEFAULT_ADAM } from './optim.ts';
import { Policy, tokenLogProbs } from './policy.ts';
import { provenance } from './provenance.ts';
import { evaluateTasks as heldOutAccuracy, type HeldOutAccuracy } from './train/index.ts';
import { loadMiniTasks, type Task } from './tasks.ts';
import { MINI_EVAL_ITEMS } from '../benchmarks/mini/build.ts';
import { DRILL_FORMS, lookupDrill, type DrillForm } from '../benchmarks/mini/drill.ts';
import { answerOnlyReference } from '../benchmarks/mini/language.ts';
import { DEFAULT_HABIT_KEYS, habitProgram, parseHabitKeys, rewriteSolution, type HabitKey } from '../benchmarks/mini/deep/habits.ts';
import { miniSpec, type MiniBenchmark } from '../benchmarks/mini/formats.ts';
import { MINI_SUITES, SUITE_MAX_NEW_TOKENS, type MiniSuite } from '../benchmarks/mini/types.ts';
import { appendJsonLine, cleanCrashLitter, ensureDir, jsonText, mapWriteError } from './util/fs.ts';
import { acquireLock } from './util/lock.ts';
import { setActivity, updateActivity, yieldToEvents } from './util/activity.ts';
import { hashString, Rng } from './util/rng.ts';
import { DEFAULT_MODEL, type ModelConfig } from './model/config.ts';
import { countParams } from './model/params.ts';
import { Tokenizer } from './tokenizer.ts';
import { TRAIN_BOUNDS } from './train/config.ts';
import { UsageError } from './util/errors.ts';
import { defaultsOf, optionsOf, type FlagOption, type OptionRule } from './util/options.ts';

export interface PretrainConfig {
  out: string;
  /** The mini suite's version the base learns (its tokenizer follows: the deep world's words for mini-2). */
  suite: MiniSuite;
  seed: number;
  dataSeed: number;
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  /** Fraction of each batch whose context holds the reference solution. */
  referenceFraction: number;
  /** Fraction of each batch whose context holds only the gold answer (the `answer` privileged context). */
  answerFraction: number;
  /**
   * Share of the student-context demonstrations written with the demonstrator's habits, where one applies
   * (benchmarks/mini/deep/habits.ts; deep world only). The privileged contexts always see correct solutions.
   */
  habitRate: number;
  /** The habits demonstrated, as comma-separated keys (benchmarks/mini/deep/habits.ts HABIT_KEYS). */
  habits: string;
  /** Fraction of each batch given to option-lookup drills (benchmarks/mini/drill.ts; no reference, no image). */
  lookupDrillFraction: number;
  /** A first phase of this many steps with `lookupDrillWarmupFraction` drills (a curriculum: the lookup first). */
  lookupDrillWarmupSteps: number;
  lookupDrillWarmupFraction: number;
  /** Which drills (benchmarks/mini/drill.ts): the value named in the question, or only in the trace. */
  lookupDrillForm: DrillForm;
  trainPerBenchmark: number;
  evalPerBenchmark: number;
  evalEvery: number;
  maxNewTokens: number;
  model: Partial<ModelConfig>;
  /** Option markers ' (A)' … ' (D)' as single tokens (Tokenizer.default); ignored with `init`. */
  fusedOptionMarkers: boolean;
  /** Continue from this checkpoint's weights (its model and tokenizer; `model` is then ignored) instead of a fresh init. */
  init?: string;
  quiet: boolean;
}

/** The model settings pretrain's flags set (the others keep DEFAULT_MODEL's). */
type ModelFlagField = 'dModel' | 'nLayers' | 'nHeads' | 'patchHidden' | 'imageAttention' | 'patchSize' | 'prevTokenEmbedding';

/**
 * The values pretrain's flags set, by field: the run's own and the model's (resolvePretrainConfig nests those under
 * `model`). `out` and `init` are paths as given.
 */
export type PretrainSettings = Omit<PretrainConfig, 'model' | 'warmupSteps' | 'maxNewTokens' | 'quiet' | 'init'> & { init: string | undefined } & Required<Pick<ModelConfig, ModelFlagField>>;

export type PretrainOption = FlagOption<PretrainSettings>;

/**
 * The deep world's sequence budget: its longest target is 79 tokens (+ EOS), and a teacher context with the full
 * reference takes up to 55 more (benchmarks/mini/deep; measured over 300 problems per benchmark).
 */
export const DEEP_MAX_NEW_TOKENS = SUITE_MAX_NEW_TOKENS['mini-2'];
export const DEEP_TEXT_POSITIONS = 176;

const option = optionsOf<PretrainSettings>();
const int = (min: number): OptionRule => ({ kind: 'number', integer: true, min });
const size = (min: number, bound: { max: number; why: string }): OptionRule => ({ kind: 'number', integer: true, min, max: bound.max, why: bound.why });
const share = (max: number): OptionRule => ({ kind: 'number', min: 0, max });
const PATH: OptionRule = { kind: 'text', syntax: 'a path', problem: () => null };
const habitKeysProblem = (v: string): string | null => {
  const parsed = parseHabitKeys(v);
  return 'problem' in parsed ? parsed.problem : null;
};
function habitKeys(v: string): HabitKey[] {
  const parsed = parseHabitKeys(v);
  if ('problem' in parsed) throw new UsageError(`--habits ${parsed.problem}`);
  return parsed.keys;
}

/**
 * Every pretrain flag, in the order `pretrain --help` lists them. The defaults are the first suite's base's recipe
 * (`results/reference/base-mini1/`): `rlsd-bench pretrain --out DIR` rebuilds it on the same backend (the deep
 * world's default base is built in stages; results/reference/README.md). Its accuracy, the
 * probes that chose each value and the flags of the first base (`base-v1/`) are in results/reference/README.md.
 */
export const PRETRAIN_OPTIONS: readonly PretrainOption[] = [
  option({ field: 'out', flag: 'out', default: 'results/runs/pretrain', rule: PATH, help: 'checkpoint directory to write (a committed base is rebuilt only when named, e.g. --out results/reference/base-mini1, which these defaults rebuild)' }),
  option({
    field: 'suite',
    flag: 'suite',
    default: 'mini-1',
    rule: { kind: 'choice', choices: MINI_SUITES },
    help: `the mini suite's version: ${MINI_SUITES.join(' | ')} (mini-2: the deep world, multi-step problems; its base gets the deep vocabulary, ${DEEP_TEXT_POSITIONS} text positions and --max-new-tokens ${DEEP_MAX_NEW_TOKENS})`,
  }),
  // 0: the committed base's recipe, without the answer-only context (results/reference/README.md, "The faithful regimes").
  option({ field: 'answerFraction', flag: 'answer-fraction', default: 0, rule: share(1), help: 'share of each batch with only the gold answer in context (the answer-only self-teacher)' }),
  // 750, not more: trained longer, the same recipe leaves RL little room above the base.
  option({ field: 'steps', flag: 'steps', default: 750, rule: int(1), help: 'optimiser steps' }),
  option({ field: 'batchSize', flag: 'batch', default: 64, rule: size(2, { max: TRAIN_BOUNDS.responses.max, why: 'sequences per step whose activations the update holds at once, ~6 MB each: 1024 ≈ 6 GB' }), help: 'sequences per step' }),
  option({ field: 'lr', flag: 'lr', default: 3e-3, rule: { kind: 'number', min: 0, minExclusive: true }, help: 'peak Adam learning rate (warm-up, then a cosine decay)' }),
  option({ field: 'seed', flag: 'seed', default: 1, rule: int(0), help: 'seed of the initial weights, batch order and drills' }),
  option({ field: 'dataSeed', flag: 'data-seed', default: 1, rule: int(0), help: 'seed of the generated mini suite (which problems)' }),
  // Many distinct items: with a few hundred per benchmark the student memorises the training images.
  option({ field: 'trainPerBenchmark', flag: 'train-items', default: 2500, rule: size(1, TRAIN_BOUNDS.items), help: 'training problems per mini benchmark' }),
  option({ field: 'evalPerBenchmark', flag: 'eval-items', default: MINI_EVAL_ITEMS, rule: size(1, TRAIN_BOUNDS.items), help: 'held-out problems per mini benchmark' }),
  option({ field: 'evalEvery', flag: 'eval-every', default: 250, rule: int(0), help: 'held-out greedy evaluation every N steps (0: only at the end)' }),
  // 0.3 rather than 0.5: more of each batch trains perception, and copying from the reference is learned at this
  // share too.
  option({
    field: 'habitRate',
    flag: 'habit-rate',
    default: 0,
    rule: share(1),
    help: "share of the student-context demonstrations written with the demonstrator's habits (--habits) where one applies (mini-2 only); the privileged contexts always see correct solutions",
  }),
  option({
    field: 'habits',
    flag: 'habits',
    default: DEFAULT_HABIT_KEYS.join(','),
    rule: { kind: 'text', syntax: 'habit keys separated by commas', problem: habitKeysProblem, canonical: (v) => habitKeys(v).join(',') },
    help: 'the habits --habit-rate demonstrates: faint (faint objects missed), tallest (tallest bars read short), doubling (doubling by adding two), carry (a sum of 10 or more written one short), last-overlooked (a comparison leaves out its last reading)',
  }),
  option({ field: 'referenceFraction', flag: 'ref-fraction', default: 0.3, rule: share(1), help: 'share of each batch with the reference solution in context' }),
  // Option-lookup drills whose value appears only in the trace (as in WeMath), with the fused markers and the
  // previous-token embedding below, are what teaches the multiple-choice letter; without them it stays at chance
  // (benchmarks/mini/drill.ts).
  option({ field: 'lookupDrillFraction', flag: 'lookup-drill', default: 0.15, rule: share(0.9), help: 'share of each batch given to option-lookup drills (no image, no reference)' }),
  option({ field: 'lookupDrillWarmupSteps', flag: 'drill-warmup-steps', default: 0, rule: int(0), help: 'first steps with --drill-warmup-fraction drills (a curriculum: the lookup first)' }),
  option({ field: 'lookupDrillForm', flag: 'drill-form', default: 'trace', rule: { kind: 'choice', choices: DRILL_FORMS }, help: 'question (the value named in the question) | trace (only in the trace, as WeMath)' }),
  option({ field: 'lookupDrillWarmupFraction', flag: 'drill-warmup-fraction', default: 0.9, rule: share(0.9), help: 'drill share during the warm-up steps' }),
  option({ field: 'init', flag: 'init', default: undefined, rule: PATH, help: 'continue from this checkpoint (its model and tokenizer) instead of a fresh init' }),
  option({ field: 'dModel', flag: 'd-model', default: DEFAULT_MODEL.dModel, rule: size(1, TRAIN_BOUNDS.dModel), help: 'model width' }),
  option({ field: 'nLayers', flag: 'layers', default: DEFAULT_MODEL.nLayers, rule: size(1, TRAIN_BOUNDS.layers), help: 'decoder layers' }),
  option({ field: 'nHeads', flag: 'heads', default: DEFAULT_MODEL.nHeads, rule: size(1, TRAIN_BOUNDS.heads), help: 'attention heads (divide --d-model)' }),
  option({ field: 'patchHidden', flag: 'patch-hidden', default: DEFAULT_MODEL.patchHidden ?? 0, rule: size(0, TRAIN_BOUNDS.patchHidden), help: 'hidden width of an MLP patch encoder (0: linear)' }),
  option({ field: 'imageAttention', flag: 'image-attention', default: DEFAULT_MODEL.imageAttention ?? 'causal', rule: { kind: 'choice', choices: ['causal', 'bidirectional'] }, help: 'causal | bidirectional (image tokens see each other)' }),
  option({ field: 'patchSize', flag: 'patch-size', default: DEFAULT_MODEL.patchSize, rule: int(1), help: 'image patch side in pixels (divides 32)' }),
  option({ field: 'fusedOptionMarkers', flag: 'fused-option-markers', default: true, rule: { kind: 'boolean' }, help: "option markers ' (A)' … ' (D)' as single tokens (a one-token induction lookup)" }),
  option({ field: 'prevTokenEmbedding', flag: 'prev-token-embedding', default: true, rule: { kind: 'boolean' }, help: "add an embedding of each text token's previous token (eases the induction lookup)" }),
];

const MODEL_FLAG_FIELDS: readonly ModelFlagField[] = ['dModel', 'nLayers', 'nHeads', 'patchHidden', 'imageAttention', 'patchSize', 'prevTokenEmbedding'];
const SETTING_DEFAULTS = defaultsOf(PRETRAIN_OPTIONS) as PretrainSettings;

/** The base's recipe as a PretrainConfig: the flags' defaults, and the model's where the recipe departs from DEFAULT_MODEL. */
export const DEFAULT_PRETRAIN: Omit<PretrainConfig, 'out'> = {
  ...(Object.fromEntries(Object.entries(SETTING_DEFAULTS).filter(([k]) => k !== 'out' && k !== 'init' && !(MODEL_FLAG_FIELDS as readonly string[]).includes(k))) as Omit<PretrainSettings, 'out' | 'init' | ModelFlagField>),
  warmupSteps: 20,
  maxNewTokens: SUITE_MAX_NEW_TOKENS['mini-1'],
  model: { initStd: 0.1, ...Object.fromEntries(MODEL_FLAG_FIELDS.filter((k) => SETTING_DEFAULTS[k] !== DEFAULT_MODEL[k]).map((k) => [k, SETTING_DEFAULTS[k]])) },
  quiet: false,
};

/**
 * A pretrain run's config from its settings (every flag's value): the rules between them checked in the words
 * pretrain's flags are refused with, and what follows from them set — the model's positions (text positions as in
 * the default model, more for the deep world's longer responses; smaller patches add image positions) and the deep
 * world's response length.
 */
export function resolvePretrainConfig(settings: PretrainSettings, quiet = false): PretrainConfig {
  if (settings.referenceFraction + settings.answerFraction > 1)
    throw new UsageError(`--ref-fraction ${settings.referenceFraction} and --answer-fraction ${settings.answerFraction} add up to more than the whole batch`);
  const patch = settings.patchSize;
  if (settings.habitRate > 0 && settings.suite === 'mini-1') throw new UsageError(`--habit-rate needs the deep world's step-level solutions (--suite mini-2); mini-1 has none`);
  if (DEFAULT_MODEL.imageSize % patch !== 0) throw new UsageError(`--patch-size must divide the image side ${DEFAULT_MODEL.imageSize} (got ${patch})`);
  const imagePositions = (DEFAULT_MODEL.imageSize / patch) ** 2;
  const textPositions = settings.suite === 'mini-1' ? DEFAULT_MODEL.maxPositions - (DEFAULT_MODEL.imageSize / DEFAULT_MODEL.patchSize) ** 2 : DEEP_TEXT_POSITIONS;
  const { out, init, ...rest } = settings;
  const run = Object.fromEntries(Object.entries(rest).filter(([k]) => !(MODEL_FLAG_FIELDS as readonly string[]).includes(k))) as Omit<PretrainSettings, 'out' | 'init' | ModelFlagField>;
  const model: Partial<ModelConfig> = { ...DEFAULT_PRETRAIN.model };
  for (const k of MODEL_FLAG_FIELDS) (model as Record<string, unknown>)[k] = settings[k];
  model.maxPositions = textPositions + imagePositions;
  return {
    ...DEFAULT_PRETRAIN,
    ...run,
    out,
    ...(init !== undefined ? { init } : {}),
    model,
    ...(settings.suite !== 'mini-1' ? { maxNewTokens: DEEP_MAX_NEW_TOKENS } : {}),
    quiet,
  };
}

/** Same tasks with only the gold answer prepended to the context (the `answer` self-teacher's view). */
export function withAnswer(policy: Policy, tasks: readonly Task[], reserve: number): Task[] {
  return tasks.map((t) => ({ ...t, student: policy.encodeContext(`${answerOnlyReference(t.item.answer)} ${t.prompt}`, { reserve }).ids }));
}

/** Same tasks with the reference solution prepended to the context (the self-teacher's view). */
export function withReference(policy: Policy, tasks: readonly Task[], reserve: number): Task[] {
  return tasks
    .filter((t) => t.reference)
    .map((t) => ({ ...t, student: policy.encodeContext(`${t.reference} ${t.prompt}`, { reserve }).ids }));
}

export interface PretrainResult {
  evals: Record<string, number>[];
  final: Record<string, number>;
  finalWithReference: Record<string, number>;
}

/** Pretrain's evaluation record (pretrain.json, pretrain_metrics.jsonl): `eval/accuracy`, `eval/<benchmark>`, `eval/benchmark_mean`, `eval/n`. */
function evalRecord(a: HeldOutAccuracy): Record<string, number> {
  const out: Record<string, number> = { 'eval/accuracy': a.pooled, 'eval/n': a.n };
  for (const [b, acc] of Object.entries(a.perBenchmark)) out[`eval/${b}`] = acc;
  if (Number.isFinite(a.benchmarkMean)) out['eval/benchmark_mean'] = a.benchmarkMean;
  return out;
}

function evaluateTasks(...args: Parameters<typeof heldOutAccuracy>): Record<string, number> {
  return evalRecord(heldOutAccuracy(...args));
}

/** The demonstrator's written solution of a deep-world training task where one of its habits applies. */
function habitTarget(task: Task, keys: readonly HabitKey[]): string | undefined {
  if (task.program === undefined || task.target === undefined) return undefined;
  const demo = habitProgram(task.program.program, keys);
  if (demo === undefined) return undefined;
  return rewriteSolution(task.target, task.program.target, demo.program, miniSpec(task.benchmark as MiniBenchmark).answerStatement);
}

/** Pre-trains a base into `cfg.out`, holding `<out>.lock`: the output folder itself is replaced by renames, so its lock lives beside it. */
export async function pretrain(cfg: PretrainConfig, onStep?: (step: number, m: Record<string, number>) => void): Promise<PretrainResult> {
  const out = cfg.out.replace(/\/+$/, '');
  const lock = acquireLock(`${out}.lock`, 'pretrain');
  try {
    // A rebuild killed between its two renames left --out set aside as .<name>.<pid>.old: put it back first.
    for (const line of cleanCrashLitter(dirname(out), (name) => name === basename(out))) process.stderr.write(`rlsd-bench: notice: ${line}\n`);
    return await pretrainLocked(cfg, onStep);
  } finally {
    lock.release();
  }
}

async function pretrainLocked(cfg: PretrainConfig, onStep?: (step: number, m: Record<string, number>) => void): Promise<PretrainResult> {
  // The flag's rule checked and canonicalised a typed --habits; a config built in code is checked here, before any work.
  const keys = habitKeys(cfg.habits);
  const tokenizer = Tokenizer.default({ fusedOptionMarkers: cfg.fusedOptionMarkers, deep: cfg.suite !== 'mini-1' });
  const policy = cfg.init ? Policy.load(cfg.init).policy : Policy.init(cfg.seed, cfg.model, tokenizer);
  const reserve = cfg.maxNewTokens;
  const train = await loadMiniTasks(policy, { split: 'train', perBenchmark: cfg.trainPerBenchmark, seed: cfg.dataSeed, reserve, suite: cfg.suite });
  const evalTasks = await loadMiniTasks(policy, { split: 'test', perBenchmark: cfg.evalPerBenchmark, seed: cfg.dataSeed, reserve, suite: cfg.suite });
  const evalWithRef = withReference(policy, evalTasks, reserve);
  const evalWithAnswer = cfg.answerFraction > 0 ? withAnswer(policy, evalTasks, reserve) : [];
  const examples = train.filter((t) => t.target);
  if (examples.length === 0) throw new Error('pretrain: the mini training items carry no SFT target (rlsd_target)');
  const targets = examples.map((t) => [...policy.tokenizer.encode(t.target!), policy.tokenizer.eos]);
  // The demonstrator's solution where a habit applies (else undefined): only the student's context is taught it.
  const habitTargets = cfg.habitRate > 0 ? examples.map((t) => habitTarget(t, keys)).map((text) => (text === undefined ? undefined : [...policy.tokenizer.encode(text), policy.tokenizer.eos])) : [];
  const teacherCtx = examples.map((t) => (t.reference ? policy.encodeContext(`${t.reference} ${t.prompt}`, { reserve }).ids : t.student));
  // Only a recipe with answer-only rows needs their contexts (the default has none).
  const answerCtx = cfg.answerFraction > 0 ? examples.map((t) => policy.encodeContext(`${answerOnlyReference(t.item.answer)} ${t.prompt}`, { reserve }).ids) : [];
  const adam = new Adam(policy.params, { ...DEFAULT_ADAM, lr: cfg.lr, warmupSteps: cfg.warmupSteps, gradClip: 1.0, schedule: 'cosine', totalSteps: cfg.steps });
  const rng = new Rng(hashString(`pretrain|${cfg.seed}`));
  // Drills draw from their own stream, so a run without them reproduces the data order of one with them.
  const drillRng = new Rng(hashString(`pretrain-drill|${cfg.seed}`));
  const habitRng = new Rng(hashString(`pretrain-habit|${cfg.seed}`));
  const blankImage = await policy.patches([]);
  const drillsIn = (step: number): number =>
    Math.round(cfg.batchSize * (step < cfg.lookupDrillWarmupSteps ? cfg.lookupDrillWarmupFraction : cfg.lookupDrillFraction));
  for (const phaseStep of [0, cfg.steps - 1])
    if (drillsIn(phaseStep) >= cfg.batchSize) throw new Error(`pretrain: lookup drills (${drillsIn(phaseStep)}) would fill the whole batch of ${cfg.batchSize}`);
  const varList = [...policy.params.values()];
  // Metrics go to a scratch file beside the output, renamed in place once the checkpoint is saved: a failed run
  // leaves the output directory as it was, and a rebuild into it starts a fresh file rather than appending.
  const metricsFile = `${cfg.out.replace(/\/+$/, '')}.pretrain_metrics.partial.jsonl`;
  ensureDir(dirname(metricsFile));
  mapWriteError(dirname(metricsFile), basename(metricsFile), () => writeFileSync(metricsFile, ''));
  let saved = false;
  const evals: Record<string, number>[] = [];
  let order = rng.shuffle(Array.from({ length: examples.length }, (_, i) => i));
  let cursor = 0;
  setActivity({ command: 'pretrain', step: 0 });
  try {
    for (let step = 0; step < cfg.steps; step++) {
      await yieldToEvents(); // a Ctrl-C is handled here, between steps
      const t0 = performance.now();
      const seqs = [];
      const drillsPerBatch = drillsIn(step);
      for (let i = 0; i < drillsPerBatch; i++) {
        const d = lookupDrill(drillRng, cfg.lookupDrillForm);
        seqs.push({ patches: blankImage, context: policy.encodeContext(d.prompt, { reserve }).ids, response: [...policy.tokenizer.encode(d.target), policy.tokenizer.eos] });
      }
      for (let i = 0; i < cfg.batchSize - drillsPerBatch; i++) {
        if (cursor >= order.length) {
          order = rng.shuffle(order);
          cursor = 0;
        }
        const k = order[cursor++]!;
        // The first rows of the batch see the reference, the next the answer alone, the rest the student's prompt.
        const useRef = i < Math.round(cfg.batchSize * cfg.referenceFraction);
        const useAnswer = !useRef && i < Math.round(cfg.batchSize * (cfg.referenceFraction + cfg.answerFraction));
        const context = useRef ? teacherCtx[k]! : useAnswer ? answerCtx[k]! : examples[k]!.student;
        const habit = !useRef && !useAnswer && cfg.habitRate > 0 ? habitTargets[k] : undefined;
        const response = habit !== undefined && habitRng.next() < cfg.habitRate ? habit : targets[k]!;
        seqs.push({ patches: examples[k]!.patches, context, response });
      }
      const laid = policy.layout(seqs);
      const mask = tf.tensor2d(laid.responseMask, [seqs.length, laid.responseLen]);
      const { value, grads } = tf.variableGrads(() => {
        const { tokenLogp } = tokenLogProbs(policy.responseLogits(laid), laid.targets);
        return tf.neg(tokenLogp.mul(mask).sum()).div(mask.sum()) as tf.Scalar;
      }, varList);
      const loss = value.dataSync()[0]!;
      const named: Record<string, tf.Tensor> = {};
      for (const [k, v] of policy.params) named[k] = grads[v.name]!;
      const norm = adam.apply(named);
      tf.dispose([value, mask, ...Object.values(grads)]);
      if (!Number.isFinite(loss) || !Number.isFinite(norm)) throw new Error(`pretrain: non-finite loss at step ${step}`);
      const m: Record<string, number> = { 'sft/loss': loss, 'actor/grad_norm': norm, 'timing/step_s': (performance.now() - t0) / 1000 };
      const done = step + 1;
      if (cfg.evalEvery > 0 && (done % cfg.evalEvery === 0 || done === cfg.steps)) {
        const ev = evaluateTasks(policy, evalTasks, cfg.maxNewTokens);
        const evRef = evaluateTasks(policy, evalWithRef, cfg.maxNewTokens);
        const withReference = { 'eval/accuracy_with_reference': evRef['eval/accuracy']!, ...(evRef['eval/benchmark_mean'] !== undefined ? { 'eval/benchmark_mean_with_reference': evRef['eval/benchmark_mean'] } : {}) };
        if (cfg.answerFraction > 0) {
          const evAns = evaluateTasks(policy, evalWithAnswer, cfg.maxNewTokens);
          Object.assign(withReference, { 'eval/accuracy_with_answer': evAns['eval/accuracy']!, 'eval/benchmark_mean_with_answer': evAns['eval/benchmark_mean']! });
        }
        Object.assign(m, ev, withReference);
        evals.push({ step: done, ...ev, ...withReference });
      }
      appendJsonLine(metricsFile, { step: done, ...m });
      updateActivity({ step: done });
      onStep?.(done, m);
    }
    const final = evaluateTasks(policy, evalTasks, cfg.maxNewTokens);
    const finalWithReference = evaluateTasks(policy, evalWithRef, cfg.maxNewTokens);
    const info = {
      kind: 'base',
      command: `rlsd-bench ${process.argv.slice(2).join(' ')}`,
      // With --init the model and tokenizer are the initial checkpoint's; record those, not the ignored flags.
      config: cfg.init ? { ...cfg, model: policy.cfg, fusedOptionMarkers: policy.tokenizer.fusedOptionMarkers } : cfg,
      backend: backendInfo(),
      provenance: provenance(),
      eval: final,
      evalWithReference: finalWithReference,
      params: countParams(policy.params),
    };
    // Weights, their record and their training curve replace the old ones in one rename.
    policy.save(cfg.out, info, undefined, [
      { name: 'pretrain.json', text: jsonText(info) },
      { name: 'pretrain_metrics.jsonl', moveFrom: metricsFile },
    ]);
    saved = true;
    return { evals, final, finalWithReference };
  } finally {
    if (!saved) rmSync(metricsFile, { force: true });
    adam.dispose();
    policy.dispose();
  }
}
