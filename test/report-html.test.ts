// The report's charts and HTML page end to end: a synthetic sweep folder (src/report/synthetic.ts) → tables, charts
// and report.html → the page opened in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// where every table must have rows, every chart an SVG with a nonzero box and marks, every token of the worked
// examples of "Where the credit went" a background colour and the boxed first wrong step the recorded one, and no
// request may leave the page. The full-page screenshot is kept as results/test-artifacts/report.png (git-ignored).
// Without /usr/bin/chromium the browser test is skipped, saying why — except under CI, which installs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport } from '../src/report/write.ts';
import { CHARTS_DIR, HTML_FILE, renderHtml, writeChartsAndHtml } from '../src/report/html.ts';
import { REPO, runCli } from './fixtures.ts';
import { writeSyntheticSweep } from '../src/report/synthetic.ts';
import type { CreditRecord } from '../src/credit/records.ts';
import { creditExamplesFile } from '../src/train/credit-examples.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'results', 'test-artifacts');
const CHART_NAMES = ['convergence', 'convergence-benchmarks', 'dynamics', 'credit'];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'rlsd-report-html-'));
}

/** Whether `rlsd-bench report` writes the page itself (src/report/write.ts lists writeChartsAndHtml among its artifact writers). */
function cliWritesHtml(): boolean {
  return readFileSync(join(REPO, 'src', 'report', 'write.ts'), 'utf8').includes('writeChartsAndHtml');
}

