// Golden trajectories: what a short run of each method logs, step by step, and the hash of its final weights. Any
// change of the numbers — a loss term, an advantage, the sampler, a kernel that rounds otherwise — moves them; a
// change meant to move them is recorded with `regress --update`, which prints what moved.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveCheckpoint } from '../run-dir.ts';
import { readJsonl } from '../util/jsonl.ts';
import { DataError } from '../util/errors.ts';
import { textTableLines } from '../util/text-table.ts';
import type { GoldenBaseline, GoldenCell, MetricLine } from './baseline.ts';

/** Keys that measure the machine, not the method: wall times, memory, tensor bookkeeping. */
export function volatileMetric(key: string): boolean {
  return key.startsWith('timing_s/') || ['perf/throughput', 'perf/rss_mib', 'perf/num_tensors', 'perf/cached_tensors'].includes(key);
}

/** metrics.jsonl of a run folder without its volatile keys, in file order. */
export function goldenMetrics(runDir: string): MetricLine[] {
  const file = join(runDir, 'metrics.jsonl');
  if (!existsSync(file)) throw new DataError(`${file}: no such file (the run did not log a step)`);
  return readJsonl(file).map(({ value }) => {
    const out: MetricLine = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      if (!volatileMetric(k) && (typeof v === 'number' || v === null)) out[k] = v;
    return out;
  });
}

/** sha256 of the weights of a run folder's latest checkpoint. */
export function finalWeightsSha256(runDir: string): string {
  const { checkpoint } = resolveCheckpoint(runDir);
  return createHash('sha256').update(readFileSync(join(checkpoint, 'weights.bin'))).digest('hex');
}

export function goldenCell(runDir: string): GoldenCell {
  return { weightsSha256: finalWeightsSha256(runDir), metrics: goldenMetrics(runDir) };
}

/** One value that moved: the table a failure (or an --update) prints. */
export interface GoldenDiff {
  cell: string;
  step: number | null;
  metric: string;
  expected: number | string | null;
  got: number | string | null;
}

/** Within tolerance: |e − g| ≤ tol · max(1, |e|); NaN/null equals only itself. */
export function sameNumber(expected: number | null, got: number | null, tolerance: number): boolean {
  if (expected === null || got === null) return expected === got;
  if (Number.isNaN(expected) || Number.isNaN(got)) return Number.isNaN(expected) && Number.isNaN(got);
  return Math.abs(expected - got) <= tolerance * Math.max(1, Math.abs(expected));
}

/** Every difference between two cells' records (metric lines matched by position, which is step order). */
export function compareCell(cell: string, expected: GoldenCell, got: GoldenCell, tolerance: number): GoldenDiff[] {
  const diffs: GoldenDiff[] = [];
  const n = Math.max(expected.metrics.length, got.metrics.length);
  for (let i = 0; i < n; i++) {
    const e = expected.metrics[i];
    const g = got.metrics[i];
    const step = (e?.['step'] ?? g?.['step'] ?? null) as number | null;
    if (!e || !g) {
      diffs.push({ cell, step, metric: '(metric line)', expected: e ? `line ${i + 1}` : null, got: g ? `line ${i + 1}` : null });
      continue;
    }
    for (const k of [...new Set([...Object.keys(e), ...Object.keys(g)])].sort()) {
      const ev = k in e ? e[k]! : undefined;
      const gv = k in g ? g[k]! : undefined;
      if (ev === undefined || gv === undefined) diffs.push({ cell, step, metric: k, expected: ev ?? '(absent)', got: gv ?? '(absent)' });
      else if (!sameNumber(ev, gv, tolerance)) diffs.push({ cell, step, metric: k, expected: ev, got: gv });
    }
  }
  if (expected.weightsSha256 !== got.weightsSha256) diffs.push({ cell, step: null, metric: 'final weights sha256', expected: expected.weightsSha256.slice(0, 16), got: got.weightsSha256.slice(0, 16) });
  return diffs;
}

/** All cells: the baseline's against the runs' (a cell on one side only is a difference too). */
export function compareGolden(baseline: GoldenBaseline, got: Record<string, GoldenCell>): GoldenDiff[] {
  const diffs: GoldenDiff[] = [];
  for (const id of [...new Set([...Object.keys(baseline.expected), ...Object.keys(got)])].sort()) {
    const e = baseline.expected[id];
    const g = got[id];
    if (!e || !g) diffs.push({ cell: id, step: null, metric: '(cell)', expected: e ? 'recorded' : '(absent)', got: g ? 'ran' : '(absent)' });
    else diffs.push(...compareCell(id, e, g, baseline.tolerance));
  }
  return diffs;
}

function show(v: number | string | null): string {
  if (v === null) return '—';
  if (typeof v === 'string') return v;
  return Number.isInteger(v) ? String(v) : v.toPrecision(9);
}

/** The table of what moved; at most `limit` rows, then a count of the rest. */
export function goldenDiffTable(diffs: readonly GoldenDiff[], limit = 40): string {
  const rows = diffs.slice(0, limit).map((d) => [d.cell, d.step === null ? '—' : String(d.step), d.metric, show(d.expected), show(d.got)]);
  const more = diffs.length > limit ? `\n… and ${diffs.length - limit} more (${new Set(diffs.map((d) => d.cell)).size} cells)` : '';
  return `${textTableLines(['cell', 'step', 'metric', 'expected', 'got'], rows, ['l', 'r']).join('\n')}${more}\n`;
}
