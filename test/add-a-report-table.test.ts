// A report table is one file plus one registry entry (docs/guides/add-a-report-table.md), proved on a copy of the tree:
// the guide's own table, Avg per seed, taken from the guide's text, and its entry in src/report/sections/index.ts, and
// nothing else — then strict TypeScript accepts it, and `report` on a synthetic sweep shows it in report.md after the
// accuracy tables, writes its own .md and .csv, and gives it a section of report.html after Accuracy, with the
// numbers of the records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './fixtures.ts';
import { copyTree, replaceOnce, runCopy } from './tree-copy.ts';
import { loadSweepRecords } from '../src/report/records.ts';
import { chosenEvaluation } from '../src/report/rows.ts';
import { writeSyntheticSweep } from '../src/report/synthetic.ts';

/** The guide's code block under its heading `## <n>. …: \`path\``. */
function guideBlock(heading: string): string {
  const guide = readFileSync(join(REPO, 'docs', 'guides', 'add-a-report-table.md'), 'utf8');
  assert.ok(guide.includes(heading), `the guide has a section '${heading}'`);
  const m = /```ts\n([\s\S]*?)```/.exec(guide.slice(guide.indexOf(heading)));
  assert.ok(m, `a ts block under '${heading}'`);
  return m[1]!;
}

function addSeedsTable(root: string): void {
  writeFileSync(join(root, 'src', 'report', 'sections', 'seeds.ts'), guideBlock('## 1. The file: `src/report/sections/seeds.ts`'));
  const entry = guideBlock('## 2. The registry entry: `src/report/sections/index.ts`');
  const importLine = entry.split('\n')[0]!;
  const listLine = entry.split('\n').find((l) => l.startsWith('export const REPORT_TABLES'))!;
  const file = join(root, 'src', 'report', 'sections', 'index.ts');
  let registry = readFileSync(file, 'utf8');
  registry = replaceOnce(registry, "import { tuning } from './tuning.ts';\n", `import { tuning } from './tuning.ts';\n${importLine}\n`);
  registry = replaceOnce(registry, 'export const REPORT_TABLES: readonly ReportTableSpec[] = [configuration, tuning];', listLine);
  writeFileSync(file, registry);
}

test('a new report table from two files: its file and its registry entry; report.md, its own .md/.csv and report.html show it', { timeout: 600_000 }, () => {
  const root = copyTree('rlsd-add-report-table-');
  try {
    addSeedsTable(root);
    // The copy has no test/ or scripts/: its sources without their tests are type-checked.
    const tsconfig = readFileSync(join(root, 'tsconfig.json'), 'utf8');
    writeFileSync(join(root, 'tsconfig.json'), replaceOnce(tsconfig, '"include": ["src", "methods", "benchmarks", "scripts", "test"]', '"include": ["src", "methods", "benchmarks"], "exclude": ["**/*.test.ts", "methods/test-*.ts"]'));
    const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

    const sweep = writeSyntheticSweep(join(root, 'sweep'), { extras: true });
    const report = runCopy(root, ['report', sweep.dir, '--bootstrap', '200']);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /report → .*\bpaired\.csv, seeds\.md, seeds\.csv, report\.md\b/);
    assert.doesNotMatch(report.stdout, /Avg per seed/, 'not on the terminal: the table does not say terminal');
    const out = join(sweep.dir, 'report');

    // Its numbers: each done cell's Avg at its last evaluation, in points, seed by seed.
    const records = loadSweepRecords(sweep.dir);
    const avg = (id: string): string => (100 * chosenEvaluation(records.cells.find((c) => c.id === id)!, 'last')!.avg).toFixed(2);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const headings = [...md.matchAll(/^### (.*)$/gm)].map((m) => m[1]!);
    const at = headings.indexOf('Avg per seed (last evaluation)');
    assert.ok(at > 0, headings.join(' | '));
    assert.match(headings[at - 1]!, /^For reference: /, 'right after the accuracy part (its last table is the paper’s)');
    assert.equal(headings[at + 1], 'Convergence');
    const rlsd = `| RLSD           |   2 | 1: ${avg('rlsd/seed-1')}, 2: ${avg('rlsd/seed-2')} |`;
    assert.ok(md.includes(rlsd), `report.md has ${rlsd}`);
    assert.ok(md.includes(`| GRPO (lr=3e-5) |   2 | 1: ${avg('grpo-lr=3e-5/seed-1')}, 2: ${avg('grpo-lr=3e-5/seed-2')} |`));

    const own = readFileSync(join(out, 'seeds.md'), 'utf8');
    assert.match(own, /^### Avg per seed \(last evaluation\)\n\n\| Method/);
    assert.match(own, /### Excluded cells\n\n2 cells are not in the tables:/);
    const csv = readFileSync(join(out, 'seeds.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'row,label,seed,avg');
    assert.equal(csv.length - 1, sweep.done.length, 'one line per done cell');
    assert.ok(csv.includes(`rlsd,RLSD,2,${(100 * chosenEvaluation(records.cells.find((c) => c.id === 'rlsd/seed-2')!, 'last')!.avg).toFixed(4)}`), csv.join('\n'));

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const sections = [...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]!);
    assert.deepEqual(sections.slice(sections.indexOf('accuracy'), sections.indexOf('accuracy') + 3), ['accuracy', 'seeds', 'convergence']);
    assert.match(html, /<li><a href="#seeds">Avg per seed \(last evaluation\)<\/a><\/li>/);
    const section = html.slice(html.indexOf('<section id="seeds">'), html.indexOf('</section>', html.indexOf('<section id="seeds">')));
    assert.match(section, /<h2>Avg per seed \(last evaluation\)<\/h2>/);
    assert.ok(section.includes(`<td class="l">1: ${avg('rlsd/seed-1')}, 2: ${avg('rlsd/seed-2')}</td>`), section);
    assert.match(section, /<p class="caption">Avg accuracy \(%\) at each run&#39;s last evaluation, seed by seed/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
