// MATH-V scoring: every rule of evaluate.py / utils.py with crafted inputs (expected values produced by
// the original functions), 30 real-looking responses with the original's verdicts, the aggregates
// (math_level_subject_acc's table), an empty response, and the speed of scoring 10,000 predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregate,
  evalTuple,
  extractAnswer,
  findMathAnswer,
  fixASlashB,
  fixFracs,
  fixSqrt,
  isEqual,
  isEqualRule,
  judge,
  removeRightUnits,
  resultTable,
  scoreResponse,
  stripString,
  type ScorableItem,
} from './score.ts';

const pairs = (f: (s: string) => string, table: Array<[string, string]>, name: string) => {
  for (const [input, want] of table) assert.equal(f(input), want, `${name}(${JSON.stringify(input)})`);
};

test('find_math_answer: first oxed{ to the LAST }, cut at a stray }, last =, units and LaTeX noise', () => {
  pairs(findMathAnswer, FIND, 'find_math_answer');
});

test('_strip_string and its helpers (fractions repaired only next to a sqrt)', () => {
  pairs(stripString, STRIP, '_strip_string');
  pairs(fixFracs, FIX_FRACS, '_fix_fracs');
  pairs(fixSqrt, FIX_SQRT, '_fix_sqrt');
  pairs(fixASlashB, FIX_SLASH, '_fix_a_slash_b');
  assert.equal(removeRightUnits('10\\text{ cm}\\text{ more}'), '10');
  assert.equal(removeRightUnits('10\\text{cm}'), '10\\text{cm}');
});

test('eval_tuple: elements evaluated and rounded, a, -a and infinities kept, errors return the input', () => {
  pairs(evalTuple, EVAL_TUPLE, 'eval_tuple');
});

