// Phase 7, checkpoint: a run's whole trainer state saved every --checkpoint-every steps (weights, Adam's moments,
// the teacher's copy under a regime that keeps one, RNG and data order) with the pointer file veRL writes, and the
// checked resume: the latest valid checkpoint, its settings compared with this invocation's, metrics.jsonl cut back.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Method, MethodConfig } from '../../methods/types.ts';
import { formatTeacherRegime, type TeacherRegime } from '../../methods/teacher-regime.ts';
import { loadCheckpoint, type LoadedCheckpoint } from '../checkpoint.ts';
import { paramSpecs } from '../model/params.ts';
import { LATEST_POINTER, stepDirName } from '../run-dir.ts';
import { updateActivity } from '../util/activity.ts';
import { CheckpointError, TrainingError } from '../util/errors.ts';
import { jsonSafe, writeFileAtomic } from '../util/fs.ts';
import { readJsonl } from '../util/jsonl.ts';
import type { Rng } from '../util/rng.ts';
import type { TrainConfig } from './config.ts';
import type { RunContext, TrainerState } from './types.ts';

/** What a run's checkpoints must hold to resume it (derived from the method and the batch layout). */
export interface TrainerExpectations {
  method: string;
  /** True when checkpoints hold the teacher's copy (`teacher/<name>`): a regime other than live. */
  teacher: boolean;
  /** Most optimiser updates a step makes (0 for a method that does not train). */
  updatesPerStep: number;
}

export interface ResumePoint {
  dir: string;
  ck: LoadedCheckpoint;
  state: TrainerState;
}

/** Whether training step `done` ends with a checkpoint: on the cadence, at the last step and where this process stops. */
export function checkpointDue(cfg: Pick<TrainConfig, 'checkpointEvery' | 'steps'>, done: number, endStep: number): boolean {
  return (cfg.checkpointEvery > 0 && done % cfg.checkpointEvery === 0) || done === cfg.steps || done === endStep;
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
  const data = raw.data as Partial<TrainerState['data']> | null;
  if (data === null || typeof data !== 'object' || !nat(data.epoch) || !nat(data.cursor))
    throw bad('trainer.state.data', `must be {epoch, cursor} of whole numbers ≥ 0 (got ${show(raw.data)})`);
  if (!nat(raw.adamStep) || raw.adamStep > raw.step * expect.updatesPerStep)
    throw bad('trainer.state.adamStep', `must be a whole number from 0 to ${raw.step * expect.updatesPerStep} at step ${raw.step} (got ${show(raw.adamStep)})`);
  if (raw.lastEval !== undefined && (raw.lastEval === null || typeof raw.lastEval !== 'object' || !Object.values(raw.lastEval).every((v) => typeof v === 'number' && Number.isFinite(v))))
    throw bad('trainer.state.lastEval', `must map metric names to finite numbers (got ${show(raw.lastEval)})`);
  // The optimiser's moments (and the teacher's copy) for every parameter, of its shape and finite.
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

/** The step of metrics.jsonl's last whole line (a torn last line does not count), or null without a readable file. */
export function metricsLastStep(file: string): number | null {
  if (!existsSync(file)) return null;
  try {
    const steps = readJsonl(file, { tornLastLine: true }).map(({ value }) => value['step']);
    const last = steps.at(-1);
    return typeof last === 'number' ? last : -1;
  } catch {
    return null; // truncateMetrics names what is wrong with it
  }
}

/**
 * The checkpoint to resume from: the latest that is whole and valid. A corrupt latest one (unreadable, a bad
 * field, short weights) is named in a notice and the previous good one taken; none good is refused. A checkpoint
 * past `metricsEnd` (metrics.jsonl's last whole line, e.g. its last line cut short after the run ended) is passed
 * over too: resuming there would leave the steps in between without their lines.
 */
export function chooseResumePoint(out: string, expect: TrainerExpectations, notice: (line: string) => void, metricsEnd: number | null = null): ResumePoint | null {
  const dir = join(out, 'checkpoints');
  if (!existsSync(dir)) return null;
  const all = readdirSync(dir)
    .filter((n) => /^step_\d+$/.test(n))
    .sort((a, b) => Number(b.slice(5)) - Number(a.slice(5)));
  // Step 0's line is rewritten from its checkpoint on resume.
  const steps = all.filter((n) => metricsEnd === null || Number(n.slice(5)) === 0 || Number(n.slice(5)) <= metricsEnd);
  if (steps.length < all.length && steps.length > 0)
    notice(`rlsd-bench: notice: metrics.jsonl ends at step ${metricsEnd} but ${join(dir, all[0]!)} is later: resuming from the latest checkpoint the metrics reach, ${steps[0]}`);
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
export function metricsLine(value: Record<string, unknown>): string {
  return `${JSON.stringify(value, jsonSafe)}\n`;
}

/** Drops metric lines after `step` (a resumed run rewrites them identically); a torn last line (a crash mid-append) goes too. */
export function truncateMetrics(file: string, step: number): void {
  if (!existsSync(file)) return;
  const error = (m: string): Error => new TrainingError(`${m}; cannot resume (move the file away to start its metrics afresh)`);
  const kept: string[] = [];
  for (const { line, value, text } of readJsonl(file, { tornLastLine: true, error })) {
    if (typeof value['step'] !== 'number') throw new TrainingError(`${file} line ${line}: no numeric 'step'; cannot resume`);
    if (value['step'] <= step) kept.push(text);
  }
  writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''));
}

