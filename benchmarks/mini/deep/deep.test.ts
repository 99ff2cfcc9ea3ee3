// The deep mini world's ground truth, writer and parser: written solutions parse back into their program's steps,
// with exact spans, and hand-made wrong responses get the first wrong step a reader would mark.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/util/rng.ts';
import { checkProgram, finalResult, type Program } from './program.ts';
import { withAnswer, writeReference, writeSolution, type WritingContext } from './language.ts';
import { answerStart, diagnose, parseResponse } from './parse.ts';

// 'what is red plus blue minus green ?' on a bar chart: red 5, blue 3, green 2 → 5 + 3 = 8, 8 − 2 = 6.
const barsChain: Program = {
  steps: [
    { kind: 'read', form: 'bar', label: 'red', value: 5 },
    { kind: 'read', form: 'bar', label: 'blue', value: 3 },
    { kind: 'read', form: 'bar', label: 'green', value: 2 },
    { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: 8 },
    { kind: 'arith', op: 'minus', left: { step: 0 }, right: { read: 2 }, value: 6 },
  ],
  answer: '6',
};
const mathvista = { picture: 'chart', core: 'red plus blue minus green', answerStatement: (a: string) => `The answer is "${a}".` };

// 'which colour has the most objects ?' with options: red 3, blue 5, green 2 → blue → (B).
const mostChoice: Program = {
  steps: [
    { kind: 'read', form: 'count', label: 'red', value: 3 },
    { kind: 'read', form: 'count', label: 'blue', value: 5 },
    { kind: 'read', form: 'count', label: 'green', value: 2 },
    { kind: 'compare', which: 'most', among: [0, 1, 2], label: 'blue' },
    { kind: 'choose', option: 'blue', letter: 'B' },
  ],
  options: ['green', 'blue', 'red', 'yellow'],
  answer: 'B',
};
const mmmu = { picture: 'picture', core: 'the colour with the most', answerStatement: (a: string) => `the answer is (${a})` };

test('checkProgram accepts consistent programs and names the step that is not', () => {
  checkProgram(barsChain);
  checkProgram(mostChoice);
  assert.equal(finalResult(barsChain), '6');
  assert.equal(finalResult(mostChoice), 'blue');
  const slip: Program = { ...barsChain, steps: barsChain.steps.map((s, i) => (i === 3 ? { ...s, value: 9 } : s)) };
  assert.throws(() => checkProgram(slip), /program step 4 \(arith\): 5 plus 3 is not 9/);
  const tie: Program = { ...mostChoice, steps: mostChoice.steps.map((s, i) => (i === 0 ? { ...s, value: 5 } : s)) };
  assert.throws(() => checkProgram(tie), /program step 4 \(compare\): the most is not unique/);
  assert.throws(() => checkProgram({ ...mostChoice, answer: 'C' }), /the steps end at 'B', the answer is 'C'/);
  const backwards: Program = { ...barsChain, steps: [barsChain.steps[4]!, ...barsChain.steps.slice(0, 4)] };
  assert.throws(() => checkProgram(backwards), /program step 1 \(arith\): an operand refers to a later step/);
});

test('a written solution covers its text with contiguous segments, one per step, and parses back to its program', () => {
  for (let seed = 1; seed <= 40; seed++) {
    for (const [program, ctx] of [[barsChain, mathvista], [mostChoice, mmmu]] as const) {
      const written = withAnswer(writeSolution(new Rng(seed), program, ctx satisfies WritingContext), ctx.answerStatement(program.answer));
      assert.equal(written.segments[0]!.start, 0);
      assert.equal(written.segments[written.segments.length - 1]!.end, written.text.length);
      for (let k = 1; k < written.segments.length; k++) assert.equal(written.segments[k]!.start, written.segments[k - 1]!.end);
      const stepSegments = written.segments.filter((s) => s.role === 'step');
      assert.deepEqual(stepSegments.map((s) => s.step), program.steps.map((_, i) => i));
      const parsed = parseResponse(written.text);
      assert.ok(parsed.complete, written.text);
      const parsedSteps = parsed.sentences.filter((s) => s.role === 'step');
      assert.equal(parsedSteps.length, program.steps.length, written.text);
      // The parser's step spans end where the writer's do (the parser's include the connective before a step).
      parsedSteps.forEach((s, k) => assert.equal(s.end, stepSegments[k]!.end, written.text));
      const answer = written.segments[written.segments.length - 1]!;
      assert.equal(answer.role, 'answer');
      assert.equal(answerStart(written.text), answer.start + 1);
      assert.equal(diagnose(written.text, program, program.answer).firstWrong, null, written.text);
    }
  }
});

