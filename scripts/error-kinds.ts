// Where a deep-world checkpoint goes wrong: for every incorrect response of an `rlsd-bench eval` on the mini-2 suite,
// the kind of its first wrong step against the problem's program (benchmarks/mini/deep/parse.ts diagnose: a
// misreading of the picture, a wrong combination, an arithmetic slip, a wrong choice, a wrong final statement), per
// benchmark. It tells whether a policy's errors are perception or reasoning, which decides what RL can fix.
// Usage: npx tsx scripts/error-kinds.ts EVAL_DIR   (an eval output folder: eval.json and <benchmark>/samples.jsonl)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MINI_BENCHMARKS } from '../benchmarks/index.ts';
import { miniRows } from '../benchmarks/mini/build.ts';
import { diagnose, type ErrorKind } from '../benchmarks/mini/deep/parse.ts';
import type { RowProgram } from '../benchmarks/mini/spec.ts';
import { parseOrExit, runScript, scriptCli } from '../src/cli/script.ts';
import { UsageError } from '../src/util/errors.ts';
import { readJsonl } from '../src/util/jsonl.ts';

const { dir } = parseOrExit(scriptCli('npx tsx scripts/error-kinds.ts EVAL_DIR', 'The kind of the first wrong step of every incorrect response of a mini-2 evaluation, per benchmark.', { positionals: true }), (argv) => {
  if (argv._.length !== 1) throw new UsageError(`give one EVAL_DIR (got ${argv._.length}; see --help)`);
  return { dir: String(argv._[0]) };
});

type Kind = ErrorKind | 'no wrong step found';

async function main(): Promise<void> {
  const evalFile = join(dir, 'eval.json');
  if (!existsSync(evalFile)) throw new UsageError(`${evalFile}: not found (EVAL_DIR must be an eval output folder)`);
  const data = (JSON.parse(readFileSync(evalFile, 'utf8')) as { data?: { data?: string; split?: string; miniSeed?: number; miniItems?: number; suite?: string } }).data;
  if (data?.data !== 'mini' || data.suite !== 'mini-2' || typeof data.miniItems !== 'number' || typeof data.miniSeed !== 'number')
    throw new UsageError(`${evalFile}: field 'data' must describe a mini-2 evaluation (data: mini, suite: mini-2, miniItems, miniSeed); only the deep world records each problem's steps`);
  const kinds: Kind[] = ['misreading', 'wrong combination', 'arithmetic slip', 'wrong choice', 'wrong final statement', 'no wrong step found'];
  const lines = [`| benchmark | incorrect | ${kinds.join(' | ')} |`, `| --- | --: | ${kinds.map(() => '--:').join(' | ')} |`];
  const total = new Map<Kind, number>();
  let totalWrong = 0;
  for (const b of MINI_BENCHMARKS) {
    const samples = join(dir, b, 'samples.jsonl');
    if (!existsSync(samples)) continue;
    const split = data.split === 'validation' ? 'validation' : 'eval';
    const programs = new Map<string, RowProgram>();
    for (const row of await miniRows(b, split, data.miniItems, data.miniSeed, 'mini-2')) {
      const id = String(row['id'] ?? row['pid'] ?? row['question number'] ?? row['question_id']);
      if (typeof row['rlsd_program'] === 'string') programs.set(id, JSON.parse(row['rlsd_program']) as RowProgram);
    }
    const counts = new Map<Kind, number>();
    let wrong = 0;
    for (const { line, value } of readJsonl(samples)) {
      const s = value as { id?: unknown; response?: unknown; extracted?: unknown; correct?: unknown };
      if (s.correct === true) continue;
      const program = programs.get(String(s.id));
      if (!program || typeof s.response !== 'string') throw new UsageError(`${samples} line ${line}: item ${String(s.id)} is not a mini-2 problem of this evaluation's settings`);
      const d = diagnose(s.response, program.program, typeof s.extracted === 'string' ? s.extracted : null);
      const kind: Kind = d.firstWrong ? d.firstWrong.kind : 'no wrong step found';
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      total.set(kind, (total.get(kind) ?? 0) + 1);
      wrong++;
    }
    totalWrong += wrong;
    const pct = (n: number | undefined, of: number): string => `${n ?? 0} (${of ? ((100 * (n ?? 0)) / of).toFixed(1) : '—'} %)`;
    lines.push(`| ${b} | ${wrong} | ${kinds.map((k) => pct(counts.get(k), wrong)).join(' | ')} |`);
    if (b === MINI_BENCHMARKS.at(-1)) lines.push(`| all | ${totalWrong} | ${kinds.map((k) => pct(total.get(k), totalWrong)).join(' | ')} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await runScript(main);
