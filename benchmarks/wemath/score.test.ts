// WeMath scorer: every extraction rule (quirks of `load_and_process_data` included), a hand-picked set of
// responses with the verdicts the official code gives them, the four-dimensional classification and the
// accuracy.py aggregates on hand-built groups (golden numbers computed by hand), pandas merge semantics
// (missing and duplicated partners), several samples, the result-table formatting, and scoring speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ItemRecord } from '../common/types.ts';
import { aggregateRecords, classifyGroups, extractAnswer, isCorrect, mergeSteps, pyStrip, scoreResponse, type WeMathRecord } from './score.ts';
import { accuracyCells, fourDimensionalCells, pyPercent } from './report.ts';
import { wemath } from './index.ts';

test('extraction: the letter after the last case-sensitive Answer', () => {
  assert.deepEqual(extractAnswer('<Thought process>: x\n<Answer>: C'), { extracted: 'C', extractor: 'after_answer' });
  assert.deepEqual(extractAnswer('<Answer>: <<D>>'), { extracted: 'D', extractor: 'after_answer' });
  assert.deepEqual(extractAnswer('Answer:A. 1 cm'), { extracted: 'A', extractor: 'after_answer' });
  // Only the text after the LAST 'Answer' counts, even when it holds no letter.
  assert.deepEqual(extractAnswer('Answer: A\nThat is my final Answer.'), { extracted: null, extractor: 'none' });
  assert.deepEqual(extractAnswer('Answer: A then Answer: B'), { extracted: 'B', extractor: 'after_answer' });
  // 'Answers: C' → 's C': the first character is 's'.
  assert.deepEqual(extractAnswer('Answers: C'), { extracted: null, extractor: 'none' });
  // Case-sensitive: 'ANSWER' and 'answer' are not the keyword, so the first-character rule runs.
  assert.deepEqual(extractAnswer('ANSWER: A'), { extracted: 'A', extractor: 'first_char' });
  assert.deepEqual(extractAnswer('answer: A'), { extracted: null, extractor: 'none' });
});

test('extraction: only < > : . are deleted, then the first character must be A–H', () => {
  assert.equal(extractAnswer('Answer:.:.>B').extracted, 'B');
  assert.equal(extractAnswer('<Answer>: ...D').extracted, 'D');
  assert.equal(extractAnswer('Answer: (B)').extracted, null); // '(' survives
  assert.equal(extractAnswer('Answer: **C**').extracted, null); // '*' survives
  assert.equal(extractAnswer('Answer -> C').extracted, null); // '-' survives
  assert.equal(extractAnswer('Answer: H').extracted, 'H');
  assert.equal(extractAnswer('Answer: I').extracted, null); // outside A–H
  assert.equal(extractAnswer('Answer: b').extracted, null); // lower case is not a letter option
  assert.equal(extractAnswer('Answer: 31.4 cm').extracted, null);
  // The first character of an option TEXT counts: 'Cylinder ③' reads as C.
  assert.deepEqual(extractAnswer('<Answer>:Cylinder ③.'), { extracted: 'C', extractor: 'after_answer' });
});

test('extraction: no Answer → the first character of the cleaned response', () => {
  assert.deepEqual(extractAnswer('B. 400, 300'), { extracted: 'B', extractor: 'first_char' });
  assert.deepEqual(extractAnswer('  \n.B'), { extracted: 'B', extractor: 'first_char' });
  assert.deepEqual(extractAnswer('The answer is B.'), { extracted: null, extractor: 'none' });
  assert.deepEqual(extractAnswer('b'), { extracted: null, extractor: 'none' });
});

test('extraction: empty and non-string responses give no answer', () => {
  assert.deepEqual(extractAnswer(''), { extracted: null, extractor: 'none' });
  assert.deepEqual(extractAnswer('Answer'), { extracted: null, extractor: 'none' });
  assert.deepEqual(extractAnswer('Answer:   '), { extracted: null, extractor: 'none' });
  assert.deepEqual(extractAnswer(null), { extracted: null, extractor: 'none' });
  assert.deepEqual(extractAnswer(42), { extracted: null, extractor: 'none' });
});

