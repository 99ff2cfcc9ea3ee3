// `sweep --executor slurm`: the grid as one Slurm job array, one array task per cell. The sweep folder is written
// exactly as the local executor writes it (sweep.json through state.ts), then DIR/slurm/sweep.sbatch, whose task i
// runs `rlsd-bench sweep <same config> --out DIR --shard i/N --no-report`: the shard path of run.ts, which runs
// cell i by the local executor's own functions (so cell.json, resumption and failures are the same), and the
// report is built from the shared folder afterwards. Slurm is the engine: nothing here schedules, retries or
// places work; it only writes the script, submits it with `sbatch --parsable` and, with --wait, polls `squeue`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatDuration, startProgress } from '../progress.ts';
import { writeReport } from '../report/write.ts';
import { RlsdBenchError, TrainingError, UsageError } from '../util/errors.ts';
import { ensureDir, writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { lockDir } from '../util/lock.ts';
import { parseSweepText, SweepConfigError } from './config.ts';
import { BIN, shellLine } from './local.ts';
import type { ConfigSource, Executor, SweepRun } from './executor.ts';
import { TENSOR_OPTIONS, type TensorSettings } from '../backend.ts';
import { flagArgs, optionsOf, type FlagOption } from '../util/options.ts';
import { presetFile } from './presets.ts';
import { cellDone, cellView, lastMetrics, openSweep, type CellView, type SweepFile } from './state.ts';

/** Slurm is missing or refused the job (exit code 1: not a usage error, the cluster said no). */
export class SlurmError extends RlsdBenchError {
  override name = 'SlurmError';
}

/** DIR/slurm: the batch script, its logs, the submitted jobs. */
export const SLURM_DIR = 'slurm';
export const SCRIPT_FILE = 'sweep.sbatch';
export const JOBS_FILE = 'jobs.json';

/** Where an array task's output goes: %x the job name, %A the array's job id, %a the task id = the cell's index. */
export const LOG_PATTERN = '%x-%A_%a.out';

/** The resource requests of every array task: from flags, else the config's `slurm:` section, else Slurm's defaults. */
export interface SlurmSettings {
  partition?: string;
  /** Time limit per cell in any of sbatch's formats (`90`, `02:00:00`, `1-00:00:00`). */
  time?: string;
  /** CPUs per cell (a cell uses one; a method with a self-teacher uses a second when it has one). */
  cpus: number;
  /** Further `#SBATCH` options as written (`--mem=4G`, `--account=lab`), one per line. */
  extra: string[];
}

/** The flags of `sweep --executor slurm` (SLURM_FLAGS). */
export interface SlurmFlags {
  partition?: string;
  time?: string;
  cpus?: number;
  /** Poll until the array ends, then write the report. */
  wait: boolean;
}

const slurmOption = optionsOf<SlurmFlags>();
const TEXT = { kind: 'text', syntax: 'a text', problem: () => null } as const;

/** The flags only the Slurm executor takes (checked in full by resolveSlurmSettings). */
export const SLURM_FLAGS: readonly FlagOption<SlurmFlags>[] = [
  slurmOption({ field: 'partition', flag: 'partition', default: undefined, rule: TEXT, help: 'slurm: partition' }),
  slurmOption({ field: 'time', flag: 'time', default: undefined, rule: TEXT, help: 'slurm: time limit per cell (e.g. 02:00:00)' }),
  slurmOption({ field: 'cpus', flag: 'cpus', default: undefined, rule: { kind: 'number', integer: true, min: 1, max: 4096 }, help: 'slurm: CPUs per cell' }),
  slurmOption({ field: 'wait', flag: 'wait', default: false, rule: { kind: 'boolean' }, help: 'slurm: follow the submitted array until it ends, then write the report' }),
];

/**
 * The `slurm:` section of a sweep config as a JSON Schema (the sweep schema includes it; its values do not change
 * results, so they are not part of the canonical config sweep.json compares).
 */
export const SLURM_SECTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    partition: { type: 'string' },
    time: { type: ['string', 'integer'] },
    cpus: { type: 'integer', minimum: 1 },
    extra: { type: 'array', items: { type: 'string' } },
  },
} as const;

