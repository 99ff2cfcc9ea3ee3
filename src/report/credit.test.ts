// The report's "Where the credit went" as pure functions of in-memory records: the table of first-wrong-step and filler
// shares against uniform credit (hand-checked means and Student-t intervals over seeds, each seed read at its first and
// last logged step, the older baseline of runs that predate the matched one), and the worked examples (the lowest seed
// that kept them, the notes of rows without).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CreditRecord } from '../credit/records.ts';
import { DataError } from '../util/errors.ts';
import { creditCells, creditMarkdown, NO_CREDIT, reportFiles } from './formats.ts';
import { buildTables, creditExamples, creditTable } from './tables.ts';
import type { CellRecord, SweepRecords } from './types.ts';

type Line = Record<string, number>;

function cell(row: string, seed: number, lines: [number, Line][], extra: Partial<CellRecord> = {}): CellRecord {
  return {
    id: `${row}/seed-${seed}`,
    row,
    method: row,
    override: null,
    seed,
    dir: `/sweep/${row}/seed-${seed}`,
    state: 'done',
    steps: 3,
    evalSplit: 'test',
    evaluations: [{ step: 0, perBenchmark: {}, avg: 0.5, pooled: 0.5 }],
    dynamics: lines.map(([step, values]) => ({ step, values })),
    items: () => null,
    itemGroups: () => null,
    ...extra,
  };
}

const records = (cells: CellRecord[]): SweepRecords => ({ dir: '/sweep', name: 'unit', source: 'sweep.json', cells });

/** A line with the matched baseline (today's runs). */
const fw = (share: number, uniform: number, top?: number): Line => ({ 'credit/first_wrong_share': share, 'credit/first_wrong_uniform': uniform, 'credit/first_wrong_chance': 0.99, ...(top === undefined ? {} : { 'credit/first_wrong_top': top }) });
const fi = (share: number, uniform: number): Line => ({ 'credit/filler_share': share, 'credit/filler_uniform': uniform, 'credit/filler_token_share': 0.99 });
const t2 = 12.706204736174698; // t(0.975, 1)
const t3 = 4.302652729749464; // t(0.975, 2)

function sweep(): SweepRecords {
  return records([
    cell('base', 1, [[1, { 'critic/score/mean': 0.3 }]]),
    // GRPO: uniform credit, its share is its baseline.
    cell('grpo', 1, [[1, { ...fw(0.3, 0.3, 0.3), ...fi(0.1, 0.1) }], [3, { ...fw(0.28, 0.28, 0.28), ...fi(0.12, 0.12) }]]),
    cell('grpo', 2, [[1, { ...fw(0.32, 0.32, 0.32), ...fi(0.1, 0.1) }], [3, { ...fw(0.3, 0.3, 0.3), ...fi(0.12, 0.12) }]]),
    // OPSD logs no credit metric: no row.
    cell('opsd', 1, [[1, { 'actor/entropy': 1 }]]),
    // RLSD: seed 3 predates the matched baseline (only *_chance and *_token_share) and the top-token rate, and logs no
    // first-wrong share at step 1.
    cell('rlsd', 1, [[1, { ...fw(0.4, 0.3, 0.6), ...fi(0.1, 0.15) }], [2, { 'actor/entropy': 1 }], [3, { ...fw(0.5, 0.3, 0.8), ...fi(0.05, 0.15) }]]),
    cell('rlsd', 2, [[1, { ...fw(0.3, 0.3, 0.5), ...fi(0.1, 0.15) }], [3, { ...fw(0.4, 0.3, 0.7), ...fi(0.05, 0.15) }]]),
    cell('rlsd', 3, [
      [1, { 'credit/filler_share': 0.2, 'credit/filler_token_share': 0.2, 'credit/first_wrong_chance': 0.25 }],
      [2, { 'credit/first_wrong_share': 0.35, 'credit/first_wrong_chance': 0.25 }],
      [3, { 'credit/first_wrong_share': 0.45, 'credit/first_wrong_chance': 0.3, 'credit/filler_share': 0.05, 'credit/filler_token_share': 0.15 }],
    ]),
  ]);
}

