// MathVista scorer: every rule of extract_answer.py / calculate_score.py, quirks included. The verdict
// table's expected values are what the original rule path (quick_extract on, no LLM) gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ItemRecord } from '../common/types.ts';
import type { MathVistaItem } from './item.ts';
import { aggregate, editDistance, extractAnswer, getMostSimilar, normalizeExtractedAnswer, scoreResponse, type Problem } from './score.ts';

function item(p: Partial<MathVistaItem> & Pick<MathVistaItem, 'questionType' | 'answerType' | 'answer'>): MathVistaItem {
  return {
    id: p.pid ?? 'x',
    pid: p.pid ?? 'x',
    split: 'testmini',
    question: 'q',
    images: [],
    raw: {},
    choices: null,
    unit: null,
    precision: null,
    query: 'q',
    metadata: {},
    ...p,
  };
}

const MC = item({ questionType: 'multi_choice', answerType: 'text', choices: ['135°', '140°', '145°', '150°'], answer: '145°' });
const MC_SPACE = item({
  questionType: 'multi_choice',
  answerType: 'text',
  choices: ['increase', 'fluctuate', 'it would decrease', 'stay the same '],
  answer: 'stay the same ',
});
const INT = item({ questionType: 'free_form', answerType: 'integer', answer: '1000' });
const F1 = item({ questionType: 'free_form', answerType: 'float', precision: 1, answer: '1.2' });
const F2 = item({ questionType: 'free_form', answerType: 'float', precision: 2, answer: '0.12' });
const F3 = item({ questionType: 'free_form', answerType: 'float', precision: 2, answer: '0.14' });
const LIST = item({ questionType: 'free_form', answerType: 'list', answer: '[2014, 2016]' });

// [problem, response, extracted, extractor, prediction, the original's verdict]
const VERDICTS: [MathVistaItem, string, string, string, string | null, boolean][] = [
  [MC, '145°', '145°', 'choice_text', '145°', true],
  [MC, 'C', 'C', 'passthrough', '145°', true],
  [MC, '(C) 145°', '(C) 145°', 'passthrough', '145°', true],
  [MC, '  c  ', '  c  ', 'passthrough', '135°', false], // lower-case letters are not option letters; all ties → first
  [MC, 'The answer is "C".', 'C', 'answer_is_quoted', '145°', true],
  [MC, 'Answer: C', 'Answer: C', 'passthrough', '135°', false],
  [MC, 'The correct option is (b), but (C) also fits', 'The correct option is (b), but (C) also fits', 'passthrough', '140°', false],
  [MC, '145', '145', 'passthrough', '145°', true], // nearest option by edit distance
  [MC, 'E', 'E', 'passthrough', '135°', false], // letter beyond the options
  [MC_SPACE, 'stay the same', 'stay the same', 'passthrough', 'stay the same ', true],
  [MC_SPACE, 'stay the same ', 'stay the same ', 'choice_text', 'stay the same ', true],
  [INT, '1000', '1000', 'int_parse', '1000', true],
  [INT, ' +1_000 ', '1000', 'int_parse', '1000', true],
  [INT, '1000.0', '1000.0', 'passthrough', '1000', true],
  [INT, '999.99', '999.99', 'passthrough', '999', false], // int(float(x)) truncates
  [INT, '1e3', '1e3', 'passthrough', '1000', true],
  [INT, 'The answer is 1000.', 'The answer is 1000.', 'passthrough', null, false],
  [INT, 'The answer is "1000".', '1000', 'answer_is_quoted', '1000', true],
  [INT, '１０００', '1000', 'int_parse', '1000', true],
  [INT, 'inf', 'inf', 'passthrough', null, false],
  [F1, '1.2', '1.2', 'float_parse', '1.2', true],
  [F1, '1.25', '1.25', 'float_parse', '1.2', true], // exact binary tie → even
  [F1, '1.15', '1.15', 'float_parse', '1.1', false], // 1.15 is 1.1499999… in binary
  [F1, '1.2 m', '1.2 m', 'passthrough', null, false],
  [F1, '', '', 'empty', null, false],
  [F2, '0.125', '0.125', 'float_parse', '0.12', true],
  [F3, '0.135', '0.135', 'float_parse', '0.14', true],
  [F3, '0.145', '0.145', 'float_parse', '0.14', true],
  [LIST, '[2014, 2016]', '[2014, 2016]', 'passthrough', '[2014, 2016]', true],
  [LIST, '[2014,2016]', '[2014,2016]', 'passthrough', '[2014,2016]', false],
];

test('verdicts of the original rule path on crafted responses', () => {
  for (const [it, response, extracted, extractor, prediction, correct] of VERDICTS) {
    const r = scoreResponse(it, response);
    const label = `${it.answerType} ${JSON.stringify(response)}`;
    assert.equal(r.extracted, extracted, label);
    assert.equal(r.extractor, extractor, label);
    assert.equal(r.prediction, prediction, label);
    assert.equal(r.correct, correct, label);
    assert.equal(r.gold, it.answer);
  }
});