test('pyStrip is Python str.strip(): \\x1c–\\x1f and \\x85 are whitespace, \\ufeff is not', () => {
  assert.equal(pyStrip('\x1c\x1d\x1e\x1f x \x85\u3000'), 'x');
  assert.equal(pyStrip('\ufeffx'), '\ufeffx');
  assert.equal(pyStrip('\u00a0\u2003x\u2028\u2029'), 'x');
  assert.equal(extractAnswer('Answer:\x1cC').extracted, 'C');
  assert.equal(extractAnswer('Answer:\x85D').extracted, 'D');
  assert.equal(extractAnswer('Answer:\ufeffC').extracted, null); // JS trim() would have stripped it
});

// Responses written for this test in the styles models produce; the verdicts (processed_answer, joker)
// are what We-Math's evaluation/four_dimensional_metrics.py `load_and_process_data` returns for them.
const OFFICIAL_VERDICTS: [response: string, gold: string, extracted: string | null, correct: boolean][] = [
  ['<Thought process>: OA is 3000 m and AB is 4000 m.\n<Answer>: C', 'C', 'C', true],
  ['<Thought process>: The radius is 1 cm.\n<Answer>:A. 1 cm', 'A', 'A', true],
  ['Thought process: 1 dm = 10 cm, so cuboid ② is 1 dm high.\n\nAnswer: B. rectangular cuboid ②.', 'B', 'B', true],
  ['<Thought process>: Cylinder ③ has a 5 cm base.\n<Answer>:Cylinder ③.', 'A', 'C', false],
  ['<Thought process>: ...\n<Answer>: <<D>>', 'D', 'D', true],
  ['<Thought process>: ...\n<Answer>: (B)', 'B', null, false],
  ['<Thought process>: ...\n<Answer>: **C**', 'C', null, false],
  ['The answer is B.', 'B', null, false],
  ['B. 400, 300', 'B', 'B', true],
  ['b', 'B', null, false],
  ['<Thought process>: ...\n<Answer>: b', 'B', null, false],
  ['answer: A', 'A', null, false],
  ['ANSWER: A', 'A', 'A', true],
  ['Answer: E. No correct answer', 'E', 'E', true],
  ['Answer: H', 'H', 'H', true],
  ['Answer: I cannot tell.', 'A', null, false],
  ['Answer: 31.4 cm', 'A', null, false],
  ['', 'A', null, false],
  ['Answer: A\nWait, checking the Answer again: C', 'C', null, false],
  ['Answer: A\nThat is my final Answer.', 'A', null, false],
  ['Answer:\x1cC', 'C', 'C', true],
  ['Answer:\ufeffC', 'C', null, false],
  ['Answer:\x85D', 'D', 'D', true],
  ['Answer:\u3000B', 'B', 'B', true],
  ['Answers: C', 'C', null, false],
  ['<Answer>: ...D', 'D', 'D', true],
  ['Answer -> C', 'C', null, false],
  ['Answer = C', 'C', null, false],
  ['Answer:\n\n  A', 'A', 'A', true],
  ['My Answer is A', 'A', null, false],
];

test('hand-picked responses get the official verdicts (30/30)', () => {
  for (const [response, gold, extracted, correct] of OFFICIAL_VERDICTS) {
    const got = extractAnswer(response);
    assert.equal(got.extracted, extracted, JSON.stringify(response));
    assert.equal(isCorrect(got.extracted, gold), correct, JSON.stringify(response));
  }
});

test('verdict: exact string equality with the stored answer', () => {
  assert.equal(isCorrect('C', 'C'), true);
  assert.equal(isCorrect('C', 'C '), false); // no normalisation of the gold either
  assert.equal(isCorrect(null, 'C'), false);
});

const fields = (id: string, group: string, key: string, answer = 'A', concept = 'c', domain?: string) => ({ id, group, key, answer, concept, domain });

