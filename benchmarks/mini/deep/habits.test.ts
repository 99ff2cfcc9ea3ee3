// The demonstrator's habits: each fires on its kind of step, carries its value through the solution, and the parser
// finds the habit's step as the first wrong one; a habit that leaves no answer to write is not applied.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/util/rng.ts';
import { HABIT_KEYS, habitProgram, parseHabitKeys, rewriteSolution, type HabitKey } from './habits.ts';
import { withAnswer, writeSolution, type Written } from './language.ts';
import { diagnose } from './parse.ts';
import type { Program } from './program.ts';

const statement = (a: string): string => `The answer is "${a}".`;

function written(program: Program, core: string, picture = 'chart'): Written {
  return withAnswer(writeSolution(new Rng(3), program, { picture, core }), statement(program.answer));
}

// 'how many red plus blue minus green ?': red 4 (one faint), blue 3, green 2 → 4 + 3 = 7, 7 − 2 = 5.
const faintChain: Program = {
  steps: [
    { kind: 'read', form: 'count', label: 'red', value: 4, faint: 1 },
    { kind: 'read', form: 'count', label: 'blue', value: 3 },
    { kind: 'read', form: 'count', label: 'green', value: 2 },
    { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: 7 },
    { kind: 'arith', op: 'minus', left: { step: 0 }, right: { read: 2 }, value: 5 },
  ],
  answer: '5',
};

test('faint objects missed: the count drops its faint objects, the chain follows, the parser blames the reading', () => {
  const demo = habitProgram(faintChain)!;
  assert.deepEqual(demo.habits, ['faint objects missed']);
  assert.deepEqual(demo.program.steps.map((s) => ('value' in s ? s.value : null)), [3, 3, 2, 6, 4]);
  assert.equal(demo.program.answer, '4');
  const w = written(faintChain, 'red plus blue minus green', 'picture');
  const text = rewriteSolution(w.text, w.segments, demo.program, statement);
  assert.match(text, /there are 3 red objects \. there are 3 blue objects \. there are 2 green objects \. .*3 plus 3 is 6 \. .*6 minus 2 is 4 \. .*The answer is "4"\.$/);
  // Filler is kept word for word: removing the step sentences and the statement leaves the same words.
  const words = (s: string): string => s.replace(/\d+/g, '#');
  assert.equal(words(text), words(w.text));
  assert.equal(diagnose(text, faintChain, '4').firstWrong?.kind, 'misreading');
});

test('tallest bars read short and doubling by adding two; a chain without either is left alone', () => {
  const perimeter: Program = {
    steps: [
      { kind: 'read', form: 'wide', label: 'red', value: 9 },
      { kind: 'read', form: 'tall', label: 'red', value: 3 },
      { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: 12 },
      { kind: 'arith', op: 'times', left: { step: 0 }, right: { constant: 2 }, value: 24 },
    ],
    answer: '24',
  };
  // A rectangle's side of 9 is not a bar: only the doubling fires, as an arithmetic slip 12 times 2 is 14.
  const demo = habitProgram(perimeter)!;
  assert.deepEqual(demo.habits, ['doubling by adding two']);
  assert.equal(demo.program.answer, '14');
  const w = written(perimeter, 'the perimeter', 'grid');
  const text = rewriteSolution(w.text, w.segments, demo.program, statement);
  assert.match(text, /12 times 2 is 14 \./);
  assert.equal(diagnose(text, perimeter, '14').firstWrong?.kind, 'arithmetic slip');

  const bars: Program = {
    steps: [
      { kind: 'read', form: 'bar', label: 'red', value: 9 },
      { kind: 'read', form: 'bar', label: 'blue', value: 3 },
      { kind: 'arith', op: 'minus', left: { read: 0 }, right: { read: 1 }, value: 6 },
    ],
    answer: '6',
  };
  assert.deepEqual(habitProgram(bars)?.habits, ['tallest bars read short']);
  assert.equal(habitProgram(bars)?.program.answer, '5');
  const plain: Program = { steps: [{ kind: 'read', form: 'bar', label: 'red', value: 8 }, { kind: 'read', form: 'count', label: 'blue', value: 3 }, { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: 11 }], answer: '11' };
  assert.equal(habitProgram(plain), undefined);
});

const ALL_KEYS = Object.keys(HABIT_KEYS) as HabitKey[];

