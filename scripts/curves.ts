// Prints the held-out accuracy curves of training runs side by side, rebuilt from their metrics.jsonl:
// item-pooled accuracy, the unweighted mean over benchmarks (the paper's "Avg"), per-run statistics, and
// the gain over step 0 at the last evaluated step, averaged over the seeds of each configuration (runs
// whose directory names differ only in a trailing -s<seed>).
// Usage: npx tsx scripts/curves.ts results/runs/grpo-s1 results/runs/rlsd-s1 …
import { basename, join } from 'node:path';
import { parseOrExit, reportError, scriptCli } from '../src/script-cli.ts';
import { UsageError } from '../src/util/errors.ts';
import { readJsonl } from '../src/util/jsonl.ts';

const dirs = parseOrExit(
  scriptCli(
    'npx tsx scripts/curves.ts RUN_DIR [RUN_DIR …]',
    "Prints the held-out accuracy curves of training runs side by side (from their metrics.jsonl), per-run statistics and the gain over step 0 per configuration (mean ± sd over seeds). Writes nothing.",
    { positionals: true },
  ),
  (argv) => {
    if (argv._.length === 0) throw new UsageError('give at least one RUN_DIR (see --help)');
    return argv._.map(String);
  },
);
type Line = Record<string, number>;

/** Unweighted mean over the per-benchmark accuracies of an evaluation line (recomputed for runs that predate the metric). */
function benchmarkMean(l: Line): number | undefined {
  if (l['eval/benchmark_mean'] !== undefined) return l['eval/benchmark_mean'];
  const per = Object.entries(l).filter(([k]) => k.startsWith('eval/') && !['eval/accuracy', 'eval/n'].includes(k) && !k.startsWith('eval/accuracy_'));
  return per.length ? per.reduce((a, [, v]) => a + v, 0) / per.length : undefined;
}

const runs = dirs.map((dir) => {
  const file = join(dir, 'metrics.jsonl');
  let lines: Line[];
  try {
    lines = readJsonl(file).map((l) => l.value as Line);
  } catch (e) {
    process.exit(reportError(e));
  }
  const evals = new Map(lines.filter((l) => l['eval/accuracy'] !== undefined).map((l) => [l['step']!, l]));
  const steps = lines.filter((l) => l['reward/mean'] !== undefined);
  const mean = (k: string): number => steps.reduce((a, l) => a + (l[k] ?? 0), 0) / Math.max(1, steps.length);
  // Teacher statistics over the steps that had a teacher pass (RLSD stops scoring once λ reaches 0).
  const taught = steps.filter((l) => (l['teacher/pass_fraction'] ?? 1) > 0);
  const teacherMean = (k: string): number => taught.reduce((a, l) => a + (l[k] ?? 0), 0) / Math.max(1, taught.length);
  const stepTime = mean('timing/rollout_s') + mean('timing/teacher_s') + mean('timing/update_s');
  const evalSteps = [...evals.keys()].sort((a, b) => a - b);
  const first = evals.get(evalSteps[0]!)!;
  const last = evals.get(evalSteps[evalSteps.length - 1]!)!;
  const gain = { pooled: last['eval/accuracy']! - first['eval/accuracy']!, avg: (benchmarkMean(last) ?? NaN) - (benchmarkMean(first) ?? NaN) };
  return { name: basename(dir), evals, steps, mean, teacherMean, stepTime, gain };
});
const allSteps = [...new Set(runs.flatMap((r) => [...r.evals.keys()]))].sort((a, b) => a - b);
const w = Math.max(13, ...runs.map((r) => r.name.length + 1)); // 13: room for "0.431→0.440"
const header = `${'step'.padStart(6)}${runs.map((r) => r.name.padStart(w)).join('')}\n`;
const table = (title: string, value: (l: Line) => number | undefined): void => {
  process.stdout.write(`${title}\n${header}`);
  for (const s of allSteps) {
    const cells = runs.map((r) => {
      const l = r.evals.get(s);
      const v = l ? value(l) : undefined;
      return (v === undefined ? '—' : v.toFixed(3)).padStart(w);
    });
    process.stdout.write(`${String(s).padStart(6)}${cells.join('')}\n`);
  }
  process.stdout.write('\n');
};
table('held-out greedy accuracy (pooled over items)', (l) => l['eval/accuracy']);
table('held-out greedy accuracy (mean over benchmarks, the paper\'s Avg)', benchmarkMean);