test('scoreResponse: record carries the group fields', () => {
  const rec = scoreResponse(fields('361', '2steps_1', '2steps_2', 'A', 'Area of Circles', 'Calculation of Plane Figures'), '<Answer>: A');
  assert.deepEqual(rec, {
    id: '361',
    response: '<Answer>: A',
    extracted: 'A',
    gold: 'A',
    correct: true,
    extractor: 'after_answer',
    group: '2steps_1',
    key: '2steps_2',
    concept: 'Area of Circles',
    domain: 'Calculation of Plane Figures',
  });
  const noDomain = scoreResponse(fields('1', 'g', '2steps_1'), 'x');
  assert.equal('domain' in noDomain, false);
});

/** Records of a group from verdicts: steps (one per sub-problem, null = item absent) and the composite. */
function group(name: string, steps: (boolean | null)[], multi: boolean | null, sample?: number): ItemRecord[] {
  const family = `${steps.length}steps`;
  const out: ItemRecord[] = [];
  const make = (key: string, correct: boolean) => {
    const r: ItemRecord = { id: `${name}-${key}`, response: '', extracted: null, gold: 'A', correct, extractor: 'none', group: name, key };
    if (sample !== undefined) r.sample = sample;
    return r;
  };
  steps.forEach((c, i) => {
    if (c !== null) out.push(make(`${family}_${i + 1}`, c));
  });
  if (multi !== null) out.push(make(`${family}_multi`, multi));
  return out;
}

const T = true;
const F = false;
// g1 CM, g2 RM_strict+CM_loose, g3 RM (both), g4 IG, g5 IK; h1 IG, h2 IK, h3 RM_strict+CM_loose.
const HAND_GROUPS: ItemRecord[] = [
  ...group('2steps_1', [T, T], T),
  ...group('2steps_2', [T, F], T),
  ...group('2steps_3', [F, F], T),
  ...group('2steps_4', [T, T], F),
  ...group('2steps_5', [F, T], F),
  ...group('3steps_1', [T, T, T], F),
  ...group('3steps_2', [F, F, F], F),
  ...group('3steps_3', [T, F, T], T),
];

test('four dimensions, strict and loose, on hand-built groups', () => {
  const m = aggregateRecords(HAND_GROUPS);
  // 8 groups. Strict: CM 1, RM 3, IG 2, IK 2 (sums to 8). Loose: CM 3, RM 1, IG 2, IK 2.
  assert.equal(m.groups, 8);
  assert.deepEqual(m.IK, { count: 2, rate: 0.25 });
  assert.deepEqual(m.IG, { count: 2, rate: 0.25 });
  assert.deepEqual(m.CM_strict, { count: 1, rate: 0.125 });
  assert.deepEqual(m.CM_loose, { count: 3, rate: 0.375 });
  assert.deepEqual(m.RM_strict, { count: 3, rate: 0.75 }); // RM / (CM + RM) = 3 / 4
  assert.deepEqual(m.RM_loose, { count: 1, rate: 0.25 }); // 1 / (3 + 1)
  assert.equal(m.score_strict, 0.25); // (8 − 0.5·2 − 3 − 2) / 8
  assert.equal(m.score_loose, 0.5); // (8 − 0.5·2 − 1 − 2) / 8
  // S1: one-step verdicts 6/10 (2-step) + 5/9 (3-step) = 11/19; S2 = 3/5; S3 = 1/3.
  assert.equal(m.S1, 11 / 19);
  assert.equal(m.S2, 0.6);
  assert.equal(m.S3, 1 / 3);
  assert.equal(m.accuracy, 15 / 27);
  assert.equal(m.n, 27);
  assert.equal('domains' in m, false);
  // totalGroups forces the original's constant denominator.
  const fixed = aggregateRecords(HAND_GROUPS, { totalGroups: 525 });
  assert.equal(fixed.score_strict, (525 - 1 - 3 - 2) / 525);
  assert.deepEqual(fixed.IK, { count: 2, rate: 2 / 525 });
  assert.deepEqual(fixed.RM_strict, { count: 3, rate: 0.75 });
});

