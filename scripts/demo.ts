// `npm run demo`: the main job on the embedded default. Post-trains the committed base with GRPO and RLSD
// on the mini suite (same data, same seed) and prints held-out greedy accuracy (the Avg, as the report) per evaluated step.
// Usage: npm run demo [-- --steps 60 --eval-every 20 --methods grpo,rlsd --backend auto --runs-dir results/runs]
// Flags are validated before anything is deleted: the demo replaces its own earlier runs (<runs-dir>/demo-<method>)
// only once they are all valid. Each method's config is resolved by the library as `train` resolves it (its
// recommended lr, the base suite's response length), so a demo run is the run `train --method M` would make.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BENCHMARK_MEAN, resolveTrainConfig, train } from '../src/train/index.ts';
import { getMethod } from '../methods/index.ts';
import { num, setupBackend, tensorOptions } from '../src/cli/util.ts';
import { defaultBase, userPath } from '../src/paths.ts';
import { runScript, scriptCli } from '../src/cli/script.ts';
import { pct, startProgress, type ProgressTask } from '../src/progress.ts';
import { UsageError } from '../src/util/errors.ts';

await runScript(async () => {
  const argv = tensorOptions(
    scriptCli(
      'npm run demo -- [options]',
      'Post-trains the default base (results/reference/base, or $RLSD_BENCH_BASE) with each method on the mini suite and prints held-out greedy accuracy per evaluated step. Each run starts afresh: <runs-dir>/demo-<method> is replaced.',
    ),
  )
    .option('steps', { type: 'number', default: 60, describe: 'training steps per method' })
    .option('eval-every', { type: 'number', default: 20, describe: 'held-out evaluation (and checkpoint) every N steps, and at step 0' })
    .option('methods', { type: 'string', default: 'grpo,rlsd', describe: 'comma-separated methods (see rlsd-bench methods)' })
    .option('runs-dir', { type: 'string', default: 'results/runs', describe: 'where the demo-<method> run folders go (relative to the working directory)' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar or lines (the table still prints)' })
    .parseSync();
  const steps = num('steps', argv.steps, { integer: true, min: 1, max: 100_000 });
  const evalEvery = num('eval-every', argv['eval-every'], { integer: true, min: 1 });
  const methods = String(argv.methods).split(',').map((m) => m.trim()).filter(Boolean);
  if (methods.length === 0) throw new UsageError('--methods is empty');
  methods.forEach((m) => getMethod(m));
  const runsDir = userPath(String(argv['runs-dir']));
  const runs = methods.map((method) => {
    const out = join(runsDir, `demo-${method}`);
    const { config, notice } = resolveTrainConfig({ method, base: defaultBase(), out, settings: { steps, evalSchedule: `every:${evalEvery}`, checkpointEvery: evalEvery }, quiet: true });
    if (notice) process.stderr.write(`rlsd-bench: note: ${notice}\n`);
    return { method, out, config };
  });
  const backend = await setupBackend({ ...argv, quiet: true });
  process.stdout.write(`rlsd-bench demo: backend ${backend}; ${methods.join(', ')} × ${steps} steps from ${defaultBase()}\n`);

  const curves: Record<string, Map<number, number>> = {};
  for (const { method, out, config } of runs) {
    // The demo always starts afresh: resuming an earlier demo would replay its numbers, even after an upgrade.
    rmSync(out, { recursive: true, force: true });
    const t0 = performance.now();
    let task: ProgressTask | null = null;
    const res = await train(config, {
      start: (total, done) => {
        task = startProgress({ label: `  ${method}`, total, done, unit: 'steps', quiet: Boolean(argv.quiet) });
      },
      update: (step, m) => {
        if (m[BENCHMARK_MEAN] !== undefined) task?.log(`  ${method} step ${step}: reward ${pct(m['critic/score/mean'])} %, held-out Avg ${pct(m[BENCHMARK_MEAN])} %`);
        task?.update(step);
      },
      stop: () => task?.stop(),
    });
    curves[method] = new Map(res.evals.map((e) => [e['step']!, e[BENCHMARK_MEAN]!]));
    process.stdout.write(`  ${method} (lr ${config.lr.toExponential()}): ${res.finalStep} steps in ${((performance.now() - t0) / 1000).toFixed(0)} s → ${out}\n`);
  }

  const stepsSeen = [...new Set(Object.values(curves).flatMap((c) => [...c.keys()]))].sort((a, b) => a - b);
  process.stdout.write(`\nheld-out greedy accuracy on the mini test split, Avg over the benchmarks (as the report), % (step 0 = base)\n${'step'.padStart(6)}${methods.map((m) => m.padStart(8)).join('')}\n`);
  for (const s of stepsSeen) process.stdout.write(`${String(s).padStart(6)}${methods.map((m) => (curves[m]!.has(s) ? pct(curves[m]!.get(s)!) : '—').padStart(8)).join('')}\n`);
});
