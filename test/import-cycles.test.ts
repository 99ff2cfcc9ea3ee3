// No import cycles in src/, methods/, benchmarks/ or scripts/: a module and what it imports form a tree of layers, so
// any file can be read (and loaded) after the files it imports. Type-only imports count too: a cycle of types is a
// cycle of meaning. A failure names each cycle file by file; the usual fix moves the shared piece into the lower file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importCycles, importGraph } from './import-graph.ts';

const ROOTS = ['src', 'methods', 'benchmarks', 'scripts'];

test('import cycles: none among the source files', () => {
  const graph = importGraph(ROOTS);
  const edges = [...graph.values()].reduce((n, to) => n + to.length, 0);
  assert.ok(graph.size > 200 && edges > 300, `only ${graph.size} files and ${edges} imports found: the scan is broken`);
  const cycles = importCycles(graph).map((c) => c.join(' → '));
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.join('\n')}`);
});

test('import cycles: the finder finds them (a two-file cycle, a longer one, a self-import) and passes a tree', () => {
  const graph = new Map<string, string[]>([
    ['a.ts', ['b.ts', 'c.ts']],
    ['b.ts', ['a.ts']],
    ['c.ts', ['d.ts']],
    ['d.ts', ['e.ts']],
    ['e.ts', ['c.ts', 'outside.ts']],
    ['f.ts', ['f.ts']],
    ['g.ts', ['a.ts', 'd.ts']],
  ]);
  assert.deepEqual(importCycles(graph), [
    ['a.ts', 'b.ts', 'a.ts'],
    ['c.ts', 'd.ts', 'e.ts', 'c.ts'],
    ['f.ts', 'f.ts'],
  ]);
  assert.deepEqual(importCycles(new Map([['x.ts', ['y.ts', 'z.ts']], ['y.ts', ['z.ts']], ['z.ts', []]])), []);
});