test('is_equal: empty, stripped string, tuple, then round(…, 2) of both sides', () => {
  for (const [a, b, want] of IS_EQUAL) assert.equal(isEqual(a, b), want, `is_equal(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
  assert.equal(isEqualRule('6', ' 6 '), 'string');
  assert.equal(isEqualRule('(1,2)', '(1.0,2.0)'), 'tuple');
  assert.equal(isEqualRule('1:2', '0.5'), 'numeric');
  assert.equal(isEqualRule('', '0'), 'empty');
  assert.equal(isEqualRule('e', '2.72'), 'none');
});

// [response, model_answer] as evaluate.py extracts it
const EXTRACT: Array<[string, string]> = [
  ["The answer is 60.\n\n\\boxed{60}", "60"],
  ["Looking at the figure, the answer is (B).", "b"],
  ["B\nBecause the sides are equal.", "b"],
  ["(C)\nThe shaded area is largest.", "c"],
  ["(D) D\nexplanation", "d"],
  ["So the total is 12 A.", "a"],
  ["Hence it is 3.5.", "3.5"],
  ["The final answer is 7. Since the rest cancel.", "7"],
  ["Therefore the answer is \\frac{3}{4}\nDone.", "\\frac{3}{4}"],
  ["First \\boxed{2} then correction \\boxed{5}.", "5"],
  ["We get $\\boxed{\\frac{\\sqrt{3}}{2}}$ cm.", "\\frac{\\sqrt{3}}{2}"],
  ["The area is \\boxed{12 \\text{ cm}^2}", "12{cm}^2"],
  ["x = 5 so \\boxed{x=5}", "5"],
  ["\\boxed{(a)}", "a"],
  ["\\boxed{\\dfrac{1}{2}}", "\\frac{1}{2}"],
  ["the answer should be 45^\\circ", "45"],
  ["It is 0.5", "\\frac{1}{2}"],
  ["The correct answer is E: 20.", "e:20"],
  ["\\boxed{\\text{C}}", "c"],
  ["\\boxed{2\\sqrt3}", "2\\sqrt{3}"],
  ["\\boxed{\\frac12\\sqrt2}", "\\frac{1}{2}\\sqrt{2}"],
  ["\\boxed{3/4}", "\\frac{3}{4}"],
  ["\\boxed{10\\%}", "10"],
  ["\\boxed{}", "\\boxed"],
  ["", ""],
  ["   ", ""],
  ["The answer is: 24 units", "24"],
  ["The answer is 1,000 km.", "1,000"],
  ["\\boxed{\\left(3,-4\\right)}", "(3,-4)"],
  ["Answer: \\boxed{a}. The answer is B.", "b"],
];

test('evaluate.py extraction: option-letter endings, `is <number>`, answer flags, last \\boxed{}', () => {
  for (const [response, want] of EXTRACT) assert.equal(extractAnswer(response).extracted, want, JSON.stringify(response));
  assert.equal(extractAnswer('So the total is 12 A.').extractor, 'option_letter');
  assert.equal(extractAnswer('Hence it is 3.5.').extractor, 'is_number');
  assert.equal(extractAnswer('The final answer is 7. Since the rest cancel.').extractor, 'answer_flag');
  assert.equal(extractAnswer('First \\boxed{2} then correction \\boxed{5}.').extractor, 'last_boxed');
  assert.equal(extractAnswer('We get \\boxed{3}').extractor, 'boxed');
  assert.equal(extractAnswer('no marker at all').extractor, 'raw');
  assert.equal(extractAnswer('The answer is \\boxed{2}.').extractor, 'boxed'); // boxes bypass the flags
  assert.equal(extractAnswer('Answer: \\boxed{a}. The answer is B.').extractor, 'option_letter'); // the ` B.` ending wins
});

// [gold answer, options, response, model_answer, the original's verdict] — responses written for these
// tests in the styles of the published outputs; verdicts from evaluate.py.
const JUDGED: Array<[string, string[], string, string, boolean]> = [
  ["60", [], "90 - 30 = 60.\n\nThe answer is 60.\n\n\\boxed{60}", "60", true],
  ["A", ["A", "B", "C", "D", "E"], "Bike A has the largest price tag.\n\\boxed{A}", "a", true],
  ["D", ["A", "B", "C", "D", "E"], "Comparing the ears, the kittens in picture D match. The answer is D.", "d", true],
  ["D", ["Monday", "Saturday", "Thursday", "Friday", "Sunday"], "Counting forward four days we land on a Friday, so \\boxed{Friday}", "friday", true],
  ["B", ["$3+5+2$", "$3 \\cdot 5+2$", "$3+5 \\cdot 2$", "$3 \\cdot 5 \\cdot 2$", "$3+5-2$"], "The expression is \\boxed{3\\cdot 5+2}", "3\\cdot5+2", true],
  ["B", ["$3+5+2$", "$3 \\cdot 5+2$", "$3+5 \\cdot 2$", "$3 \\cdot 5 \\cdot 2$", "$3+5-2$"], "The value is 17, so \\boxed{17}", "17", true],
  ["E", ["1", "2", "3", "4", "5"], "There are five of them: \\boxed{5}", "5", true],
  ["\\frac{7}{3}", [], "The volume is \\boxed{2.33}", "2.33", true],
  ["\\frac{7}{3}", [], "The volume is \\boxed{2.3}", "2.3", false],
  ["$6 \\pi$", [], "The circumference is \\boxed{18.85}", "18.85", true],
  ["$3 \\sqrt{2}$", [], "So the height is $3\\sqrt2$, i.e. \\boxed{3\\sqrt{2}}", "3\\sqrt{2}", true],
  ["$\\frac{\\sqrt{3}}{3}$", [], "\\boxed{\\frac{1}{\\sqrt{3}}}", "\\frac{1}{\\sqrt{3}}", true],
  ["2:3", [], "The ratio is \\boxed{0.67}", "0.67", true],
  ["2:3", [], "The ratio is \\boxed{2/3}", "\\frac{2}{3}", true],
  ["(2,-5)", [], "The point is \\boxed{(2.0, -5)}", "(2.0,-5)", true],
  ["(2,-5)", [], "The point is \\boxed{(2,-5.0)}", "(2,-5.0)", true],
  ["5/3", [], "x = 5/3 so \\boxed{\\frac{5}{3}}", "\\frac{5}{3}", true],
  ["35^2", [], "\\boxed{1225}", "1225", true],
  ["12 ", [], "The answer is 12.", "12", true],
  ["12", [], "The area is \\boxed{12 \\text{ cm}^2}", "12{cm}^2", false],
  ["12", [], "The area is \\boxed{12 cm^2}", "12cm^2", false],
  ["30", [], "\\boxed{30^\\circ}", "30", true],
  ["30", [], "\\boxed{30°}", "30°", false],
  ["2", [], "\\boxed{2}. However, there are 2 triangles", "2", true],
  ["5", [], "So the answer is 5 apples.", "5apples", false],
  ["6", [], "After checking again the answer is \\boxed{5}. Wait, \\boxed{6}", "6", true],
  ["C", ["A", "B", "C", "D", "E"], "I think (C)\nsince the cube folds that way", "ithinkcsincethecubefoldsthatway", false],
  ["2", [], "e^{\\ln 2}... the answer is \\boxed{\\sqrt{4}}", "\\sqrt{4}", true],
  ["16\\pi", [], "Area = \\pi r^2 = 16\\pi \\approx \\boxed{50.27}", "50.27", true],
  ["\\frac{5}{8}", [], "The probability is 0.625", "0.625", true],
];

test('30 responses: extraction and verdict agree with the original (incl. option text and numeric matches)', () => {
  assert.equal(JUDGED.length, 30);
  JUDGED.forEach(([answer, options, response, extracted, correct], i) => {
    const rec = scoreResponse({ id: String(i), answer, options, level: 1, subject: 'algebra' }, response);
    assert.equal(rec.extracted, extracted, `#${i} extracted`);
    assert.equal(rec.correct, correct, `#${i} ${JSON.stringify(response)} → ${rec.extracted} (${rec.rule})`);
  });
  assert.deepEqual(judge('friday', 'D', ['Monday', 'Saturday', 'Thursday', 'Friday', 'Sunday']), { correct: true, rule: 'option:string' });
  assert.deepEqual(judge('17', 'B', ['$3+5+2$', '$3 \\cdot 5+2$', '$3+5 \\cdot 2$', '$3 \\cdot 5 \\cdot 2$', '$3+5-2$']), {
    correct: true,
    rule: 'option:numeric',
  });
  assert.deepEqual(judge('2.33', '\\frac{7}{3}', []), { correct: true, rule: 'answer:numeric' });
});