test('extraction: empty, exact choice (untrimmed), int/float parse forms, quick rule', () => {
  assert.deepEqual(extractAnswer('', MC), { extracted: '', extractor: 'empty' });
  assert.equal(extractAnswer(' 145°', MC).extractor, 'passthrough'); // `response in choices` is exact
  assert.deepEqual(extractAnswer('007', INT), { extracted: '7', extractor: 'int_parse' });
  assert.deepEqual(extractAnswer('-0', INT), { extracted: '0', extractor: 'int_parse' });
  assert.deepEqual(extractAnswer('1.50', F1), { extracted: '1.5', extractor: 'float_parse' });
  assert.deepEqual(extractAnswer('1e-5', F1), { extracted: '1e-05', extractor: 'float_parse' });
  assert.deepEqual(extractAnswer('1e16', F1), { extracted: '1e+16', extractor: 'float_parse' });
  assert.deepEqual(extractAnswer('5', F1), { extracted: '5.0', extractor: 'float_parse' });
  assert.equal(extractAnswer('5', MC).extractor, 'passthrough'); // no int/float parse for text answers
  // re.search(r'The answer is "(.*)"\.'): greedy within a line; `.` matches \r but not \n; case-sensitive
  assert.equal(extractAnswer('The answer is "3". The answer is "4".', INT).extracted, '3". The answer is "4');
  assert.equal(extractAnswer('The answer is "a\rb".', INT).extracted, 'a\rb');
  assert.equal(extractAnswer('The answer is "a\nb".', INT).extractor, 'passthrough');
  assert.equal(extractAnswer('the answer is "C".', MC).extractor, 'passthrough');
  assert.deepEqual(extractAnswer('x The answer is "".', INT), { extracted: '', extractor: 'answer_is_quoted' });
  assert.equal(extractAnswer('The answer is "C".', MC, { quickExtract: false }).extractor, 'passthrough');
  const judge = (r: string) => (r.includes('thousand') ? '1000' : null);
  assert.deepEqual(extractAnswer('one thousand', INT, { judge }), { extracted: '1000', extractor: 'judge' });
  assert.deepEqual(extractAnswer('no idea', INT, { judge }), { extracted: null, extractor: 'judge_none' });
});

test('normalisation: letters, parenthesised letters, nearest choice, non-string extractions', () => {
  const choices = ['135°', '140°', '145°', '150°'];
  assert.equal(normalizeExtractedAnswer(' D ', choices, 'multi_choice', 'text', null), '150°');
  assert.equal(normalizeExtractedAnswer('(d) the last', choices, 'multi_choice', 'text', null), '150°');
  // options that look like '(b)' are read as letters first (testmini pids 168 and 849)
  assert.equal(normalizeExtractedAnswer('(b)', ['(c)', '(a)', '(e)', '(d)', '(b)'], 'multi_choice', 'text', null), '(a)');
  assert.equal(normalizeExtractedAnswer('(Z)', choices, 'multi_choice', 'text', null), '135°'); // out of range → nearest
  assert.equal(normalizeExtractedAnswer('149', choices, 'multi_choice', 'text', null), '140°'); // 1 substitution + 1 insertion; tie → first
  assert.equal(normalizeExtractedAnswer(null, ['No', 'None', 'Yes'], 'multi_choice', 'text', null), 'None'); // str(None)
  assert.equal(normalizeExtractedAnswer(3, ['2', '3'], 'multi_choice', 'text', null), '3');
  assert.equal(normalizeExtractedAnswer('', ['yes', 'no'], 'multi_choice', 'text', null), 'no'); // '' → shortest option
  assert.equal(normalizeExtractedAnswer('  ', ['yes', 'no'], 'multi_choice', 'text', null, true), null); // ignore_empty_extractions
  assert.equal(normalizeExtractedAnswer('B', [], 'multi_choice', 'text', null), null); // the original raises
  assert.equal(normalizeExtractedAnswer('12.7', null, 'free_form', 'integer', null), '12');
  assert.equal(normalizeExtractedAnswer('-7.5', null, 'free_form', 'integer', null), '-7');
  assert.equal(normalizeExtractedAnswer('1e400', null, 'free_form', 'integer', null), null); // int(inf)
  assert.equal(normalizeExtractedAnswer(null, null, 'free_form', 'integer', null), null); // float(None)
  assert.equal(normalizeExtractedAnswer(42, null, 'free_form', 'integer', null), '42');
  assert.equal(normalizeExtractedAnswer('2.345', null, 'free_form', 'float', 2.0), '2.35'); // 2.34500000000000019984
  assert.equal(normalizeExtractedAnswer('0.00001', null, 'free_form', 'float', 5), '1e-05');
  assert.equal(normalizeExtractedAnswer('3', null, 'free_form', 'float', 1), '3.0');
  assert.equal(normalizeExtractedAnswer('3', null, 'free_form', 'float', null), null); // int(None)
  assert.equal(normalizeExtractedAnswer([2014, 2016], null, 'free_form', 'list', null), '[2014, 2016]');
  assert.equal(normalizeExtractedAnswer('anything', null, 'free_form', 'text', null), null);
});