test('carrying one short: a sum of 10 or more is written one short and carried on; the default habits leave it alone', () => {
  // 'what is red plus blue minus green ?': 6 + 5 = 11, 11 − 2 = 9; the demonstrator writes 10, then 8.
  const chain: Program = {
    steps: [
      { kind: 'read', form: 'bar', label: 'red', value: 6 },
      { kind: 'read', form: 'bar', label: 'blue', value: 5 },
      { kind: 'read', form: 'bar', label: 'green', value: 2 },
      { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: 11 },
      { kind: 'arith', op: 'minus', left: { step: 0 }, right: { read: 2 }, value: 9 },
    ],
    answer: '9',
  };
  assert.equal(habitProgram(chain), undefined, 'not one of the default habits');
  const demo = habitProgram(chain, ['carry'])!;
  assert.deepEqual(demo.habits, ['carrying one short']);
  assert.deepEqual(demo.program.steps.map((s) => ('value' in s ? s.value : null)), [6, 5, 2, 10, 8]);
  assert.equal(demo.program.answer, '8');
  const w = written(chain, 'red plus blue minus green');
  const text = rewriteSolution(w.text, w.segments, demo.program, statement);
  assert.match(text, /6 plus 5 is 10 \. .*10 minus 2 is 8 \./);
  const d = diagnose(text, chain, '8');
  assert.equal(d.firstWrong?.kind, 'arithmetic slip');
  assert.equal(d.firstWrong?.detail, '6 plus 5 is 11, not 10');
  // A sum under 10 stays right.
  const small = { ...chain, steps: chain.steps.map((s, i) => (i === 1 ? { ...s, value: 3 } : i === 3 ? { ...s, value: 9 } : i === 4 ? { ...s, value: 7 } : s)), answer: '7' } as Program;
  assert.equal(habitProgram(small, ['carry']), undefined);
  // Area plus perimeter of a 4 × 3 rectangle: 12, 7, 7 times 2 is 9 (doubling), then 12 plus 9 is 20, not 21
  // (carrying); the doubling is the first wrong step.
  const areaPerimeter: Program = {
    steps: [
      { kind: 'read', form: 'wide', label: 'red', value: 4 },
      { kind: 'read', form: 'tall', label: 'red', value: 3 },
      { kind: 'arith', op: 'times', left: { read: 0 }, right: { read: 1 }, value: 12 },
      { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: 7 },
      { kind: 'arith', op: 'times', left: { step: 1 }, right: { constant: 2 }, value: 14 },
      { kind: 'arith', op: 'plus', left: { step: 0 }, right: { step: 2 }, value: 26 },
    ],
    answer: '26',
  };
  const both = habitProgram(areaPerimeter, ['doubling', 'carry'])!;
  assert.deepEqual(both.habits, ['doubling by adding two', 'carrying one short']);
  assert.deepEqual(both.program.steps.map((s) => ('value' in s ? s.value : null)), [4, 3, 12, 7, 9, 20]);
  const wa = written(areaPerimeter, 'the area plus the perimeter', 'grid');
  const ta = rewriteSolution(wa.text, wa.segments, both.program, statement);
  assert.equal(diagnose(ta, areaPerimeter, '20').firstWrong?.detail, '7 times 2 is 14, not 9');
});

test('last reading overlooked: a comparison whose winner is its last reading names the runner-up; the choice follows', () => {
  const compare: Program = {
    steps: [
      { kind: 'read', form: 'bar', label: 'red', value: 4 },
      { kind: 'read', form: 'bar', label: 'blue', value: 6 },
      { kind: 'read', form: 'bar', label: 'green', value: 8 },
      { kind: 'compare', which: 'most', among: [0, 1, 2], label: 'green' },
      { kind: 'choose', option: 'green', letter: 'C' },
    ],
    options: ['red', 'blue', 'green', 'yellow'],
    answer: 'C',
  };
  const demo = habitProgram(compare, ['last-overlooked'])!;
  assert.deepEqual(demo.habits, ['last reading overlooked']);
  assert.equal(demo.program.answer, 'B');
  const w = written(compare, 'the colour with the most');
  const text = rewriteSolution(w.text, w.segments, demo.program, statement);
  assert.match(text, /blue has the most \./);
  assert.equal(diagnose(text, compare, 'B').firstWrong?.kind, 'wrong combination');
  // The last reading is not the winner: the habit changes nothing and does not fire.
  const first = { ...compare, steps: compare.steps.map((s, i) => (i === 0 ? { ...s, value: 9 } : i === 3 ? { ...s, label: 'red' } : i === 4 ? { ...s, option: 'red', letter: 'A' } : s)), answer: 'A' } as Program;
  assert.equal(habitProgram(first, ['last-overlooked']), undefined);
  // Two readings only: nothing is left to weigh without the last, so the habit does not apply.
  const two: Program = { ...compare, steps: [compare.steps[0]!, compare.steps[2]!, { kind: 'compare', which: 'most', among: [0, 1], label: 'green' }, compare.steps[4]!] };
  assert.equal(habitProgram(two, ['last-overlooked']), undefined);
});

