// The shared post-training loop (docs/design.md §1), as EasyR1's `ray_trainer.fit()` reads: one step is a short
// sequence of phases, each in its own file and each timed —
//   rollout (prompts → G responses) → reward (verifier) → teacher (self-teacher and KL reference passes) →
//   update (the method's loss, Adam) → teacher regime (sync / EMA) → metrics → evaluate → checkpoint.
// Timers and metric names are veRL's (`timing_s/gen`, `timing_s/update_actor`, …; src/train/metrics.ts).
// The loop reads only what a method declares (trains, teacherContext, teacherRegime, needsFullDistributions,
// needsReference, needsThoughtMask, teacherNeeded); it never tests a method's name or reads a method option.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getMethod, resolveMethodConfig } from '../../methods/index.ts';
import type { Method, MethodConfig } from '../../methods/types.ts';
import { formatTeacherRegime } from '../../methods/teacher-regime.ts';
import { backendInfo } from '../backend.ts';
import { loadCheckpoint, weightsSha256 } from '../checkpoint.ts';
import { disposeParams } from '../model/params.ts';
import { Adam, type AdamConfig, DEFAULT_ADAM } from '../optim.ts';
import { Policy } from '../policy.ts';
import { provenance } from '../provenance.ts';
import { LATEST_POINTER } from '../run-dir.ts';
import { loadMiniTasks } from '../tasks.ts';
import { TeacherWorker, workerKernels } from '../teacher-worker.ts';
import { setActivity, updateActivity, yieldToEvents } from '../util/activity.ts';
import { TrainingError } from '../util/errors.ts';
import { appendJsonLine, cleanCrashLitter, writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { lockDir } from '../util/lock.ts';
import { hashString, Rng } from '../util/rng.ts';
import { checkTrainConfig, withSuite, type TrainConfig } from './config.ts';
import { baseIdentity, checkpointDue, chooseResumePoint, metricsLastStep, metricsLine, recordedSettings, restoreTrainer, saveCheckpoint, settingsDiff, trajectorySettings, truncateMetrics } from './checkpoint.ts';
import { evaluateTasks, evaluationDue, finalValMetrics, formatEvalSchedule, parseEvalSchedule, pruneItemVerdicts, valMetrics, writeItemVerdicts, type HeldOutAccuracy } from './evaluate.ts';
import { currentNames, stepMetrics, timer } from './metrics.ts';
import { reward } from './reward.ts';
import { epochOrder, nextPrompts, rollout } from './rollout.ts';
import { evaluationLines, writeSummary, type RunSummary } from './summary.ts';
import { referencePass, teacherPass } from './teacher.ts';
import { teacherRegimeOf, TeacherWeights } from './teacher-weights.ts';
import type { RunContext, StepMetrics, TrainerState } from './types.ts';
import { update } from './update.ts';
import { creditMetrics } from './credit.ts';
import { creditExamples, pruneCreditExamples, writeCreditExamples } from './credit-examples.ts';

export interface TrainResult {
  finalStep: number;
  /** The evaluation lines of metrics.jsonl (step and `val-core/*`, `val-aux/*`), earlier processes' included. */
  evals: Record<string, number>[];
  /** summary.json as last written: first, last and peak of every val-core metric; null when nothing was evaluated. */
  summary: RunSummary | null;
  out: string;
}

export interface ProgressSink {
  start(total: number, startStep: number): void;
  update(step: number, m: StepMetrics): void;
  stop(): void;
}

/** Runs (or resumes) a training run, holding the lock of its folder: one writer per run. */
/**
 * Why a cosine run cannot be made longer, and what to do instead: the schedule is laid over --steps (only a cosine
 * run records its length among its settings, src/train/checkpoint.ts trajectorySettings).
 */
function longerRunRefusal(out: string, recorded: number, now: number, lastCheckpoint: string): string {
  return (
    `${out} holds a ${recorded}-step run, and --steps ${now} would change it: the cosine learning-rate schedule (--lr-schedule cosine) spans --steps, so its steps so far would not be those of a ${now}-step run. ` +
    `To train on from its last checkpoint, start a new run from it: --base ${lastCheckpoint} --out <another folder> (a schedule and optimiser state of its own); ` +
    'to train one run in parts, give its whole length with --steps and stop early with --stop-after N; a run with --lr-schedule constant can be made longer'
  );
}

export async function train(config: TrainConfig, progress?: ProgressSink): Promise<TrainResult> {
  const cfg = withSuite(config);
  const lock = lockDir(cfg.out, `train --method ${cfg.method}`);
  try {
    return await trainLocked(cfg, progress);
  } finally {
    lock.release();
  }
}

async function trainLocked(cfg: TrainConfig, progress?: ProgressSink): Promise<TrainResult> {
  const start = await startRun(cfg);
  const { run, state, rng, endStep, save } = start;
  const metricsFile = join(cfg.out, 'metrics.jsonl');
  progress?.start(cfg.steps, state.step);
  try {
    for (let step = state.step; step < endStep; step++) {
      await yieldToEvents(); // a Ctrl-C is handled here, between steps
      // The teacher's and the reference's passes count their tokens when they run (0: no pass this step).
      const m: StepMetrics = { 'perf/teacher_tokens': 0, 'perf/reference_tokens': 0 };
      const time = timer(m);
      const stepStart = performance.now();
      const prompts = nextPrompts(run.trainPool, cfg.trainMix, cfg.seed, state.data, cfg.promptsPerStep);
      const ro = time('gen', () => rollout(run, prompts, rng));
      const rw = time('reward', () => reward(ro, cfg.shuffleRewards ? rng : null));
      // Submitted to the worker (or scored in turn); the update reads them after the student's forward pass.
      const teacher = time('teacher', () => teacherPass(run, ro, rw.rewards, step, m));
      const reference = time('teacher', () => referencePass(run, ro, m));
      const credit = ro.prompts.some((t) => t.program) ? new Float32Array(ro.B * ro.R) : undefined;
      // The last step keeps worked examples of its batch (credit-examples.ts), with each token's weight where the method has one.
      const examplesDue = credit !== undefined && run.method.trains && step + 1 === cfg.steps;
      const creditWeight = examplesDue ? new Float32Array(ro.B * ro.R) : undefined;
      Object.assign(m, time('update_actor', () => (run.method.trains ? update(run, ro, rw.rewards, teacher, reference, step, credit, creditWeight) : { 'actor/loss': 0 })));
      // Time blocked on the worker's answers is the teacher's, not the update's.
      for (const pass of [teacher?.scores, reference]) {
        if (!pass?.onWorker) continue;
        pass.get(); // (read by every update; a no-op then)
        m['timing_s/teacher_wait'] = (m['timing_s/teacher_wait'] ?? 0) + pass.waitedSeconds;
        m['timing_s/teacher_worker'] = (m['timing_s/teacher_worker'] ?? 0) + pass.workerSeconds;
        m['timing_s/update_actor']! -= pass.waitedSeconds;
        m['timing_s/teacher']! += pass.waitedSeconds;
      }
      if (credit) {
        const scored = teacher ? { available: teacher.available, logProbs: teacher.scores.get().logProbs } : null;
        Object.assign(m, creditMetrics({ ro, verdicts: rw.verdicts, tokenizer: run.policy.tokenizer, teacher: scored, credit: run.method.trains ? credit : null }));
        if (examplesDue) {
          // A method without a weight (MethodOutput.creditWeight) leaves the array all zeros; RLSD's is never 0 on a token.
          const weight = creditWeight && creditWeight.some((v) => v !== 0) ? creditWeight : null;
          const examples = creditExamples({ ro, verdicts: rw.verdicts, rewards: rw.rewards, tokenizer: run.policy.tokenizer, teacher: scored, credit, weight, method: cfg.method, step });
          writeCreditExamples(cfg.out, step + 1, examples);
        }
      }
      const done = step + 1;
      // The regime after the step: a sync every N-th step, an EMA move every step (frozen and live: nothing).
      time('teacher', () => run.teacher?.afterStep(done));
      Object.assign(m, stepMetrics(ro, rw, cfg.shuffleRewards, { imageTokens: run.policy.imageTokens, maxNewTokens: cfg.maxNewTokens }));
      const ev = evaluationDue(cfg, done) ? await timeAsync(m, 'testing', () => evaluateAt(run, done)) : undefined;
      Object.assign(m, ev);
      // Wall time of the whole step, evaluation included (veRL's timing_s/step); not the checkpoint, written after
      // the metrics line so that a resumed run never lacks a line.
      m['timing_s/step'] = (performance.now() - stepStart) / 1000;
      // veRL: the step's tokens (prompts and responses) per second of the step, on one device.
      m['perf/throughput'] = m['perf/total_num_tokens']! / m['timing_s/step'];
      appendJsonLine(metricsFile, { step: done, ...m });
      if (ev) writeSummary(cfg.out, summaryInfo(cfg));
      progress?.update(done, m);
      if (checkpointDue(cfg, done, endStep)) save(done, ev);
      state.step = done;
      updateActivity({ step: done });
    }
  } finally {
    progress?.stop();
    await run.worker?.close();
    run.adam.dispose();
    run.teacher?.dispose();
    if (run.reference) disposeParams(run.reference);
    run.policy.dispose();
  }
  // The curve rebuilt from the records on disk (a resumed run includes the evaluations of earlier processes).
  const evals = evaluationLines(metricsFile).map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => k === 'step' || k.startsWith('val-'))));
  return { finalStep: state.step, evals, summary: writeSummary(cfg.out, summaryInfo(cfg)), out: cfg.out };
}

