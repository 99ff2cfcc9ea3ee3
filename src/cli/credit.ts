// `rlsd-bench credit RUN_DIR --out DIR`: where each method's credit went, token by token, at a checkpoint of a run on
// the deep world (src/credit/view.ts), written as credit.jsonl, credit.html, credit.png and credit.json
// (src/credit/output.ts).
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { backendInfo } from '../backend.ts';
import { checkCheckpoint } from '../checkpoint.ts';
import { stepDirName } from '../run-dir.ts';
import type { Argv } from 'yargs';
import { UsageError } from '../util/errors.ts';
import { num } from './flags.ts';
import { setupBackend, tensorOptions } from './util.ts';
import { writeCreditFiles } from '../credit/output.ts';
import { assertTextRenders } from '../credit/png.ts';
import { checkCreditRequest, CREDIT_MAX_ITEMS, creditView, openRun, parseSteps, type CheckpointView } from '../credit/view.ts';
import { sideName } from '../credit/html.ts';

export const DEFAULT_CREDIT_ITEMS = 4;

function stepLine(c: CheckpointView): string {
  const responses = c.problems.flatMap((p) => p.responses);
  const pct = (x: number, n: number): string => (n === 0 || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)} %`);
  const sides = c.sides.map((s, k) => `${sideName(s, k)}: first wrong step ${pct(s.summary.firstWrongShare, s.summary.firstWrongN)} of |credit| (chance ${pct(s.summary.firstWrongChance, s.summary.firstWrongN)}, n=${s.summary.firstWrongN}), filler ${pct(s.summary.fillerShare, s.summary.fillerN)} (its tokens ${pct(s.summary.fillerTokenShare, s.summary.fillerN)}, n=${s.summary.fillerN})`);
  return `step ${c.step}: ${responses.length} responses, ${responses.filter((r) => r.verdict >= 1).length} correct; ${sides.join('; ')}`;
}

/**
 * Said when this process computes on other numerics than the run trained with (another backend or kernel rounds
 * otherwise): the credit is then the method's on these weights, not bit for bit what training computed.
 */
function numericsNote(runDir: string, step: number): string | null {
  const info = checkCheckpoint(join(runDir, 'checkpoints', stepDirName(step))).info;
  if (typeof info['backend'] !== 'string') return null;
  const describe = (backend: unknown, kernel: unknown, products: unknown): string =>
    `${String(backend)} with --attention-kernel ${typeof kernel === 'string' ? kernel : 'matmul'}${products === 'blas' ? ' --matmul blas' : ''}`;
  const now = backendInfo();
  const trained = describe(info['backend'], info['attentionKernel'], info['matmulKernel']);
  const here = describe(now.name, now.attentionKernel, now.matmulKernel);
  return trained === here ? null : `the run trained on ${trained}, this runs on ${here}: the credit may differ from training's in float rounding`;
}

export const creditCommand = (cli: Argv): Argv =>
  cli.command(
    'credit <run>',
    "show where each method's credit went, token by token, at a checkpoint of a deep-world (mini-2) run: HTML, PNG and per-token JSONL",
    (y) =>
      tensorOptions(y)
        .positional('run', { type: 'string', describe: 'run folder (what train --out writes) of a run on a mini-2 base' })
        .option('step', { type: 'string', describe: "checkpoint step: N, a list N,M,… (a series: watch the credit over training), or 'all' (default: the latest)" })
        .option('items', { type: 'number', default: DEFAULT_CREDIT_ITEMS, describe: `held-out problems (test split), 1–${CREDIT_MAX_ITEMS}: a seeded choice over the benchmarks in turn` })
        .option('method-b', { type: 'string', describe: "a second run folder: its method's credit of the same responses, side by side (same base, same steps)" })
        .option('seed', { type: 'number', default: 1, describe: 'seed of the problem choice and of the sampling (the same at every step)' })
        .option('out', { type: 'string', demandOption: true, describe: 'folder to write credit.jsonl, credit.html, credit.png and credit.json into' }),
    async (argv) => {
      const run = openRun(String(argv.run));
      const steps = parseSteps(argv.step === undefined ? undefined : String(argv.step), run);
      const items = num('items', argv.items, { integer: true, min: 1, max: CREDIT_MAX_ITEMS });
      const seed = num('seed', argv.seed, { integer: true, min: 0 });
      const runB = argv['method-b'] === undefined ? null : openRun(String(argv['method-b']));
      const out = resolve(String(argv.out));
      if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${String(argv.out)} is a file, not a folder`);
      const cmp = checkCreditRequest({ run, runB, steps, items });
      await assertTextRenders(); // before the work, not after it
      for (const n of cmp?.notes ?? []) process.stderr.write(`rlsd-bench: note: ${n}\n`);
      await setupBackend(argv);
      const numerics = numericsNote(run.dir, steps.at(-1)!);
      if (numerics) process.stderr.write(`rlsd-bench: note: ${numerics}\n`);
      const quiet = Boolean(argv.quiet);
      const view = await creditView({
        run,
        runB,
        steps,
        items,
        seed,
        onStep: (step, i) => {
          if (!quiet) process.stderr.write(`rlsd-bench: credit at step ${step} (${i + 1} of ${steps.length})\n`);
        },
      });
      const files = await writeCreditFiles(view, out);
      process.stdout.write(`${view.checkpoints.map(stepLine).join('\n')}\n${files.map((f) => `→ ${f}`).join('\n')}\n`);
    },
  );