// sbatch's --time formats: minutes, minutes:seconds, hours:minutes:seconds, days-hours[:minutes[:seconds]].
const TIME = /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+(:\d{1,2}){0,2}|UNLIMITED|INFINITE)$/i;
const PARTITION = /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/;
// One sbatch long option per line; `--array`, `--output` and the others the script sets itself are refused, since
// a second value would silently override the grid's.
const EXTRA = /^--[a-z][a-z0-9-]*(=[^\n\r]*)?$/;
const OWN = ['array', 'output', 'error', 'job-name', 'chdir', 'partition', 'time', 'cpus-per-task', 'ntasks', 'nodes', 'wrap', 'parsable'];

function checkSettings(s: Partial<SlurmSettings>, where: (key: string) => string): void {
  if (s.partition !== undefined && !PARTITION.test(s.partition)) throw new UsageError(`${where('partition')} must be a partition name (or a comma-separated list; got '${s.partition}')`);
  if (s.time !== undefined && !TIME.test(s.time)) throw new UsageError(`${where('time')} must be a Slurm time limit: minutes, HH:MM:SS or D-HH:MM:SS (got '${s.time}')`);
  if (s.cpus !== undefined && !(Number.isInteger(s.cpus) && s.cpus >= 1)) throw new UsageError(`${where('cpus')} must be an integer ≥ 1 (got '${String(s.cpus)}')`);
  (s.extra ?? []).forEach((e, i) => {
    if (!EXTRA.test(e)) throw new UsageError(`${where(`extra[${i}]`)} must be one sbatch long option such as --mem=4G (got '${e}')`);
    const name = e.slice(2).split('=')[0]!;
    if (OWN.includes(name)) throw new UsageError(`${where(`extra[${i}]`)}: --${name} is set by the sweep itself${['partition', 'time', 'cpus-per-task'].includes(name) ? ` (use slurm.${name === 'cpus-per-task' ? 'cpus' : name} or --${name === 'cpus-per-task' ? 'cpus' : name})` : ''}`);
  });
}

/** The `slurm:` section of a parsed config, checked; `file` names it in errors (`sweep.yaml: slurm.time: …`). */
export function slurmSection(raw: unknown, file: string): Partial<SlurmSettings> {
  const sec = (raw as Record<string, unknown> | null)?.['slurm'];
  if (sec === undefined) return {};
  const fail = (key: string, msg: string): never => {
    throw new SweepConfigError(`${file}: ${key}: ${msg}`);
  };
  if (typeof sec !== 'object' || sec === null || Array.isArray(sec)) return fail('slurm', 'must be an object (partition, time, cpus, extra)');
  const s = sec as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!(k in SLURM_SECTION_SCHEMA.properties)) fail(`slurm.${k}`, `unknown key (known: ${Object.keys(SLURM_SECTION_SCHEMA.properties).join(', ')})`);
  if (s['partition'] !== undefined && typeof s['partition'] !== 'string') fail('slurm.partition', 'must be string');
  if (s['time'] !== undefined && typeof s['time'] !== 'string' && typeof s['time'] !== 'number') fail('slurm.time', 'must be string');
  if (s['extra'] !== undefined && !(Array.isArray(s['extra']) && s['extra'].every((x) => typeof x === 'string'))) fail('slurm.extra', 'must be a list of strings');
  const out: Partial<SlurmSettings> = {
    ...(s['partition'] !== undefined ? { partition: s['partition'] as string } : {}),
    // YAML reads `time: 90` as a number: minutes, as sbatch reads it.
    ...(s['time'] !== undefined ? { time: String(s['time']) } : {}),
    ...(s['cpus'] !== undefined ? { cpus: s['cpus'] as number } : {}),
    ...(s['extra'] !== undefined ? { extra: [...(s['extra'] as string[])] } : {}),
  };
  try {
    checkSettings(out, (k) => `slurm.${k}`);
  } catch (e) {
    throw new SweepConfigError(`${file}: ${(e as Error).message}`);
  }
  return out;
}

