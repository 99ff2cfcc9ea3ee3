// The shared post-training loop (docs/design.md §1, §3). One step reads top to bottom:
//   sample prompts → G responses each → verifier rewards → self-teacher pass (privileged context) →
//   the method's loss → Adam with gradient clipping → metrics.
// The loop reads only the flags a method declares (trains, teacherContext, needsFullDistributions,
// needsReference); it never tests a method's name.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { answerOnlyReference, mentionsReference, REF_CLOSE, REF_OPEN } from '../benchmarks/mini/language.ts';
import { getMethod, resolveMethodConfig } from '../methods/index.ts';
import type { Method, MethodConfig, MethodInputs, TeacherContext } from '../methods/types.ts';
import { meanEntropy, stopGradient } from '../methods/core.ts';
import { backendInfo } from './backend.ts';
import { CheckpointError, loadCheckpoint, type LoadedCheckpoint } from './checkpoint.ts';
import { assignParams, cloneParams, disposeParams, paramSpecs, type Params } from './model/params.ts';
import { cachedTensorCount } from './model/ops.ts';
import { Adam, type AdamConfig, DEFAULT_ADAM } from './optim.ts';
import { atTemperature, Policy, tokenLogProbs, type PolicyInput } from './policy.ts';
import { provenance } from './provenance.ts';
import { LATEST_POINTER, stepDirName } from './run-dir.ts';
import { type PendingScores, TeacherWorker, type TeacherScores } from './teacher-worker.ts';
import { loadMiniTasks, type Task } from './tasks.ts';
import { MINI_EVAL_ITEMS } from '../benchmarks/mini/build.ts';
import { appendJsonLine, cleanCrashLitter, jsonSafe, writeFileAtomic, writeJsonAtomic } from './util/fs.ts';
import { lockDir } from './util/lock.ts';
import { setActivity, updateActivity, yieldToEvents } from './util/activity.ts';
import { hashString, Rng, type RngState } from './util/rng.ts';

export interface TrainConfig {
  method: string;
  /** Method options overriding its defaults (validated by the method registry). */
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
  warmupSteps: number;
  /** After warm-up: constant, or cosine decay to 10 % of `lr` at the last step (then `steps` shapes the run). */
  lrSchedule: 'constant' | 'cosine';
  gradClip: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** Re-sync the frozen self-teacher every N steps; 0 = use the method's `teacherSyncInterval` (else 10). */
  teacherSync: number;
  evalEvery: number;
  /** Held-out problems per mini benchmark for the periodic greedy evaluation. */
  evalPerBenchmark: number;
  /** Which mini split the periodic evaluation uses: the test set the tables report, or validation for tuning. */
  evalSplit: 'test' | 'validation';
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
  /** Stop after this many steps in this process (for tests of resume); 0 = run to `steps`. */
  stopAfter: number;
  /**
   * Score the self-teacher in a worker thread (src/teacher-worker.ts) while the student's forward pass runs, on
   * the single-threaded backends (wasm, cpu). Same numbers either way; off: in the main thread, in turn.
   */
  teacherWorker: boolean;
  quiet: boolean;
}

export const DEFAULT_TRAIN: Omit<TrainConfig, 'method' | 'base' | 'out'> = {
  methodOptions: {},
  seed: 1,
  // From the committed base GRPO and RLSD climb until step ~350 and hold there (results/reference/README.md); 600
  // steps take 16–20 min on 2 cores with the convolution attention kernel, even with two runs sharing them.
  steps: 600,
  promptsPerStep: 16,
  samplesPerPrompt: 8,
  ppoMiniBatch: 0,
  ppoEpochs: 1,
  // docs/design.md §7's 1e-4, decayed by a cosine to 10 % over the run. At a constant 1e-4 the held-out accuracy swung by
  // ±0.05 between evaluations late in a run, and a constant 3e-5 climbed more slowly and still wandered by ±0.015
  // at the end; the decay keeps the early pace and settles the end (results/reference/README.md).
  lr: 1e-4,
  warmupSteps: 10,
  lrSchedule: 'cosine',
  gradClip: 1.0,
  temperature: 1.0,
  topP: 1.0,
  maxNewTokens: 32,
  teacherSync: 0,
  // Each evaluation greedy-decodes the 449 held-out items (~3 s); every 50 steps keeps a 600-step run under 20 min
  // in the machine's slower hours, and leaves the trajectory as it is (evaluation draws nothing from the run's RNG).
  evalEvery: 50,
  evalPerBenchmark: MINI_EVAL_ITEMS,
  evalSplit: 'test',
  checkpointEvery: 25,
  trainPerBenchmark: 400,
  // Balanced was not better in 2 seeds per method (GRPO +0.056 / +0.009, RLSD +0.052 / +0.032 pooled at step 200,
  // results/runs/*-bal-s*), so the published row-order runs stay the default.
  trainMix: 'rows',
  shuffleRewards: false,
  dataSeed: 1,
  stopAfter: 0,
  teacherWorker: true,
  quiet: false,
};

export const TRAIN_MIXES = ['balanced', 'rows'] as const;
export type TrainMix = (typeof TRAIN_MIXES)[number];

