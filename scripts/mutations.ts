// `npm run regress:mutations`: the proof that the regression checks catch broken learning. Each mutation is a
// small edit that stops a method learning the way a real bug would; the script copies the working tree, applies
// the edit there (refusing if its text is no longer in the file, so a mutation cannot silently become a no-op),
// runs `rlsd-bench regress` with the committed golden and learning baselines in the copy, and reports which checks
// failed. Every mutation must end in exit code 1 (a regression); the unmutated tree must end in 0.
// Usage: npm run regress:mutations [-- --only sign-flip --keep]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { parseOrExit, runScript, scriptCli } from '../src/cli/script.ts';
import { UsageError } from '../src/util/errors.ts';

interface Edit {
  file: string;
  find: string;
  replace: string;
}
interface Mutation {
  name: string;
  what: string;
  edits: Edit[];
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'sign-flip',
    what: 'the group-relative advantage has its sign flipped (GRPO, GRPO+OPSD and RLSD push towards wrong answers)',
    edits: [{ file: 'methods/core.ts', find: 'advantages[i] = opts.stdNorm ? centred / (std + eps) : centred;', replace: 'advantages[i] = -(opts.stdNorm ? centred / (std + eps) : centred);' }],
  },
  {
    name: 'teacher-sees-student',
    what: "the self-teacher's pass is fed the student's own input (no privileged context): its log-probs are the student's own",
    edits: [{ file: 'src/train/teacher.ts', find: 'const text = privileged ? `${privileged} ${task.prompt}` : task.prompt;', replace: 'const text = task.prompt;' }],
  },
  {
    name: 'rewards-shuffled',
    what: 'the rewards every method sees are permuted within the batch (no longer follow the verdicts of their responses)',
    edits: [
      { file: 'src/train/reward.ts', find: "import type { Rng } from '../util/rng.ts';", replace: "import { hashString, Rng } from '../util/rng.ts';" },
      {
        file: 'src/train/reward.ts',
        find: 'rewards: shuffle ? Float32Array.from(shuffle.shuffle(Array.from(verdicts))) : verdicts',
        replace: "rewards: Float32Array.from((shuffle ?? new Rng(hashString(ro.texts.join('|')))).shuffle(Array.from(verdicts)))",
      },
    ],
  },
];

const BASELINES = ['results/reference/regress/golden.json', 'results/reference/regress/learning.json'];

const flags = parseOrExit(
  scriptCli('npm run regress:mutations -- [options]', 'Applies each mutation to a copy of the working tree and runs the golden and learning regression checks there; every mutation must fail them (exit 1). Prints a table and writes results/regress/mutations.md.')
    .option('only', { type: 'string', describe: `one mutation (${MUTATIONS.map((m) => m.name).join(', ')}) or "none" (the unmutated tree)` })
    .option('keep', { type: 'boolean', default: false, describe: 'keep the copies and their runs' }),
  (argv) => {
    const only = argv.only === undefined ? undefined : String(argv.only);
    if (only !== undefined && only !== 'none' && !MUTATIONS.some((m) => m.name === only)) throw new UsageError(`--only must be ${[...MUTATIONS.map((m) => m.name), 'none'].join(', ')} (got '${only}')`);
    return { only, keep: Boolean(argv.keep) };
  },
);

/** The working tree's files: tracked and untracked-but-not-ignored, as git lists them. */
function treeFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new UsageError(`git ls-files failed in ${PACKAGE_ROOT}: ${r.stderr.trim()} (the script copies the working tree of a git checkout)`);
  return r.stdout.split('\0').filter(Boolean);
}

function copyTree(dest: string): void {
  // node_modules is linked, not copied (a checkout that links its own shows it as an untracked file).
  for (const f of treeFiles().filter((f) => f !== 'node_modules' && !f.startsWith('node_modules/'))) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    try {
      cpSync(join(PACKAGE_ROOT, f), join(dest, f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // a tracked file deleted in the working tree
    }
  }
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dest, 'node_modules'));
}

function apply(dest: string, m: Mutation): void {
  for (const e of m.edits) {
    const file = join(dest, e.file);
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf(e.find);
    if (at < 0 || text.indexOf(e.find, at + 1) >= 0) throw new UsageError(`mutation ${m.name}: ${e.file} must contain exactly once: ${e.find}`);
    writeFileSync(file, text.replace(e.find, e.replace));
  }
}

interface Outcome {
  name: string;
  what: string;
  code: number | null;
  failed: string[];
  seconds: number;
}

await runScript(async () => {
  const chosen = flags.only === undefined ? [null, ...MUTATIONS] : flags.only === 'none' ? [null] : MUTATIONS.filter((m) => m.name === flags.only);
  const outcomes: Outcome[] = [];
  for (const m of chosen) {
    const dest = mkdtempSync(join(tmpdir(), `rlsd-mutation-${m?.name ?? 'none'}-`));
    copyTree(dest);
    if (m) apply(dest, m);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(dest, 'bin', 'rlsd-bench.mjs'), '--quiet', 'regress', ...BASELINES, '--out', join(dest, 'runs')], { cwd: dest, encoding: 'utf8', maxBuffer: 64 << 20 });
    const seconds = (performance.now() - t0) / 1000;
    const failed = r.stdout.split('\n').filter((l) => /FAIL/.test(l));
    outcomes.push({ name: m?.name ?? 'none', what: m?.what ?? 'the working tree as it is', code: r.status, failed, seconds });
    process.stdout.write(`${m?.name ?? 'none'}: exit ${r.status} in ${seconds.toFixed(0)} s\n${r.stdout}${r.stderr.split('\n').filter((l) => l.startsWith('rlsd-bench: error')).join('\n')}\n`);
    if (!flags.keep) rmSync(dest, { recursive: true, force: true });
  }
  const ok = outcomes.every((o) => (o.name === 'none' ? o.code === 0 : o.code === 1));
  const table = [
    '| mutation | what it breaks | exit | caught by | time |',
    '|---|---|---|---|---|',
    ...outcomes.map((o) => `| ${o.name} | ${o.what} | ${o.code} | ${o.failed.map((l) => l.replace(/\|/g, '\\|').trim()).join('<br>') || '—'} | ${o.seconds.toFixed(0)} s |`),
  ].join('\n');
  const out = join(PACKAGE_ROOT, 'results', 'regress', 'mutations.md');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `# Mutation runs (npm run regress:mutations)\n\n${table}\n\n${ok ? 'Every mutation was caught; the unmutated tree passed.' : 'NOT every mutation was caught (or the unmutated tree failed).'}\n`);
  process.stdout.write(`${table}\n→ ${out}\n`);
  return ok ? 0 : 1;
});