test('the parser reads each step form and says what it does not parse', () => {
  const text = 'looking at the chart , the red bar is 5 . there are 12 red circles . the blue rectangle is 4 wide . ' +
    'then 5 times 3 is 15 . red has the least . that is 15 (C) . the blue bars look tall . \\boxed{15}';
  const parsed = parseResponse(text);
  const roles = parsed.sentences.map((s) => s.role);
  assert.deepEqual(roles, ['filler', 'step', 'step', 'step', 'step', 'step', 'step', 'unparsed']);
  const steps = parsed.sentences.flatMap((s) => (s.role === 'step' ? [s.step] : []));
  assert.deepEqual(steps, [
    { kind: 'read', form: 'bar', label: 'red', value: 5 },
    { kind: 'read', form: 'count', label: 'red circles', value: 12 },
    { kind: 'read', form: 'wide', label: 'blue', value: 4 },
    { kind: 'arith', op: 'times', a: 5, b: 3, value: 15 },
    { kind: 'compare', which: 'least', label: 'red' },
    { kind: 'choose', option: '15', letter: 'C' },
  ]);
  assert.equal(parsed.complete, false);
  const unparsed = parsed.sentences[7]!;
  assert.equal(unparsed.role === 'unparsed' && unparsed.text, 'the blue bars look tall .');
  assert.deepEqual(parsed.answer, { start: text.indexOf(' \\boxed{15}'), end: text.length });
  assert.equal(text.slice(parsed.sentences[1]!.start, parsed.sentences[1]!.end), ' the red bar is 5 .');
  // No answer statement: the whole response is reasoning.
  assert.equal(parseResponse('the red bar is 5 .').answer, null);
  assert.equal(answerStart('{7}'), 0);
});

function firstWrong(text: string, program: Program, stated: string | null): { kind: string; text: string } | null {
  const d = diagnose(text, program, stated).firstWrong;
  return d === null ? null : { kind: d.kind, text: text.slice(d.start, d.end).trim() };
}

test('the first wrong step: a misreading carried through the arithmetic is blamed once, at the misreading', () => {
  const text = 'looking at the chart , the red bar is 5 . the blue bar is 4 . the green bar is 2 . first 5 plus 4 is 9 . then 9 minus 2 is 7 . The answer is "7".';
  assert.deepEqual(firstWrong(text, barsChain, '7'), { kind: 'misreading', text: 'the blue bar is 4 .' });
});

test('the first wrong step: an arithmetic slip, a wrong combination, a wrong final statement', () => {
  const reads = 'looking at the chart , the red bar is 5 . the blue bar is 3 . the green bar is 2 .';
  assert.deepEqual(firstWrong(`${reads} first 5 plus 3 is 9 . then 9 minus 2 is 7 . The answer is "7".`, barsChain, '7'), {
    kind: 'arithmetic slip',
    text: 'first 5 plus 3 is 9 .',
  });
  assert.deepEqual(firstWrong(`${reads} first 5 minus 3 is 2 . then 2 minus 2 is 0 . The answer is "0".`, barsChain, '0'), {
    kind: 'wrong combination',
    text: 'first 5 minus 3 is 2 .',
  });
  // Commuted operands of a plus are the same combination; of a minus they are not.
  assert.equal(firstWrong(`${reads} first 3 plus 5 is 8 . then 8 minus 2 is 6 . The answer is "6".`, barsChain, '6'), null);
  assert.deepEqual(firstWrong(`${reads} first 5 plus 3 is 8 . then 2 minus 8 is 6 . The answer is "6".`, barsChain, '6')?.kind, 'wrong combination');
  assert.deepEqual(firstWrong(`${reads} first 5 plus 3 is 8 . then 8 minus 2 is 6 . The answer is "8".`, barsChain, '8'), {
    kind: 'wrong final statement',
    text: 'The answer is "8".',
  });
  // Nothing the extractor could read is a wrong final statement at the end of the response.
  const cut = `${reads} first 5 plus 3 is 8 . then 8 minus 2 is 6 .`;
  const d = diagnose(cut, barsChain, null).firstWrong!;
  assert.equal(d.kind, 'wrong final statement');
  assert.deepEqual([d.start, d.end, d.sentence], [cut.length, cut.length, -1]);
});

test('the first wrong step: a skipped operation or reading is a wrong combination at the statement that skipped it', () => {
  const text = 'looking at the chart , the red bar is 5 . the blue bar is 3 . the green bar is 2 . so 5 plus 3 is 8 . The answer is "8".';
  assert.deepEqual(firstWrong(text, barsChain, '8'), { kind: 'wrong combination', text: 'The answer is "8".' });
  assert.match(diagnose(text, barsChain, '8').firstWrong!.detail, /operation 2 is missing/);
  const noGreen = 'the red bar is 5 . the blue bar is 3 . first 5 plus 3 is 8 . then 8 minus 2 is 6 . The answer is "6".';
  assert.match(diagnose(noGreen, barsChain, '6').firstWrong!.detail, /the reading of green is missing/);
  const extra = 'the yellow bar is 1 . the red bar is 5 .';
  assert.deepEqual(firstWrong(extra, barsChain, null), { kind: 'wrong combination', text: 'the yellow bar is 1 .' });
});

