// `rlsd-bench credit` (src/credit/): two 1-step runs (GRPO, RLSD) from the committed deep-world base
// (results/reference/mini2-candidate, read only) at 2 prompts × 4 samples, then
//   - the worked examples train keeps of its last batch follow their rule;
//   - the library view at K = 2: one record per response token, finite credit; GRPO's credit is the response's
//     group advantage on every token; RLSD's view equals the credit the training loop's update records for the same
//     batch; no tensor is left behind;
//   - the command on RLSD with --method-b GRPO over steps 0 and 1: the JSONL, a valid PNG of real size, and the HTML
//     in headless Chromium, where every token of every response has a background colour and the boxed first wrong
//     step is the parser's (parse.ts diagnose, independently of the view);
//   - bad input: one line and a non-zero exit, nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initBackend } from '../src/backend.ts';
import { chooseProblems, creditView, loadRunAt, openRun, parseSteps } from '../src/credit/view.ts';
import { creditRecords, type CreditRecord } from '../src/credit/output.ts';
import { cachedTensorCount } from '../src/model/ops.ts';
import { Adam, DEFAULT_ADAM } from '../src/optim.ts';
import { loadMiniTasks } from '../src/tasks.ts';
import { DEFAULT_TRAIN, train } from '../src/train/index.ts';
import { reward } from '../src/train/reward.ts';
import { rollout } from '../src/train/rollout.ts';
import { referencePass, teacherPass } from '../src/train/teacher.ts';
import { lossForward, update } from '../src/train/update.ts';
import { hashString, Rng } from '../src/util/rng.ts';
import { groupAdvantages } from '../methods/core.ts';
import { diagnose } from '../benchmarks/mini/deep/parse.ts';
import { tokenMask } from '../benchmarks/mini/deep/tokens.ts';
import { BASE, errorLines, REPO, runCli, runCliInProcess } from './fixtures.ts';
import { responseFromRecords } from '../src/credit/records.ts';
import { readCreditExamples } from '../src/report/records.ts';
import { creditExamplesFile } from '../src/train/credit-examples.ts';

await initBackend('wasm');

const CANDIDATE = join(REPO, 'results', 'reference', 'mini2-candidate');
const CHROMIUM = '/usr/bin/chromium';
const root = mkdtempSync(join(tmpdir(), 'rlsd-credit-'));
const runs = { grpo: join(root, 'grpo'), rlsd: join(root, 'rlsd') };
const live = (): number => tf.memory().numTensors - cachedTensorCount();

test.after(() => rmSync(root, { recursive: true, force: true }));

test('credit: two 1-step deep-world runs to view', async () => {
  for (const method of ['grpo', 'rlsd'] as const)
    await train({ ...DEFAULT_TRAIN, method, methodOptions: {}, base: CANDIDATE, out: runs[method], steps: 1, promptsPerStep: 2, samplesPerPrompt: 4, trainPerBenchmark: 2, evalSchedule: 'never', checkpointEvery: 1, maxNewTokens: 80, lr: 1e-3, warmupSteps: 0, teacherWorker: false, quiet: true });
  for (const dir of Object.values(runs)) assert.deepEqual(openRun(dir).steps, [0, 1]);
});

test('train keeps worked examples of its last batch, by the rule (credit/step_N.jsonl): a correct multi-step response and a misreading', () => {
  for (const method of ['grpo', 'rlsd'] as const) {
    const kept = readCreditExamples(creditExamplesFile(runs[method], 1));
    assert.ok(kept, `${method}: the last step keeps its examples (an empty file when none meets the rule)`);
    const byResponse = new Map<number, CreditRecord[]>();
    for (const x of kept) byResponse.set(x.response, [...(byResponse.get(x.response) ?? []), x]);
    assert.ok(byResponse.size <= 2, `${method}: at most one example of each kind`);
    const kinds = [...byResponse.values()].map((recs) => recs[0]!.correct);
    assert.equal(new Set(kinds).size, kinds.length, `${method}: one of each kind`);
    for (const recs of byResponse.values()) {
      assert.ok(recs.every((x) => x.step === 0 && x.method === method && x.run === 'a'), 'the weights before the last update, the run itself');
      const view = responseFromRecords(recs);
      assert.ok(view.sides[0]!.credit.some((c) => c !== 0), 'credit not zero on every token');
      if (view.verdict >= 1) assert.ok(view.parsed && Math.max(...view.steps) + 1 >= 2 && view.error === null, 'correct: parsed, at least two steps, none wrong');
      else assert.ok(view.error?.kind === 'misreading' && view.error.inReasoning && view.firstWrong.some((v) => v === 1), `incorrect: a misreading in the reasoning (${JSON.stringify(view.error)})`);
      if (method === 'grpo') assert.equal(new Set(view.sides[0]!.credit).size, 1, 'GRPO: one credit per response');
      assert.equal(view.sides[0]!.weight === null, method === 'grpo', `${method}: a weight where the method has one`);
    }
  }
});

