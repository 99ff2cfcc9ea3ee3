// Golden numbers for the credit metrics (methods/credit.ts), computed by hand in the comments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auroc, shareOfCredit, spanSum, summariseCredit, teacherCredit } from './credit.ts';

test('auroc: pairs won over all pairs, ties count one half, NaN without both classes or with a NaN score', () => {
  // Pairs (pos, neg): (0.9, 0.8) won, (0.9, 0.3) won, (0.4, 0.8) lost, (0.4, 0.3) won → 3/4.
  assert.equal(auroc([0.9, 0.8, 0.4, 0.3], [true, false, true, false]), 0.75);
  // (1, 1) tie → ½, (1, 0) won → 1.5/2.
  assert.equal(auroc([1, 1, 0], [true, false, false]), 0.75);
  assert.equal(auroc([5, 5, 5, 5], [true, false, true, false]), 0.5);
  assert.equal(auroc([0, 1], [true, false]), 0);
  assert.equal(auroc([-Infinity, 2, Infinity], [false, false, true]), 1);
  assert.ok(Number.isNaN(auroc([1, 2], [true, true])));
  assert.ok(Number.isNaN(auroc([], [])));
  assert.ok(Number.isNaN(auroc([1, Number.NaN], [true, false])));
});

test('shareOfCredit: the span only, |credit|, the chance level and the most-blamed token', () => {
  // Span t0..t3 (t4 is the answer statement, left out though its credit is the largest); marked t1, t2.
  // |c| over the span 1 + 3 + 1 + 2 = 7, on the mark 3 + 1 = 4 → 4/7; chance 2/4; the largest |c| (3, at t1) is marked.
  assert.deepEqual(shareOfCredit([1, -3, 1, 2, 9], [1, 1, 1, 1, 0], [0, 1, 1, 0, 0]), { share: 4 / 7, chance: 0.5, top: 1 });
  // The largest at t3, unmarked.
  assert.deepEqual(shareOfCredit([1, 1, 1, 4], [1, 1, 1, 1], [0, 1, 1, 0]), { share: 2 / 7, chance: 0.5, top: 0 });
  // Uniform credit (GRPO's A on every token): share = chance, and the tied maxima give the marked share.
  assert.deepEqual(shareOfCredit([-0.8, -0.8, -0.8, -0.8], [1, 1, 1, 1], [0, 0, 1, 0]), { share: 0.25, chance: 0.25, top: 0.25 });
  // All-zero credit: the chance level.
  assert.deepEqual(shareOfCredit([0, 0, 0], [1, 1, 1], [1, 0, 0]), { share: 1 / 3, chance: 1 / 3, top: 1 / 3 });
  // Empty span, empty mark, a non-finite credit: nothing to say.
  assert.equal(shareOfCredit([1, 2], [0, 0], [1, 1]), null);
  assert.equal(shareOfCredit([1, 2], [1, 1], [0, 0]), null);
  assert.equal(shareOfCredit([1, Number.NaN], [1, 1], [1, 0]), null);
  assert.equal(shareOfCredit([1, Infinity], [1, 1], [1, 0]), null);
  // A marked token outside the span does not count.
  assert.deepEqual(shareOfCredit([2, 2, 6], [1, 1, 0], [0, 1, 1]), { share: 0.5, chance: 0.5, top: 0.5 });
});

test('teacherCredit: exp(±Δ) with the exponent clamped to ±50; spanSum over the span', () => {
  const wrong = teacherCredit([0, -1, 100, -100], false);
  assert.deepEqual(Array.from(wrong), [1, Math.E, Math.exp(-50), Math.exp(50)]);
  const right = teacherCredit([0.5, -0.5], true);
  assert.deepEqual(Array.from(right), [Math.exp(0.5), Math.exp(-0.5)]);
  assert.equal(spanSum([1, -2, 4, 8], [1, 1, 1, 0]), 3);
  assert.equal(spanSum([1, 2], [0, 0]), 0);
});

test('summariseCredit: means over the responses that have a first wrong step or filler in the span', () => {
  const summary = summariseCredit([
    // Incorrect, step t1: share 3/6, chance 1/3, top (3 at t1) 1.
    { correct: false, reasoning: [1, 1, 1, 0], credit: [1, 3, 2, 7], firstWrong: [0, 1, 0, 0] },
    // Incorrect, step t0..t1 of 4: share 2/8, chance 1/2, top (5 at t3) 0.
    { correct: false, reasoning: [1, 1, 1, 1], credit: [1, 1, 1, 5], firstWrong: [1, 1, 0, 0] },
    // Incorrect without a located step, and one whose step lies outside the span: left out.
    { correct: false, reasoning: [1, 1], credit: [1, 1], firstWrong: null },
    { correct: false, reasoning: [1, 0], credit: [1, 1], firstWrong: [0, 1] },
    // Correct, filler t0: share 1/4, token share 1/2.
    { correct: true, reasoning: [1, 1], credit: [1, 3], filler: [1, 0] },
  ]);
  assert.equal(summary.firstWrongN, 2);
  assert.equal(summary.firstWrongShare, (3 / 6 + 2 / 8) / 2);
  assert.equal(summary.firstWrongChance, (1 / 3 + 1 / 2) / 2);
  assert.equal(summary.firstWrongTopRate, 0.5);
  assert.equal(summary.fillerN, 1);
  assert.equal(summary.fillerShare, 0.25);
  assert.equal(summary.fillerTokenShare, 0.5);
  const none = summariseCredit([]);
  assert.equal(none.firstWrongN, 0);
  assert.ok(Number.isNaN(none.firstWrongShare));
});