/** f, evaluated on the first call only. */
function once<T>(f: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

export class TrainingError extends Error {
  override name = 'TrainingError';
}

export type StepMetrics = Record<string, number>;

interface DataOrder {
  epoch: number;
  cursor: number;
}

interface TrainerState {
  step: number;
  rng: RngState;
  data: DataOrder;
  adamStep: number;
  lastEval?: Record<string, number>;
}

/**
 * One epoch's seeded order over the training pool. `rows`: every row once. `balanced`: from each benchmark, as many
 * rows as the smallest benchmark has, a fresh seeded subset each epoch, so every benchmark weighs the same.
 */
export function epochOrder(pool: readonly Pick<Task, 'benchmark'>[], mix: TrainMix, seed: number, epoch: number): number[] {
  const all = Array.from({ length: pool.length }, (_, i) => i);
  if (mix === 'rows') return new Rng(hashString(`order|${seed}|${epoch}`)).shuffle(all);
  const byBenchmark = new Map<string, number[]>();
  for (const i of all) {
    const list = byBenchmark.get(pool[i]!.benchmark) ?? [];
    list.push(i);
    byBenchmark.set(pool[i]!.benchmark, list);
  }
  const take = Math.min(...[...byBenchmark.values()].map((l) => l.length));
  const chosen = [...byBenchmark.entries()].flatMap(([b, rows]) => new Rng(hashString(`subset|${seed}|${epoch}|${b}`)).shuffle(rows).slice(0, take));
  return new Rng(hashString(`order|${seed}|${epoch}`)).shuffle(chosen.sort((a, b) => a - b));
}

function nextPrompts(pool: Task[], mix: TrainMix, seed: number, order: DataOrder, count: number): Task[] {
  const out: Task[] = [];
  let perm = epochOrder(pool, mix, seed, order.epoch);
  while (out.length < count) {
    if (order.cursor >= perm.length) {
      order.epoch++;
      order.cursor = 0;
      perm = epochOrder(pool, mix, seed, order.epoch);
    }
    out.push(pool[perm[order.cursor++]!]!);
  }
  return out;
}

/**
 * Held-out greedy accuracy during training: overall (micro over items), per benchmark and their unweighted
 * mean, by the reward verdict (official rules without MMMU's random credit, so curves carry no lottery noise).
 */
export function evaluateTasks(policy: Policy, tasks: readonly Task[], maxNewTokens: number): Record<string, number> {
  const texts = policy.generateText(
    tasks.map((t) => ({ patches: t.patches, context: t.student })),
    { maxNewTokens, greedy: true, temperature: 1, topP: 1, rng: new Rng(0) },
  );
  const per = new Map<string, [number, number]>();
  let correct = 0;
  tasks.forEach((t, i) => {
    const ok = t.reward(texts[i]!);
    correct += ok;
    const e = per.get(t.benchmark) ?? [0, 0];
    e[0] += ok;
    e[1]++;
    per.set(t.benchmark, e);
  });
  const out: Record<string, number> = { 'eval/accuracy': correct / Math.max(1, tasks.length), 'eval/n': tasks.length };
  for (const [b, [c, n]] of per) out[`eval/${b}`] = c / n;
  // The paper's "Avg" column: every benchmark counts once, however many rows it expands to (WeMath's
  // problem groups give it ~3.5 rows per problem, so the item-pooled figure weighs it ~46 %).
  if (per.size > 0) out['eval/benchmark_mean'] = [...per.values()].reduce((a, [c, n]) => a + c / n, 0) / per.size;
  return out;
}

/** The self-teacher's context for each response, per the method's declaration. */
export function teacherContexts(
  policy: Policy,
  kind: TeacherContext,
  prompts: Task[],
  groupIds: Int32Array,
  responseTexts: string[],
  rewards: Float32Array,
  reserve: number,
): { contexts: number[][]; available: Float32Array; truncated: Uint8Array } {
  const B = groupIds.length;
  const contexts: number[][] = [];
  const available = new Float32Array(B);
  const truncated = new Uint8Array(B);
  for (let i = 0; i < B; i++) {
    const task = prompts[groupIds[i]!]!;
    let privileged: string | null = null;
    if (kind === 'reference') {
      privileged = task.reference ?? null;
    } else if (kind === 'answer') {
      privileged = answerOnlyReference(task.item.answer);
    } else {
      // SDPO: another successful response of the same group, never the response itself.
      for (let j = 0; j < B; j++)
        if (j !== i && groupIds[j] === groupIds[i] && rewards[j]! >= 1) {
          privileged = `${REF_OPEN} ${responseTexts[j]!.trim()} ${REF_CLOSE}`;
          break;
        }
    }
    available[i] = privileged ? 1 : 0;
    const text = privileged ? `${privileged} ${task.prompt}` : task.prompt;
    const encoded = policy.encodeContext(text, { lenient: true, reserve });
    if (privileged && encoded.truncated > 0) truncated[i] = 1;
    contexts.push(encoded.ids);
  }
  return { contexts, available, truncated };
}

/** What a run's checkpoints must hold to resume it (derived from the method and the batch layout). */
interface TrainerExpectations {
  method: string;
  teacher: boolean;
  /** Most optimiser updates a step makes (0 for a method that does not train). */
  updatesPerStep: number;
}

interface ResumePoint {
  dir: string;
  ck: LoadedCheckpoint;
  state: TrainerState;
}

/**
 * Reads a training checkpoint and checks every field of its trainer state and every tensor the resume assigns, so
 * that a corrupt one is named (file and field) instead of resuming from nonsense ("banana steps").
 */
function loadTrainingCheckpoint(dir: string, expect: TrainerExpectations): ResumePoint {
  const ck = loadCheckpoint(dir);
  const file = join(dir, 'checkpoint.json');
  const bad = (field: string, why: string): CheckpointError => new CheckpointError(`${file}: field '${field}' ${why}`);
  if (!ck.trainer || !ck.meta.trainer) throw new CheckpointError(`${file}: not a training checkpoint (no trainer state)`);
  // Another method's run is not a corrupt checkpoint: refused outright (its tensors differ by design).
  if (ck.meta.info['method'] !== expect.method) throw new TrainingError(`${dir} belongs to a '${String(ck.meta.info['method'])}' run, not '${expect.method}'; use another --out`);
  const raw = ck.meta.trainer.state as Partial<Record<keyof TrainerState, unknown>> | null;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('trainer.state', 'must be an object');
  const nat = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  const show = (x: unknown): string => JSON.stringify(x)?.slice(0, 40) ?? String(x);
  if (!nat(raw.step)) throw bad('trainer.state.step', `must be a whole number ≥ 0 (got ${show(raw.step)})`);
  const named = /^step_(\d+)$/.exec(basename(dir));
  if (named && Number(named[1]) !== raw.step) throw bad('trainer.state.step', `is ${raw.step}, but the folder is ${basename(dir)}`);
  // sfc32's words, some kept as signed 32-bit values.
  if (!Array.isArray(raw.rng) || raw.rng.length !== 4 || !raw.rng.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32))
    throw bad('trainer.state.rng', `must be 4 32-bit integers (got ${show(raw.rng)})`);
  const data = raw.data as Partial<DataOrder> | null;
  if (data === null || typeof data !== 'object' || !nat(data.epoch) || !nat(data.cursor))
    throw bad('trainer.state.data', `must be {epoch, cursor} of whole numbers ≥ 0 (got ${show(raw.data)})`);
  if (!nat(raw.adamStep) || raw.adamStep > raw.step * expect.updatesPerStep)
    throw bad('trainer.state.adamStep', `must be a whole number from 0 to ${raw.step * expect.updatesPerStep} at step ${raw.step} (got ${show(raw.adamStep)})`);
  if (raw.lastEval !== undefined && (raw.lastEval === null || typeof raw.lastEval !== 'object' || !Object.values(raw.lastEval).every((v) => typeof v === 'number' && Number.isFinite(v))))
    throw bad('trainer.state.lastEval', `must map metric names to finite numbers (got ${show(raw.lastEval)})`);
  // The optimiser's moments (and the frozen teacher) for every parameter, of its shape and finite.
  const tFile = join(dir, 'trainer.bin');
  const shapes = new Map(ck.meta.trainer.tensors.map((t) => [t.name, t.shape]));
  const prefixes = ['adam_m/', 'adam_v/', ...(expect.teacher ? ['teacher/'] : [])];
  for (const spec of paramSpecs(ck.meta.model))
    for (const prefix of prefixes) {
      const name = `${prefix}${spec.name}`;
      const shape = shapes.get(name);
      if (!shape) throw new CheckpointError(`${file}: trainer tensor '${name}' is missing`);
      if (shape.join() !== spec.shape.join()) throw new CheckpointError(`${file}: trainer tensor '${name}' has shape [${shape}], expected [${spec.shape}]`);
      if (ck.trainer.get(name)!.some((x) => !Number.isFinite(x))) throw new CheckpointError(`${tFile}: tensor '${name}' holds NaN or infinite values`);
    }
  return { dir, ck, state: raw as TrainerState };
}

