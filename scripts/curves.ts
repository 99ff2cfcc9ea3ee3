// Prints the held-out accuracy curves of training runs side by side, rebuilt from their metrics.jsonl (runs
// written before the veRL names read through src/train/metrics.ts's table of old names): item-pooled accuracy,
// the unweighted mean over benchmarks (the paper's "Avg"), per-run statistics with the peak and the last
// evaluation, and the gain over step 0 at the last evaluated step, averaged over the seeds of each configuration
// (runs whose directory names differ only in a trailing -s<seed>). Percents with two decimals, gains in points.
// Usage: npx tsx scripts/curves.ts results/runs/grpo-s1 results/runs/rlsd-s1 …
import { basename, join } from 'node:path';
import { pct } from '../src/progress.ts';
import { parseOrExit, reportError, scriptCli } from '../src/cli/script.ts';
import { BENCHMARK_MEAN, currentNames, POOLED, traces, type Trace } from '../src/train/index.ts';
import { UsageError } from '../src/util/errors.ts';
import { readJsonl } from '../src/util/jsonl.ts';

const dirs = parseOrExit(
  scriptCli(
    'npx tsx scripts/curves.ts RUN_DIR [RUN_DIR …]',
    'Prints the held-out accuracy curves of training runs side by side (from their metrics.jsonl), per-run statistics with the peak and the last evaluation, and the gain over step 0 per configuration (mean ± sd over seeds). Percents; writes nothing.',
    { positionals: true },
  ),
  (argv) => {
    if (argv._.length === 0) throw new UsageError('give at least one RUN_DIR (see --help)');
    return argv._.map(String);
  },
);
type Line = Record<string, number>;

/** The benchmark mean of an evaluation line (recomputed from the per-benchmark accuracies for runs that predate it). */
function benchmarkMean(l: Line): number | undefined {
  if (l[BENCHMARK_MEAN] !== undefined) return l[BENCHMARK_MEAN];
  const per = Object.entries(l).filter(([k]) => /^val-core\/[^/]+\/acc\/mean@1$/.test(k) && k !== POOLED);
  return per.length ? per.reduce((a, [, v]) => a + v, 0) / per.length : undefined;
}

const runs = dirs.map((dir) => {
  const file = join(dir, 'metrics.jsonl');
  let lines: Line[];
  try {
    lines = readJsonl(file).map((l) => currentNames(l.value as Line));
  } catch (e) {
    process.exit(reportError(e));
  }
  const evalLines = lines.filter((l) => l[POOLED] !== undefined).map((l): Line => ({ ...l, [BENCHMARK_MEAN]: benchmarkMean(l) ?? NaN }));
  const evals = new Map(evalLines.map((l) => [l['step']!, l]));
  const trace = traces(evalLines);
  const steps = lines.filter((l) => l['critic/score/mean'] !== undefined);
  const mean = (k: string): number => steps.reduce((a, l) => a + (l[k] ?? 0), 0) / Math.max(1, steps.length);
  // Teacher statistics over the steps that had a teacher pass (RLSD stops scoring once λ reaches 0).
  const taught = steps.filter((l) => (l['teacher/pass_fraction'] ?? 1) > 0);
  const teacherMean = (k: string): number => taught.reduce((a, l) => a + (l[k] ?? 0), 0) / Math.max(1, taught.length);
  const stepTime = mean('timing_s/gen') + mean('timing_s/teacher') + mean('timing_s/update_actor');
  const gainOf = (t: Trace | undefined): number => (t ? t.last.value - t.first.value : NaN);
  const gain = { pooled: gainOf(trace[POOLED]), avg: gainOf(trace[BENCHMARK_MEAN]) };
  return { name: basename(dir), evals, trace, steps, mean, teacherMean, stepTime, gain };
});
const allSteps = [...new Set(runs.flatMap((r) => [...r.evals.keys()]))].sort((a, b) => a - b);
const w = Math.max(15, ...runs.map((r) => r.name.length + 1)); // 15: room for "63.14 @ step 25" and "61.24→64.01"
const header = `${'step'.padStart(6)}${runs.map((r) => r.name.padStart(w)).join('')}\n`;
const table = (title: string, key: string): void => {
  process.stdout.write(`${title}\n${header}`);
  for (const s of allSteps) process.stdout.write(`${String(s).padStart(6)}${runs.map((r) => pct(r.evals.get(s)?.[key]).padStart(w)).join('')}\n`);
  process.stdout.write('\n');
};
table('held-out greedy accuracy, % (pooled over items)', POOLED);
table("held-out greedy accuracy, % (mean over benchmarks, the paper's Avg)", BENCHMARK_MEAN);