/** Flags over the config's section over the defaults (one CPU, Slurm's own partition and time limit). */
export function resolveSlurmSettings(flags: Partial<SlurmFlags>, section: Partial<SlurmSettings>): SlurmSettings {
  checkSettings({ ...(flags.partition !== undefined ? { partition: flags.partition } : {}), ...(flags.time !== undefined ? { time: flags.time } : {}), ...(flags.cpus !== undefined ? { cpus: flags.cpus } : {}) }, (k) => `--${k}`);
  const partition = flags.partition ?? section.partition;
  const time = flags.time ?? section.time;
  return { ...(partition !== undefined ? { partition } : {}), ...(time !== undefined ? { time } : {}), cpus: flags.cpus ?? section.cpus ?? 1, extra: section.extra ?? [] };
}

/** Array indexes as sbatch's --array takes them, runs collapsed: [0,1,2,5,7,8] → '0-2,5,7-8'. */
export function arraySpec(indexes: readonly number[]): string {
  const xs = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(j === i ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The shard command gets its config as the submitting command did: the same file (absolute) or preset, or none (the
 * shards then resume from DIR/sweep.json).
 */
export type { ConfigSource };

export interface SbatchInput {
  sweep: SweepFile;
  /** The sweep folder, absolute. */
  dir: string;
  source: ConfigSource;
  /** The cells to run (sweep.json indexes). */
  indexes: readonly number[];
  settings: SlurmSettings;
  /** The working directory of the tasks (a config's relative `base` is read against it). */
  cwd: string;
  /** The tensor flags given for every cell. */
  cell?: Partial<TensorSettings>;
  /** The node binary and the launcher the tasks run (absolute: a batch job's PATH need not have node). */
  node?: string;
  bin?: string;
}

/** The job name: `rlsd-<sweep name>` (also the first part of every log file's name). */
export function jobName(sweep: SweepFile): string {
  return `rlsd-${sweep.name}`;
}

/** The batch script: one array task per cell, each running `sweep … --shard $SLURM_ARRAY_TASK_ID/N --no-report`. */
export function sbatchScript(p: SbatchInput): string {
  const n = p.sweep.cells.length;
  const s = p.settings;
  const logs = join(p.dir, SLURM_DIR, 'logs');
  const configArgs = 'file' in p.source ? [resolve(p.cwd, p.source.file)] : 'preset' in p.source ? ['--preset', p.source.preset] : [];
  const cellFlags = flagArgs(TENSOR_OPTIONS, p.cell ?? {});
  const head = shellLine([p.node ?? process.execPath, p.bin ?? BIN, 'sweep', ...configArgs, '--out', p.dir]);
  const wanted = new Set(p.indexes);
  return [
    '#!/bin/bash',
    `# rlsd-bench sweep ${p.sweep.name}: one array task per cell (task id = the cell's index in ${join(p.dir, 'sweep.json')}).`,
    '# Written by `rlsd-bench sweep --executor slurm`; resubmitting that command runs only the cells not yet done.',
    `#SBATCH --job-name=${jobName(p.sweep)}`,
    `#SBATCH --array=${arraySpec(p.indexes)}`,
    `#SBATCH --output=${join(logs, LOG_PATTERN)}`,
    `#SBATCH --chdir=${p.cwd}`,
    '#SBATCH --nodes=1',
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${s.cpus}`,
    ...(s.partition !== undefined ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.time !== undefined ? [`#SBATCH --time=${s.time}`] : []),
    ...s.extra.map((e) => `#SBATCH ${e}`),
    '#',
    '# task  cell',
    ...p.sweep.cells.filter((c) => wanted.has(c.index)).map((c) => `# ${String(c.index).padStart(4)}  ${c.id}`),
    'set -eu',
    // The shard takes cell i of N (index % N == i): with N the number of cells, exactly one cell.
    `exec ${head} --shard "$SLURM_ARRAY_TASK_ID/${n}" --no-report${cellFlags.length > 0 ? ` ${shellLine(cellFlags)}` : ''}`,
    '',
  ].join('\n');
}

/** One submitted array, as DIR/slurm/jobs.json lists them (oldest first). */
export interface SlurmJobRecord {
  jobId: string;
  cluster: string | null;
  submittedAt: string;
  array: string;
  cells: { index: number; id: string }[];
  script: string;
}

export function readJobs(dir: string): SlurmJobRecord[] {
  const file = join(dir, SLURM_DIR, JOBS_FILE);
  if (!existsSync(file)) return [];
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { jobs?: SlurmJobRecord[] };
    return Array.isArray(v.jobs) ? v.jobs : [];
  } catch {
    throw new UsageError(`${file} is not valid JSON; move it away to submit again`);
  }
}

/** `sbatch --parsable` prints `jobid` or `jobid;cluster`. */
export function parseSubmission(stdout: string): { jobId: string; cluster: string | null } {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const m = /^(\d+)(?:;(\S+))?$/.exec(line.trim());
  if (!m) throw new SlurmError(`sbatch printed no job id (got '${line.slice(0, 200)}')`);
  return { jobId: m[1]!, cluster: m[2] ?? null };
}

/** The last line a Slurm command wrote to stderr (its error), or how it ended. */
function lastErrorLine(r: ReturnType<typeof spawnSync>): string {
  const lines = String(r.stderr ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? (r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`);
}

function slurmCommand(cmd: string, args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
}

/** Refuses before anything is written when Slurm's client commands are not there. */
export function requireSbatch(): void {
  const r = slurmCommand('sbatch', ['--version']);
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new SlurmError('slurm executor needs sbatch on PATH (Slurm\'s client commands: run on a login node, or install slurm-client); for a one-node test cluster here: bash scripts/slurm-local.sh up');
  if (r.error) throw new SlurmError(`sbatch --version failed: ${r.error.message}`);
}

/**
 * Whether a job (all its array tasks) is still known to the controller as pending or running. An id squeue no longer
 * knows is finished; any other failure of squeue is reported.
 */
export function jobActive(jobId: string): boolean {
  const r = slurmCommand('squeue', ['-h', '-j', jobId, '-o', '%i']);
  if (r.status === 0) return String(r.stdout).trim() !== '';
  const err = lastErrorLine(r);
  if (/invalid job id/i.test(err)) return false;
  throw new SlurmError(`squeue -j ${jobId} failed: ${err}`);
}

export interface SlurmSweepArgs {
  /** The sweep record the config expands to (planSweep), already checked against DIR/sweep.json. */
  planned: SweepFile;
  dir: string;
  source: ConfigSource;
  flags: SlurmFlags;
  dryRun: boolean;
  report: boolean;
  quiet: boolean;
  cell: Partial<TensorSettings>;
  /** Seconds between two squeue polls under --wait (default: 2 s, growing to 30 s on long jobs). */
  pollSeconds?: number;
}

/** The config file a source names (a preset's own file), for its `slurm:` section. */
function sourceFile(source: ConfigSource): { path: string; shown: string } | null {
  if ('file' in source) return { path: resolve(source.file), shown: source.file };
  if ('preset' in source) return { path: presetFile(source.preset), shown: `${source.preset}.yaml` };
  return null; // sweep.json keeps the canonical config, which has no slurm section
}

/** The settings of a sweep: flags over the config file's `slurm:` section. */
export function settingsFor(source: ConfigSource, flags: Partial<SlurmFlags>): SlurmSettings {
  const f = sourceFile(source);
  const section = f && existsSync(f.path) ? slurmSection(parseSweepText(readFileSync(f.path, 'utf8'), f.shown), f.shown) : {};
  return resolveSlurmSettings(flags, section);
}

/**
 * `sweep --executor slurm`: writes sweep.json and DIR/slurm/sweep.sbatch for the cells not done yet, submits it
 * (recorded in DIR/slurm/jobs.json) and, with --wait, follows it to the end and writes the report. --dry-run prints
 * the script and writes nothing. Returns the exit code.
 */
export async function runSlurmSweep(a: SlurmSweepArgs): Promise<number> {
  const settings = settingsFor(a.source, a.flags);
  const dir = a.dir;
  const cwd = process.cwd();
  const todo = a.planned.cells.filter((c) => !cellDone(join(dir, c.dir), c.steps));
  const input = (sweep: SweepFile): SbatchInput => ({ sweep, dir, source: a.source, indexes: todo.map((c) => c.index), settings, cwd, cell: a.cell });

  if (a.dryRun) {
    if (todo.length === 0) process.stdout.write(`# all ${a.planned.cells.length} cells of ${dir} are done: nothing to submit\n`);
    else process.stdout.write(sbatchScript(input(a.planned)));
    return 0;
  }
  requireSbatch();

  // The folder lock covers sweep.json, the script and the check for a job still queued; it is released before
  // sbatch, because the array's shards take it briefly themselves as they start.
  const slurmDir = join(dir, SLURM_DIR);
  const scriptFile = join(slurmDir, SCRIPT_FILE);
  let sweep: SweepFile;
  const lock = lockDir(dir, 'sweep --executor slurm');
  try {
    sweep = openSweep(dir, a.planned);
    const live = readJobs(dir).filter((j) => jobActive(j.jobId));
    if (live.length > 0) {
      const j = live.at(-1)!;
      throw new SlurmError(`${dir} already has Slurm job ${j.jobId} queued or running (squeue -j ${j.jobId}); wait for it, or cancel it with scancel ${j.jobId}, then submit again`);
    }
    if (todo.length > 0) {
      ensureDir(join(slurmDir, 'logs'));
      writeFileAtomic(scriptFile, sbatchScript(input(sweep)));
    }
  } finally {
    lock.release();
  }

  let jobId: string | null = null;
  if (todo.length === 0) {
    process.stdout.write(`sweep ${sweep.name}: all ${sweep.cells.length} cells done → ${dir}; nothing to submit\n`);
  } else {
    const r = slurmCommand('sbatch', ['--parsable', scriptFile]);
    if (r.error) throw new SlurmError(`sbatch failed to run: ${r.error.message}`);
    if (r.status !== 0) throw new SlurmError(`sbatch refused the job: ${lastErrorLine(r)} (script: ${scriptFile})`);
    const sub = parseSubmission(String(r.stdout));
    jobId = sub.jobId;
    const record: SlurmJobRecord = { jobId, cluster: sub.cluster, submittedAt: new Date().toISOString(), array: arraySpec(todo.map((c) => c.index)), cells: todo.map((c) => ({ index: c.index, id: c.id })), script: join(SLURM_DIR, SCRIPT_FILE) };
    writeJsonAtomic(join(slurmDir, JOBS_FILE), { jobs: [...readJobs(dir), record] });
    const bin = 'rlsd-bench';
    process.stdout.write(
      [
        `submitted Slurm job ${jobId}: ${todo.length} array task${todo.length === 1 ? '' : 's'} (--array=${record.array}, one per cell not yet done, of ${sweep.cells.length}) → ${dir}`,
        `  follow:  squeue -j ${jobId}`,
        `           ${bin} sweep --status ${dir}`,
        `  logs:    ${join(slurmDir, 'logs', `${jobName(sweep)}-${jobId}_<cell index>.out`)}`,
        `  cancel:  scancel ${jobId}`,
        `  report:  ${bin} report ${dir}   (when the job has ended${a.flags.wait ? '; --wait writes it' : ''})`,
        '',
      ].join('\n'),
    );
  }
  if (!a.flags.wait) return 0;
  if (jobId !== null) await waitForJob(sweep, dir, jobId, todo.map((c) => c.index), a);
  return finish(sweep, dir, jobId, a);
}

/** Polls squeue until the array has left the queue, showing cells done and steps as the local executor does. */
async function waitForJob(sweep: SweepFile, dir: string, jobId: string, indexes: readonly number[], a: SlurmSweepArgs): Promise<void> {
  const cells = sweep.cells.filter((c) => indexes.includes(c.index));
  const total = cells.reduce((s, c) => s + c.steps, 0);
  const stepOf = (v: CellView): number => (v.status === 'done' ? v.cell.steps : Math.min(v.cell.steps, lastMetrics(join(dir, v.cell.dir))?.step ?? 0));
  const task = startProgress({ label: `sweep ${sweep.name} (Slurm job ${jobId})`, total, done: 0, unit: 'steps', quiet: a.quiet });
  const t0 = performance.now();
  let failures = 0;
  try {
    for (;;) {
      const views = cells.map((c) => cellView(dir, c));
      const count = (s: string): number => views.filter((v) => v.status === s).length;
      // 'stopped' here is a cell whose task has marked it started while train is still loading (no lock yet).
      task.update(views.reduce((s, v) => s + stepOf(v), 0), `${count('done')}/${cells.length} cells done, ${count('running') + count('stopped')} running, ${count('failed')} failed`);
      let active: boolean;
      try {
        active = jobActive(jobId);
        failures = 0;
      } catch (e) {
        // The controller may be briefly unreachable (restart, overload): give up only after a minute of failures.
        if (++failures * 2 > 60) throw e;
        active = true;
      }
      if (!active) return;
      const elapsed = (performance.now() - t0) / 1000;
      const wait = a.pollSeconds ?? Math.min(30, 2 + elapsed / 20);
      await new Promise((res) => setTimeout(res, wait * 1000));
    }
  } finally {
    task.stop();
  }
}

/** After the array: the tally, the report when asked for, and one error line when cells are left undone. */
async function finish(sweep: SweepFile, dir: string, jobId: string | null, a: SlurmSweepArgs): Promise<number> {
  const views = sweep.cells.map((c) => cellView(dir, c));
  const done = views.filter((v) => v.status === 'done');
  const undone = views.filter((v) => v.status !== 'done');
  process.stdout.write(`sweep ${sweep.name}: Slurm job ${jobId ?? '—'} ended — ${done.length} of ${sweep.cells.length} cells done → ${dir}\n`);
  if (a.report && done.length > 0) {
    const t0 = performance.now();
    const rep = await writeReport(dir);
    process.stdout.write(`${rep.summary}\nreport → ${rep.out} (${formatDuration((performance.now() - t0) / 1000)})\n`);
  }
  if (undone.length > 0) {
    const first = undone[0]!;
    const why = first.status === 'failed' ? (first.record?.error ?? 'no error recorded') : `${first.status} at step ${first.step ?? 0}/${first.cell.steps} (the task ended without finishing it: time limit, node failure or scancel?)`;
    const log = jobId === null ? '' : `; log ${join(dir, SLURM_DIR, 'logs', `${jobName(sweep)}-${jobId}_${first.cell.index}.out`)}`;
    throw new TrainingError(
      `${undone.length} of ${sweep.cells.length} cells not done (${first.cell.id}: ${why}${undone.length > 1 ? '; …' : ''}${log}); see \`rlsd-bench sweep --status ${dir}\` — submit the same command again to run them (finished cells are kept)`,
    );
  }
  return 0;
}

/** One sbatch array task per cell, each a shard of one cell (`sweep … --shard i/N`) on a shared folder. */
export const slurmExecutor: Executor = {
  name: 'slurm',
  describe: 'one sbatch array task per cell',
  flags: SLURM_FLAGS as unknown as readonly FlagOption<Record<string, unknown>>[],
  dryRun: (run) => runSlurmSweep(slurmArgs(run, true)),
  run: (run) => runSlurmSweep(slurmArgs(run, false)),
};

function slurmArgs(run: SweepRun, dryRun: boolean): SlurmSweepArgs {
  return { planned: run.planned, dir: run.dir, source: run.source, flags: { wait: false, ...(run.options as Partial<SlurmFlags>) }, dryRun, report: run.report, quiet: run.quiet, cell: run.tensor };
}