/**
 * The checkpoint to resume from: the latest that is whole and valid. A corrupt latest one (unreadable, a bad
 * field, short weights) is named in a notice and the previous good one taken; none good is refused.
 */
function chooseResumePoint(out: string, expect: TrainerExpectations, notice: (line: string) => void): ResumePoint | null {
  const dir = join(out, 'checkpoints');
  if (!existsSync(dir)) return null;
  const steps = readdirSync(dir)
    .filter((n) => /^step_\d+$/.test(n))
    .sort((a, b) => Number(b.slice(5)) - Number(a.slice(5)));
  const problems: string[] = [];
  for (const name of steps) {
    try {
      const point = loadTrainingCheckpoint(join(dir, name), expect);
      for (const p of problems) notice(`rlsd-bench: notice: ${p}; resuming from the previous good checkpoint ${point.dir}`);
      return point;
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      problems.push(e.message.split('\n')[0]!);
    }
  }
  if (problems.length === 0) return null;
  const older = problems.length > 1 ? ` (and ${problems.length - 1} older checkpoint${problems.length > 2 ? 's are' : ' is'} unusable too)` : '';
  throw new TrainingError(`no usable checkpoint to resume in ${dir}: ${problems[0]}${older}; move ${out} away to start afresh`);
}

/** One line of metrics.jsonl (as appendJsonLine writes it). */
function metricsLine(value: Record<string, unknown>): string {
  return `${JSON.stringify(value, jsonSafe)}\n`;
}

/** Drops metric lines after `step` (a resumed run rewrites them identically). */
function truncateMetrics(file: string, step: number): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n');
  const kept: string[] = [];
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    let parsed: { step?: unknown };
    try {
      parsed = JSON.parse(l) as { step?: unknown };
    } catch {
      // A crash can tear the last line; it lies past the checkpoint anyway. Anything else is a corrupt file.
      if (lines.slice(i + 1).every((rest) => !rest.trim())) return;
      throw new TrainingError(`${file}: line ${i + 1} is not JSON; cannot resume (move the file away to start its metrics afresh)`);
    }
    if (typeof parsed.step !== 'number') throw new TrainingError(`${file}: line ${i + 1} has no numeric 'step'; cannot resume`);
    if (parsed.step <= step) kept.push(l);
  });
  writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''));
}

export interface TrainResult {
  finalStep: number;
  evals: Record<string, number>[];
  out: string;
}

export interface ProgressSink {
  start(total: number, startStep: number): void;
  update(step: number, m: StepMetrics): void;
  stop(): void;
}

/** Identity of a base checkpoint as recorded in its info (when, from which commit and by which command it was written). */
function baseIdentity(info: Record<string, unknown>): string {
  const prov = (info['provenance'] ?? {}) as Record<string, unknown>;
  return `written ${String(prov['time'])} at ${String(prov['commit'])} by '${String(info['command'])}'`;
}

/**
 * The settings that decide a run's trajectory and its curve (everything but its length, evaluation and
 * checkpoint cadence, output and verbosity; the base is checked on its own). A resumed run must match them, or
 * it would silently continue another experiment — e.g. re-running a command after a default changed.
 */