test('credit view: a record per response token, finite credit; GRPO credits every token its response advantage; no tensor left', async () => {
  const run = openRun(runs.grpo);
  const before = live();
  const view = await creditView({ run, runB: null, steps: parseSteps('1', run), items: 2, seed: 1 });
  assert.equal(live(), before, 'tensors left behind by a credit view');
  const [c] = view.checkpoints;
  assert.equal(c!.problems.length, 2);
  const records = creditRecords(view);
  let tokens = 0;
  for (const p of c!.problems) {
    assert.equal(p.responses.length, 4);
    const rewards = Float32Array.from(p.responses, (r) => r.sides[0]!.reward);
    const advantage = groupAdvantages(rewards, new Int32Array(4), { stdNorm: true });
    for (const r of p.responses) {
      tokens += r.tokens.length;
      const mine = records.filter((x) => x.problem === p.uid && x.response === r.index);
      assert.equal(mine.length, r.tokens.length, 'one record per response token');
      assert.deepEqual(mine.map((x) => x.token), r.tokens.map((_, t) => t));
      assert.equal(mine.map((x) => (x.span === 'end' ? '' : x.text)).join(''), r.text, 'the records spell the response');
      assert.ok(mine.every((x) => Number.isFinite(x.credit) && x.delta === null && x.weight === null));
      assert.ok(mine.every((x) => Math.abs(x.credit - advantage[r.index]!) < 1e-6), `GRPO: every token carries A = ${advantage[r.index]}`);
    }
  }
  assert.equal(records.length, tokens);
});

test("credit view: RLSD's credit is what the training loop's update applies to the same batch", async () => {
  const run = openRun(runs.rlsd);
  const before = live();
  const view = await creditView({ run, runB: null, steps: [1], items: 2, seed: 1 });
  // The same batch through the loop's own phases, then one optimiser update recording its credit.
  const { side, dispose } = loadRunAt(run, 1);
  try {
    const tasks = chooseProblems(await loadMiniTasks(side.policy, { split: 'test', perBenchmark: 2, seed: 1, reserve: 80, suite: 'mini-2' }), 2, 1);
    assert.deepEqual(tasks.map((t) => t.uid), view.checkpoints[0]!.problems.map((p) => p.uid));
    const ro = rollout(side, tasks, new Rng(hashString('credit|1')));
    const rw = reward(ro, null);
    const teacher = teacherPass(side, ro, rw.rewards, 1, {});
    const reference = referencePass(side, ro, {});
    const forward = lossForward(side, ro, rw.rewards, teacher, reference, 1);
    const adam = new Adam(side.policy.params, { ...DEFAULT_ADAM, lr: 1e-3 });
    const credit = new Float32Array(ro.B * ro.R);
    try {
      update({ ...side, adam, trainPool: [], evalTasks: [] }, ro, rw.rewards, teacher, reference, 1, credit);
    } finally {
      adam.dispose();
    }
    assert.deepEqual(forward.credit, credit, "lossForward's credit is the update's");
    assert.ok(forward.creditWeight, 'RLSD has a weight');
    const responses = view.checkpoints[0]!.problems.flatMap((p) => p.responses);
    responses.forEach((r, b) => {
      assert.deepEqual(r.tokens.map((t) => (t === '<eos>' ? '' : t)).join(''), ro.texts[b]);
      assert.deepEqual(Array.from(r.sides[0]!.credit), Array.from(credit.subarray(b * ro.R, b * ro.R + r.tokens.length)), `response ${b}: the view's credit is the update's`);
      const w = r.sides[0]!.weight!;
      r.sides[0]!.credit.forEach((c, t) => assert.ok(Number.isFinite(c) && Number.isFinite(w[t]!)));
    });
  } finally {
    dispose();
  }
  assert.equal(live(), before, 'tensors left behind');
});