test('record fields; an empty response scores wrong without throwing', () => {
  const item: ScorableItem = { id: '7', answer: '6', options: [], level: 1, subject: 'counting' };
  const rec = scoreResponse(item, 'The answer is \\boxed{6}');
  assert.deepEqual(rec, {
    id: '7', response: 'The answer is \\boxed{6}', extracted: '6', gold: '6', correct: true, extractor: 'boxed', level: 1, subject: 'counting', rule: 'answer:string',
  });
  const empty = scoreResponse(item, '');
  assert.equal(empty.correct, false);
  assert.equal(empty.extracted, '');
  assert.equal(empty.rule, 'none');
  assert.equal(scoreResponse({ ...item, answer: 'A', options: ['A', 'B', 'C', 'D', 'E'] }, '   ').correct, false);
});

test('aggregate: overall, per level, per subject, and the original _result.json table', () => {
  const item = (id: string, level: number, subject: string): ScorableItem => ({ id, answer: '1', options: [], level, subject });
  const records = [
    scoreResponse(item('a', 1, 'algebra'), '\\boxed{1}'),
    scoreResponse(item('b', 1, 'algebra'), '\\boxed{2}'),
    scoreResponse(item('c', 2, 'counting'), '\\boxed{1}'),
  ];
  const m = aggregate(records);
  assert.equal(m.accuracy, 2 / 3);
  assert.equal(m.correct, 2);
  assert.equal(m.total, 3);
  assert.deepEqual(m.level, { '1': { accuracy: 0.5, correct: 1, total: 2 }, '2': { accuracy: 1, correct: 1, total: 1 } });
  assert.deepEqual(m.subject, { algebra: { accuracy: 0.5, correct: 1, total: 2 }, counting: { accuracy: 1, correct: 1, total: 1 } });
  assert.deepEqual(m.official, {
    '-all': 66.67, '-level1': 50, '-level1_algebra': 50, '-level2': 100, '-level2_counting': 100,
    algebra: 50, algebra_level1: 50, counting: 100, counting_level2: 100,
  });
  const table = resultTable(records);
  assert.deepEqual(Object.keys(table), [
    '-all', '-level1', '-level1_algebra', '-level2', '-level2_counting', 'algebra', 'algebra_level1', 'counting', 'counting_level2',
  ]);
  assert.equal(table['-all'], '2/3=66.67%');
  assert.equal(table['-level1'], '1/2=50.0%');
  assert.equal(table['counting_level2'], '1/1=100.0%');
  assert.deepEqual(aggregate([]), { accuracy: 0, correct: 0, total: 0, level: {}, subject: {}, official: {} });
});