function trajectorySettings(cfg: TrainConfig, mcfg: MethodConfig): Record<string, unknown> {
  const { steps, stopAfter: _a, quiet: _q, out: _o, base: _b, evalEvery: _e, checkpointEvery: _c, methodOptions: _m, teacherWorker: _w, ...rest } = cfg;
  // A cosine schedule is laid over `steps`, so then the length decides the trajectory too. A mini-batch of every
  // prompt is the single update of 0.
  return { ...rest, ppoMiniBatch: cfg.ppoMiniBatch === cfg.promptsPerStep ? 0 : cfg.ppoMiniBatch, ...(cfg.lrSchedule === 'cosine' ? { steps } : {}), methodConfig: mcfg };
}

/** Names and values of the settings that differ between a recorded run and this invocation. */
function settingsDiff(recorded: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(now)])].sort();
  return keys
    .filter((k) => JSON.stringify(recorded[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k} ${JSON.stringify(recorded[k])} → ${JSON.stringify(now[k])}`);
}

/** Runs (or resumes) a training run, holding the lock of its folder: one writer per run. */
export async function train(cfg: TrainConfig, progress?: ProgressSink): Promise<TrainResult> {
  const lock = lockDir(cfg.out, `train --method ${cfg.method}`);
  try {
    return await trainLocked(cfg, progress);
  } finally {
    lock.release();
  }
}

async function trainLocked(cfg: TrainConfig, progress?: ProgressSink): Promise<TrainResult> {
  const method: Method = getMethod(cfg.method);
  const mcfg: MethodConfig = resolveMethodConfig(method, cfg.methodOptions);
  if (!Number.isInteger(cfg.ppoEpochs) || cfg.ppoEpochs < 1) throw new TrainingError(`ppoEpochs must be an integer ≥ 1 (got ${cfg.ppoEpochs})`);
  if (!Number.isInteger(cfg.ppoMiniBatch) || cfg.ppoMiniBatch < 0) throw new TrainingError(`ppoMiniBatch must be an integer ≥ 0 (got ${cfg.ppoMiniBatch})`);
  if (cfg.ppoMiniBatch > 0 && cfg.promptsPerStep % cfg.ppoMiniBatch !== 0)
    throw new TrainingError(`ppoMiniBatch ${cfg.ppoMiniBatch} must divide promptsPerStep ${cfg.promptsPerStep}`);
  const teacherKind = method.teacherContext(mcfg);
  const teacherSync = cfg.teacherSync > 0 ? cfg.teacherSync : typeof mcfg['teacherSyncInterval'] === 'number' ? (mcfg['teacherSyncInterval'] as number) : 10;
  const adamCfg: AdamConfig = { ...DEFAULT_ADAM, lr: cfg.lr, warmupSteps: cfg.warmupSteps, gradClip: cfg.gradClip, schedule: cfg.lrSchedule, totalSteps: cfg.steps };

  // ---- start or resume ----
  const notice = (line: string): void => void process.stderr.write(`${line}\n`);
  // Saves killed mid-way leave temporaries (and, between their two renames, a set-aside checkpoint); under the
  // folder's lock any of a dead process is litter.
  for (const dir of [cfg.out, join(cfg.out, 'checkpoints')]) for (const line of cleanCrashLitter(dir)) notice(`rlsd-bench: notice: ${line}`);
  const updatesPerStep = method.trains ? cfg.ppoEpochs * (cfg.ppoMiniBatch > 0 ? cfg.promptsPerStep / cfg.ppoMiniBatch : 1) : 0;
  const resumePoint = chooseResumePoint(cfg.out, { method: cfg.method, teacher: Boolean(teacherKind), updatesPerStep }, notice);
  const resumeFrom = resumePoint?.dir ?? null;
  // A run's records appear only with its first checkpoint (below), so records without one are another run's.
  if (!resumePoint)
    for (const name of ['metrics.jsonl', 'run.json'])
      if (existsSync(join(cfg.out, name)))
        throw new TrainingError(`${join(cfg.out, name)} exists but ${join(cfg.out, 'checkpoints')} holds no checkpoint to resume from; move it (or the folder) away or use another --out — nothing was changed`);
  const { policy, info: startInfo } = Policy.load(resumeFrom ?? cfg.base);
  if (resumeFrom && startInfo['method'] !== cfg.method)
    throw new TrainingError(`${resumeFrom} belongs to a '${String(startInfo['method'])}' run, not '${cfg.method}'; use another --out`);
  const baseInfo = resumeFrom ? loadCheckpoint(cfg.base).meta.info : startInfo;
  // Resuming from a different base than the run started from would silently mix two experiments.
  if (resumeFrom && typeof startInfo['base'] === 'string' && startInfo['base'] !== baseIdentity(baseInfo))
    throw new TrainingError(`${cfg.out} holds a run started from another base checkpoint (${startInfo['base']}) than ${cfg.base}; use another --out`);
  // Another backend or attention kernel continues the run with other float rounding: allowed, but the resumed run no
  // longer equals an uninterrupted one, so say it (checkpoints from before --attention-kernel used matmul).
  const numerics = (backend: unknown, kernel: unknown): string => `${String(backend)} with --attention-kernel ${typeof kernel === 'string' ? kernel : 'matmul'}`;
  const startNumerics = numerics(startInfo['backend'], startInfo['attentionKernel']);
  const nowNumerics = numerics(backendInfo().name, backendInfo().attentionKernel);
  if (resumeFrom && typeof startInfo['backend'] === 'string' && startNumerics !== nowNumerics)
    process.stderr.write(`rlsd-bench: warning: ${resumeFrom} was written on ${startNumerics}, resuming on ${nowNumerics}: the numbers will differ from an uninterrupted run\n`);
  const settings = trajectorySettings(cfg, mcfg);
  const recorded = startInfo['settings'];
  if (resumeFrom && recorded && typeof recorded === 'object') {
    // Runs recorded before --train-mix / --ppo-mini-batch / --ppo-epochs / --eval-split existed walked the rows with
    // one update per step and evaluated on the test split; method options added since took their defaults. The
    // evaluation split does not move the trajectory, but a change would mix two held-out sets in one curve.
    const rec: Record<string, unknown> = { trainMix: 'rows', ppoMiniBatch: 0, ppoEpochs: 1, evalSplit: 'test', ...(recorded as Record<string, unknown>) };
    if (rec['methodConfig'] && typeof rec['methodConfig'] === 'object') rec['methodConfig'] = { ...method.defaults, ...(rec['methodConfig'] as object) };
    const diff = settingsDiff(rec, settings);
    if (diff.length > 0) throw new TrainingError(`${cfg.out} holds a run with other settings (${diff.join('; ')}); resume it with its own flags or use another --out`);
  }
  const G = cfg.samplesPerPrompt;
  const reserve = cfg.maxNewTokens;
  const trainPool = await loadMiniTasks(policy, { split: 'train', perBenchmark: cfg.trainPerBenchmark, seed: cfg.dataSeed, reserve });
  const evalTasks = await loadMiniTasks(policy, { split: cfg.evalSplit, perBenchmark: cfg.evalPerBenchmark, seed: cfg.dataSeed, reserve });
  const adam = new Adam(policy.params, adamCfg);
  let teacher: Params | null = teacherKind ? cloneParams(policy.params) : null;
  let reference: Params | null = null;
  // The KL reference is the starting (base) policy, frozen.
  const needsReference = method.needsReference(mcfg);
  if (needsReference) reference = Policy.load(cfg.base).policy.params;
  let state: TrainerState = { step: 0, rng: new Rng(hashString(`rollout|${cfg.seed}`)).state(), data: { epoch: 0, cursor: 0 }, adamStep: 0 };
  const metricsFile = join(cfg.out, 'metrics.jsonl');
  if (resumePoint) {
    const { ck } = resumePoint;
    state = resumePoint.state;
    const epochLength = epochOrder(trainPool, cfg.trainMix, cfg.seed, state.data.epoch).length;
    if (state.data.cursor > epochLength)
      throw new TrainingError(`${join(resumePoint.dir, 'checkpoint.json')}: field 'trainer.state.data' has cursor ${state.data.cursor}, past the ${epochLength} prompts of an epoch`);
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [k, x] of ck.trainer!) {
      if (k.startsWith('adam_m/')) m.set(k.slice(7), x);
      else if (k.startsWith('adam_v/')) v.set(k.slice(7), x);
      else if (k.startsWith('teacher/') && teacher) {
        const t = teacher.get(k.slice(8));
        if (t) tf.tidy(() => t.assign(tf.tensor(x, t.shape)));
      }
    }
    adam.load({ step: state.adamStep, m, v });
    // At step 0 the file holds only the step-0 evaluation, which the checkpoint keeps (it may have been killed
    // before the file was written).
    if (state.step === 0) writeFileAtomic(metricsFile, state.lastEval ? metricsLine({ step: 0, ...state.lastEval }) : '');
    else truncateMetrics(metricsFile, state.step);
    // After a fall-back to an earlier checkpoint the pointer names the one the run goes on from.
    writeFileAtomic(join(cfg.out, 'checkpoints', LATEST_POINTER), `${state.step}\n`);
  }
  const rng = new Rng(state.rng);
  let warnedTruncation = false;
  // The teacher's (and the KL reference's) pass on the second core, where the backend itself uses one thread.
  const backendName = backendInfo().name;
  let teacherWorker: TeacherWorker | null = null;
  if ((teacher || reference) && method.trains && cfg.teacherWorker && (backendName === 'wasm' || backendName === 'cpu')) {
    teacherWorker = await TeacherWorker.start(backendName, backendInfo().attentionKernel, policy.cfg, policy.tokenizer.toJSON());
    if (teacher) teacherWorker.setParams(teacher, 'teacher');
    if (reference) {
      // The worker holds the only copy the run needs (nothing else reads or saves the reference).
      teacherWorker.setParams(reference, 'reference');
      disposeParams(reference);
      reference = null;
    }
  }
  const runInfo = {
    config: { ...cfg, methodConfig: mcfg, teacherSyncResolved: teacherSync, adam: adamCfg, model: policy.cfg },
    backend: backendInfo(),
    provenance: provenance(),
    base: { path: cfg.base, info: baseInfo },
    resumedFrom: resumeFrom,
    trainItems: trainPool.length,
    evalItems: evalTasks.length,
  };
  if (resumePoint) writeJsonAtomic(join(cfg.out, 'run.json'), runInfo);

  const saveTraining = (step: number, lastEval?: Record<string, number>): void => {
    const tensors = new Map<string, Float32Array>();
    const shapes = new Map<string, number[]>();
    const st = adam.state();
    for (const [k, x] of st.m) {
      tensors.set(`adam_m/${k}`, x);
      shapes.set(`adam_m/${k}`, policy.params.get(k)!.shape);
    }
    for (const [k, x] of st.v) {
      tensors.set(`adam_v/${k}`, x);
      shapes.set(`adam_v/${k}`, policy.params.get(k)!.shape);
    }
    if (teacher)
      for (const [k, x] of teacher) {
        tensors.set(`teacher/${k}`, x.dataSync() as Float32Array);
        shapes.set(`teacher/${k}`, x.shape);
      }
    const trainerState: TrainerState = { step, rng: rng.state(), data: { ...state.data }, adamStep: adam.step, ...(lastEval ? { lastEval } : {}) };
    policy.save(
      join(cfg.out, 'checkpoints', stepDirName(step)),
      { kind: 'training', method: cfg.method, base: baseIdentity(baseInfo), settings, step, seed: cfg.seed, eval: lastEval ?? null, backend: backendInfo().name, attentionKernel: backendInfo().attentionKernel },
      { tensors, shapes, state: trainerState },
    );
    writeFileAtomic(join(cfg.out, 'checkpoints', LATEST_POINTER), `${step}\n`);
    updateActivity({ checkpointStep: step });
  };

  const varList = [...policy.params.values()];
  const endStep = cfg.stopAfter > 0 ? Math.min(cfg.steps, state.step + cfg.stopAfter) : cfg.steps;
  progress?.start(cfg.steps, state.step);
  setActivity({ command: 'train', step: state.step, checkpointStep: state.step });

  // Step 0: the starting point of every curve, and a good checkpoint to fall back to.
  if (!resumeFrom) {
    const ev = cfg.evalEvery > 0 ? evaluateTasks(policy, evalTasks, cfg.maxNewTokens) : undefined;
    saveTraining(0, ev);
    writeFileAtomic(metricsFile, ev ? metricsLine({ step: 0, ...ev }) : '');
    writeJsonAtomic(join(cfg.out, 'run.json'), runInfo);
  }

  try {
    for (let step = state.step; step < endStep; step++) {
      await yieldToEvents(); // a Ctrl-C is handled here, between steps
      const metrics: StepMetrics = {};
      const stepStart = performance.now();
      // Blocks for a pass of the worker: the time waited counts as the teacher's (below); the worker's own time is logged.
      const waitFor = (pending: PendingScores): TeacherScores => {
        const t = performance.now();
        const scored = pending.wait();
        metrics['timing/teacher_wait_s'] = (metrics['timing/teacher_wait_s'] ?? 0) + (performance.now() - t) / 1000;
        metrics['timing/teacher_worker_s'] = (metrics['timing/teacher_worker_s'] ?? 0) + scored.workerSeconds;
        return scored;
      };
      // ---- 1. rollout: P prompts × G responses ----
      let t0 = performance.now();
      const prompts = nextPrompts(trainPool, cfg.trainMix, cfg.seed, state.data, cfg.promptsPerStep);
      const promptInputs = prompts.map((t) => ({ patches: t.patches, context: t.student }));
      const groupIds = Int32Array.from(prompts.flatMap((_, g) => Array.from({ length: G }, () => g)));
      const gen = policy.sample(promptInputs, { maxNewTokens: cfg.maxNewTokens, temperature: cfg.temperature, topP: cfg.topP, greedy: false, rng }, G);
      const texts = gen.responses.map((r) => policy.tokenizer.decode(r));
      // ---- 2. verifier rewards (the benchmark's official scorer) ----
      let rewards = Float32Array.from(texts.map((txt, i) => prompts[groupIds[i]!]!.reward(txt)));
      const trueRewards = rewards;
      if (cfg.shuffleRewards) rewards = Float32Array.from(rng.shuffle(Array.from(rewards)));
      metrics['timing/rollout_s'] = (performance.now() - t0) / 1000;

      const B = groupIds.length;
      const batch = policy.groupedBatch(promptInputs, G, gen.responses);
      const R = batch.R;
      const oldLogProbs = new Float32Array(B * R);
      gen.logProbs.forEach((lp, b) => oldLogProbs.set(lp, b * R));

      // ---- 3. self-teacher pass with privileged context (frozen copy; no gradient) ----
      t0 = performance.now();
      // The teacher's numbers, collected where the first update needs them (from the worker's answer when it has one).
      let teacherArrays: (() => { logProbs: Float32Array; logits: Float32Array | null }) | undefined;
      let teacherAvailable: Float32Array | undefined;
      if (teacherKind && teacher && method.trains) {
        // Only responses that have privileged context and whose loss can depend on the teacher get a pass.
        const needed = method.teacherNeeded?.(rewards, groupIds, mcfg, step);
        const tc = needed && needed.every((n) => n === 0)
          ? { contexts: [] as number[][], available: new Float32Array(B), truncated: new Uint8Array(B) }
          : teacherContexts(policy, teacherKind, prompts, groupIds, texts, rewards, reserve);
        teacherAvailable = Float32Array.from(tc.available, (a, b) => (a > 0 && (!needed || needed[b]) ? 1 : 0));
        // A privileged context longer than the positions left by --max-new-tokens loses its leftmost tokens (the
        // start of the reference): counted over the contexts the teacher scores, and said once.
        const cut = tc.truncated.reduce((n, t, b) => n + (t && teacherAvailable![b]! > 0 ? 1 : 0), 0);
        if (cut > 0) {
          metrics['teacher/context_truncated'] = cut / B;
          if (!warnedTruncation) process.stderr.write(`rlsd-bench: warning: ${cut} of ${B} teacher contexts at step ${step + 1} did not fit the ${policy.promptBudget(reserve)} prompt positions left by --max-new-tokens ${reserve} and lost their first tokens (metric teacher/context_truncated)\n`);
          warnedTruncation = true;
        }
        const full = method.needsFullDistributions(mcfg);
        const V = policy.cfg.vocabSize;
        const lp = oldLogProbs.slice(); // skipped responses: teacher = the rollout policy (Δ = 0 in the first update)
        const fullLogits = full ? new Float32Array(B * R * V) : null;
        // A group whose responses share one teacher context runs as one shared prefix; else one prefix each.
        const shared = tc.contexts.length === 0 || prompts.every((_, g) => tc.contexts.slice(g * G, (g + 1) * G).every((c) => c.join() === tc.contexts[g * G]!.join()));
        const rows: number[] = [];
        let teacherInputs: PolicyInput[];
        let teacherG: number;
        if (shared) {
          const groups = prompts.map((_, g) => g).filter((g) => teacherAvailable!.subarray(g * G, (g + 1) * G).some((a) => a > 0));
          for (const g of groups) for (let j = 0; j < G; j++) rows.push(g * G + j);
          teacherInputs = groups.map((g) => ({ patches: prompts[g]!.patches, context: tc.contexts[g * G]! }));
          teacherG = G;
        } else {
          for (let b = 0; b < B; b++) if (teacherAvailable[b]! > 0) rows.push(b);
          teacherInputs = rows.map((b) => ({ patches: prompts[groupIds[b]!]!.patches, context: tc.contexts[b]! }));
          teacherG = 1;
        }
        const place = (scored: Pick<TeacherScores, 'logProbs' | 'logits'>): void =>
          rows.forEach((b, k) => {
            lp.set(scored.logProbs[k]!, b * R);
            if (fullLogits && scored.logits) fullLogits.set(scored.logits[k]!, b * R * V);
          });
        const responses = rows.map((b) => gen.responses[b]!);
        const scores = { logProbs: lp, logits: fullLogits };
        if (teacherWorker && rows.length > 0) {
          // Scored on the other core while the student's forward pass runs; collected where the loss needs it.
          const pending = teacherWorker.submit(teacherInputs, teacherG, responses, { temperature: cfg.temperature, full });
          teacherArrays = once(() => {
            place(waitFor(pending));
            return scores;
          });
        } else {
          if (rows.length > 0) place(policy.scoreGrouped(teacherInputs, teacherG, responses, { params: teacher, temperature: cfg.temperature, full }));
          teacherArrays = () => scores;
        }
        metrics['teacher/pass_fraction'] = rows.length / B;
      }
      // The frozen KL reference's log-probs (only with a KL term), collected where the first update needs them.
      let refArrays: (() => Float32Array) | undefined;
      if (needsReference && method.trains) {
        const laidOut = (scored: Pick<TeacherScores, 'logProbs'>): Float32Array => {
          const ref = new Float32Array(B * R);
          scored.logProbs.forEach((x, b) => ref.set(x, b * R));
          return ref;
        };
        if (teacherWorker) {
          const pending = teacherWorker.submit(promptInputs, G, gen.responses, { temperature: cfg.temperature, full: false, slot: 'reference' });
          refArrays = once(() => laidOut(waitFor(pending)));
        } else {
          const scored = laidOut(policy.scoreGrouped(promptInputs, G, gen.responses, { params: reference!, temperature: cfg.temperature, full: false }));
          refArrays = () => scored;
        }
      }
      metrics['timing/teacher_s'] = (performance.now() - t0) / 1000;

      // ---- 4. the method's loss, 5. Adam with gradient clipping ----
      // One update per mini-batch of whole groups (--ppo-mini-batch prompts) in each of --ppo-epochs passes; by default
      // a single on-policy update on the whole batch. Metrics are the mean over the updates.
      t0 = performance.now();
      const update = (groups: number[]): StepMetrics => {
        const whole = groups.length === prompts.length;
        const rows = groups.flatMap((g) => Array.from({ length: G }, (_, j) => g * G + j));
        const mb = whole ? batch : policy.groupedBatch(groups.map((g) => promptInputs[g]!), G, rows.map((b) => gen.responses[b]!));
        const [Bm, Rm] = [mb.B, mb.R];
        // The mini-batch's rows of a [B, R, width] array, cut to its own (shorter or equal) padded length.
        const pick = (src: Float32Array, width = 1): Float32Array => {
          if (whole) return src;
          const out = new Float32Array(Bm * Rm * width);
          rows.forEach((b, k) => out.set(src.subarray(b * R * width, (b * R + Rm) * width), k * Rm * width));
          return out;
        };
        const responseMask = tf.tensor2d(mb.responseMask, [Bm, Rm]);
        const oldLp = tf.tensor2d(pick(oldLogProbs), [Bm, Rm]);
        const kept: Record<string, tf.Scalar> = {};
        const lossOf = (): tf.Scalar => {
          const logits = policy.groupedLogits(mb);
          const scaled = atTemperature(logits, cfg.temperature);
          const { tokenLogp } = tokenLogProbs(scaled, mb.targets);
          const teacherOut = teacherArrays?.();
          const refLogProbs = refArrays ? tf.tensor2d(pick(refArrays()), [Bm, Rm]) : undefined;
          const x: MethodInputs = {
            responseMask,
            groupIds: whole ? groupIds : Int32Array.from(rows, (b) => groupIds[b]! - groups[0]!),
            rewards: whole ? rewards : Float32Array.from(rows, (b) => rewards[b]!),
            logProbs: tokenLogp,
            oldLogProbs: oldLp,
            studentLogits: scaled,
            step,
            ...(teacherOut ? { teacherLogProbs: tf.tensor2d(pick(teacherOut.logProbs), [Bm, Rm]) } : {}),
            ...(teacherOut?.logits ? { teacherLogits: tf.tensor3d(pick(teacherOut.logits, policy.cfg.vocabSize), [Bm, Rm, policy.cfg.vocabSize]) } : {}),
            ...(teacherAvailable ? { teacherAvailable: whole ? teacherAvailable : Float32Array.from(rows, (b) => teacherAvailable![b]!) } : {}),
            ...(refLogProbs ? { refLogProbs } : {}),
          };
          const out = method.loss(x, mcfg);
          for (const [k, v] of Object.entries(out.metrics)) kept[k] = tf.keep(v);
          if (!kept['actor/entropy']) kept['actor/entropy'] = tf.keep(meanEntropy(stopGradient(scaled), responseMask));
          return out.loss;
        };
        let result: ReturnType<typeof tf.variableGrads>;
        try {
          result = tf.variableGrads(lossOf, varList);
        } catch (e) {
          tf.dispose(Object.values(kept));
          throw e;
        } finally {
          tf.dispose([responseMask, oldLp]);
        }
        const { value, grads } = result;
        const loss = value.dataSync()[0]!;
        value.dispose();
        const read = (): StepMetrics => {
          const m: StepMetrics = { 'actor/loss': loss };
          for (const [k, v] of Object.entries(kept)) {
            m[k] = v.dataSync()[0]!;
            v.dispose();
          }
          return m;
        };
        if (!Number.isFinite(loss)) {
          tf.dispose(Object.values(grads));
          read();
          throw new TrainingError(`non-finite loss (${loss}) at step ${step}; stopping — the last good checkpoint is kept in ${join(cfg.out, 'checkpoints')}`);
        }
        const named: Record<string, tf.Tensor> = {};
        for (const [k, v] of policy.params) if (grads[v.name]) named[k] = grads[v.name]!;
        // The learning-rate schedule runs over training steps, however many updates each makes.
        const norm = adam.apply(named, step);
        tf.dispose(Object.values(grads));
        const m = read();
        if (!Number.isFinite(norm))
          throw new TrainingError(`non-finite gradient norm at step ${step}; stopping — the last good checkpoint is kept in ${join(cfg.out, 'checkpoints')}`);
        m['actor/grad_norm'] = norm;
        return m;
      };
      if (method.trains) {
        const perUpdate = cfg.ppoMiniBatch > 0 ? cfg.ppoMiniBatch : prompts.length;
        const sums: StepMetrics = {};
        let updates = 0;
        for (let epoch = 0; epoch < cfg.ppoEpochs; epoch++)
          for (let first = 0; first < prompts.length; first += perUpdate) {
            const groups = Array.from({ length: Math.min(perUpdate, prompts.length - first) }, (_, k) => first + k);
            for (const [k, v] of Object.entries(update(groups))) sums[k] = (sums[k] ?? 0) + v;
            updates++;
          }
        for (const [k, v] of Object.entries(sums)) metrics[k] = v / updates;
        metrics['actor/lr'] = adam.lrAt(step);
        if (updates > 1) metrics['actor/updates'] = updates;
      } else metrics['actor/loss'] = 0;
      // Time blocked on the worker's answer is the teacher's, not the update's.
      const waited = metrics['timing/teacher_wait_s'] ?? 0;
      metrics['timing/update_s'] = (performance.now() - t0) / 1000 - waited;
      metrics['timing/teacher_s'] = metrics['timing/teacher_s']! + waited;

      // ---- 6. metrics ----
      const lens = gen.responses.map((r) => r.length);
      const tokens = lens.reduce((a, b) => a + b, 0);
      const mean = trueRewards.reduce((a, b) => a + b, 0) / B;
      let zeroStd = 0;
      for (let g = 0; g < prompts.length; g++) {
        const rs = Array.from(rewards.subarray(g * G, (g + 1) * G));
        if (rs.every((r) => r === rs[0])) zeroStd++;
      }
      Object.assign(metrics, {
        'reward/mean': mean,
        'reward/std': Math.sqrt(trueRewards.reduce((a, r) => a + (r - mean) ** 2, 0) / B),
        'reward/frac_zero_std_groups': zeroStd / prompts.length,
        'response_length/mean': tokens / B,
        'leakage/rate': texts.filter(mentionsReference).length / B,
        'perf/tokens_per_s': tokens / (metrics['timing/rollout_s']! + metrics['timing/teacher_s']! + metrics['timing/update_s']!),
        // Leak watch: both must stay flat over a run (a growing count is a tensor not disposed). The ones-row
        // cache of the matmul kernels gains one small tensor per new batch shape, so it is counted apart.
        'perf/num_tensors': tf.memory().numTensors - cachedTensorCount(),
        'perf/cached_tensors': cachedTensorCount(),
        'perf/rss_mib': process.memoryUsage().rss / 2 ** 20,
      });
      // Per-benchmark train reward (veRL's per-data-source metrics): which skills the verifier's signal moves.
      const perBench = new Map<string, [number, number]>();
      trueRewards.forEach((r, i) => {
        const name = prompts[groupIds[i]!]!.benchmark;
        const e = perBench.get(name) ?? [0, 0];
        perBench.set(name, [e[0] + r, e[1] + 1]);
      });
      for (const [name, [sum, n]] of perBench) metrics[`reward/${name}`] = sum / n;
      if (cfg.shuffleRewards) metrics['reward/shuffled_mean'] = rewards.reduce((a, b) => a + b, 0) / B;

      const done = step + 1;
      // ---- teacher re-sync, evaluation, checkpoint ----
      if (teacher && teacherSync > 0 && done % teacherSync === 0) {
        assignParams(teacher, policy.params);
        teacherWorker?.setParams(teacher);
      }
      let ev: Record<string, number> | undefined;
      if (cfg.evalEvery > 0 && (done % cfg.evalEvery === 0 || done === cfg.steps)) {
        const evalStart = performance.now();
        ev = evaluateTasks(policy, evalTasks, cfg.maxNewTokens);
        Object.assign(metrics, ev);
        metrics['timing/eval_s'] = (performance.now() - evalStart) / 1000;
      }
      // Wall time of the whole step: rollout, teacher, update, bookkeeping and this step's evaluation (not the
      // checkpoint, written after the metrics line so that a resumed run never lacks a line).
      metrics['timing/step_s'] = (performance.now() - stepStart) / 1000;
      appendJsonLine(metricsFile, { step: done, ...metrics });
      progress?.update(done, metrics);
      if ((cfg.checkpointEvery > 0 && done % cfg.checkpointEvery === 0) || done === cfg.steps || done === endStep) saveTraining(done, ev);
      state.step = done;
      updateActivity({ step: done });
    }
  } finally {
    progress?.stop();
    await teacherWorker?.close();
    adam.dispose();
    if (teacher) disposeParams(teacher);
    if (reference) disposeParams(reference);
    teacher = null;
    policy.dispose();
  }
  // The curve is rebuilt from the records on disk (a resumed run includes the evaluations of earlier processes).
  const curve = readFileSync(metricsFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, number>)
    .filter((m) => m['eval/accuracy'] !== undefined)
    .map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => k === 'step' || k.startsWith('eval/'))));
  return { finalStep: state.step, evals: curve, out: cfg.out };
}
