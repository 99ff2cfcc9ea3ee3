// Golden values for the Python-semantics helpers MMMU's scorer depends on. Every expected value
// below was printed by CPython 3.11 (random, float, round, ast.literal_eval) on the same input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PyRandom } from './pyrandom.ts';
import { pyFloat, pyLen, pyRound2, pySplitWhitespace, pyStrip, pyStripChars } from './pystr.ts';
import { parsePythonStringList, PyLiteralError, tryParsePythonStringList } from './pyliteral.ts';

test('PyRandom: random.seed(42); random.random() × 3', () => {
  const r = new PyRandom(42);
  assert.deepEqual([r.random(), r.random(), r.random()], [0.6394267984578837, 0.025010755222666936, 0.27502931836911926]);
});

test('PyRandom: random.choice streams for 2, 4, 5 and 9 choices', () => {
  const draw = (seed: number, letters: string, n: number): string => {
    const r = new PyRandom(seed);
    return Array.from({ length: n }, () => r.choice([...letters])).join('');
  };
  assert.equal(draw(42, 'ABCD', 10), 'AACBBBAADA');
  assert.equal(draw(42, 'AB', 10), 'AABAAAAABA');
  assert.equal(draw(42, 'ABCDE', 10), 'AACBBBAEAE'); // n=5 uses 3 bits and rejects 5..7
  assert.equal(draw(-7, 'ABCDEFGHI', 8), 'FCGABIBF'); // seed uses |n|
});

test('PyRandom: getrandbits, multi-word seeds and the 624-word regeneration', () => {
  const r0 = new PyRandom(0);
  assert.deepEqual([r0.getrandbits(32), r0.getrandbits(32), r0.getrandbits(32)], [3626764237, 1654615998, 3255389356]);
  const big = new PyRandom(2n ** 40n + 5n);
  assert.deepEqual([big.random(), big.random()], [0.5043802970418443, 0.2686044399723282]);
  const r = new PyRandom(42);
  for (let i = 0; i < 700; i++) r.random(); // 1400 words: crosses two regenerations
  assert.equal(r.random(), 0.6476347234024807);
  assert.equal(r.getrandbits(32), 3901597465);
});

test('PyRandom: choice on an empty sequence raises, seed() restarts the stream', () => {
  const r = new PyRandom(42);
  assert.throws(() => r.choice([]), RangeError);
  r.random();
  r.seed(42);
  assert.equal(r.random(), 0.6394267984578837);
});

test('pyFloat follows float(): underscores, specials, Unicode digits and spaces', () => {
  const cases: [string, number | null][] = [
    ['1_000', 1000],
    ['1__0', null],
    ['_1', null],
    [' 12 ', 12],
    ['1e5', 100000],
    ['.5', 0.5],
    ['5.', 5],
    ['\u0661\u0662', 12], // Arabic-Indic digits
    ['\uff11\uff12.5', 12.5], // fullwidth digits
    ['1,000', null],
    ['', null],
    ['0x10', null],
    ['1e', null],
    ['+.5e-3', 0.0005],
    ['1_000.000_1', 1000.0001],
    ['\u00a012\u2003', 12],
    ['\x1c3\x1f', null], // ASCII separators are isspace() but float() does not strip them
    ['\ufeff3', null], // JS would trim a BOM; Python does not
    ['12a', null],
  ];
  for (const [s, want] of cases) assert.equal(pyFloat(s), want, JSON.stringify(s));
  assert.equal(pyFloat('inf'), Infinity);
  assert.equal(pyFloat('-Infinity'), -Infinity);
  assert.ok(Number.isNaN(pyFloat('nan')));
  assert.equal(pyFloat('1e400'), Infinity);
});

test('pyRound2 follows round(x, 2): exact binary value, ties to even', () => {
  const cases: [number, number][] = [
    [0.125, 0.12], // exact tie → even (toFixed would give 0.13)
    [0.375, 0.38],
    [-0.125, -0.12],
    [2.675, 2.67], // 2.67499999…
    [1.005, 1.0],
    [0.115, 0.12],
    [1234.5678, 1234.57],
    [-1.555, -1.55],
    [0.005, 0.01],
    [0.015, 0.01],
    [0.025, 0.03],
    [1e20, 1e20],
    [123456789.125, 123456789.12],
    [5, 5],
  ];
  for (const [x, want] of cases) assert.equal(pyRound2(x), want, String(x));
  assert.ok(Object.is(pyRound2(-0.001), -0));
  assert.ok(Number.isNaN(pyRound2(NaN)));
});

test('pyStrip / pyStripChars / pySplitWhitespace / pyLen', () => {
  assert.equal(pyStrip('\x1c\x85 a b \u3000'), 'a b');
  assert.equal(pyStrip('\ufeffx'), '\ufeffx');
  assert.equal(pyStripChars("''A'.'", "'"), "A'.");
  assert.equal(pyStripChars('....', '.'), '');
  assert.deepEqual(pySplitWhitespace('  a\tb\x1fc  '), ['a', 'b', 'c']);
  assert.deepEqual(pySplitWhitespace('   '), []);
  assert.equal(pyLen('a😀b'), 3);
  assert.equal(pyLen('abc'), 3);
});

test('parsePythonStringList matches ast.literal_eval', () => {
  const cases: [string, string[]][] = [
    ["['$6', '$7', '$8', '$9']", ['$6', '$7', '$8', '$9']],
    [`["It's", 'b']`, ["It's", 'b']],
    ["['a\\\\b', 'c\\'d']", ['a\\b', "c'd"]],
    ["['\\\\frac{1}{2}', '\\\\alpha']", ['\\frac{1}{2}', '\\alpha']],
    ['[]', []],
    ["['x',]", ['x']],
    ["['tab\\there', 'nl\\nx', '\\x41\\u00e9\\U0001F600', '\\101', '\\d']", ['tab\there', 'nl\nx', 'A\u00e9\u{1F600}', 'A', '\\d']],
    [`['ab' 'cd', "e"]`, ['abcd', 'e']],
    ["('p', 'q')", ['p', 'q']],
    ["[r'\\n', u'z']", ['\\n', 'z']],
    ["['''tri'ple''']", ["tri'ple"]],
    ["  [ 'sp' ,  'aces' ]  ", ['sp', 'aces']],
  ];
  for (const [text, want] of cases) assert.deepEqual(parsePythonStringList(text), want, text);
});

test('parsePythonStringList rejects what literal_eval would not give as a list of str', () => {
  for (const bad of ["['a', 1]", "['a'", "['a' 'b'", "'a'", "['a'] x", "['a',,]", "['\\N{BULLET}']", "['\\x4']", '[\'line\nbreak\']']) {
    assert.throws(() => parsePythonStringList(bad), PyLiteralError, bad);
  }
  assert.equal(tryParsePythonStringList('[1, 2]'), null);
  assert.equal(tryParsePythonStringList('plain'), null);
  assert.deepEqual(tryParsePythonStringList("['24/7', '3.429']"), ['24/7', '3.429']);
});