test('10,000 predictions (2,500 items × 4 samples, a quarter needing compute-engine) all score (its speed: npm run bench:benchmarks)', () => {
  const items: ScorableItem[] = [];
  const responses: string[][] = [];
  for (let i = 0; i < 2_500; i++) {
    const n = i % 997;
    const item = (answer: string, options: string[] = []): ScorableItem => ({ id: `${i}`, answer, options, level: 1 + (i % 5), subject: 's' });
    const samples = (f: (k: number) => string) => [0, 1, 2, 3].map(f);
    switch (i % 8) {
      case 0:
        items.push(item(String(n)));
        responses.push(samples((k) => `Step 1: count the squares. Step 2: add them.\nThe answer is ${n + k}.\n\\boxed{${n + k}}`));
        break;
      case 1:
        items.push(item('ABCDE'[i % 5]!, ['A', 'B', 'C', 'D', 'E']));
        responses.push(samples((k) => `Looking at the options, the correct one is ${'ABCDE'[(i + k) % 5]}.`));
        break;
      case 2:
        items.push(item(`\\frac{${n}}{${n + 1}}`));
        responses.push(samples((k) => `So the ratio is \\boxed{\\frac{${n}}{${n + 1 + (k % 2)}}}`));
        break;
      case 3:
        items.push(item(`${(n % 9) + 1}\\sqrt{${(n % 7) + 2}}`));
        responses.push(samples((k) => `The diagonal is $\\boxed{${(((n % 9) + 1) * Math.sqrt((n % 7) + 2 + k)).toFixed(2)}}$ cm.`));
        break;
      case 4:
        items.push(item('C', ['3 cm', '4 cm', '5 cm', '6 cm', '7 cm']));
        responses.push(samples((k) => `By Pythagoras the side is 5 cm, so the final answer is ${k % 2 ? '(C)' : '5 cm'}`));
        break;
      case 5:
        items.push(item(String(n)));
        responses.push(samples((k) => `I am not sure about this one because the figure is not clear enough to count ${n + k} objects.`));
        break;
      case 6:
        items.push(item(`${n}\\pi`));
        responses.push(samples((k) => `Area $= ${n}\\pi \\approx \\boxed{${(n * Math.PI + k).toFixed(2)}}$`));
        break;
      default:
        items.push(item(String(n / 4)));
        responses.push(samples((k) => `Therefore x = ${n + k}/4, so \\boxed{${n + k}/4}`));
    }
  }
  let correct = 0;
  let scored = 0;
  for (let i = 0; i < items.length; i++) {
    for (const r of responses[i]!) {
      scored++;
      if (scoreResponse(items[i]!, r).correct) correct++;
    }
  }
  assert.equal(scored, 10_000);
  assert.ok(correct > 2500 && correct < 7500, `correct ${correct}`);
});

