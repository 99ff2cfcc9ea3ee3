// The project's layers (docs/design.md §2) as a test: every import of every source file is read (with the
// TypeScript parser, so comments and strings never count) and checked against the rule; a failure names the file,
// the import and the rule it breaks.
//
//   src/util/    the leaf layer: helpers (errors, rng, fs, jsonl, lock, …) that import nothing else of the project
//   methods/     methods/ and the leaf layer
//   benchmarks/  benchmarks/ and the leaf layer
//   src/         the engine: src/, methods/, benchmarks/ — but not src/cli/
//   src/cli/     the CLI (commands, flag parsing and error lines): anything of src/, methods/, benchmarks/
//   scripts/     entry points: anything of src/, methods/, benchmarks/ and the CLI modules
//   bin/         the launcher: the CLI
//   tests        test/ and every *.test.ts (and methods/test-*.ts, the methods' test batches): anything
//
// Nothing but tests imports test/ or scripts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO } from './fixtures.ts';
import { importsOf, repoPath, sourceFiles } from './import-graph.ts';

const ROOTS = ['src', 'methods', 'benchmarks', 'scripts', 'test', 'bin'];

type Layer = 'leaf' | 'methods' | 'benchmarks' | 'engine' | 'cli' | 'scripts' | 'bin' | 'test';

export function layerOf(path: string): Layer {
  if (/\.test\.[cm]?[jt]s$/.test(path) || path.startsWith('test/') || /^methods\/test-[^/]+\.ts$/.test(path)) return 'test';
  if (path.startsWith('src/util/')) return 'leaf';
  if (path.startsWith('src/cli/')) return 'cli';
  if (path.startsWith('src/')) return 'engine';
  if (path.startsWith('methods/')) return 'methods';
  if (path.startsWith('benchmarks/')) return 'benchmarks';
  if (path.startsWith('scripts/')) return 'scripts';
  if (path.startsWith('bin/')) return 'bin';
  throw new Error(`${path}: in no layer`);
}

/** What each layer may import (test/ and scripts/ are importable by tests only). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  leaf: ['leaf'],
  methods: ['methods', 'leaf'],
  benchmarks: ['benchmarks', 'leaf'],
  engine: ['engine', 'methods', 'benchmarks', 'leaf'],
  cli: ['cli', 'engine', 'methods', 'benchmarks', 'leaf'],
  scripts: ['scripts', 'cli', 'engine', 'methods', 'benchmarks', 'leaf'],
  bin: ['cli'],
  test: ['test', 'scripts', 'cli', 'engine', 'methods', 'benchmarks', 'leaf', 'bin'],
};

test('layering: no import points against the layers of docs/design.md §2', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const root of ROOTS) {
    for (const file of sourceFiles(join(REPO, root))) {
      const from = repoPath(file);
      const layer = layerOf(from);
      for (const { spec, target } of importsOf(file)) {
        if (!ROOTS.some((r) => target.startsWith(`${r}/`))) {
          broken.push(`${from}: import '${spec}' leaves the source folders (${target})`);
          continue;
        }
        checked++;
        const to = layerOf(target);
        if (!MAY_IMPORT[layer].includes(to)) broken.push(`${from} (${layer}): import '${spec}' reaches ${target} (${to}); ${layer} may import only ${MAY_IMPORT[layer].join(', ')}`);
      }
    }
  }
  assert.ok(checked > 300, `only ${checked} imports found: the scan is broken`);
  assert.deepEqual(broken, []);
});

test('layering: the rule itself (a few arrows it must refuse and allow)', () => {
  const may = (from: string, to: string): boolean => MAY_IMPORT[layerOf(from)].includes(layerOf(to));
  assert.equal(may('benchmarks/mini/build.ts', 'src/util/rng.ts'), true);
  assert.equal(may('benchmarks/mini/build.ts', 'src/tokenizer.ts'), false);
  assert.equal(may('methods/grpo.ts', 'benchmarks/index.ts'), false);
  assert.equal(may('src/run-dir.ts', 'src/cli/util.ts'), false);
  assert.equal(may('src/util/fs.ts', 'src/policy.ts'), false);
  assert.equal(may('src/cli/main.ts', 'src/train/index.ts'), true);
  assert.equal(may('src/eval.ts', 'scripts/demo.ts'), false);
  assert.equal(may('benchmarks/mini/drill.test.ts', 'src/tokenizer.ts'), true);
});
