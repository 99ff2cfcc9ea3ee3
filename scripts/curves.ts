// Prints the held-out accuracy curves of training runs side by side, rebuilt from their metrics.jsonl.
// Usage: npx tsx scripts/curves.ts results/runs/grpo-s1 results/runs/rlsd-s1 …
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  process.stderr.write('usage: npx tsx scripts/curves.ts RUN_DIR [RUN_DIR …]\n');
  process.exit(2);
}
const runs = dirs.map((dir) => {
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) {
    process.stderr.write(`curves: ${file}: no such file\n`);
    process.exit(1);
  }
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  const evals = new Map(lines.filter((l) => l['eval/accuracy'] !== undefined).map((l) => [l['step']!, l]));
  const steps = lines.filter((l) => l['reward/mean'] !== undefined);
  const mean = (k: string): number => steps.reduce((a, l) => a + (l[k] ?? 0), 0) / Math.max(1, steps.length);
  const stepTime = mean('timing/rollout_s') + mean('timing/teacher_s') + mean('timing/update_s');
  return { name: basename(dir), evals, steps, mean, stepTime };
});
const allSteps = [...new Set(runs.flatMap((r) => [...r.evals.keys()]))].sort((a, b) => a - b);
const w = Math.max(10, ...runs.map((r) => r.name.length + 1));
process.stdout.write(`held-out greedy accuracy\n${'step'.padStart(6)}${runs.map((r) => r.name.padStart(w)).join('')}\n`);
for (const s of allSteps) process.stdout.write(`${String(s).padStart(6)}${runs.map((r) => (r.evals.get(s)?.['eval/accuracy']?.toFixed(3) ?? '—').padStart(w)).join('')}\n`);
const row = (label: string, f: (r: (typeof runs)[number]) => string): void => void process.stdout.write(`${label.padEnd(22)}${runs.map((r) => f(r).padStart(w)).join('')}\n`);
process.stdout.write('\n');
row('eval items', (r) => String([...r.evals.values()][0]?.['eval/n'] ?? '—'));
row('mean reward', (r) => r.mean('reward/mean').toFixed(3));
row('mean entropy', (r) => r.mean('actor/entropy').toFixed(3));
row('mean leakage', (r) => r.mean('leakage/rate').toFixed(3));
row('mean |Δ| (rlsd)', (r) => (r.steps[0]?.['rlsd/delta_abs_mean'] !== undefined ? r.mean('rlsd/delta_abs_mean').toFixed(3) : '—'));
row('weight clipfrac (rlsd)', (r) => (r.steps[0]?.['rlsd/weight_clipfrac'] !== undefined ? r.mean('rlsd/weight_clipfrac').toFixed(3) : '—'));
row('mean step s', (r) => r.stepTime.toFixed(2));
row('steps', (r) => String(r.steps.length));