test('--habits keys: known ones in the table order, an unknown or empty list refused naming the known keys', () => {
  assert.deepEqual(parseHabitKeys('carry, faint'), { keys: ['faint', 'carry'] });
  assert.deepEqual(parseHabitKeys(ALL_KEYS.join(',')), { keys: ALL_KEYS });
  assert.deepEqual(parseHabitKeys('faint,carrots'), { problem: "must be habits from faint, tallest, doubling, carry, last-overlooked, separated by commas (got 'carrots')" });
  assert.deepEqual(parseHabitKeys(' , '), { problem: "must be one or more habits from faint, tallest, doubling, carry, last-overlooked, separated by commas (got ' , ')" });
});

test('a habit that leaves no answer to write is not applied: a tie, a value not among the options, a negative result', () => {
  const tie: Program = {
    steps: [
      { kind: 'read', form: 'count', label: 'red', value: 3, faint: 1 },
      { kind: 'read', form: 'count', label: 'blue', value: 2 },
      { kind: 'compare', which: 'most', among: [0, 1], label: 'red' },
      { kind: 'choose', option: 'red', letter: 'A' },
    ],
    options: ['red', 'blue', 'green', 'yellow'],
    answer: 'A',
  };
  assert.equal(habitProgram(tie), undefined);
  // Still the most after the miss: the habit fires and the answer stands.
  const stands = { ...tie, steps: tie.steps.map((s, i) => (i === 0 ? { ...s, value: 4 } : s)) } as Program;
  assert.equal(habitProgram(stands)?.program.answer, 'A');
  const choice: Program = {
    steps: [
      { kind: 'read', form: 'count', label: 'red', value: 2, faint: 1 },
      { kind: 'read', form: 'count', label: 'blue', value: 2 },
      { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: 4 },
      { kind: 'choose', option: '4', letter: 'B' },
    ],
    options: ['2', '4', '5', '6'],
    answer: 'B',
  };
  assert.equal(habitProgram(choice), undefined, '3 is not an option');
  const negative: Program = {
    steps: [
      { kind: 'read', form: 'count', label: 'red', value: 2, faint: 2 },
      { kind: 'read', form: 'count', label: 'blue', value: 1 },
      { kind: 'arith', op: 'minus', left: { read: 0 }, right: { read: 1 }, value: 1 },
    ],
    answer: '1',
  };
  assert.equal(habitProgram(negative), undefined);
});

test('on generated training problems of every benchmark, a habit demonstration parses, and its first wrong step is the habit kind', async () => {
  const { miniRows } = await import('../build.ts');
  const { MINI_BENCHMARKS, miniSpec } = await import('../formats.ts');
  const kinds: Record<string, string> = {
    'faint objects missed': 'misreading',
    'tallest bars read short': 'misreading',
    'doubling by adding two': 'arithmetic slip',
    'carrying one short': 'arithmetic slip',
    'last reading overlooked': 'wrong combination',
  };
  const fired = new Set<string>();
  for (const benchmark of MINI_BENCHMARKS) {
    const rows = await miniRows(benchmark, 'train', 40, 1, 'mini-2');
    let changed = 0;
    for (const row of rows) {
      const truth = JSON.parse(row['rlsd_program'] as string) as import('../spec.ts').RowProgram;
      const demo = habitProgram(truth.program, ALL_KEYS);
      if (demo === undefined) continue;
      const text = rewriteSolution(row['rlsd_target'] as string, truth.target, demo.program, miniSpec(benchmark).answerStatement);
      const d = diagnose(text, truth.program, demo.program.answer);
      assert.ok(d.parsed.complete, `${benchmark}: ${text}`);
      if (demo.program.answer === truth.program.answer && d.firstWrong === null) continue;
      changed++;
      fired.add(demo.habits[0]!);
      assert.equal(d.firstWrong?.kind, kinds[demo.habits[0]!], `${benchmark}: ${text}`);
    }
    assert.ok(changed > 0, `${benchmark}: no habit changed a step in 40 problems`);
  }
  assert.deepEqual([...fired].sort(), Object.keys(kinds).sort(), 'every habit is the first wrong step of some demonstration');
});