const row = (label: string, f: (r: (typeof runs)[number]) => string): void => void process.stdout.write(`${label.padEnd(24)}${runs.map((r) => f(r).padStart(w)).join('')}\n`);
/** A difference of two fractions in percentage points. */
const points = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}` : '—');
const at = (r: (typeof runs)[number], key: string, which: 'peak' | 'last'): string => {
  const p = r.trace[key]?.[which];
  return p ? `${pct(p.value)} @ ${p.step}` : '—';
};
row('eval items', (r) => String([...r.evals.values()][0]?.['val-aux/n'] ?? '—'));
row('peak, pooled % @ step', (r) => at(r, POOLED, 'peak'));
row('last, pooled % @ step', (r) => at(r, POOLED, 'last'));
row('peak, bench. mean', (r) => at(r, BENCHMARK_MEAN, 'peak'));
row('last, bench. mean', (r) => at(r, BENCHMARK_MEAN, 'last'));
row('gain at last, pooled pp', (r) => points(r.gain.pooled));
row('gain, bench. mean pp', (r) => points(r.gain.avg));
row('mean reward %', (r) => pct(r.mean('critic/score/mean')));
row('mean entropy (nats)', (r) => r.mean('actor/entropy').toFixed(3));
row('mean leakage %', (r) => pct(r.mean('leakage/rate')));
row('mean |Δ| (rlsd)', (r) => (r.steps[0]?.['rlsd/delta_abs_mean'] !== undefined ? r.teacherMean('rlsd/delta_abs_mean').toFixed(3) : '—'));
row('weight clipfrac % (rlsd)', (r) => (r.steps[0]?.['rlsd/weight_clipfrac'] !== undefined ? pct(r.teacherMean('rlsd/weight_clipfrac')) : '—'));
// Train reward at the start and end of a run (means over the first and last 25 steps), overall and per benchmark.
const window = (r: (typeof runs)[number], k: string, from: 'first' | 'last'): number | undefined => {
  const xs = r.steps.filter((l) => l[k] !== undefined);
  const part = from === 'first' ? xs.slice(0, 25) : xs.slice(-25);
  return part.length ? part.reduce((a, l) => a + l[k]!, 0) / part.length : undefined;
};
const firstLast = (r: (typeof runs)[number], k: string, show: (x: number) => string): string => {
  const a = window(r, k, 'first');
  const b = window(r, k, 'last');
  return a === undefined || b === undefined ? '—' : `${show(a)}→${show(b)}`;
};
row('train reward % 25→25', (r) => firstLast(r, 'critic/score/mean', pct));
const rewardKeys = [...new Set(runs.flatMap((r) => r.steps.flatMap((l) => Object.keys(l))))].filter((k) => k.startsWith('reward/') && !['reward/std', 'reward/frac_zero_std_groups', 'reward/shuffled_mean'].includes(k)).sort();
for (const k of rewardKeys) row(`  ${k.slice('reward/'.length)}`, (r) => firstLast(r, k, pct));
if (runs.some((r) => r.steps.some((l) => l['perf/rss_mib'] !== undefined))) {
  row('tensors 25→25', (r) => firstLast(r, 'perf/num_tensors', (x) => x.toFixed(0)));
  row('RSS MiB 25→25', (r) => firstLast(r, 'perf/rss_mib', (x) => x.toFixed(0)));
}
row('mean step s', (r) => r.stepTime.toFixed(2));
row('steps', (r) => String(r.steps.length));

// Seeds of one configuration: mean ± sample standard deviation of the last-step gain.
const groups = new Map<string, (typeof runs)[number][]>();
for (const r of runs) {
  const key = r.name.replace(/-s\d+$/, '');
  groups.set(key, [...(groups.get(key) ?? []), r]);
}
const meanSd = (xs: number[]): string => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : NaN;
  return `${points(m)}${Number.isNaN(sd) ? '' : ` ± ${(100 * sd).toFixed(2)}`}`;
};
process.stdout.write(`\ngain over step 0 at the last evaluated step, percentage points, per configuration (mean ± sd over seeds)\n`);
const kw = Math.max(14, ...[...groups.keys()].map((k) => k.length + 1));
process.stdout.write(`${'configuration'.padEnd(kw)}${'seeds'.padStart(6)}${'pooled'.padStart(18)}${'benchmark mean'.padStart(18)}\n`);
for (const [key, rs] of groups)
  process.stdout.write(`${key.padEnd(kw)}${String(rs.length).padStart(6)}${meanSd(rs.map((r) => r.gain.pooled)).padStart(18)}${meanSd(rs.map((r) => r.gain.avg)).padStart(18)}\n`);