const row = (label: string, f: (r: (typeof runs)[number]) => string): void => void process.stdout.write(`${label.padEnd(22)}${runs.map((r) => f(r).padStart(w)).join('')}\n`);
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
row('eval items', (r) => String([...r.evals.values()][0]?.['eval/n'] ?? '—'));
row('gain, pooled', (r) => signed(r.gain.pooled));
row('gain, benchmark mean', (r) => signed(r.gain.avg));
row('mean reward', (r) => r.mean('reward/mean').toFixed(3));
row('mean entropy', (r) => r.mean('actor/entropy').toFixed(3));
row('mean leakage', (r) => r.mean('leakage/rate').toFixed(3));
row('mean |Δ| (rlsd)', (r) => (r.steps[0]?.['rlsd/delta_abs_mean'] !== undefined ? r.teacherMean('rlsd/delta_abs_mean').toFixed(3) : '—'));
row('weight clipfrac (rlsd)', (r) => (r.steps[0]?.['rlsd/weight_clipfrac'] !== undefined ? r.teacherMean('rlsd/weight_clipfrac').toFixed(3) : '—'));
// Train reward at the start and end of a run (means over the first and last 25 steps), overall and per benchmark.
const window = (r: (typeof runs)[number], k: string, from: 'first' | 'last'): number | undefined => {
  const xs = r.steps.filter((l) => l[k] !== undefined);
  const part = from === 'first' ? xs.slice(0, 25) : xs.slice(-25);
  return part.length ? part.reduce((a, l) => a + l[k]!, 0) / part.length : undefined;
};
const firstLast = (r: (typeof runs)[number], k: string, digits = 3): string => {
  const a = window(r, k, 'first');
  const b = window(r, k, 'last');
  return a === undefined || b === undefined ? '—' : `${a.toFixed(digits)}→${b.toFixed(digits)}`;
};
row('train reward 25→25', (r) => firstLast(r, 'reward/mean'));
const rewardKeys = [...new Set(runs.flatMap((r) => r.steps.flatMap((l) => Object.keys(l))))].filter((k) => k.startsWith('reward/') && !['reward/mean', 'reward/std', 'reward/frac_zero_std_groups', 'reward/shuffled_mean'].includes(k)).sort();
for (const k of rewardKeys) row(`  ${k.slice('reward/'.length)}`, (r) => firstLast(r, k));
if (runs.some((r) => r.steps.some((l) => l['perf/rss_mib'] !== undefined))) {
  row('tensors 25→25', (r) => firstLast(r, 'perf/num_tensors', 0));
  row('RSS MiB 25→25', (r) => firstLast(r, 'perf/rss_mib', 0));
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
  return `${signed(m)}${Number.isNaN(sd) ? '' : ` ± ${sd.toFixed(3)}`}`;
};
process.stdout.write(`\ngain over step 0 at the last evaluated step, per configuration (mean ± sd over seeds)\n`);
const kw = Math.max(14, ...[...groups.keys()].map((k) => k.length + 1));
process.stdout.write(`${'configuration'.padEnd(kw)}${'seeds'.padStart(6)}${'pooled'.padStart(18)}${'benchmark mean'.padStart(18)}\n`);
for (const [key, rs] of groups)
  process.stdout.write(`${key.padEnd(kw)}${String(rs.length).padStart(6)}${meanSd(rs.map((r) => r.gain.pooled)).padStart(18)}${meanSd(rs.map((r) => r.gain.avg)).padStart(18)}\n`);
