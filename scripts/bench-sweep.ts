// `npm run bench:sweep`: the speed figures of sweeps and reports on this machine.
//   1. `rlsd-bench report` over a 6 × 3 grid of 600-step runs (synthetic records in the real layout: evaluations
//      every 25 steps, 60 items per benchmark, a training line every step), charts and HTML included, as a
//      fresh process (start-up included) and in process
//   2. a grid of --cells GRPO cells (no self-teacher, so one core each) through the local executor with one worker
//      and with two: the wall-time ratio (the target is ≤ 0.6 on 2 cores)
// Usage: npm run bench:sweep [-- --cells 4 --steps 30 --skip-workers]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { num } from '../src/cli/util.ts';
import { writeReport } from '../src/report/write.ts';
import { HTML_FILE } from '../src/report/html.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { parseOrExit, runScript, scriptCli } from '../src/cli/script.ts';
import { writeSyntheticSweep } from '../src/report/synthetic.ts';

const flags = parseOrExit(
  scriptCli('npm run bench:sweep -- [options]', 'Prints the speed of `report` over a 6 × 3 grid of 600-step runs and of a GRPO grid through the local executor with one and two workers. Writes only temporary folders; the last line is the figures as JSON.')
    .option('cells', { type: 'number', default: 4, describe: 'GRPO cells in the worker comparison (seeds 1..N)' })
    .option('steps', { type: 'number', default: 30, describe: 'training steps per cell in the worker comparison (short cells measure start-up more than training)' })
    .option('skip-workers', { type: 'boolean', default: false, describe: 'skip the one-against-two-workers comparison' }),
  (argv) => ({ cells: num('cells', argv.cells, { integer: true, min: 2, max: 32 }), steps: num('steps', argv.steps, { integer: true, min: 1, max: 1000 }), skipWorkers: Boolean(argv['skip-workers']) }),
);

const BIN = join(PACKAGE_ROOT, 'bin', 'rlsd-bench.mjs');
await runScript(async () => {
  const root = mkdtempSync(join(tmpdir(), 'rlsd-bench-sweep-'));
  const figures: Record<string, number> = {};
  try {
    process.stdout.write('report over a 6 × 3 grid of 600-step runs (synthetic records: an evaluation every 25 steps × 300 items, a training line every step)\n');
    const sweep = writeSyntheticSweep(join(root, 'grid'), { seeds: [1, 2, 3], steps: 600, evalEvery: 25, items: 60 });
    let t0 = performance.now();
    const cli = spawnSync(process.execPath, [BIN, '--quiet', 'report', sweep.dir, '--out', join(root, 'cli')], { encoding: 'utf8' });
    if (cli.status !== 0) throw new Error(`report failed: ${cli.stderr}`);
    figures['report_cli_s'] = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const res = await writeReport(sweep.dir, { out: join(root, 'in-process') });
    figures['report_in_process_s'] = (performance.now() - t0) / 1000;
    figures['report_html_kib'] = statSync(join(res.out, HTML_FILE)).size / 1024;
    process.stdout.write(`  rlsd-bench report (fresh process): ${figures['report_cli_s']!.toFixed(2)} s; in process: ${figures['report_in_process_s']!.toFixed(2)} s; report.html ${figures['report_html_kib']!.toFixed(0)} KiB (target ≤ 10 s)\n`);

    if (!flags.skipWorkers) {
      const seeds = Array.from({ length: flags.cells }, (_, i) => i + 1);
      const config = join(root, 'workers.yaml');
      writeFileSync(config, `name: workers\nmethods: [grpo]\nseeds: [${seeds.join(', ')}]\ntrain: { steps: ${flags.steps}, eval-schedule: 'every:1000', eval-items: 10, checkpoint-every: 0 }\n`);
      process.stdout.write(`local executor: ${flags.cells} GRPO cells × ${flags.steps} steps with one worker, then two\n`);
      for (const workers of [1, 2]) {
        t0 = performance.now();
        const r = spawnSync(process.execPath, [BIN, '--quiet', 'sweep', config, '--out', join(root, `w${workers}`), '--workers', String(workers), '--backend', 'wasm', '--no-report'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`sweep with ${workers} worker(s) failed: ${r.stderr}`);
        figures[`sweep_${workers}_worker_s`] = (performance.now() - t0) / 1000;
        process.stdout.write(`  ${workers} worker${workers > 1 ? 's' : ''}: ${figures[`sweep_${workers}_worker_s`]!.toFixed(1)} s\n`);
      }
      figures['sweep_two_over_one'] = figures['sweep_2_worker_s']! / figures['sweep_1_worker_s']!;
      process.stdout.write(`  two workers / one: ${figures['sweep_two_over_one']!.toFixed(2)}× (target ≤ 0.6)\n`);
      // The same cells either way: the numbers do not depend on the worker count.
      const evals = (w: number): string => readFileSync(join(root, `w${w}`, 'grpo', 'seed-1', 'summary.json'), 'utf8');
      if (evals(1) !== evals(2)) throw new Error('the two sweeps gave different numbers');
    }
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