test('pandas merge semantics: a missing partner is NaN, a duplicated partner multiplies rows', () => {
  // Step 2 missing: neither all-true nor any-false, so only CM_loose (any true & multi true) counts it.
  const missing = mergeSteps(group('2steps_9', [T, null], T) as never, 2);
  assert.deepEqual(missing.map((r) => [r.steps, r.multi]), [[[true, null], true]]);
  assert.deepEqual(classifyGroups(missing), { IK: 0, IG: 0, CM_strict: 0, CM_loose: 1, RM_strict: 0, RM_loose: 0 });
  // Missing composite: a merged row the original counts as a group of no dimension (a perfect score); here an
  // incomplete group is left out of the group metrics and reported.
  const noMulti = aggregateRecords(group('2steps_9', [F, F], null));
  assert.equal(noMulti.groups, 0);
  assert.equal(noMulti.groups_incomplete, 1);
  assert.equal(noMulti.items_dropped, 2);
  assert.equal((noMulti.IK as { count: number }).count, 0);
  assert.ok(Number.isNaN(noMulti.S2 as number)); // mean of nothing: Python prints nan%
  // Missing step 1: the group does not exist for the merge (left side is steps_1).
  const noFirst = aggregateRecords(group('2steps_9', [null, T], T));
  assert.equal(noFirst.groups, 0);
  assert.ok(Number.isNaN(noFirst.S1 as number));
  // Two step-2 records of one group → two merged rows.
  const dup = [...group('2steps_8', [T, T], T), ...group('2steps_8', [null, F], null)];
  const rows = mergeSteps(dup as never, 2);
  assert.deepEqual(rows.map((r) => r.steps), [[true, true], [true, false]]);
  assert.deepEqual(classifyGroups(rows), { IK: 0, IG: 0, CM_strict: 1, CM_loose: 2, RM_strict: 1, RM_loose: 0 });
});

test('RM rates with CM + RM = 0 and empty input are NaN (the original divides by zero)', () => {
  const m = aggregateRecords(group('2steps_1', [F, F], F));
  assert.deepEqual(m.IK, { count: 1, rate: 1 });
  assert.equal((m.RM_strict as { count: number }).count, 0);
  assert.ok(Number.isNaN((m.RM_strict as { rate: number }).rate));
  assert.equal(m.score_strict, 0);
  const empty = aggregateRecords([]);
  assert.equal(empty.n, 0);
  assert.ok(Number.isNaN(empty.score_strict as number));
});

test('per-domain accuracy: mean over the domain’s concepts of each concept’s one-step accuracy', () => {
  const rec = (id: string, grp: string, key: string, correct: boolean, concept: string, domain?: string): ItemRecord => {
    const r: ItemRecord = { id, response: '', extracted: null, gold: 'A', correct, extractor: 'none', group: grp, key, concept };
    if (domain) r.domain = domain;
    return r;
  };
  const records = [
    rec('1', 'g1', '2steps_1', true, 'c1', 'D1'),
    rec('2', 'g1', '2steps_2', false, 'c1', 'D1'),
    rec('3', 'g1', '2steps_multi', true, 'c1;c2'),
    rec('4', 'g2', '2steps_1', true, 'c2', 'D1'),
    rec('5', 'g2', '2steps_2', false, 'c3', 'Direction'),
    rec('6', 'g2', '2steps_multi', false, 'c2;c3'),
    rec('7', 'g3', '2steps_1', true, 'unmapped'), // concept outside the knowledge structure: S1 only
    rec('8', 'g3', '2steps_2', true, 'c3', 'Direction'),
    rec('9', 'g3', '2steps_multi', true, 'x'),
  ];
  const m = aggregateRecords(records);
  // c1 = 1/2, c2 = 1, c3 = 1/2 → D1 = mean(0.5, 1) = 0.75 (not the pooled 2/3); Direction = 0.5.
  // Known domains come in accuracy.py's column order, unknown ones after them.
  assert.deepEqual(m.domains, { Direction: 0.5, D1: 0.75 });
  assert.equal(m.S1, 4 / 6);
});