/** An evaluation's per-item verdicts on disk (evals/step_N.jsonl), and its metrics for metrics.jsonl. */
function evaluation(out: string, step: number, acc: HeldOutAccuracy): Record<string, number> {
  writeItemVerdicts(out, step, acc);
  return valMetrics(acc);
}

/**
 * The evaluation after step `done`: the curve's problems, or at the last step (step 0 of a run with no steps) the
 * larger final set when it is larger — loaded then, so a run does not hold it throughout.
 */
async function evaluateAt(run: RunContext, done: number): Promise<Record<string, number>> {
  // train() resolved the final set's size with the suite (withSuite): nothing to work out again here.
  const { cfg } = run;
  const full = cfg.finalEvalPerBenchmark;
  if (done !== cfg.steps || full <= cfg.evalPerBenchmark) return evaluation(cfg.out, done, evaluateTasks(run.policy, run.evalTasks, cfg.maxNewTokens));
  const tasks = await loadMiniTasks(run.policy, { split: cfg.evalSplit, perBenchmark: full, seed: cfg.dataSeed, reserve: cfg.maxNewTokens, suite: cfg.suite ?? 'mini-1' });
  const acc = evaluateTasks(run.policy, tasks, cfg.maxNewTokens);
  writeItemVerdicts(cfg.out, done, acc);
  return finalValMetrics(acc, run.evalTasks).metrics;
}

