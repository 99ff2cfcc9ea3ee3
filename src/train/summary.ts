// A run's evaluations in one small file: summary.json in the run folder, rebuilt from metrics.jsonl (never from
// memory) and written atomically at every evaluation, so that a run killed at any point leaves one that matches its
// records. For the pooled accuracy, the benchmark mean and each benchmark: the first, the last and the peak
// evaluation (a dense schedule shows a method that peaks early and falls back; the last step alone hides it).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TrainingError } from '../util/errors.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { readJsonl } from '../util/jsonl.ts';
import { currentNames } from './metrics.ts';
import { FULL_PREFIX } from './evaluate.ts';

export const POOLED = 'val-core/all/acc/mean@1';
export const BENCHMARK_MEAN = 'val-core/avg/acc/mean@1';

export interface Point {
  step: number;
  value: number;
}

export interface Trace {
  first: Point;
  last: Point;
  /** The highest value; on a tie, the earliest step that reached it (step 0 counts: a run that never gains peaks there). */
  peak: Point;
}

export interface RunSummary {
  /** The mini split evaluated (test: the set tables report; validation: for tuning). */
  split: string;
  /** The evaluation schedule of the run's latest invocation in its written form (dense: 5@50,25; a resume may change it). */
  evalSchedule: string;
  evaluations: number;
  /** Per val-core metric (pooled `all`, benchmark mean `avg`, one per benchmark): first, last and peak. */
  metrics: Record<string, Trace>;
}

/** The evaluation lines of metrics.jsonl under today's names, by step (old runs' `eval/*` included). */
export function evaluationLines(file: string): Record<string, number>[] {
  return readJsonl(file, { error: (m) => new TrainingError(m) })
    .map(({ value }) => currentNames(value as Record<string, number>))
    .filter((l) => l[POOLED] !== undefined);
}

/** First, last and peak of every val-core metric (and val-full, the final evaluation's larger set) over evaluation lines (in step order). */
export function traces(lines: readonly Record<string, number>[]): Record<string, Trace> {
  const out: Record<string, Trace> = {};
  for (const l of lines)
    for (const [k, value] of Object.entries(l)) {
      if (!(k.startsWith('val-core/') || k.startsWith(`${FULL_PREFIX}/`)) || !Number.isFinite(value)) continue;
      const p = { step: l['step']!, value };
      const t = out[k];
      if (!t) out[k] = { first: p, last: p, peak: p };
      else {
        t.last = p;
        if (value > t.peak.value) t.peak = p;
      }
    }
  return out;
}

/**
 * Rebuilds `<out>/summary.json` from `<out>/metrics.jsonl` and returns it; with no evaluation on record (yet, or
 * after a resume cut the records back) there is none, and a stale one is removed.
 */
export function writeSummary(out: string, info: { split: string; evalSchedule: string }): RunSummary | null {
  const file = join(out, 'metrics.jsonl');
  const lines = existsSync(file) ? evaluationLines(file) : [];
  if (lines.length === 0) {
    rmSync(join(out, 'summary.json'), { force: true });
    return null;
  }
  const summary: RunSummary = { split: info.split, evalSchedule: info.evalSchedule, evaluations: lines.length, metrics: traces(lines) };
  writeJsonAtomic(join(out, 'summary.json'), summary);
  return summary;
}