/** Identity of a base checkpoint as recorded in its info (when, from which commit and by which command it was written). */
export function baseIdentity(info: Record<string, unknown>): string {
  const prov = (info['provenance'] ?? {}) as Record<string, unknown>;
  return `written ${String(prov['time'])} at ${String(prov['commit'])} by '${String(info['command'])}'`;
}

/**
 * The settings that decide a run's trajectory and its curve (everything but its length, evaluation schedule,
 * checkpoint cadence, output and verbosity; the base is checked on its own), with the resolved teacher regime. A
 * resumed run must match them, or it would silently continue another experiment — e.g. re-running a command after
 * a default changed.
 */
export function trajectorySettings(cfg: TrainConfig, mcfg: MethodConfig, regime: TeacherRegime | null): Record<string, unknown> {
  const { steps, stopAfter: _a, quiet: _q, out: _o, base: _b, evalSchedule: _e, checkpointEvery: _c, methodOptions: _m, teacherWorker: _w, lrSource: _l, ...rest } = cfg;
  // A cosine schedule is laid over `steps`, so then the length decides the trajectory too. A mini-batch of every
  // prompt is the single update of 0.
  return {
    ...rest,
    ppoMiniBatch: cfg.ppoMiniBatch === cfg.promptsPerStep ? 0 : cfg.ppoMiniBatch,
    ...(cfg.lrSchedule === 'cosine' ? { steps } : {}),
    methodConfig: mcfg,
    ...(regime ? { teacherRegime: formatTeacherRegime(regime) } : {}),
  };
}

/**
 * A run's recorded settings in today's terms. Runs recorded before --train-mix / --ppo-mini-batch / --ppo-epochs /
 * --eval-split existed walked the rows with one update per step and evaluated on the test split; method options
 * added since took their defaults. Runs recorded before teacher regimes had `teacherSync` (0: the method's
 * `teacherSyncInterval`, else 10; an interval of 0 never re-synced): the regime they ran is that sync (or frozen).
 */
export function recordedSettings(recorded: Record<string, unknown>, method: Method, now: Record<string, unknown>): Record<string, unknown> {
  const rec: Record<string, unknown> = { trainMix: 'rows', ppoMiniBatch: 0, ppoEpochs: 1, evalSplit: 'test', suite: 'mini-1', ...recorded };
  const recMcfg = rec['methodConfig'] && typeof rec['methodConfig'] === 'object' ? (rec['methodConfig'] as Record<string, unknown>) : null;
  if ('teacherSync' in rec) {
    const flag = Number(rec['teacherSync']);
    delete rec['teacherSync'];
    if ('teacherRegime' in now && !('teacherRegime' in rec)) {
      const every = flag > 0 ? flag : typeof recMcfg?.['teacherSyncInterval'] === 'number' ? (recMcfg['teacherSyncInterval'] as number) : 10;
      rec['teacherRegime'] = every > 0 ? `sync:${every}` : 'frozen';
      if (recMcfg && 'teacher' in method.defaults && !('teacher' in recMcfg)) recMcfg['teacher'] = rec['teacherRegime'];
    }
    // RLSD's recorded `teacherSyncInterval` is the `teacher` regime set above; RLSD has no such option to compare.
    if (recMcfg && !('teacherSyncInterval' in method.defaults)) delete recMcfg['teacherSyncInterval'];
  }
  if (recMcfg) rec['methodConfig'] = { ...method.defaults, ...recMcfg };
  return rec;
}

/** Names and values of the settings that differ between a recorded run and this invocation. */
export function settingsDiff(recorded: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(now)])].sort();
  return keys
    .filter((k) => JSON.stringify(recorded[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k} ${JSON.stringify(recorded[k])} → ${JSON.stringify(now[k])}`);
}

/** Restores Adam's moments and the teacher's copy from a resume point. */
export function restoreTrainer(run: RunContext, point: ResumePoint): void {
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  const teacher = new Map<string, Float32Array>();
  for (const [k, x] of point.ck.trainer!) {
    if (k.startsWith('adam_m/')) m.set(k.slice(7), x);
    else if (k.startsWith('adam_v/')) v.set(k.slice(7), x);
    else if (k.startsWith('teacher/')) teacher.set(k.slice(8), x);
  }
  run.teacher?.restore(teacher);
  run.adam.load({ step: point.state.adamStep, m, v });
}

/** Writes checkpoints/step_NNNNNN (atomically) and then the pointer to it. */
export function saveCheckpoint(run: RunContext, info: (step: number, lastEval: Record<string, number> | null) => Record<string, unknown>, step: number, rng: Rng, data: TrainerState['data'], lastEval?: Record<string, number>): void {
  const { policy, adam, cfg } = run;
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
  const teacher = run.teacher?.saved;
  if (teacher)
    for (const [k, x] of teacher) {
      tensors.set(`teacher/${k}`, x.dataSync() as Float32Array);
      shapes.set(`teacher/${k}`, x.shape);
    }
  const trainerState: TrainerState = { step, rng: rng.state(), data: { ...data }, adamStep: adam.step, ...(lastEval ? { lastEval } : {}) };
  policy.save(join(cfg.out, 'checkpoints', stepDirName(step)), info(step, lastEval ?? null), { tensors, shapes, state: trainerState });
  writeFileAtomic(join(cfg.out, 'checkpoints', LATEST_POINTER), `${step}\n`);
  updateActivity({ checkpointStep: step });
}