// Expected values of the utils.py functions, from the original code.
const FIND: Array<[string, string]> = [["\\boxed{\\frac{1}{2}} and more }", "\\frac{1}{2}}andmore"], ["so \\boxed{5} cm", "5"], ["x = \\boxed{3}", "3"], ["\\boxed{a}{b}", "a"], ["abc}def{", "abc"], ["y=2x=\\boxed{4}", "4"], ["\\approx 3.14", "3.14"], ["\\boxed{12 \\text{ cm}^2}", "12{cm}^2"], ["\\boxed{90^{\\circ}}", "90"], ["\\boxed{5 units}", "5"], ["\\boxed{3km}", "3"], ["\\boxed{\\left(1,2\\right)}", "(1,2)"], ["∞", "\\infty"], ["\\boxed{+\\infty}", "\\infty"], ["\\boxed{\\begin{bmatrix}1\\end{bmatrix}}", "\\begin{pmatrix}1\\end{pmatrix}"], ["\\boxed{{}7}", "7"], ["\\boxed{.5}", "\\frac{1}{2}"], ["A", "a"]];
const STRIP: Array<[string, string]> = [["\\sqrt3/2", "\\sqrt{3}/2"], ["\\frac12", "\\frac12"], ["\\frac12\\sqrt2", "\\frac{1}{2}\\sqrt{2}"], [" .5", "\\frac{1}{2}"], ["0.5", "\\frac{1}{2}"], ["3/4", "\\frac{3}{4}"], ["03/4", "03/4"], ["-3/4", "\\frac{-3}{4}"], ["3/-4", "\\frac{3}{-4}"], ["1/2/3", "1/2/3"], ["a=b=c", "a=b=c"], ["x=5", "5"], ["5\\%", "5"], ["\\$5", "5"], ["10\\text{ cm}", "10"], ["2 \\approx 2.0", "2.0"]];
const FIX_FRACS: Array<[string, string]> = [["\\frac12", "\\frac{1}{2}"], ["\\frac1{2}", "\\frac{1}{2}"], ["\\frac{1}{2}", "\\frac{1}{2}"], ["\\frac1", "\\frac1"], ["a\\frac34b", "a\\frac{3}{4}b"]];
const FIX_SQRT: Array<[string, string]> = [["\\sqrt3", "\\sqrt{3}"], ["\\sqrt{3}", "\\sqrt{3}"], ["2\\sqrt3+\\sqrt{5}", "2\\sqrt{3}+\\sqrt{5}"], ["\\sqrt", "\\sqrt"]];
const FIX_SLASH: Array<[string, string]> = [["3/4", "\\frac{3}{4}"], ["-3/4", "\\frac{-3}{4}"], ["3/-4", "\\frac{3}{-4}"], ["+3/4", "+3/4"], ["03/4", "03/4"], ["3.0/4", "3.0/4"], ["1/2/3", "1/2/3"], ["a/b", "a/b"], ["-0/1", "-0/1"]];
const EVAL_TUPLE: Array<[string, string]> = [["(1,2)", "(1,2)"], ["(\\frac{1}{2},3)", "(0.5,3)"], ["(1.0,2)", "(1,2)"], ["[\\sqrt{2},\\pi]", "[1.41,3.14]"], ["(a,-a)", "(a,-a)"], ["(-\\infty,3)", "(-\\infty,3)"], ["(1,x)", "(1,x)"], ["(1)", "(1)"], ["1,2", "1,2"], ["[1,2", "[1,2"], ["(", "("], ["(2.675,0.125)", "(2.67,0.12)"]];
const IS_EQUAL: Array<[string, string, boolean]> = [["6", "6", true], ["6", " 6 ", true], ["A", "a", true], ["\\frac{1}{2}", "0.5", true], ["0.5", "\\frac{1}{2}", true], ["1:2", "0.5", true], ["(1,2)", "(1.0,2.0)", true], ["$2$", "2", true], ["2", "2.001", true], ["2", "2.004", true], ["2", "2.005", true], ["3.14", "\\pi", true], ["", "0", false], [" ", " ", false], ["e", "2.72", false], ["x", "x ", true], ["(1,2)", "(2,1)", false], ["0.33", "\\frac{1}{3}", true], ["12", "12cm", false], ["6", "2\\cdot3", true], ["10", "10\\%", false]];
