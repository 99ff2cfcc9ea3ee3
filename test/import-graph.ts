// The project's static import graph, as the layering and import-cycle tests read it: every relative import of a
// source file (static, re-export, `import type`, dynamic import(), worker URLs), read with the TypeScript parser so
// that comments and strings never count, as repository paths.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { REPO } from './fixtures.ts';

export const SOURCE = /\.(ts|mts|mjs|js)$/;

/** Every source file under `dir` (an absolute path), node_modules and dot-folders left out. */
export function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (SOURCE.test(name)) out.push(p);
  }
  return out;
}

export const posix = (p: string): string => p.split(sep).join('/');

/** A file's path from the repository root, with forward slashes. */
export const repoPath = (file: string): string => posix(relative(REPO, file));

/** Every project file a file imports (static, re-export, dynamic import(), worker URLs), as repository paths. */
export function importsOf(file: string): { spec: string; target: string }[] {
  const text = readFileSync(file, 'utf8');
  const specs = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  // A worker is started from a URL, not an import: new URL('./util/ts-worker.mjs', import.meta.url). Other URLs
  // (the package root, package.json) are files, not modules.
  for (const m of text.matchAll(/new URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) if (SOURCE.test(m[1]!)) specs.push(m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((spec) => ({ spec, target: repoPath(resolve(dirname(file), spec)) }));
}

/** The import graph of the files under `roots` (folders of the repository): file → the files of the graph it imports. */
export function importGraph(roots: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const root of roots) for (const file of sourceFiles(join(REPO, root))) graph.set(repoPath(file), []);
  for (const [from, to] of graph) for (const { target } of importsOf(join(REPO, from))) if (graph.has(target) && !to.includes(target)) to.push(target);
  return graph;
}

/**
 * The import cycles of a graph, one per strongly connected component that has one (Tarjan's algorithm), each as a
 * path that starts and ends at the component's first file in sorted order (['a.ts', 'b.ts', 'a.ts']), in the
 * order of those files.
 */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => cycleThrough(graph, new Set(c), c[0]!)).sort((x, y) => (x[0]! < y[0]! ? -1 : 1));
}

/** A shortest cycle from `start` back to it inside one component (breadth-first over the component's edges). */
function cycleThrough(graph: ReadonlyMap<string, readonly string[]>, component: ReadonlySet<string>, start: string): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = from.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!from.has(w) && w !== start) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