test('edit distance counts code points like python-Levenshtein; ties go to the first choice', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('😀a', 'a'), 1); // UTF-16 would say 2
  assert.equal(editDistance('a😀b', 'a😃b'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('x'.repeat(100) + 'abc', 'abc'), 100); // long strings (bit-parallel path)
  assert.equal(getMostSimilar('ab', ['xb', 'ay', 'ab ']), 'xb');
  assert.equal(getMostSimilar('😀😀', ['😀', 'ab']), '😀');
});

test('mini items go through the same official rules (their answers use the quick-rule form)', () => {
  const count: MathVistaItem = { ...item({ questionType: 'free_form', answerType: 'integer', answer: '5' }), reference: 'red 3 blue 2 total 5' };
  const r1 = scoreResponse(count, 'red 3 blue 2 total 5 The answer is "5".');
  assert.deepEqual([r1.extracted, r1.extractor, r1.prediction, r1.correct], ['5', 'answer_is_quoted', '5', true]);
  const r2 = scoreResponse(count, 'red 3 blue 2 total 5');
  assert.deepEqual([r2.extracted, r2.extractor, r2.prediction, r2.correct], ['red 3 blue 2 total 5', 'passthrough', null, false]);
  assert.equal(scoreResponse(count, 'The answer is "6".').correct, false);
  assert.equal(scoreResponse(count, '5').extractor, 'int_parse');
});

test('score records carry the group fields; empty response is wrong', () => {
  const it = item({
    pid: '7',
    questionType: 'free_form',
    answerType: 'integer',
    answer: '4',
    metadata: { language: 'english', source: 'CLEVR-Math', category: 'math-targeted-vqa', task: 'math word problem', context: 'synthetic scene', grade: 'elementary school', skills: ['arithmetic reasoning'] },
  });
  const r = scoreResponse(it, '');
  assert.deepEqual(r, {
    id: '7',
    response: '',
    extracted: '',
    gold: '4',
    correct: false,
    extractor: 'empty',
    prediction: null,
    question_type: 'free_form',
    answer_type: 'integer',
    language: 'english',
    source: 'CLEVR-Math',
    category: 'math-targeted-vqa',
    task: 'math word problem',
    context: 'synthetic scene',
    grade: 'elementary school',
    skills: ['arithmetic reasoning'],
  });
});

test('aggregate: overall and per-group counts, skills counted per skill, sorted by accuracy', () => {
  const rec = (correct: boolean, question_type: string, language: string | undefined, skills: string[]): ItemRecord => ({
    id: 'x',
    response: '',
    extracted: '',
    gold: '',
    correct,
    extractor: 'empty',
    question_type,
    answer_type: question_type === 'multi_choice' ? 'text' : 'integer',
    language,
    skills,
  });
  const records = [
    rec(true, 'free_form', 'english', ['arithmetic reasoning', 'statistical reasoning']),
    rec(false, 'multi_choice', 'english', ['arithmetic reasoning']),
    rec(true, 'multi_choice', 'chinese', ['geometry reasoning', 'geometry reasoning']),
    rec(false, 'free_form', undefined, []),
  ];
  const m = aggregate(records);
  assert.equal(m.accuracy, 0.5);
  assert.equal(m.correct, 2);
  assert.equal(m.total, 4);
  assert.deepEqual(m.average, { accuracy: 0.5, correct: 2, total: 4 });
  // ties keep first-appearance order
  assert.deepEqual(Object.keys(m.question_type as object), ['free_form', 'multi_choice']);
  assert.deepEqual(m.answer_type, { integer: { accuracy: 0.5, correct: 1, total: 2 }, text: { accuracy: 0.5, correct: 1, total: 2 } });
  assert.deepEqual(m.language, { chinese: { accuracy: 1, correct: 1, total: 1 }, english: { accuracy: 0.5, correct: 1, total: 2 } });
  assert.deepEqual(m.skills, {
    'statistical reasoning': { accuracy: 1, correct: 1, total: 1 },
    'geometry reasoning': { accuracy: 1, correct: 1, total: 1 },
    'arithmetic reasoning': { accuracy: 0.5, correct: 1, total: 2 },
  });
  assert.deepEqual(m.source, {});
  assert.deepEqual(aggregate([]).average, { accuracy: 0, correct: 0, total: 0 });
});

test('10,000 scorings of short and long responses (its speed: npm run bench:benchmarks)', () => {
  const long = 'Looking at the figure, the angle at B is 35 degrees, so the remaining angle follows. '.repeat(4);
  const problems: MathVistaItem[] = [MC, MC_SPACE, INT, F1, LIST];
  let n = 0;
  for (let i = 0; i < 10_000; i++) {
    const p = problems[i % problems.length]!;
    if (scoreResponse(p, i % 2 ? long : String(i)).correct) n++;
  }
  assert.ok(n > 0 && n < 10_000, `correct ${n}`);
});

// keep the Problem type exercised: a bare problem (no item) is enough for extraction
test('extractAnswer accepts a bare problem description', () => {
  const p: Problem = { questionType: 'free_form', answerType: 'integer', choices: null, precision: null };
  assert.deepEqual(extractAnswer('12', p), { extracted: '12', extractor: 'int_parse' });
});
