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
import { lookupDrill, type DrillForm } from '../benchmarks/mini/drill.ts';
import { answerOnlyReference } from '../benchmarks/mini/language.ts';
import type { MiniSuite } from '../benchmarks/mini/types.ts';
import { appendJsonLine, cleanCrashLitter, ensureDir, jsonText, mapWriteError } from './util/fs.ts';
import { acquireLock } from './util/lock.ts';
import { setActivity, updateActivity, yieldToEvents } from './util/activity.ts';
import { hashString, Rng } from './util/rng.ts';
import type { ModelConfig } from './model/config.ts';
import { countParams } from './model/params.ts';
import { Tokenizer } from './tokenizer.ts';

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

/**
 * The committed base's recipe (`results/reference/base/`): `rlsd-bench pretrain --out DIR` rebuilds it on the same
 * backend. Its accuracy, the probes that chose each value and the flags of the first base (`base-v1/`) are in
 * results/reference/README.md.
 */
export const DEFAULT_PRETRAIN: Omit<PretrainConfig, 'out'> = {
  suite: 'mini-1',
  seed: 1,
  dataSeed: 1,
  // 750, not more: trained longer, the same recipe leaves RL little room above the base.
  steps: 750,
  batchSize: 64,
  lr: 3e-3,
  warmupSteps: 20,
  // 0.3 rather than 0.5: more of each batch trains perception, and copying from the reference is learned at this
  // share too.
  referenceFraction: 0.3,
  // The first base never saw the answer-only context (results/reference/README.md, "The faithful regimes").
  answerFraction: 0,
  // Option-lookup drills whose value appears only in the trace (as in WeMath), with the fused markers and the
  // previous-token embedding below, are what teaches the multiple-choice letter; without them it stays at chance
  // (benchmarks/mini/drill.ts).
  lookupDrillFraction: 0.15,
  lookupDrillWarmupSteps: 0,
  lookupDrillWarmupFraction: 0.9,
  lookupDrillForm: 'trace',
  // Many distinct items: with a few hundred per benchmark the student memorises the training images.
  trainPerBenchmark: 2500,
  evalPerBenchmark: MINI_EVAL_ITEMS,
  evalEvery: 250,
  maxNewTokens: 32,
  model: { initStd: 0.1, prevTokenEmbedding: true },
  fusedOptionMarkers: true,
  quiet: false,
};

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
  const teacherCtx = examples.map((t) => (t.reference ? policy.encodeContext(`${t.reference} ${t.prompt}`, { reserve }).ids : t.student));
  // Only a recipe with answer-only rows needs their contexts (the default has none).
  const answerCtx = cfg.answerFraction > 0 ? examples.map((t) => policy.encodeContext(`${answerOnlyReference(t.item.answer)} ${t.prompt}`, { reserve }).ids) : [];
  const adam = new Adam(policy.params, { ...DEFAULT_ADAM, lr: cfg.lr, warmupSteps: cfg.warmupSteps, gradClip: 1.0, schedule: 'cosine', totalSteps: cfg.steps });
  const rng = new Rng(hashString(`pretrain|${cfg.seed}`));
  // Drills draw from their own stream, so a run without them reproduces the data order of one with them.
  const drillRng = new Rng(hashString(`pretrain-drill|${cfg.seed}`));
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
        seqs.push({ patches: examples[k]!.patches, context, response: targets[k]! });
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