test('the first wrong step in a comparison and a choice', () => {
  const reads = 'looking at the picture , there are 3 red objects . there are 5 blue objects . there are 2 green objects .';
  assert.equal(firstWrong(`${reads} so blue has the most . that is blue (B) . the answer is (B)`, mostChoice, 'B'), null);
  // Without the lookup sentence the letter is still checked against the option holding the result.
  assert.equal(firstWrong(`${reads} so blue has the most . the answer is (B)`, mostChoice, 'B'), null);
  assert.deepEqual(firstWrong(`${reads} so red has the most . that is red (C) . the answer is (C)`, mostChoice, 'C'), {
    kind: 'wrong combination',
    text: 'so red has the most .',
  });
  assert.deepEqual(firstWrong(`${reads} so blue has the most . that is blue (A) . the answer is (A)`, mostChoice, 'A'), {
    kind: 'wrong choice',
    text: 'that is blue (A) .',
  });
  assert.deepEqual(firstWrong(`${reads} so blue has the most . that is blue (B) . the answer is (D)`, mostChoice, 'D')?.kind, 'wrong final statement');
  // A misread count that makes another colour the most: the misreading is first, the comparison follows it.
  const misread = 'there are 6 red objects . there are 5 blue objects . there are 2 green objects . so red has the most . that is red (C) . the answer is (C)';
  assert.deepEqual(firstWrong(misread, mostChoice, 'C'), { kind: 'misreading', text: 'there are 6 red objects .' });
});

test('the reference solution records its steps in the teacher template', () => {
  const ref = writeReference(barsChain);
  assert.equal(ref.text, '[ref] red bar 5 blue bar 3 green bar 2 hence 5 plus 3 is 8 8 minus 2 is 6 answer 6 [/ref]');
  const steps = ref.segments.filter((s) => s.role === 'step').map((s) => ref.text.slice(s.start, s.end).trim());
  assert.deepEqual(steps, ['red bar 5', 'blue bar 3', 'green bar 2', '5 plus 3 is 8', '8 minus 2 is 6']);
  const choice = writeReference(mostChoice);
  assert.equal(choice.text, '[ref] red objects 3 blue objects 5 green objects 2 hence blue has the most that is blue (B) answer B [/ref]');
});

test('every family writes problems of at least three steps whose reasoning parses back with no wrong step', async () => {
  const { chainProblem, compareProblem, groupedProblem, measureProblem } = await import('./families.ts');
  const makers = [
    ['chain bars', (r: Rng) => chainProblem(r, { variant: 'bars' })],
    ['chain objects mc', (r: Rng) => chainProblem(r, { variant: 'objects', multipleChoice: true })],
    ['chain hard', (r: Rng) => chainProblem(r, { hard: true })],
    ['compare bars', (r: Rng) => compareProblem(r, { variant: 'bars' })],
    ['compare objects', (r: Rng) => compareProblem(r, { variant: 'objects' })],
    ['measure perimeter', (r: Rng) => measureProblem(r, { variant: 'perimeter' })],
    ['measure outside mc', (r: Rng) => measureProblem(r, { variant: 'outside', multipleChoice: true })],
    ['measure area-perimeter', (r: Rng) => measureProblem(r, { variant: 'area-perimeter' })],
    ['grouped wemath', (r: Rng) => groupedProblem(r, { multipleChoice: true })],
    ['grouped zerobench', (r: Rng) => groupedProblem(r, { hard: true })],
  ] as const;
  for (const [name, make] of makers) {
    for (let seed = 1; seed <= 150; seed++) {
      const d = make(new Rng(seed));
      assert.ok(d.program.steps.length >= 3, `${name}: ${d.program.steps.length} steps`);
      if (d.options !== undefined) assert.equal(d.options.length, 4, name);
      const text = withAnswer(d.reasoning, `{${d.answer}}`).text;
      const diagnosis = diagnose(text, d.program, d.answer);
      assert.ok(diagnosis.parsed.complete, `${name}: ${text}`);
      assert.equal(diagnosis.firstWrong, null, `${name}: ${text}`);
      assert.ok(d.reference.text.startsWith('[ref] ') && d.reference.text.endsWith(` answer ${d.answer} [/ref]`), d.reference.text);
      for (const sub of d.substeps ?? []) {
        assert.ok(sub.program.steps.length >= 3, `${name} substep: ${sub.program.steps.length} steps`);
        assert.equal(sub.scene, d.scene);
        assert.equal(diagnose(withAnswer(sub.reasoning, `{${sub.answer}}`).text, sub.program, sub.answer).firstWrong, null);
      }
      if (name.startsWith('grouped')) assert.equal(d.substeps?.length, 2, name); // WeMath: one per operation (2); ZeroBench: the 2 shorter prefixes
    }
  }
  assert.throws(() => measureProblem(new Rng(1), { variant: 'volume' }), /measure: unknown variant 'volume' \(known: perimeter, outside, area-perimeter\)/);
});

