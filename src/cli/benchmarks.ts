// `rlsd-bench benchmarks [--verbose]`: what the harness knows about each benchmark, as its folder declares it
// (benchmarks/<name>/index.ts) — its splits, its headline and other metrics (benchmarks/<name>/METRICS.md), the file
// layouts its loader reads — where data is looked for ($RLSD_BENCH_DATA) and whether the built-in mini suite has a
// version of it. Writes nothing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchmarkNames, getBenchmark, isBenchmarkName, MINI_BENCHMARKS, miniSpec } from '../../benchmarks/index.ts';
import { MINI_SPLITS, miniTrainDrafts } from '../../benchmarks/mini/build.ts';
import { targetWith } from '../../benchmarks/mini/spec.ts';
import { MINI_SUITES, type MiniSuite } from '../../benchmarks/mini/types.ts';
import { Tokenizer } from '../tokenizer.ts';
import { benchmarkDataRoot, DATA_ENV, defaultBase } from '../paths.ts';
import { baseSuite } from '../train/config.ts';

/** Where real files of a benchmark are looked for: $RLSD_BENCH_DATA/<name> (existing or not), or undefined. */
export function dataLocation(name: string, env: NodeJS.ProcessEnv = process.env): { path: string; exists: boolean } | undefined {
  const root = benchmarkDataRoot(env);
  if (root === undefined) return undefined;
  const path = join(root, name);
  return { path, exists: existsSync(path) };
}

/** The listing `rlsd-bench benchmarks` prints. */
export function listBenchmarks(verbose: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const w = Math.max(...benchmarkNames.map((n) => n.length));
  const lines: string[] = [];
  for (const name of benchmarkNames) {
    const bench = getBenchmark(name);
    const mini = isBenchmarkName(name) && MINI_BENCHMARKS.includes(name);
    const loc = dataLocation(name, env);
    const data = loc ? `${loc.path}${loc.exists ? '' : ' (missing)'}` : 'mini';
    lines.push(`${name.padEnd(w)}  splits ${bench.splits.join(', ')}; headline ${bench.headline.metric}; mini ${mini ? 'yes' : 'no'}; data ${data}`);
    if (!verbose) continue;
    const pad = ' '.repeat(w + 2);
    lines.push(`${pad}${bench.title}`);
    lines.push(
      `${pad}evaluated split: ${bench.evaluatedSplit}${mini ? `; mini: --data mini --split ${MINI_SPLITS.join('|')} (test by default; its test rows are '${miniSpec(name).evalSplit}' files in data mini's output)` : ''}`,
    );
    lines.push(`${pad}metrics: ${bench.headline.metric} (headline), ${bench.otherMetrics.join(', ')} — benchmarks/${name}/METRICS.md`);
    for (const l of bench.layouts) lines.push(`${pad}reads: ${l}`);
    lines.push(
      `${pad}data: ${
        loc
          ? `${loc.path}${loc.exists ? '' : ' (does not exist)'} ($${DATA_ENV}/${name}; eval --data and score --data default to $${DATA_ENV})`
          : `$${DATA_ENV} is unset: eval uses the built-in mini suite; give real files with --data DIR or set $${DATA_ENV}`
      }`,
    );
  }
  if (verbose)
    lines.push(
      '',
      `$${DATA_ENV}: a directory with one folder per benchmark (${benchmarkNames.join(', ')}), each in one of the layouts above;`,
      'eval and score read <dir>/<benchmark> when that folder exists, else <dir> itself as one benchmark\'s files.',
      '',
      ...MINI_SUITES.flatMap((suite) => suiteLines(suite)),
    );
  return lines.join('\n') + '\n';
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Problems per benchmark the suite listing measures (drafts only: no picture is rendered). */
const LISTING_PROBLEMS = 200;

/** The default base's suite, or undefined when that base cannot be read (the listing then names none). */
function defaultSuite(): MiniSuite | undefined {
  try {
    return baseSuite(defaultBase());
  } catch {
    return undefined;
  }
}

/**
 * A mini suite's version in the listing: per benchmark its families and, over the rows of its first
 * LISTING_PROBLEMS training problems, the median number of steps (the deep world's, which records them) and the
 * median length in tokens of the reference solution's response (trace and answer statement).
 */
export function suiteLines(suite: MiniSuite): string[] {
  const tokenizer = Tokenizer.default({ fusedOptionMarkers: true, deep: suite !== 'mini-1' });
  const what = suite === 'mini-1' ? 'the first suite' : 'the deep world: multi-step problems with step-level ground truth';
  const isDefault = suite === defaultSuite() ? "; the default base's" : '';
  const lines = [`mini suite ${suite} (${what}${isDefault}), over ${LISTING_PROBLEMS} training problems per benchmark:`];
  for (const name of MINI_BENCHMARKS) {
    const spec = miniSpec(name);
    const rows = miniTrainDrafts(name, LISTING_PROBLEMS, 1, suite).flatMap((d) => [d, ...(d.substeps ?? [])]);
    const tokens = median(rows.map((d) => tokenizer.encode(targetWith(spec, d)).length));
    const steps = rows.every((d) => d.program) ? `, median ${median(rows.map((d) => d.program!.steps.length))} steps` : '';
    const mix = spec.mixes[suite].map((m) => `${m.family} ${Math.round(m.weight * 100)} %`).join(', ');
    lines.push(`  ${name.padEnd(10)}  ${mix}; ${rows.length} rows${steps}, median response ${tokens} tokens`);
  }
  return lines;
}
