// A checkpoint series behind an endpoint (`eval --endpoint URL --models step-100,step-200,…`): every model is one
// checkpoint of a training run that the server serves under its own name (vLLM `--lora-modules step-100=…`, one
// Ollama tag per step, …). Each is evaluated into its own eval folder, and the series is written as the run folder
// that `train` writes and `rlsd-bench report` reads (src/report/records.ts), so the report's convergence table and
// curves cover it like any hand-run training run:
//
//   <out>/<label>/seed-<seed>/run.json              config.method = --label, config.steps = the last step
//   <out>/<label>/seed-<seed>/metrics.jsonl         one line per step, train's in-run evaluation keys
//                                                   (val-core/<benchmark>/acc/mean@1, val-core/all/…, val-core/avg/…)
//   <out>/<label>/seed-<seed>/evals/step_N.jsonl    per-item verdicts {uid, benchmark, correct}
//   <out>/<label>/seed-<seed>/eval/step_N/          the step's own eval folder (eval.json, results.json, samples.jsonl)
//
// Verdicts follow train's in-run evaluation: the official verdict of the greedy (first) sample, except that MMMU's
// random-choice credit counts as wrong (the reward's rule, benchmarks/index.ts), so the curves carry no lottery
// noise. metrics.jsonl is rebuilt from the step folders after every step, so an interrupted series resumes by
// running the same command (finished steps cost no request: their records are on disk and their answers cached).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ItemRecord } from '../../benchmarks/common/types.ts';
import { evaluate, isErrorRecord, MINI_DATA, type BenchmarkResult, type EvalConfig, type EvalProgress } from '../eval.ts';
import { stepDirName } from '../run-dir.ts';
import { heldOutAccuracy, valMetrics, writeItemVerdicts, type HeldOutAccuracy, type ItemVerdict } from '../train/evaluate.ts';
import { DataError, UsageError } from '../util/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { readJsonl } from '../util/jsonl.ts';

export interface SeriesModel {
  step: number;
  model: string;
}

const SERIES_FORMAT = 'rlsd-bench-endpoint-series/1';

function checkSeries(models: SeriesModel[], where: string): SeriesModel[] {
  if (models.length === 0) throw new UsageError(`${where}: no models`);
  const seen = new Map<number, string>();
  for (const m of models) {
    if (!Number.isSafeInteger(m.step) || m.step < 0) throw new UsageError(`${where}: step ${m.step} of model '${m.model}' must be a whole number ≥ 0`);
    const other = seen.get(m.step);
    if (other !== undefined) throw new UsageError(`${where}: step ${m.step} is given twice ('${other}' and '${m.model}'); name each step once (a --models-file maps step → model)`);
    seen.set(m.step, m.model);
  }
  return [...models].sort((a, b) => a.step - b.step);
}

/** `--models step-100,step-200`: each name's step is its last number (step-100 → 100; ckpt_200 → 200). */
export function parseModelList(raw: string): SeriesModel[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const models = names.map((model) => {
    const m = /(\d+)(?!.*\d)/.exec(model);
    if (!m) throw new UsageError(`--models: cannot tell the step of '${model}' (no number in its name); give a --models-file mapping step → model`);
    return { step: Number(m[1]), model };
  });
  return checkSeries(models, '--models');
}

/**
 * `--models-file FILE`: JSON ({"100": "name", …} or [{"step": 100, "model": "name"}, …]) or text, one `STEP MODEL` per
 * line (whitespace, tab or comma between; blank lines and # comments skipped).
 */
export function readModelsFile(file: string): SeriesModel[] {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`--models-file ${path}: no such file`);
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const models: SeriesModel[] = [];
  if (/^\s*[[{]/.test(text)) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new DataError(`${path}: not valid JSON (${(e as Error).message})`);
    }
    const entries: [unknown, unknown][] = Array.isArray(v)
      ? v.map((x: unknown) => [(x as { step?: unknown })?.step, (x as { model?: unknown })?.model])
      : Object.entries(v as Record<string, unknown>);
    for (const [i, [step, model]] of entries.entries()) {
      const n = typeof step === 'number' ? step : typeof step === 'string' && /^\d+$/.test(step) ? Number(step) : NaN;
      if (!Number.isSafeInteger(n) || typeof model !== 'string' || model === '') throw new DataError(`${path}: entry ${i + 1} must map a whole step number to a model name (got ${JSON.stringify([step, model])})`);
      models.push({ step: n, model });
    }
  } else {
    for (const [i, line] of text.split('\n').entries()) {
      const t = line.replace(/#.*$/, '').trim();
      if (!t) continue;
      const m = /^(\d+)[\s,]+(\S.*)$/.exec(t);
      if (!m) throw new DataError(`${path} line ${i + 1}: expected 'STEP MODEL' (got '${t.slice(0, 60)}')`);
      models.push({ step: Number(m[1]), model: m[2]!.trim() });
    }
  }
  return checkSeries(models, `--models-file ${path}`);
}