test('credit table: shares against uniform credit at the first and last logged step, mean ± t-interval over seeds (by hand)', () => {
  const t = creditTable(sweep());
  assert.deepEqual(t.rows.map((r) => `${r.row}/${r.at}`), ['grpo/first', 'grpo/last', 'rlsd/first', 'rlsd/last']);
  const row = (name: string, at: string) => t.rows.find((r) => r.row === name && r.at === at)!;
  const close = (x: number, want: number, what: string): void => assert.ok(Math.abs(x - want) < 1e-9, `${what}: ${x}, want ${want}`);

  // RLSD, first logged step. First wrong step: seeds read at steps 1, 1, 2 — shares 40, 30, 35 (mean 35, sd 5);
  // uniform 30, 30 and (seed 3, the older baseline) 25: mean 28.33, sd √(25/3) = 2.887; Δ 10, 0, 10: mean 6.67, sd 5.774.
  const first = row('rlsd', 'first');
  const [wrong, top, filler] = first.values;
  assert.deepEqual(wrong!.steps, [1, 1, 2]);
  close(wrong!.share.mean, 35, 'share');
  close(wrong!.share.half, (t3 * 5) / Math.sqrt(3), 'share ± (12.42)');
  close(wrong!.uniform.mean, 85 / 3, 'uniform');
  close(wrong!.uniform.half, (t3 * Math.sqrt(25 / 3)) / Math.sqrt(3), 'uniform ± (7.17)');
  close(wrong!.diff.mean, 20 / 3, 'Δ');
  close(wrong!.diff.half, (t3 * Math.sqrt(100 / 3)) / Math.sqrt(3), 'Δ ± (14.34)');
  assert.equal(wrong!.olderBaseline, 1);
  // Filler, all at step 1: shares 10, 10, 20; uniform 15, 15, 20; Δ −5, −5, 0.
  assert.deepEqual(filler!.steps, [1, 1, 1]);
  close(filler!.share.mean, 40 / 3, 'filler share');
  close(filler!.diff.mean, -10 / 3, 'filler Δ');
  // Most-credited token in the first wrong step: seeds 1 and 2 only (60, 50: mean 55, sd √50, ± t2·5 = 63.53, clipped to
  // 0–100), against their uniform 30 and 30; Δ 30, 20.
  assert.deepEqual(top!.steps, [1, 1, NaN]);
  close(top!.share.half, t2 * 5, 'top ±');
  assert.deepEqual(creditCells(first), ['RLSD', 'first', 'first_wrong: 1/1/2; first_wrong_top: 1/1/—; filler: 1/1/1', '3', '35.00 ± 12.42', '28.33 ± 7.17', '+6.67 ± 14.34', '55.00 [0.00, 100.00]', '30.00 ± 0.00', '+25.00 ± 63.53', '13.33 [0.00, 27.68]', '16.67 ± 7.17', '−3.33 ± 7.17']);

  // RLSD, last: step 3 for every seed. First wrong: 50, 40, 45 against 30 → Δ 20, 10, 15 (mean 15, sd 5); filler 5 against 15.
  const last = row('rlsd', 'last');
  assert.deepEqual(creditCells(last), ['RLSD', 'last', '3', '3', '45.00 ± 12.42', '30.00 ± 0.00', '+15.00 ± 12.42', '75.00 [11.47, 100.00]', '30.00 ± 0.00', '+45.00 ± 63.53', '5.00 ± 0.00', '15.00 ± 0.00', '−10.00 ± 0.00']);

  // GRPO: two seeds, share equal to its baseline, Δ 0; first 30 and 32 → 31.00 ± 12.706·√2/√2 = 12.71.
  const grpo = row('grpo', 'first');
  close(grpo.values[0]!.share.half, t2 * Math.SQRT2 / Math.SQRT2, 'GRPO ±');
  // Its most-credited token: every token ties, so the rate is the step's token share, its baseline.
  assert.deepEqual(creditCells(grpo), ['GRPO', 'first', '1', '2', '31.00 ± 12.71', '31.00 ± 12.71', '0.00 ± 0.00', '31.00 ± 12.71', '31.00 ± 12.71', '0.00 ± 0.00', '10.00 ± 0.00', '10.00 ± 0.00', '0.00 ± 0.00']);
  // The caption says which rows read the older baseline.
  assert.match(t.caption, /RLSD: runs that predate the matched baseline are read against the whole batch's/);
  assert.doesNotMatch(t.caption, /GRPO: runs that predate/);
});

test("credit table: the early row is each seed's mean over the first 10 % of its steps (by hand)", () => {
  // 20 steps: the window is steps 1–2. Seed 1 logs 40 and 60 against 30 and 20 (means 50 against 25); seed 2 logs 30
  // at step 1 only (against 30), then nothing in the window; step 3 lies outside it.
  const t = creditTable(
    records([
      cell('rlsd', 1, [[1, fw(0.4, 0.3)], [2, fw(0.6, 0.2)], [3, fw(0.9, 0.1)]], { steps: 20 }),
      cell('rlsd', 2, [[1, fw(0.3, 0.3)], [3, fw(0.9, 0.1)]], { steps: 20 }),
    ]),
  );
  assert.deepEqual(t.rows.map((r) => r.at), ['first', 'early', 'last']);
  const early = t.rows[1]!;
  assert.deepEqual(early.window, { from: 1, to: 2 });
  // Shares 50 and 30: mean 40, sd √200, ± 12.706 · 10 = 127.06 (clipped); uniform 25 and 30 (27.50 ± 31.77, clipped); Δ 25 and 0.
  assert.deepEqual(creditCells(early).slice(0, 7), ['RLSD', 'early', '1–2', '2', '40.00 [0.00, 100.00]', '27.50 [0.00, 59.27]', '+12.50 ± 158.83']);
  assert.deepEqual(early.values[0]!.steps, [2, 1]);
  assert.match(t.caption, /early: each seed's mean over the first 10 % of the row's steps \(its longest run/);
});

test('credit table in report.md and credit.md/csv; none without credit metrics, one line instead', () => {
  const tables = buildTables(sweep(), { comparisons: [], resamples: 100, seed: 1 });
  const files = reportFiles('unit', '/sweep', tables);
  assert.match(files['report.md']!, /### Where the credit went\n\n\| Method +\| at +\| +step\(s\) \|/);
  assert.ok(files['report.md']!.indexOf('### Where the credit went') > files['report.md']!.indexOf('### Training dynamics'));
  assert.match(files['credit.md']!, /\| RLSD +\| last +\| +3 \| +3 \| +45\.00 ± 12\.42 \| +30\.00 ± 0\.00 \| +\+15\.00 ± 12\.42 \|/);
  assert.match(files['credit.csv']!.split('\n')[0]!, /^row,label,at,window_from,window_to,seeds,first_wrong_steps,first_wrong_n,first_wrong_share,/);
  assert.equal(files['credit.csv']!.trim().split('\n').length, 1 + 4);

  const plain = records([cell('grpo', 1, [[1, { 'actor/entropy': 1 }]])]);
  const none = buildTables(plain, { comparisons: [], resamples: 100, seed: 1 });
  assert.equal(none.credit.rows.length, 0);
  assert.equal(creditMarkdown(none.credit, none.examples), `### Where the credit went\n\n${NO_CREDIT}\n`);
  const noneFiles = reportFiles('unit', '/sweep', none);
  assert.ok(!('credit.md' in noneFiles) && !('credit.csv' in noneFiles));
});

/** Records of one made-up response: three tokens, the middle one its first wrong step when incorrect. */
function response(index: number, correct: boolean): CreditRecord[] {
  return ['the', ' red', '<eos>'].map((text, t) => ({
    step: 2,
    run: 'a',
    method: 'rlsd',
    problem: 'zerobench/1',
    benchmark: 'zerobench',
    response: index,
    token: t,
    text,
    span: t === 2 ? 'end' : 'step',
    reasoningStep: t === 2 ? null : 0,
    firstWrongStep: !correct && t === 1,
    delta: null,
    weight: null,
    credit: (correct ? 1 : -1) * (t + 1) * 0.25,
    reward: correct ? 1 : 0,
    correct,
    gold: '8',
    extracted: correct ? '8' : '9',
    error: correct ? null : { kind: 'misreading', detail: 'red is 5, not 4', inReasoning: true },
    parsed: true,
  }));
}

test('credit examples: each row shows its lowest seed that kept them, the correct one first; rows without say why', () => {
  const asked: string[] = [];
  const kept = (id: string, out: CreditRecord[] | null | Error) => (step: number) => {
    asked.push(`${id}@${step}`);
    if (out instanceof Error) throw out;
    return out;
  };
  const x = creditExamples(
    records([
      cell('base', 1, [], { creditExamples: kept('base/1', []) }),
      cell('grpo', 1, [], { creditExamples: kept('grpo/1', new DataError('/sweep/grpo/seed-1/credit/step_000003.jsonl line 2: credit is not a number')) }),
      cell('grpo', 2, [], { creditExamples: kept('grpo/2', null) }),
      cell('rlsd', 1, [], { creditExamples: kept('rlsd/1', null) }),
      cell('rlsd', 2, [], { creditExamples: kept('rlsd/2', [...response(5, false), ...response(3, true)]), run: { creditMeaning: 'Â_t' } }),
      cell('rlsd', 3, [], { creditExamples: kept('rlsd/3', [...response(0, true)]) }),
      cell('sdpo', 1, [], { creditExamples: kept('sdpo/1', response(1, true)) }),
    ]),
  );
  // Rows in report order; the base row is never asked; RLSD's seed 3 is not read once seed 2 kept examples. Each run is
  // asked for its last step.
  assert.deepEqual(asked, ['grpo/1@3', 'grpo/2@3', 'sdpo/1@3', 'rlsd/1@3', 'rlsd/2@3']);
  const [grpo, sdpo, rlsd] = x.rows;
  assert.deepEqual(grpo!.examples, []);
  assert.equal(grpo!.seed, undefined);
  assert.deepEqual(grpo!.notes, [
    'seed 1: /sweep/grpo/seed-1/credit/step_000003.jsonl line 2: credit is not a number',
    'no worked examples: none of its runs kept them (train keeps them at its last step on the mini-2 suite; runs on mini-1, which has no step-level truth, and runs of versions before this one have none)',
  ]);
  assert.equal(rlsd!.seed, 2);
  assert.equal(rlsd!.step, 3);
  assert.equal(rlsd!.creditMeaning, 'Â_t');
  assert.deepEqual(rlsd!.examples.map((e) => [e.kind, e.response.index]), [['correct', 3], ['misreading', 5]]);
  assert.deepEqual(Array.from(rlsd!.examples[1]!.response.sides[0]!.credit), [-0.25, -0.5, -0.75]);
  assert.deepEqual(Array.from(rlsd!.examples[1]!.response.firstWrong), [0, 1, 0]);
  assert.equal(rlsd!.examples[1]!.response.text, 'the red');
  assert.deepEqual(rlsd!.notes, []);
  assert.deepEqual(sdpo!.notes, ['its batch at step 3 held no misreading that met the rule']);
  assert.match(x.rule, /never by hand/);
  assert.match(x.rule, /lowest seed/);
});
