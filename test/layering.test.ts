// The project's layers as a test: the table of docs/design.md §2 is the rule. Every import of every source file is
// read (with the TypeScript parser, so comments and strings never count) and checked against it; a failure names the
// file, the import and the rule it breaks.
//
// A row of the table is `| layer | holds | may import |`: `holds` starts with the paths of the layer in backticks
// (`src/util/`, a folder; `*.test.ts`, a file name anywhere; `methods/test-*.ts`, a path), then ':' and words; a file
// belongs to the layer of the closest path that names it (a file pattern before any folder, a longer folder before a
// shorter one); `may import` lists the layers its files may import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './fixtures.ts';
import { importsOf, repoPath, sourceFiles } from './import-graph.ts';

const ROOTS = ['src', 'methods', 'benchmarks', 'scripts', 'test', 'bin'];
const DESIGN = join(REPO, 'docs', 'design.md');

export interface LayerRow {
  layer: string;
  paths: string[];
  mayImport: string[];
}

/** The layer table of docs/design.md §2 (the one that starts `| layer | holds | may import |`). */
export function readLayerTable(markdown: string): LayerRow[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^\|\s*layer\s*\|\s*holds\s*\|\s*may import\s*\|\s*$/.test(l));
  if (start < 0) throw new Error('docs/design.md has no table headed | layer | holds | may import |');
  const rows: LayerRow[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 3) throw new Error(`docs/design.md layer table: a row of ${cells.length} cells: ${line}`);
    const [layer, holds, may] = cells as [string, string, string];
    const named = /^((?:`[^`]+`(?:,\s*)?)+)(?::|$)/.exec(holds);
    if (!named) throw new Error(`docs/design.md layer table: '${layer}' holds no paths in backticks before its ':' (${holds})`);
    rows.push({ layer, paths: [...named[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!), mayImport: may.split(',').map((x) => x.trim()) });
  }
  const names = rows.map((r) => r.layer);
  for (const r of rows) for (const m of r.mayImport) if (!names.includes(m)) throw new Error(`docs/design.md layer table: '${r.layer}' may import '${m}', which is no layer (layers: ${names.join(', ')})`);
  return rows;
}

/** How closely a path of the table names a file: a file pattern beats any folder, a longer folder a shorter; 0 when it does not. */
function closeness(pattern: string, path: string): number {
  if (pattern.includes('*')) {
    const subject = pattern.includes('/') ? path : path.slice(path.lastIndexOf('/') + 1);
    const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
    return re.test(subject) ? Number.MAX_SAFE_INTEGER : 0;
  }
  return pattern.endsWith('/') && path.startsWith(pattern) ? pattern.length : 0;
}

const TABLE = readLayerTable(readFileSync(DESIGN, 'utf8'));
const MAY_IMPORT = new Map(TABLE.map((r) => [r.layer, r.mayImport]));

export function layerOf(path: string, table: readonly LayerRow[] = TABLE): string {
  let best: { layer: string; score: number } | null = null;
  for (const r of table)
    for (const p of r.paths) {
      const score = closeness(p, path);
      if (score > 0 && (!best || score > best.score)) best = { layer: r.layer, score };
    }
  if (!best) throw new Error(`${path}: in no layer of docs/design.md §2`);
  return best.layer;
}

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
        const may = MAY_IMPORT.get(layer)!;
        if (!may.includes(to)) broken.push(`${from} (${layer}): import '${spec}' reaches ${target} (${to}); ${layer} may import only ${may.join(', ')} (docs/design.md §2)`);
      }
    }
  }
  assert.ok(checked > 300, `only ${checked} imports found: the scan is broken`);
  assert.deepEqual(broken, []);
});

test('layering: the rule itself (a few arrows it must refuse and allow)', () => {
  const may = (from: string, to: string): boolean => MAY_IMPORT.get(layerOf(from))!.includes(layerOf(to));
  assert.equal(may('benchmarks/mini/build.ts', 'src/util/rng.ts'), true);
  assert.equal(may('benchmarks/mini/build.ts', 'src/tokenizer.ts'), false);
  assert.equal(may('methods/grpo.ts', 'benchmarks/index.ts'), false);
  assert.equal(may('src/run-dir.ts', 'src/cli/util.ts'), false);
  assert.equal(may('src/util/fs.ts', 'src/policy.ts'), false);
  assert.equal(may('src/cli/main.ts', 'src/train/index.ts'), true);
  assert.equal(may('src/eval.ts', 'scripts/demo.ts'), false);
  assert.equal(may('benchmarks/mini/drill.test.ts', 'src/tokenizer.ts'), true);
});

test('layering: how a table is read (paths before the colon, the closest path wins, unknown layers refused)', () => {
  const table = readLayerTable(
    [
      'Some text.',
      '',
      '| layer | holds | may import |',
      '|---|---|---|',
      '| leaf | `src/util/`: helpers (`rng`, `fs`) | leaf |',
      '| engine | `src/`: the rest of it (`train/`) | leaf, engine |',
      '| cli | `src/cli/` | leaf, engine, cli |',
      '| tests | `test/`, `*.test.ts`, `methods/test-*.ts`: the tests | leaf, engine, cli, tests |',
      '',
      '| other | table |',
    ].join('\n'),
  );
  assert.deepEqual(
    table.map((r) => `${r.layer}: ${r.paths.join(' ')} → ${r.mayImport.join(' ')}`),
    ['leaf: src/util/ → leaf', 'engine: src/ → leaf engine', 'cli: src/cli/ → leaf engine cli', 'tests: test/ *.test.ts methods/test-*.ts → leaf engine cli tests'],
  );
  assert.equal(layerOf('src/cli/main.ts', table), 'cli');
  assert.equal(layerOf('src/train/fit.ts', table), 'engine');
  assert.equal(layerOf('src/util/rng.ts', table), 'leaf');
  assert.equal(layerOf('src/cli/flags.test.ts', table), 'tests');
  assert.equal(layerOf('methods/test-batches.ts', table), 'tests');
  assert.throws(() => layerOf('methods/grpo.ts', table), /in no layer/);
  assert.throws(() => readLayerTable('| layer | holds | may import |\n|---|---|---|\n| a | `x/` | a, b |\n'), /may import 'b', which is no layer/);
  assert.throws(() => readLayerTable('| layer | holds | may import |\n|---|---|---|\n| a | no paths | a |\n'), /holds no paths/);
  // The project's own table names every source folder.
  for (const f of ['src/cli/main.ts', 'src/eval.ts', 'src/util/ts-worker.mjs', 'methods/grpo.ts', 'benchmarks/index.ts', 'scripts/demo.ts', 'bin/rlsd-bench.mjs', 'test/fixtures.ts']) assert.doesNotThrow(() => layerOf(f), f);
});