export interface SeriesConfig {
  /** The evaluation of every step (its endpoint's model and its out are set per step). */
  eval: EvalConfig;
  models: SeriesModel[];
  /** The row of the report (run.json config.method). */
  label: string;
  /** The report's folder: the run folder is <root>/<label>/seed-<seed>. */
  root: string;
}

export interface SeriesStep {
  step: number;
  model: string;
  out: string;
  results: BenchmarkResult[];
  accuracy: HeldOutAccuracy;
}

/** The run folder of a series. */
export function seriesRunDir(cfg: Pick<SeriesConfig, 'root' | 'label' | 'eval'>): string {
  return join(cfg.root, cfg.label, `seed-${cfg.eval.seed}`);
}

function readSamples(file: string): ItemRecord[] {
  return existsSync(file) ? readJsonl(file, { tornLastLine: true }).map((l) => l.value as ItemRecord) : [];
}

/** Train's in-run figures for one step folder: greedy (sample 0) verdicts, MMMU's random credit counted wrong. */
export function stepAccuracy(out: string, benchmarks: readonly string[]): HeldOutAccuracy {
  const verdicts: ItemVerdict[] = [];
  for (const b of benchmarks)
    for (const r of readSamples(join(out, b, 'samples.jsonl')))
      if ((r.sample ?? 0) === 0 && !isErrorRecord(r)) verdicts.push({ uid: r.id, benchmark: b, correct: r.correct === true && r.extractor !== 'random_fallback' ? 1 : 0 });
  return heldOutAccuracy(verdicts);
}

/** Evaluates every model of the series in step order and writes the run folder (see the top of this file). */
export async function evaluateSeries(cfg: SeriesConfig, progress?: EvalProgress, onStep?: (s: SeriesStep) => void): Promise<SeriesStep[]> {
  const endpoint = cfg.eval.endpoint;
  if (!endpoint) throw new UsageError('a checkpoint series needs --endpoint');
  const runDir = seriesRunDir(cfg);
  const last = cfg.models.at(-1)!.step;
  // run.json first: until the last step's line is in metrics.jsonl the report shows the row as running.
  writeJsonAtomic(join(runDir, 'run.json'), {
    format: SERIES_FORMAT,
    config: {
      method: cfg.label,
      seed: cfg.eval.seed,
      steps: last,
      // Real data without --split: each benchmark's own evaluation split (named in each step's results.json).
      evalSplit: cfg.eval.split ?? (cfg.eval.data === MINI_DATA ? 'test' : 'default'),
      endpoint: endpoint.url,
      models: cfg.models,
      benchmarks: cfg.eval.benchmarks,
      data: cfg.eval.data,
      ...(cfg.eval.judge ? { judge: { url: cfg.eval.judge.url, model: cfg.eval.judge.model } } : {}),
    },
  });
  const steps: SeriesStep[] = [];
  const lines: Record<string, number>[] = [];
  for (const { step, model } of cfg.models) {
    const out = join(runDir, 'eval', stepDirName(step));
    const results = await evaluate({ ...cfg.eval, endpoint: { ...endpoint, model }, out }, progress);
    const accuracy = stepAccuracy(out, cfg.eval.benchmarks);
    writeItemVerdicts(runDir, step, accuracy);
    const errors = results.reduce((a, r) => a + r.errors, 0);
    lines.push({ step, ...valMetrics(accuracy), 'val-aux/errors': errors });
    writeFileAtomic(join(runDir, 'metrics.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const s = { step, model, out, results, accuracy };
    steps.push(s);
    onStep?.(s);
  }
  return steps;
}
