// `npm run demo`: the main job on the embedded default. Post-trains the committed base with GRPO and RLSD
// on the mini suite (same data, same seed) and prints held-out greedy accuracy per evaluated step.
// Usage: npm run demo [-- --steps 60 --eval-every 20 --methods grpo,rlsd --backend auto]
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { initBackend, parseBackendName } from '../src/backend.ts';
import { DEFAULT_TRAIN, train } from '../src/train.ts';
import { getMethod } from '../methods/index.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const steps = Number(arg('steps', '60'));
const evalEvery = Number(arg('eval-every', '20'));
const methods = arg('methods', 'grpo,rlsd').split(',');
methods.forEach((m) => getMethod(m));
const info = await initBackend(parseBackendName(arg('backend', 'auto')));
process.stdout.write(`rlsd-bench demo: backend ${info.name}; ${methods.join(', ')} × ${steps} steps from results/reference/base\n`);

const curves: Record<string, Map<number, number>> = {};
for (const method of methods) {
  const out = resolve(`results/runs/demo-${method}`);
  // The demo always starts afresh: resuming an earlier demo would replay its numbers, even after an upgrade.
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  const res = await train(
    { ...DEFAULT_TRAIN, method, base: resolve('results/reference/base'), out, steps, evalEvery, checkpointEvery: evalEvery, quiet: true },
    {
      start: () => {},
      update: (step, m) => {
        if (m['eval/accuracy'] !== undefined) process.stdout.write(`  ${method} step ${step}: reward ${m['reward/mean']!.toFixed(3)}, held-out accuracy ${m['eval/accuracy'].toFixed(3)}\n`);
      },
      stop: () => {},
    },
  );
  curves[method] = new Map(res.evals.map((e) => [e['step']!, e['eval/accuracy']!]));
  process.stdout.write(`  ${method}: ${res.finalStep} steps in ${((performance.now() - t0) / 1000).toFixed(0)} s → ${out}\n`);
}

const stepsSeen = [...new Set(Object.values(curves).flatMap((c) => [...c.keys()]))].sort((a, b) => a - b);
process.stdout.write(`\nheld-out greedy accuracy on the mini suite (step 0 = base)\n${'step'.padStart(6)}${methods.map((m) => m.padStart(8)).join('')}\n`);
for (const s of stepsSeen) process.stdout.write(`${String(s).padStart(6)}${methods.map((m) => (curves[m]!.has(s) ? curves[m]!.get(s)!.toFixed(3) : '—').padStart(8)).join('')}\n`);
