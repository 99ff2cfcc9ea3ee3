// What `eval --checkpoint` names: a checkpoint directory, or a run folder whose latest checkpoint it means. A run
// folder's latest checkpoint is the step in its pointer file (checkpoints/latest_checkpointed_iteration.txt, as
// veRL writes), else the highest checkpoints/step_N that holds a checkpoint.json.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './util/errors.ts';
import { ensureDir, writeFileAtomic } from './util/fs.ts';

/** The pointer file a run folder keeps beside its checkpoints (the step number of the latest one). */
export const LATEST_POINTER = 'latest_checkpointed_iteration.txt';

export interface ResolvedCheckpoint {
  checkpoint: string;
  /** How a run folder was resolved (one line for the user); absent for a checkpoint directory. */
  note?: string;
}

/** step_000020 for 20 (the run folder's checkpoint names). */
export function stepDirName(step: number): string {
  return `step_${String(step).padStart(6, '0')}`;
}

/** FOLDER/step_000050.jsonl: step 50's records in one of a run's per-step folders (evals/, credit/). */
export function stepRecordsFile(out: string, folder: string, step: number): string {
  return join(out, folder, `${stepDirName(step)}.jsonl`);
}

/** Writes step `step`'s records to its file in `folder`, a JSON line each, atomically (empty when there are none). */
export function writeStepRecords(out: string, folder: string, step: number, records: readonly unknown[]): void {
  ensureDir(join(out, folder));
  writeFileAtomic(stepRecordsFile(out, folder, step), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** Removes the records in `folder` of steps after `step` (a resume goes on from a checkpoint before them). */
export function pruneStepRecords(out: string, folder: string, step: number): void {
  const dir = join(out, folder);
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const m = /^step_(\d+)\.jsonl$/.exec(name);
    if (m && Number(m[1]) > step) rmSync(join(dir, name), { force: true });
  }
}

function isCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'checkpoint.json'));
}

/** A checkpoint directory as given, or a run folder's latest checkpoint. */
export function resolveCheckpoint(path: string): ResolvedCheckpoint {
  const dir = resolve(path);
  const ckDir = join(dir, 'checkpoints');
  if (isCheckpoint(dir) || !existsSync(ckDir) || !statSync(ckDir).isDirectory()) return { checkpoint: dir };
  const pointer = join(ckDir, LATEST_POINTER);
  let why = '';
  if (existsSync(pointer)) {
    const text = readFileSync(pointer, 'utf8').trim();
    const step = /^\d+$/.test(text) ? Number(text) : NaN;
    const named = Number.isSafeInteger(step) ? join(ckDir, stepDirName(step)) : null;
    if (named && isCheckpoint(named)) return { checkpoint: named, note: `${path} is a run folder: evaluating its latest checkpoint ${named} (step ${step}, from ${LATEST_POINTER})` };
    why = named ? ` (${LATEST_POINTER} names step ${step}, which has no checkpoint.json)` : ` (${LATEST_POINTER} holds '${text.slice(0, 20)}', not a step number)`;
  }
  const steps = readdirSync(ckDir)
    .filter((n) => /^step_\d+$/.test(n) && isCheckpoint(join(ckDir, n)))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  if (steps.length === 0) throw new UsageError(`${path} is a run folder without a checkpoint yet (no ${join('checkpoints', 'step_N', 'checkpoint.json')})${why}`);
  const latest = join(ckDir, steps[steps.length - 1]!);
  return { checkpoint: latest, note: `${path} is a run folder: evaluating its latest checkpoint ${latest} (the highest step_N${why || `; no ${LATEST_POINTER}`})` };
}

/**
 * The default output folder of `eval`, unique per checkpoint: results/eval/<run>/<step> for a run's checkpoint
 * (<run>/checkpoints/step_N), else results/eval/<checkpoint folder name>.
 */
export function defaultEvalOut(checkpoint: string): string {
  const parent = dirname(checkpoint);
  if (/^step_\d+$/.test(basename(checkpoint)) && basename(parent) === 'checkpoints') return resolve('results/eval', basename(dirname(parent)), basename(checkpoint));
  return resolve('results/eval', basename(checkpoint));
}