/** Times an async phase under veRL's `timing_s/<name>`, as timer() does a synchronous one. */
async function timeAsync<T>(m: StepMetrics, name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    m[`timing_s/${name}`] = (m[`timing_s/${name}`] ?? 0) + (performance.now() - t0) / 1000;
  }
}

function summaryInfo(cfg: TrainConfig): { split: string; evalSchedule: string } {
  const schedule = parseEvalSchedule(cfg.evalSchedule);
  return { split: cfg.evalSplit, evalSchedule: typeof schedule === 'string' ? cfg.evalSchedule : formatEvalSchedule(schedule) };
}

interface StartedRun {
  run: RunContext;
  state: TrainerState;
  rng: Rng;
  endStep: number;
  save: (step: number, lastEval?: Record<string, number>) => void;
}

/**
 * Start or resume: checks the config, takes the latest valid checkpoint in --out (refusing one of another method,
 * base or trajectory setting), loads the pools, builds the teacher under its regime and the worker, and writes the
 * step-0 evaluation and checkpoint of a fresh run.
 */
async function startRun(cfg: TrainConfig): Promise<StartedRun> {
  const method: Method = getMethod(cfg.method);
  const mcfg: MethodConfig = resolveMethodConfig(method, cfg.methodOptions);
  checkTrainConfig(cfg);
  const regime = teacherRegimeOf(method, mcfg);
  const adamCfg: AdamConfig = { ...DEFAULT_ADAM, lr: cfg.lr, warmupSteps: cfg.warmupSteps, gradClip: cfg.gradClip, schedule: cfg.lrSchedule, totalSteps: cfg.steps };
  const notice = (line: string): void => void process.stderr.write(`${line}\n`);
  // Saves killed mid-way leave temporaries (and, between their two renames, a set-aside checkpoint); under the
  // folder's lock any of a dead process is litter.
  for (const dir of [cfg.out, join(cfg.out, 'checkpoints')]) for (const line of cleanCrashLitter(dir)) notice(`rlsd-bench: notice: ${line}`);
  const updatesPerStep = method.trains ? cfg.ppoEpochs * (cfg.ppoMiniBatch > 0 ? cfg.promptsPerStep / cfg.ppoMiniBatch : 1) : 0;
  const resumePoint = chooseResumePoint(cfg.out, { method: cfg.method, teacher: regime !== null && regime.kind !== 'live', updatesPerStep }, notice, metricsLastStep(join(cfg.out, 'metrics.jsonl')));
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
  // Another backend or kernel continues the run with other float rounding: allowed, but the resumed run no longer
  // equals an uninterrupted one, so say it (a checkpoint that names no attention kernel ran matmul; one that names no
  // product kernel, XNNPACK).
  // BLAS's thread count decides some products' rounding too (model/blas.ts).
  const numerics = (backend: unknown, kernel: unknown, products: unknown, blasThreads: unknown): string =>
    `${String(backend)} with --attention-kernel ${typeof kernel === 'string' ? kernel : 'matmul'}${products === 'blas' ? ` --matmul blas --threads ${Number(blasThreads ?? 1)}` : ''}`;
  const startNumerics = numerics(startInfo['backend'], startInfo['attentionKernel'], startInfo['matmulKernel'], startInfo['blasThreads']);
  const nowNumerics = numerics(backendInfo().name, backendInfo().attentionKernel, backendInfo().matmulKernel, backendInfo().threadCount);
  if (resumeFrom && typeof startInfo['backend'] === 'string' && startNumerics !== nowNumerics)
    process.stderr.write(`rlsd-bench: warning: ${resumeFrom} was written on ${startNumerics}, resuming on ${nowNumerics}: the numbers will differ from an uninterrupted run\n`);
  const settings = trajectorySettings(cfg, mcfg, regime);
  const recorded = startInfo['settings'];
  if (resumeFrom && recorded && typeof recorded === 'object') {
    const before = recordedSettings(recorded as Record<string, unknown>, method, settings);
    const diff = settingsDiff(before, settings);
    if (diff.length === 1 && before['steps'] !== settings['steps']) throw new TrainingError(longerRunRefusal(cfg.out, Number(before['steps']), cfg.steps, resumeFrom));
    if (diff.length > 0) throw new TrainingError(`${cfg.out} holds a run with other settings (${diff.join('; ')}); resume it with its own flags or use another --out`);
  }
  const reserve = cfg.maxNewTokens;
  const suite = cfg.suite ?? 'mini-1';
  const trainPool = await loadMiniTasks(policy, { split: 'train', perBenchmark: cfg.trainPerBenchmark, seed: cfg.dataSeed, reserve, suite });
  const evalTasks = await loadMiniTasks(policy, { split: cfg.evalSplit, perBenchmark: cfg.evalPerBenchmark, seed: cfg.dataSeed, reserve, suite });
  const run: RunContext = {
    cfg,
    method,
    mcfg,
    policy,
    adam: new Adam(policy.params, adamCfg),
    trainPool,
    evalTasks,
    teacher: regime ? new TeacherWeights(regime, policy) : null,
    // The KL reference is the starting (base) policy, frozen.
    reference: method.needsReference(mcfg) ? Policy.load(cfg.base).policy.params : null,
    worker: null,
    warned: new Set(),
  };
  let state: TrainerState = { step: 0, rng: new Rng(hashString(`rollout|${cfg.seed}`)).state(), data: { epoch: 0, cursor: 0 }, adamStep: 0 };
  const metricsFile = join(cfg.out, 'metrics.jsonl');
  if (resumePoint) {
    state = resumePoint.state;
    const epochLength = epochOrder(trainPool, cfg.trainMix, cfg.seed, state.data.epoch).length;
    if (state.data.cursor > epochLength)
      throw new TrainingError(`${join(resumePoint.dir, 'checkpoint.json')}: field 'trainer.state.data' has cursor ${state.data.cursor}, past the ${epochLength} prompts of an epoch`);
    restoreTrainer(run, resumePoint);
    // At step 0 the file holds only the step-0 evaluation, which the checkpoint keeps (it may have been killed
    // before the file was written).
    if (state.step === 0) writeFileAtomic(metricsFile, state.lastEval ? metricsLine({ step: 0, ...currentNames(state.lastEval) }) : '');
    else truncateMetrics(metricsFile, state.step);
    pruneItemVerdicts(cfg.out, state.step);
    pruneCreditExamples(cfg.out, state.step);
    writeSummary(cfg.out, summaryInfo(cfg));
    // After a fall-back to an earlier checkpoint the pointer names the one the run goes on from.
    writeFileAtomic(join(cfg.out, 'checkpoints', LATEST_POINTER), `${state.step}\n`);
  }
  const rng = new Rng(state.rng);
  // The teacher's (and the KL reference's) pass on the second core, where the backend itself uses one thread.
  const backendName = backendInfo().name;
  if ((run.teacher || run.reference) && method.trains && cfg.teacherWorker && (backendName === 'wasm' || backendName === 'cpu')) {
    const worker = await TeacherWorker.start(backendName, workerKernels(backendInfo()), policy.cfg, policy.tokenizer.toJSON());
    run.worker = worker;
    run.teacher?.attach(worker);
    if (run.reference) {
      // The worker holds the only copy the run needs (nothing else reads or saves the reference).
      worker.setParams(run.reference, 'reference');
      disposeParams(run.reference);
      run.reference = null;
    }
  }
  const runInfo = {
    config: { ...cfg, methodConfig: mcfg, ...(regime ? { teacherRegime: formatTeacherRegime(regime) } : {}), adam: adamCfg, model: policy.cfg },
    backend: backendInfo(),
    provenance: provenance(),
    base: { path: cfg.base, weightsSha256: weightsSha256(cfg.base), info: baseInfo },
    resumedFrom: resumeFrom,
    trainItems: trainPool.length,
    evalItems: evalTasks.length,
  };
  if (resumePoint) writeJsonAtomic(join(cfg.out, 'run.json'), runInfo);
  const info = (step: number, lastEval: Record<string, number> | null): Record<string, unknown> => ({
    kind: 'training', method: cfg.method, suite, base: baseIdentity(baseInfo), settings, step, seed: cfg.seed, eval: lastEval, backend: backendInfo().name, attentionKernel: backendInfo().attentionKernel, ...(backendInfo().matmulKernel === 'blas' ? { matmulKernel: 'blas', blasThreads: backendInfo().threadCount ?? 1 } : {}),
  });
  const save = (step: number, lastEval?: Record<string, number>): void => saveCheckpoint(run, info, step, rng, state.data, lastEval);
  setActivity({ command: 'train', step: state.step, checkpointStep: state.step });
  // Step 0: the starting point of every curve, and a good checkpoint to fall back to.
  if (!resumeFrom) {
    const m: StepMetrics = {};
    const ev = evaluationDue(cfg, 0) ? await timeAsync(m, 'testing', () => evaluateAt(run, 0)) : undefined;
    save(0, ev);
    writeFileAtomic(metricsFile, ev ? metricsLine({ step: 0, ...ev, ...m }) : '');
    writeJsonAtomic(join(cfg.out, 'run.json'), runInfo);
    writeSummary(cfg.out, summaryInfo(cfg));
  }
  const endStep = cfg.stopAfter > 0 ? Math.min(cfg.steps, state.step + cfg.stopAfter) : cfg.steps;
  return { run, state, rng, endStep, save };
}
