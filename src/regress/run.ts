// A regression check: runs what each baseline file says (its sweep, through the sweep's own local executor)
// and checks the runs against it — golden trajectories or learning bands (src/regress/baseline.ts). `--update`
// rewrites the file from fresh runs and prints what changed. Exit codes: 0 every check passed, 1 a regression
// (a value moved, a statistic left its band, a method fell to the control), 2 a usage error or a malformed
// baseline, 3 the runs themselves failed (nothing to compare), 130/143 interrupted.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { provenance } from '../provenance.ts';
import { formatDuration } from '../progress.ts';
import { parseBackendName } from '../backend.ts';
import { runSweep } from '../sweep/run.ts';
import { expandRows, trains, type SweepConfig } from '../sweep/config.ts';
import { readSweepFile } from '../sweep/state.ts';
import { RlsdBenchError, UsageError } from '../util/errors.ts';
import { checkReplaceable, ensureDir, jsonText, replaceFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { readBaseline, type Baseline, type GoldenBaseline, type GoldenCell, type LearningBaseline } from './baseline.ts';
import { compareGolden, goldenCell, goldenDiffTable } from './golden.ts';
import { learningChecks, learningTable, leaveOneOut, normalCdf, referenceBands, runStats, type SweepStats } from './learning.ts';

export const EXIT_PASS = 0;
export const EXIT_REGRESSION = 1;
export const EXIT_RUNS_FAILED = 3;
/** How a baseline that --update may not replace is refused (the file is checked before its runs, and again when written). */
const UPDATE_REFUSED = '--update cannot rewrite it';

/** The baseline's runs did not finish (a cell crashed, a backend is missing): nothing to compare. Exit code 3. */
export class RegressRunError extends RlsdBenchError {
  override name = 'RegressRunError';
  override readonly exitCode: number = EXIT_RUNS_FAILED;
}

export interface RegressArgs {
  files: string[];
  update: boolean;
  /** Keep the runs under DIR/<baseline name> (else a temporary folder, removed when every check passed). */
  out?: string;
  /** Check (or record) sweep folders already run instead of running (one baseline only); their cells are merged. */
  runs?: string[];
  /** Seeds of a learning check instead of the baseline's (e.g. to measure its false-failure rate). */
  seeds?: number[];
  workers: number;
  quiet: boolean;
}

/** Results are printed whatever --quiet says (it silences progress only). */
function say(text: string): void {
  process.stdout.write(text);
}

/**
 * Runs the baseline's sweep at `seeds` into `dir`; returns the interrupt exit code, if any. A base the baseline
 * names is relative to the baseline file's folder (the sweep config written into `dir` carries it absolute).
 */
async function runBaselineSweep(b: Baseline, file: string, seeds: number[], dir: string, a: RegressArgs): Promise<number> {
  const config: SweepConfig = { ...b.sweep, seeds, base: b.sweep.base === null ? null : resolve(dirname(file), b.sweep.base) };
  ensureDir(dir);
  const configFile = join(dir, 'regress-sweep.json');
  if (!existsSync(join(dir, 'sweep.json'))) writeJsonAtomic(configFile, config);
  try {
    const code = await runSweep({
      ...(existsSync(join(dir, 'sweep.json')) ? {} : { config: configFile }),
      out: dir,
      workers: a.workers,
      executor: 'local',
      dryRun: false,
      shard: null,
      printJobs: false,
      status: false,
      report: false,
      quiet: a.quiet,
      cell: { backend: parseBackendName(b.backend) },
    });
    return code;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new RegressRunError(`the runs of the baseline did not finish: ${(e as Error).message}`);
  }
}

/** Run folder of every cell of a sweep folder, by cell id, with its row and seed. */
function sweepCells(dir: string): { id: string; row: string; seed: number; dir: string }[] {
  const sweep = readSweepFile(dir);
  if (!sweep) throw new UsageError(`${dir} holds no sweep.json (--runs takes the folder a regress or sweep run wrote)`);
  return sweep.cells.map((c) => ({ id: c.id, row: c.row, seed: c.seed, dir: join(dir, c.dir) }));
}

function collectGolden(dirs: readonly string[]): Record<string, GoldenCell> {
  return Object.fromEntries(dirs.flatMap(sweepCells).map((c) => [c.id, goldenCell(c.dir)]));
}

function collectStats(dirs: readonly string[]): SweepStats {
  const out: SweepStats = {};
  for (const c of dirs.flatMap(sweepCells)) {
    const row = (out[c.row] ??= {});
    if (row[c.seed] !== undefined) throw new UsageError(`${c.id} is in more than one of the --runs folders: give each seed once`);
    row[c.seed] = runStats(c.dir);
  }
  return out;
}

function checkGolden(file: string, b: GoldenBaseline, dirs: readonly string[], update: boolean): number {
  const got = collectGolden(dirs);
  const diffs = compareGolden(b, got);
  const cells = Object.keys(got).length;
  const values = Object.values(got).reduce((n, c) => n + c.metrics.reduce((m, l) => m + Object.keys(l).length, 0) + 1, 0);
  if (update) {
    replaceFileAtomic(file, jsonText({ ...b, written: { at: new Date().toISOString(), provenance: provenance() }, expected: got }), UPDATE_REFUSED);
    say(diffs.length === 0 ? `golden ${file}: rewritten; no value changed (${cells} cells, ${values} values)\n` : `golden ${file}: rewritten; ${diffs.length} values changed in ${new Set(diffs.map((d) => d.cell)).size} cells:\n${goldenDiffTable(diffs)}`);
    return EXIT_PASS;
  }
  if (diffs.length === 0) {
    say(`golden ${basename(file)}: ${cells} cells, ${values} values and final weights as recorded (tolerance ${b.tolerance}) — pass\n`);
    return EXIT_PASS;
  }
  process.stdout.write(
    `golden ${basename(file)}: ${diffs.length} values moved in ${new Set(diffs.map((d) => d.cell)).size} of ${cells} cells — FAIL\n${goldenDiffTable(diffs)}` +
      `(a change meant to change the numbers: \`rlsd-bench regress ${file} --update\` records them and prints what changed)\n`,
  );
  return EXIT_REGRESSION;
}

function checkLearning(file: string, b: LearningBaseline, dirs: readonly string[], update: boolean): number {
  const stats = collectStats(dirs);
  if (update) {
    const rowTrains = new Map(expandRows(b.sweep, file).map((r) => [r.row, trains(r.method)]));
    const { bands, gaps } = referenceBands(stats, b, (row) => rowTrains.get(row) ?? true);
    const next: LearningBaseline = { ...b, written: { at: new Date().toISOString(), provenance: provenance() }, bands, ...(gaps ? { gaps } : {}) };
    replaceFileAtomic(file, jsonText(next), UPDATE_REFUSED);
    const lines = Object.entries(bands).flatMap(([row, s]) =>
      Object.entries(s).map(([stat, band]) => {
        const old = b.bands[row]?.[stat as keyof typeof s];
        const was = old ? ` (was [${(100 * old.low).toFixed(2)}, ${(100 * old.high).toFixed(2)}])` : ' (new)';
        return `  ${row.padEnd(24)} ${stat.padEnd(8)} ${(100 * band.mean).toFixed(2).padStart(6)} ± ${(100 * band.sd).toFixed(2).padStart(5)} sd → [${(100 * band.low).toFixed(2)}, ${(100 * band.high).toFixed(2)}]${was}`;
      }),
    );
    const gapLines = Object.entries(gaps ?? {}).map(([row, g]) => {
      const margin = b.beats_control[row]!;
      const tail = `normal fit: P(gap < margin) ≈ ${(100 * normalCdf(margin, g.mean, g.sd)).toFixed(2)} %`;
      const warn = Math.min(...g.values) < margin ? ` — WARNING: a reference seed's gap is below the margin: the check fails there` : '';
      return `  ${row.padEnd(24)} reward − ${b.control}: ${g.values.map((v) => (100 * v).toFixed(2)).join(', ')} (mean ${(100 * g.mean).toFixed(2)}, sd ${(100 * g.sd).toFixed(2)}; margin ${(100 * margin).toFixed(2)}; ${tail})${warn}`;
    });
    const loo = leaveOneOut(stats, b, (row) => rowTrains.get(row) ?? true);
    const looLine = `false-failure rate, leave-one-out (each reference seed against bands from the others): ${loo.seedsFailed.length} of ${loo.seeds} seeds would fail (${loo.checksFailed.length} of ${loo.checks} checks${loo.checksFailed.length ? `: ${loo.checksFailed.join('; ')}` : ''})`;
    process.stdout.write(`learning ${file}: bands rewritten from seeds ${b.reference_seeds.join(', ')} (mean ± max(${b.k}·sd, ${100 * b.floor}), in %):\n${lines.join('\n')}\n${gapLines.join('\n')}\n${looLine}\n`);
    return EXIT_PASS;
  }
  const checks = learningChecks(b, stats);
  const failed = checks.filter((c) => !c.pass);
  const seeds = [...new Set(checks.map((c) => c.seed))];
  const head = `learning ${basename(file)}: ${checks.length} checks over ${Object.keys(stats).length} rows × seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}`;
  if (failed.length === 0) {
    say(`${learningTable(checks)}${head} — pass\n`);
    return EXIT_PASS;
  }
  process.stdout.write(`${learningTable(checks)}${head} — FAIL: ${failed.map((c) => `${c.row} seed ${c.seed} ${c.what} ${(100 * c.value).toFixed(2)}`).join('; ')}\n`);
  return EXIT_REGRESSION;
}

/** Runs (or with --runs, reads) each baseline's sweep and checks it; returns the exit code (EXIT_*). */
export async function runRegress(a: RegressArgs): Promise<number> {
  if (a.files.length === 0) throw new UsageError('give a baseline file (e.g. results/reference/regress/golden.json)');
  if (a.runs !== undefined && a.files.length > 1) throw new UsageError('--runs checks one baseline against runs already made: give one file');
  const baselines = a.files.map((f) => ({ file: resolve(f), b: readBaseline(resolve(f)) })); // every file is checked before anything runs
  if (a.update) for (const { file } of baselines) checkReplaceable(file, UPDATE_REFUSED);
  let worst = EXIT_PASS;
  for (const { file, b } of baselines) {
    const seeds = b.kind === 'learning' ? (a.update ? b.reference_seeds : (a.seeds ?? b.sweep.seeds)) : b.sweep.seeds;
    if (a.seeds && b.kind === 'golden') throw new UsageError(`--seeds applies to learning baselines (${file} is golden: its seeds are its recorded cells)`);
    let dir: string;
    let dirs: string[];
    let temporary = false;
    if (a.runs !== undefined) {
      dirs = a.runs.map((r) => resolve(r));
      for (const [i, d] of dirs.entries()) if (!existsSync(d)) throw new UsageError(`--runs ${a.runs[i]}: no such folder`);
      dir = dirs[0]!;
    } else {
      const name = basename(file).replace(/\.json$/, '') + (a.update ? '-update' : '');
      if (a.out !== undefined) {
        dir = join(resolve(a.out), name);
        if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, 'sweep.json')))
          throw new UsageError(`${dir} exists and holds no sweep.json: give another --out (regress writes a sweep folder per baseline there)`);
      } else {
        dir = mkdtempSync(join(tmpdir(), `rlsd-regress-${name}-`));
        temporary = true;
      }
      const t0 = performance.now();
      const interrupted = await runBaselineSweep(b, file, seeds, dir, a);
      if (interrupted !== 0) return interrupted;
      say(`regress ${basename(file)}: runs done in ${formatDuration((performance.now() - t0) / 1000)} → ${dir}\n`);
      dirs = [dir];
    }
    const code = b.kind === 'golden' ? checkGolden(file, b, dirs, a.update) : checkLearning(file, b, dirs, a.update);
    if (temporary && code === EXIT_PASS) rmSync(dir, { recursive: true, force: true });
    else if (temporary) process.stdout.write(`the runs are kept for a look: ${dir}\n`);
    worst = Math.max(worst, code);
  }
  return worst;
}