test('credit command: JSONL, PNG and the HTML in Chromium (every token coloured, the first wrong step the parser\'s)', async (t) => {
  const out = join(root, 'view');
  const r = runCli(['--backend', 'wasm', 'credit', runs.rlsd, '--step', '0,1', '--items', '2', '--method-b', runs.grpo, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['credit.html', 'credit.json', 'credit.jsonl', 'credit.png']);
  const records = readFileSync(join(out, 'credit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CreditRecord);
  assert.ok(records.every((x) => Number.isFinite(x.credit)));
  assert.deepEqual([...new Set(records.map((x) => `${x.step}/${x.run}/${x.method}`))], ['0/a/rlsd', '0/b/grpo', '1/a/rlsd', '1/b/grpo']);
  const png = await sharp(join(out, 'credit.png')).metadata();
  assert.equal(png.format, 'png');
  assert.ok(png.width === 3200 && png.height! > 1000, `PNG ${png.width}×${png.height}`);
  assert.ok(readFileSync(join(out, 'credit.png')).length > 50_000, 'a PNG with content');

  if (!existsSync(CHROMIUM)) {
    if (process.env['CI']) assert.fail(`${CHROMIUM} is missing: CI installs Debian's chromium for this test`);
    t.skip(`${CHROMIUM} not installed (apt-get install chromium); CI runs this part`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const outside: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(join(out, 'credit.html')).href, { waitUntil: 'load' });
    const shown = await page.$$eval('.resp', (rs) =>
      rs.map((resp) => ({
        step: Number(resp.getAttribute('data-step')),
        problem: resp.getAttribute('data-problem')!,
        response: Number(resp.getAttribute('data-response')),
        cols: [...resp.querySelectorAll('.col')].map((col) => {
          const toks = [...col.querySelectorAll('.t')];
          return {
            side: col.getAttribute('data-side')!,
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
    assert.equal(shown.length, 2 * 2 * 4, 'steps × problems × G responses');
    const tasks = await (async () => {
      const run = openRun(runs.rlsd);
      const { side, dispose } = loadRunAt(run, 0);
      try {
        return await loadMiniTasks(side.policy, { split: 'test', perBenchmark: 2, seed: 1, reserve: 80, suite: 'mini-2' });
      } finally {
        dispose();
      }
    })();
    let marked = 0;
    for (const s of shown) {
      assert.equal(s.cols.length, 2);
      const tokens = records.filter((x) => x.step === s.step && x.run === 'a' && x.problem === s.problem && x.response === s.response);
      const words = tokens.map((x) => (x.span === 'end' ? '' : x.text));
      const text = words.join('');
      const task = tasks.find((x) => x.uid === s.problem)!;
      const found = diagnose(text, task.program!.program, task.score(text).extracted).firstWrong;
      const expected = found ? [...tokenMask(words, found)].flatMap((v, i) => (v ? [i] : [])) : [];
      for (const col of s.cols) {
        assert.deepEqual(col.tokens, tokens.map((x) => x.token), `${s.problem} #${s.response} (${col.side}): every token shown`);
        assert.equal(col.coloured, tokens.length, `${s.problem} #${s.response} (${col.side}): every token has a background colour`);
        assert.deepEqual(col.wrong, expected, `${s.problem} #${s.response} (${col.side}): the boxed first wrong step is the parser's`);
        if (col.side === 'b') assert.equal(new Set(col.credit).size, 1, 'GRPO: one credit for every token of a response');
      }
      if (expected.length > 0) marked++;
    }
    assert.ok(marked > 0, 'some response has a first wrong step to box');
    assert.deepEqual(outside, [], 'requests that left the page');
  } finally {
    await browser.close();
  }
});

test('credit command: bad input is one line and a non-zero exit, nothing written', async () => {
  const mini1 = join(root, 'mini1-run');
  mkdirSync(join(mini1, 'checkpoints', 'step_000000'), { recursive: true });
  writeFileSync(join(mini1, 'run.json'), JSON.stringify({ config: { method: 'grpo', suite: 'mini-1' } }));
  cpSync(join(BASE, 'checkpoint.json'), join(mini1, 'checkpoints', 'step_000000', 'checkpoint.json'));
  const noFonts = join(root, 'fonts.conf');
  mkdirSync(join(root, 'no-fonts'));
  writeFileSync(noFonts, `<?xml version="1.0"?>\n<fontconfig><dir>${join(root, 'no-fonts')}</dir><cachedir>${join(root, 'no-fonts')}</cachedir></fontconfig>\n`);
  const out = join(root, 'refused');
  const cases: [string[], RegExp, Record<string, string>?][] = [
    [[CANDIDATE], /is not a run folder: it has no run\.json/],
    [[runs.grpo, '--step', '7'], /has no checkpoint at step 7 \(its checkpoints: 0, 1\)/],
    [[mini1], /mini suite 'mini-1', which has no step-level ground truth: credit views need the deep world's/],
    [[runs.grpo, '--items', '0'], /--items must be ≥ 1 \(got 0\)/],
    [[runs.grpo, '--items', '65'], /--items must be ≤ 64 \(got 65\)/],
    [[runs.grpo, '--step', 'last'], /--step must be a step, a list of steps/],
    [[runs.grpo], /text does not render here/, { FONTCONFIG_FILE: noFonts }],
  ];
  // The first, and the one whose environment must reach a fresh fontconfig, through the real binary; the others in
  // this process (runCliInProcess: the same entry and output).
  for (const [i, [args, message, env]] of cases.entries()) {
    const argv = ['--backend', 'wasm', 'credit', ...args, '--out', out];
    const r = i === 0 || env !== undefined ? runCli(argv, { env: env ?? {} }) : await runCliInProcess(argv);
    assert.notEqual(r.code, 0, `${args.join(' ')}: exit code`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(errorLines(r.stderr).length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(lines.length, 1, `${args.join(' ')}: one line, got ${r.stderr}`);
    assert.match(lines[0]!, message);
    assert.equal(existsSync(out), false, `${args.join(' ')}: nothing written`);
  }
});