test('report.html: self-contained (no script, no external URL), every section, excluded cells named, same bytes twice', async () => {
  const root = tmp();
  try {
    const sweep = writeSyntheticSweep(join(root, 'sweep'), { extras: true, credit: true });
    // Few resamples: the bootstrap is not under test here, and the test runs two reports.
    const res = await writeReport(sweep.dir, { resamples: 200 }, [writeChartsAndHtml]);
    for (const n of CHART_NAMES) for (const ext of ['svg', 'png']) assert.ok(res.written.includes(`${CHARTS_DIR}/${n}.${ext}`), `${n}.${ext} written`);
    assert.ok(res.written.includes(HTML_FILE));
    const html = readFileSync(join(res.out, HTML_FILE), 'utf8');
    assert.doesNotMatch(html, /<script|<link|<iframe|<img|@import|url\(\s*['"]?(?:https?:)?\/\//i);
    // The only URLs are SVG namespace names, which are never fetched.
    for (const m of html.matchAll(/https?:\/\/[^"'\s)]+/g)) assert.match(m[0], /^http:\/\/www\.w3\.org\//, `external URL in the page: ${m[0]}`);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    for (const id of ['excluded', 'accuracy', 'convergence', 'dynamics', 'credit', 'paired']) assert.match(html, new RegExp(`<section id="${id}">`));
    for (const n of CHART_NAMES) assert.match(html, new RegExp(`<figure id="chart-${n}"[^>]*>\\s*<svg `));
    for (const id of [...sweep.failed, ...sweep.running]) assert.ok(html.includes(id), `excluded cell ${id} named`);
    // The page opens with the verdict, then the configuration, whose rows link to their run folders (relative).
    assert.deepEqual([...html.matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]).slice(0, 3), ['verdict', 'configuration', 'excluded']);
    assert.match(html, /<li>RLSD vs GRPO: [+−]\d+\.\d\d points \(95 % CI .*MDD .* at 2 seeds; common random numbers: seed sd of the difference \d+\.\d\d paired by seed against \d+\.\d\d unpaired \(variance ×[^)]*\)\) — /);
    const links = [...html.matchAll(/<a href="([^"#][^"]*)">/g)].map((m) => m[1]!);
    assert.ok(links.includes('../grpo/seed-1/') && links.includes('../rlsd/seed-2/'), links.join(' '));
    for (const l of links) assert.ok(existsSync(join(res.out, l, 'run.json')), `link ${l} reaches a run folder`);
    // Ids of the inline SVGs are unique in the page (vega numbers them per process; charts.ts renames them per chart).
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(new Set(ids).size, ids.length, 'duplicate ids in the page');
    // Beside the first report: the page links to the run folders relative to itself.
    const again = await writeReport(sweep.dir, { out: join(sweep.dir, 'again'), resamples: 200 }, [writeChartsAndHtml]);
    assert.equal(readFileSync(join(again.out, HTML_FILE), 'utf8'), html, 'the same records give the same page');
    for (const n of CHART_NAMES) assert.ok(readFileSync(join(again.out, CHARTS_DIR, `${n}.svg`)).equals(readFileSync(join(res.out, CHARTS_DIR, `${n}.svg`))), `${n}.svg differs`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('renderHtml escapes text and bolds only what is marked', () => {
  const html = renderHtml({
    title: 'a <b> & "c"',
    generated: 'from **here**',
    sections: [{ id: 's', heading: 'H<1>', blocks: [{ kind: 'table', table: { header: ['x<y'], align: ['l'], rows: [[{ text: '<i>', strong: true }], ['plain']] } }] }],
  });
  assert.match(html, /<title>a &lt;b&gt; &amp; &quot;c&quot;<\/title>/);
  assert.match(html, /from <strong>here<\/strong>/);
  assert.match(html, /<th class="l" scope="col">x&lt;y<\/th>/);
  assert.match(html, /<td class="l"><strong>&lt;i&gt;<\/strong><\/td>/);
  assert.doesNotMatch(html, /<i>/);
});

test('report.html in headless Chromium: tables have rows, charts draw, nothing leaves the page; screenshot kept', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env['CI']) assert.fail(`${CHROMIUM} is missing: CI installs Debian's chromium for this test`);
    t.skip(`${CHROMIUM} not installed (apt-get install chromium); CI runs this test`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const root = tmp();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const sweep = writeSyntheticSweep(join(root, 'sweep'), { extras: true, credit: true });
    // Through the CLI when the command writes the page, so the test covers what users run; else the library call.
    let out = join(sweep.dir, 'report');
    if (cliWritesHtml()) {
      const r = runCli(['report', sweep.dir]);
      assert.equal(r.code, 0, r.stderr);
    } else {
      out = (await writeReport(sweep.dir, {}, [writeChartsAndHtml])).out;
    }
    const file = join(out, HTML_FILE);
    assert.ok(existsSync(file), `${file} written`);

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const outside: string[] = [];
    const problems: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    const tables = await page.$$eval('table', (ts) => ts.map((tb) => ({ rows: tb.querySelectorAll('tbody tr').length, head: tb.querySelector('thead')?.textContent ?? '' })));
    assert.ok(tables.length >= 6, `tables on the page: ${tables.length}`);
    for (const tb of tables) assert.ok(tb.rows > 0, `a table without rows: ${tb.head}`);

    const charts = await page.$$eval('figure[data-chart]', (fs) =>
      fs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          name: f.getAttribute('data-chart'),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          lines: svg?.querySelectorAll('.mark-line path, .mark-line line').length ?? 0,
          marks: svg?.querySelectorAll('.role-mark > *').length ?? 0,
          axisTitles: [...(svg?.querySelectorAll('.role-axis-title text') ?? [])].map((e) => e.textContent),
          legend: svg?.querySelectorAll('.role-legend-label text').length ?? 0,
        };
      }),
    );
    assert.deepEqual(
      charts.map((c) => c.name),
      CHART_NAMES,
    );
    for (const c of charts) {
      assert.ok(c.width > 100 && c.height > 100, `${c.name}: box ${c.width}×${c.height}`);
      assert.ok(c.lines > 0 && c.marks > 0, `${c.name}: ${c.lines} lines, ${c.marks} marks`);
      assert.ok(c.axisTitles.includes('Training step'), `${c.name}: x axis titled (${c.axisTitles.join(', ')})`);
      assert.ok(c.legend >= 5, `${c.name}: legend with the rows (${c.legend} labels)`);
    }
    // Where the credit went: each row's worked examples, every token shown with a colour, the boxed first wrong step
    // the one recorded (credit/step_N.jsonl), GRPO's credit one number per response; SDPO's runs kept none.
    const examples = await page.$$eval('#credit .credit-examples', (rows) =>
      rows.map((row) => ({
        row: row.getAttribute('data-row')!,
        bars: row.querySelectorAll('.legend .bar').length,
        text: row.textContent ?? '',
        shown: [...row.querySelectorAll('.credit-example')].map((ex) => {
          const toks = [...ex.querySelectorAll('.t')];
          return {
            kind: ex.getAttribute('data-kind')!,
            response: Number(ex.querySelector('.resp')?.getAttribute('data-response')),
            tokens: toks.map((e) => Number(e.getAttribute('data-t'))),
            credit: toks.map((e) => Number(e.getAttribute('data-credit'))),
            coloured: toks.filter((e) => {
              const bg = (globalThis as unknown as { getComputedStyle(el: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor;
              const box = e.getBoundingClientRect();
              return bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent' && box.width > 0 && box.height > 0;
            }).length,
            wrong: toks.filter((e) => e.classList.contains('fw')).map((e) => Number(e.getAttribute('data-t'))),
          };
        }),
      })),
    );
    assert.deepEqual(examples.map((r) => r.row), ['grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd', 'grpo-lr=3e-5']);
    for (const r of examples) {
      if (r.row === 'sdpo') {
        assert.deepEqual(r.shown, []);
        assert.match(r.text, /No worked examples: none of its runs kept them/);
        continue;
      }
      assert.equal(r.bars, 1, `${r.row}: one credit scale`);
      assert.deepEqual(r.shown.map((x) => x.kind), ['correct', 'misreading']);
      const kept = readFileSync(creditExamplesFile(join(sweep.dir, r.row, 'seed-1'), 60), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CreditRecord);
      for (const x of r.shown) {
        const recs = kept.filter((k) => k.response === x.response);
        assert.deepEqual(x.tokens, recs.map((k) => k.token), `${r.row} ${x.kind}: every token shown`);
        assert.equal(x.coloured, recs.length, `${r.row} ${x.kind}: every token has a background colour`);
        // Credit is float32 as the loss computes it (the made-up records' decimals round to it).
        assert.deepEqual(x.credit, recs.map((k) => Math.fround(k.credit)), `${r.row} ${x.kind}: the recorded credit`);
        assert.deepEqual(x.wrong, recs.filter((k) => k.firstWrongStep).map((k) => k.token), `${r.row} ${x.kind}: the boxed first wrong step is the recorded one`);
        if (x.kind === 'misreading') assert.ok(x.wrong.length > 0, `${r.row}: the misreading's first wrong step is boxed`);
        if (r.row === 'grpo') assert.equal(new Set(x.credit).size, 1, 'GRPO: one credit for every token of a response');
      }
    }

    assert.deepEqual(outside, [], 'requests that left the page');
    assert.deepEqual(problems, [], 'console errors or warnings');

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
  } finally {
    await browser.close();
    rmSync(root, { recursive: true, force: true });
  }
});