test('the deep tokenizer encodes every text of every family; tokens map onto the written segments', async () => {
  const { chainProblem, compareProblem, measureProblem } = await import('./families.ts');
  const { Tokenizer } = await import('../../../src/tokenizer.ts');
  const { tokenSpanIndex, tokenMask } = await import('./tokens.ts');
  const tok = Tokenizer.default({ fusedOptionMarkers: true, deep: true });
  const first = Tokenizer.default({ fusedOptionMarkers: true });
  // The first vocabulary's ids are unchanged.
  assert.deepEqual(tok.vocab.slice(0, first.vocabSize), first.vocab);
  const statements = [(a: string) => `the answer is (${a})`, (a: string) => `The answer is "${a}".`, (a: string) => `\\boxed{${a}}`, (a: string) => `Answer: ${a}`, (a: string) => `{${a}}`];
  for (let seed = 1; seed <= 100; seed++) {
    for (const d of [chainProblem(new Rng(seed), { multipleChoice: seed % 2 === 0 }), compareProblem(new Rng(seed), {}), measureProblem(new Rng(seed), { hard: true })]) {
      tok.encode(d.question);
      tok.encode(`${d.question} ${(d.options ?? []).map((o: string, i: number) => `${o} (${'ABCD'[i]})`).join(' ')}`);
      tok.encode(d.reference.text);
      const written = withAnswer(d.reasoning, statements[seed % 5]!(d.answer));
      const tokens = tok.encode(written.text).map((id) => tok.vocab[id]!);
      assert.equal(tokens.join(''), written.text);
      const index = tokenSpanIndex(tokens, written.segments);
      assert.ok(index.every((k) => k >= 0), written.text);
      // Each step's tokens, joined, are the step's text.
      written.segments.forEach((seg, k) => {
        const text = tokens.filter((_, t) => index[t] === k).join('');
        assert.equal(text, written.text.slice(seg.start, seg.end));
      });
      const answer = written.segments[written.segments.length - 1]!;
      assert.equal(tokenMask(tokens, answer).reduce((a, b) => a + b, 0), tokens.filter((_, t) => index[t] === written.segments.length - 1).length);
    }
  }
  // A token outside every span, and an empty list.
  assert.deepEqual(Array.from(tokenSpanIndex(['ab', ' c', ' d'], [{ start: 2, end: 4 }])), [-1, 0, -1]);
  assert.deepEqual(Array.from(tokenSpanIndex([], [{ start: 0, end: 1 }])), []);
});

test('responseTruth: the reasoning span, filler (connectives included) and the first wrong step, token by token', async () => {
  const { responseTruth } = await import('./truth.ts');
  const text = 'looking at the chart , the red bar is 5 . the blue bar is 4 . the green bar is 2 . first 5 plus 4 is 9 . then 9 minus 2 is 7 . The answer is "7".';
  const tokens = text.split(/(?= )/); // one token per word, each with its leading space
  const truth = responseTruth(tokens, barsChain, '7');
  const on = (mask: Uint8Array | null) => tokens.filter((_, t) => mask?.[t] === 1).join('').trim();
  assert.equal(on(truth.reasoning), text.slice(0, text.indexOf(' The answer')).trim());
  assert.equal(on(truth.firstWrong), 'the blue bar is 4 .');
  assert.equal(on(truth.filler), 'looking at the chart , first then');
  assert.equal(truth.errorKind, 'misreading');
  assert.equal(truth.parsed, true);
  // A wrong final statement lies outside the reasoning span: no mask, but its kind.
  const late = responseTruth('the red bar is 5 . the blue bar is 3 . the green bar is 2 . first 5 plus 3 is 8 . then 8 minus 2 is 6 . The answer is "8".'.split(/(?= )/), barsChain, '8');
  assert.equal(late.firstWrong, null);
  assert.equal(late.errorKind, 'wrong final statement');
  // A correct response: no wrong step; an unparsed sentence is reported.
  const right = responseTruth('the red bar is 5 . the blue bar is 3 . the green bar is 2 . bars are nice . first 5 plus 3 is 8 . then 8 minus 2 is 6 . The answer is "6".'.split(/(?= )/), barsChain, '6');
  assert.equal(right.errorKind, null);
  assert.equal(right.parsed, false);
});
