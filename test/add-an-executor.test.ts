// An executor is one file plus one registry entry (docs/guides/add-an-executor.md), proved on a copy of the tree:
// the guide's own `serial` executor, taken from the guide's text, and its entry in src/sweep/executors.ts, and nothing
// else — then strict TypeScript accepts it, `sweep --help` lists it, a sweep runs through it (cells recorded as
// every executor records them, the report written), a rerun runs nothing, `--status` and `--dry-run` read it, and
// another executor's flag is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorLines, REPO } from './fixtures.ts';
import { copyTree, replaceOnce, runCopy } from './tree-copy.ts';

/** The guide's code block under its heading `## <n>. …: \`path\``. */
function guideBlock(heading: string): string {
  const guide = readFileSync(join(REPO, 'docs', 'guides', 'add-an-executor.md'), 'utf8');
  const section = guide.slice(guide.indexOf(heading));
  assert.ok(guide.includes(heading), `the guide has a section '${heading}'`);
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m, `a ts block under '${heading}'`);
  return m[1]!;
}

function addSerial(root: string): void {
  writeFileSync(join(root, 'src', 'sweep', 'serial.ts'), guideBlock('## 1. The file: `src/sweep/serial.ts`'));
  const entry = guideBlock('## 2. The registry entry: `src/sweep/executors.ts`');
  const importLine = entry.split('\n')[0]!;
  const listLine = entry.split('\n').find((l) => l.startsWith('export const EXECUTORS'))!;
  let registry = readFileSync(join(root, 'src', 'sweep', 'executors.ts'), 'utf8');
  registry = replaceOnce(registry, "import { slurmExecutor } from './slurm.ts';\n", `import { slurmExecutor } from './slurm.ts';\n${importLine}\n`);
  registry = replaceOnce(registry, 'export const EXECUTORS: readonly Executor[] = [localExecutor, slurmExecutor];', listLine);
  writeFileSync(join(root, 'src', 'sweep', 'executors.ts'), registry);
}

const readJson = (f: string): Record<string, unknown> => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;

test('a new executor from two files: its file and its registry entry; sweep runs through it, records its cells, resumes and reports', { timeout: 900_000 }, () => {
  const root = copyTree('rlsd-add-executor-');
  try {
    addSerial(root);
    // The copy has no test/ or scripts/: its sources without their tests are type-checked.
    const tsconfig = readFileSync(join(root, 'tsconfig.json'), 'utf8');
    writeFileSync(join(root, 'tsconfig.json'), replaceOnce(tsconfig, '"include": ["src", "methods", "benchmarks", "scripts", "test"]', '"include": ["src", "methods", "benchmarks"], "exclude": ["**/*.test.ts", "methods/test-*.ts"]'));
    const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

    const help = runCopy(root, ['sweep', '--help'], { raw: true });
    assert.match(help.stdout.replace(/\s+/g, ' '), /--executor local \(worker processes on this machine\) \| slurm \(one sbatch array task per cell\) \| serial \(one cell after another in the foreground\)/);
    const unknown = runCopy(root, ['sweep', '--executor', 'ssh', '--out', join(root, 'never')]);
    assert.deepEqual(errorLines(unknown.stderr), ["rlsd-bench: error: --executor must be local, slurm or serial (got 'ssh')"]);

    const config = join(root, 'two.yaml');
    writeFileSync(config, 'name: two\nmethods: [base, grpo]\nseeds: [1]\ntrain: { steps: 2, prompts: 2, samples: 2, eval-items: 2, train-items: 4, eval-schedule: every:1 }\n');
    const out = join(root, 'sweep');
    const dry = runCopy(root, ['sweep', config, '--executor', 'serial', '--out', out, '--dry-run', '--threads', '1']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^1\tgrpo\/seed-1\t.* --quiet train --threads 1 --method grpo --seed 1 --steps 2 /m);
    const refused = runCopy(root, ['sweep', config, '--executor', 'serial', '--out', out, '--partition', 'debug']);
    assert.deepEqual(errorLines(refused.stderr), ['rlsd-bench: error: --partition applies to --executor slurm only (this sweep runs on serial)']);

    const swept = runCopy(root, ['sweep', config, '--executor', 'serial', '--out', out, '--backend', 'wasm']);
    assert.equal(swept.code, 0, swept.stderr);
    assert.match(swept.stdout, /report → /);
    for (const [dir, steps] of [['base/seed-1', 1], ['grpo/seed-1', 2]] as const) {
      const cell = readJson(join(out, dir, 'cell.json')) as { state: string; executor: string; attempts: number; config: Record<string, unknown>; tensor: Record<string, unknown> };
      assert.deepEqual([cell.state, cell.executor, cell.attempts], ['done', 'serial', 1], dir);
      assert.equal(cell.config['steps'], steps);
      assert.equal(cell.tensor['backend'], 'wasm');
      const run = readJson(join(out, dir, 'run.json')) as { config: Record<string, unknown> };
      for (const [k, v] of Object.entries(cell.config)) assert.deepEqual(run.config[k], v, `${dir}: run.json's ${k}`);
    }
    const status = runCopy(root, ['sweep', '--status', out]);
    assert.match(status.stdout, /2 cells — 2 done, 0 running, 0 stopped, 0 failed, 0 pending/);

    // A rerun finds every cell done: nothing runs, nothing is rewritten.
    const before = readFileSync(join(out, 'grpo', 'seed-1', 'cell.json'), 'utf8');
    const again = runCopy(root, ['sweep', config, '--executor', 'serial', '--out', out, '--no-report']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(join(out, 'grpo', 'seed-1', 'cell.json'), 'utf8'), before);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