test('several samples: metrics per sample, then averaged', () => {
  const right = group('2steps_1', [T, T], T, 0);
  const wrong = group('2steps_1', [F, F], F, 1);
  const m = aggregateRecords([...right, ...wrong]);
  assert.equal(m.samples, 2);
  assert.equal(m.accuracy, 0.5);
  assert.equal(m.score_strict, 0.5); // (1 + 0) / 2
  assert.deepEqual(m.CM_strict, { count: 0.5, rate: 0.5 });
  assert.deepEqual(m.IK, { count: 0.5, rate: 0.5 });
  assert.equal(m.groups, 1);
});

test('result tables formatted as the official scripts print them', () => {
  assert.equal(pyPercent(0.19809523809523809), '19.81%');
  assert.equal(pyPercent(269 / 525), '51.24%');
  assert.equal(pyPercent(119 / 190), '62.63%');
  assert.equal(pyPercent(1), '100.00%');
  assert.equal(pyPercent(0), '0.00%');
  assert.equal(pyPercent(NaN), 'nan%');
  // Exact binary ties round half to even like Python (JS toFixed would round 12.125 up).
  assert.equal(pyPercent(0.12125), '12.12%'); // 0.12125*100 = 12.125 exactly in binary
  assert.equal(pyPercent(0.12375), '12.38%');
  const m = aggregateRecords(HAND_GROUPS);
  assert.deepEqual(fourDimensionalCells(m), {
    'Score (Strict)': '25.00%',
    'InsufficientKnowledge (Strict)': '25.00% (2)',
    'InadequateGeneralization (Strict)': '25.00% (2)',
    'CompleteMastery (Strict)': '12.50% (1)',
    'RoteMemorization (Strict)': '75.00% (3)',
    'Score (Loose)': '50.00%',
    'InsufficientKnowledge (Loose)': '25.00% (2)',
    'InadequateGeneralization (Loose)': '25.00% (2)',
    'CompleteMastery (Loose)': '37.50% (3)',
    'RoteMemorization (Loose)': '25.00% (1)',
  });
  assert.deepEqual(accuracyCells(m), { 'One-step(S1)': '57.89%', 'Two-step(S2)': '60.00%', 'Three-step(S3)': '33.33%' });
});

test('scoring 10,000 responses and aggregating them (its speed: npm run bench:benchmarks)', () => {
  const items = Array.from({ length: 10_000 }, (_, i) => ({
    id: String(i),
    group: `2steps_${Math.floor(i / 3)}`,
    key: ['2steps_1', '2steps_2', '2steps_multi'][i % 3]!,
    answer: 'ABCD'[i % 4]!,
    concept: `c${i % 50}`,
    domain: 'Direction',
  }));
  const responses = items.map((_, i) => `<Thought process>: step ${i} of the reasoning, with Answer mentioned.\n<Answer>: ${'ABCD'[(i * 7) % 4]}`);
  const records: WeMathRecord[] = items.map((it, i) => scoreResponse(it, responses[i]!));
  const m = aggregateRecords(records);
  assert.equal(records.length, 10_000);
  assert.equal(m.groups, 3333); // the 10,000th item opens a group whose partners are missing
  assert.equal(m.groups_incomplete, 1);
});

test('the Benchmark object wires the same functions', () => {
  assert.equal(wemath.name, 'wemath');
  assert.deepEqual(wemath.splits, ['testmini']);
  const item = { id: '5', group: '2steps_5', key: '2steps_1', answer: 'A', concept: 'Circumference of Circles' };
  assert.deepEqual(wemath.extract('Answer: A', item as never), { extracted: 'A', extractor: 'after_answer' });
  const rec = wemath.score(item as never, '<Answer>: A. 1 cm');
  assert.equal(rec.correct, true);
  assert.equal(rec.group, '2steps_5');
});
