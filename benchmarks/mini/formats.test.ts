import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerStatement, formatHint, MINI_BENCHMARKS, miniPrompt, miniSpec, miniTarget, miniTeacherPrompt, type FormattableTask } from './formats.ts';
import { draftTask } from './generate.ts';

const open: FormattableTask = {
  question: 'how many red plus blue ?',
  answer: '5',
  trace: 'i see red 3 blue 2 so 3 plus 2 is 5',
  reference: '[ref] red 3 blue 2 hence 3 plus 2 is 5 answer 5 [/ref]',
};
const choice: FormattableTask = {
  question: 'which colour has most ?',
  answer: 'B',
  options: ['blue', 'red', 'green'],
  trace: 'in the image blue 1 red 4 green 2 so most is red',
  reference: '[ref] blue 1 red 4 green 2 hence most is red answer B [/ref]',
};

test('answer statements: the exact endings each official extractor reads', () => {
  assert.equal(answerStatement('mmmu', 'B'), 'the answer is (B)');
  assert.equal(answerStatement('mmmu', '12'), 'the answer is 12');
  assert.equal(answerStatement('mathvista', '5'), 'The answer is "5".');
  assert.equal(answerStatement('mathvision', '5'), '\\boxed{5}');
  assert.equal(answerStatement('mathvision', 'B'), '\\boxed{B}');
  assert.equal(answerStatement('wemath', 'B'), 'Answer: B');
  assert.equal(answerStatement('zerobench', '5'), '{5}');
});

test('golden prompts and targets (question + options + hint; trace + statement)', () => {
  assert.equal(miniPrompt('mmmu', choice), 'which colour has most ? blue (A) red (B) green (C) the answer is');
  assert.equal(miniTarget('mmmu', choice), 'in the image blue 1 red 4 green 2 so most is red (B) the answer is (B)');
  assert.equal(miniPrompt('mathvista', open), 'how many red plus blue ? The answer is "');
  assert.equal(miniTarget('mathvista', open), 'i see red 3 blue 2 so 3 plus 2 is 5 The answer is "5".');
  assert.equal(miniPrompt('mathvision', open), 'how many red plus blue ? \\boxed{}');
  assert.equal(miniTarget('mathvision', open), 'i see red 3 blue 2 so 3 plus 2 is 5 \\boxed{5}');
  assert.equal(miniPrompt('wemath', choice), 'which colour has most ? blue (A) red (B) green (C) Answer:');
  assert.equal(miniTarget('wemath', choice), 'in the image blue 1 red 4 green 2 so most is red (B) Answer: B');
  assert.equal(miniPrompt('zerobench', open), 'how many red plus blue ? {}');
  assert.equal(miniTarget('zerobench', open), 'i see red 3 blue 2 so 3 plus 2 is 5 {5}');
  assert.equal(formatHint('mathvista'), 'The answer is "');
  assert.equal(
    miniTeacherPrompt('zerobench', open),
    '[ref] red 3 blue 2 hence 3 plus 2 is 5 answer 5 [/ref] how many red plus blue ? {}',
  );
  assert.equal(miniTeacherPrompt('wemath', choice, 'answer'), '[ref] answer B [/ref] which colour has most ? blue (A) red (B) green (C) Answer:');
  // The paper's five (a benchmark added to the registry declares its own).
  const paper = { mmmu: 'validation', mathvista: 'testmini', mathvision: 'test', wemath: 'testmini', zerobench: 'zerobench' };
  assert.deepEqual(Object.fromEntries(MINI_BENCHMARKS.filter((b) => b in paper).map((b) => [b, miniSpec(b).evalSplit])), paper);
});

// Minimal re-statements of the official extraction rules (the full ports live in benchmarks/<name>/).
const extractors: Record<string, (response: string) => string | null> = {
  // MMMU parse_multi_choice_response: a bracketed letter wins; open: parse_open_response's tail after the last 'is '
  mmmu: (r) => /\(([A-D])\)/.exec(r)?.[1] ?? r.split('is ').pop()!.trim(),
  // MathVista quick extract
  mathvista: (r) => /The answer is "(.*)"\./.exec(r)?.[1] ?? null,
  // MathVision: content of the last \boxed{}
  mathvision: (r) => /\\boxed\{([^}]*)\}(?!.*\\boxed)/.exec(r)?.[1] ?? null,
  // WeMath: the letter after the last 'Answer'
  wemath: (r) => /Answer:?\s*([A-E])(?!.*Answer)/.exec(r)?.[1] ?? null,
  // ZeroBench: the last {...} of the lower-cased response
  zerobench: (r) => [...r.toLowerCase().matchAll(/\{(.*?)\}/g)].pop()?.[1] ?? null,
};

test('the SFT target of every generated item extracts to its gold answer under each benchmark rule', () => {
  // The restated rules are the paper's five; benchmarks/mini/scoring.test.ts checks every registered one with its own scorer.
  assert.deepEqual(MINI_BENCHMARKS.filter((b) => b in extractors), Object.keys(extractors));
  for (const b of MINI_BENCHMARKS.filter((name) => name in extractors)) {
    for (const mix of miniSpec(b).mixes['mini-1']) {
      for (let i = 0; i < 60; i++) {
        const d = draftTask(mix.family, 'eval', i, 31, mix.opts);
        for (const t of [d, ...(d.substeps ?? [])]) {
          const extracted = extractors[b]!(miniTarget(b, t));
          assert.equal(extracted, t.answer, `${b}: ${miniTarget(b, t)}`);
        }
      }
    }
  }
});

test('WeMath is multiple choice only; ZeroBench open; MMMU mixes both', () => {
  for (let i = 0; i < 30; i++) {
    const w = draftTask('compose', 'eval', i, 2, miniSpec('wemath').mixes['mini-1'][0]!.opts);
    for (const t of [w, ...w.substeps!]) assert.match(t.answer, /^[A-D]$/);
    const z = draftTask('compose', 'eval', i, 2, miniSpec('zerobench').mixes['mini-1'][0]!.opts);
    for (const t of [z, ...z.substeps!]) assert.match(t.answer, /^\d+$/);
  }
});
