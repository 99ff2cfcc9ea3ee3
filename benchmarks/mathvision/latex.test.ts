// The numeric core of is_equal: `round(eval(str(latex2sympy(s))), 2)` and the Python helpers it needs.
// Expected values are what the original gives (latex2sympy2 1.9 + CPython 3.11 `from math import *`,
// run on each string): `str(round(value, 2))`, or null where the original raises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latexCanonical, latexValue, pyNumEquals, pyNumStr, pyRound2Num } from './latex.ts';
import { pyFloatRepr, pyIsFloat, pyRound2, pyStrip } from './python.ts';

function rounded(s: string): string | null {
  const v = latexValue(s);
  return v ? pyNumStr(pyRound2Num(v)) : null;
}

function check(table: Array<[string, string | null]>): void {
  for (const [input, want] of table) assert.equal(rounded(input), want, `latex2sympy(${JSON.stringify(input)})`);
}

test('numbers: Rational literals, thousands commas, percent, ints stay ints', () => {
  check([
    ['6', '6'],
    ['-5', '-5'],
    ['3.0', '3'], // sympy.Rational('3.0') is the Integer 3: Python sees an int
    ['2.5', '2.5'],
    ['.5', '0.5'],
    ['1,234', '1234'],
    ['1,0000', '0'], // NUMBER '1,000' then NUMBER '0', multiplied
    ['1,23', null], // '1' ',' '23': a list
    ['30\\%', '0.3'],
    ['100\\%', '1'],
    ['1.005', '1.0'], // half-even on the binary value (1.00499999…)
    ['2.675', '2.67'],
    ['0.125', '0.12'], // an exact tie: half to even
    ['\\frac{1}{8}', '0.12'],
    ['\\frac{5}{8}', '0.62'],
  ]);
});

test('fractions, roots, ratios and implicit products', () => {
  check([
    ['\\frac{1}{2}', '0.5'],
    ['\\dfrac{3}{4}', '0.75'],
    ['\\frac12', null], // \frac needs braces
    ['\\frac{4}{2}', '2.0'], // true division: a float
    ['\\sqrt{3}', '1.73'],
    ['\\sqrt[3]{8}', '2.0'],
    ['\\sqrt{-4}', null], // math.sqrt raises
    ['(-8)^{1/3}', null], // complex in Python; round() raises
    ['\\sqrt2', null],
    ['2\\sqrt{3}', '3.46'],
    ['66\\frac{2}{3}', '44.0'],
    ['1:2', '0.5'],
    ['2:8:6', '0.04'],
    ['4:067:09', '0.01'],
    ['$6 \\pi$', '18.85'],
    ['$\\frac{\\sqrt{5}}{5}$', '0.45'],
    ['5 \\times 2', '10'],
    ['5 \\div 2', '2.5'],
    ['5 \\cdot 2', '10'],
    ['2*3', '6'],
    ['\\frac{5^3}{2^{10} 11^2}', '0.0'],
    ['18000-3500\\pi', '7004.43'],
    ['(5)_{2}', '20.0'], // latex2sympy's permutation rewrite: 5!/(5-2)!
    ['3 \\quad 4', '12'],
    ['2~3', '6'],
  ]);
});

test('powers (left-associative, exponent read as one NUMBER), factorials, big ints', () => {
  check([
    ['2^{10}', '1024'],
    ['2^10', '1024'],
    ['2^3^2', '64'],
    ['2^-1', null],
    ['2^{-1}', '0.5'],
    ['0^0', '1'],
    ['0^{-1}', null],
    ['1/0', null],
    ['3!', '6'],
    ['3.5!', null],
    ['2^{1000}', (2n ** 1000n).toString()],
    ['10^{400}\\cdot\\pi', null], // int → float conversion overflows
    ['\\frac{2^{1500}-1}{2^{1501}}', '0.5'], // int / int is exact in Python
  ]);
});

test('constants and functions as Python evaluates sympy printouts', () => {
  check([
    ['\\pi', '3.14'],
    ['-\\pi', '-3.14'],
    ['2\\pi', '6.28'],
    ['\\tau', '6.28'], // Symbol('tau') prints as tau = math.tau
    ['e', null], // sympy.E prints as E: NameError
    ['e^{2}', '7.39'],
    ['e^{1}', null],
    ['e^{0}', '1'],
    ['\\exp 2', '7.39'],
    ['\\ln 2', null], // log(2, E)
    ['\\log 100', '2.0'],
    ['\\log_2 8', '3.0'],
    ['\\sin 30', '-0.99'], // radians
    ['\\sin^{-1} 1', '1.57'],
    ['\\sin^2 1', '0.71'],
    ['\\sin^{0} 1', '0.84'], // a power of 0 is falsy and dropped
    ['\\sec 2', null],
    ['\\arcsin 2', null],
    ['\\arctan 1', '0.79'],
    ['\\sinh^{-1} 1', '0.88'],
    ['\\lfloor 2.5 \\rfloor', '2'],
    ['\\lceil 2.5 \\rceil', null], // ceiling is not in math
    ['|-2|', null], // Abs is not in math
    ['\\binom{5}{2}', '10'],
    ['{5 \\choose 2}', '10'],
    ['\\binom{-2}{3}', '-4'],
    ['\\binom{2+3}{2}', '10'],
    ['\\binom{5}{1+1}', null], // k must be a literal Integer, else `binomial(5, 1 + 1)`: NameError
    ['\\binom{\\lfloor 5 \\rfloor}{2}', '10.0'], // expanded to -floor(5)/2 + floor(5)**2/2
    ['e^{\\ln 2}', '2'], // exp(log(x)) → x, so \\ln is fine inside e^{}
    ['e^{3\\ln 2}', '8'],
    ['e^{\\log 2}', '2'], // the base is ignored: log(2, 10).args[0]
    ['e^{e^{0}}', null], // exp(exp(0)) = exp(1) = E
    ['\\max(1,2)', null],
    ['\\gcd(4,6)', '2'],
    ['2 \\mod 3', null],
    ['\\infty', null],
    ['\\pi-\\tan ^{-1}\\left(\\frac{1}{k}\\right)', null],
  ]);
});

test('groups, signs and relations', () => {
  check([
    ['\\left(5\\right)', '5'],
    ['\\{5\\}', '5'],
    ['[5]', '5'],
    ['{5}', '5'],
    ['+5', '5'],
    ['--5', '5'],
    ["5'", '5'], // transpose of a number is the number
    ['x', null],
    ['x=5', '5'], // a Symbol on the left is assigned: the value is the right side
    ['\\tau=2', '2'],
    ['2=3', null],
    ['2<3', '1'], // True
    ['3 \\le 2', '0'],
    ['2,3', null],
    ['[1,2]', null],
    ['(3,-4)', null],
    ['2, .', null],
  ]);
});

test('reading stops silently at a token that cannot continue; unknown characters raise', () => {
  check([
    ['2 . 3', '2'],
    ['2.5.3', '0.75'], // NUMBER 2.5, NUMBER .3
    ['-2.b', '-2'],
    ['5.this is it', '5'],
    ['2triangles', '2'], // `tr` is a token (trace)
    ['5 tr', '5'],
    ['2 )', '2'],
    ['2 }', '2'],
    ['\\frac{5}{2}}.the answer is:\\frac{5}{2', '2.5'],
    ['5°', null],
    ['5 . °', '5'], // never lexed
    ['\\frac{70}{19}^{\\circ}', null],
    ['\\text{5}', null],
    ['5\\text{cm}', null],
    ['5cm', null],
    ['47{degrees}', null],
    ['\\frac{2}{3}\\pi{inches}', null],
    ['6\\sqrt{2}{squareinches}', null],
    ['\\boxed{5}', null],
    ['2**3', null],
    ['\\cdot 5', null],
    ['5-', null],
    ['(5', null],
  ]);
});

test('values keep their Python type; equality compares int and float exactly', () => {
  assert.deepEqual(latexValue('3.0'), { kind: 'int', v: 3n });
  assert.deepEqual(latexValue('\\frac{6}{2}'), { kind: 'float', v: 3 });
  assert.ok(pyNumEquals(latexValue('3.0')!, latexValue('\\frac{6}{2}')!));
  assert.ok(!pyNumEquals({ kind: 'int', v: 3n }, { kind: 'float', v: 3.0000001 }));
  assert.equal(latexCanonical('1:2'), '\\frac{1}{2}');
  assert.equal(latexCanonical('66\\frac{2}{3}'), '66\\cdot(\\frac{2}{3})');
  assert.equal(latexCanonical('\\tau'), '(2\\pi)');
  assert.equal(latexCanonical('x'), null);
});

test('Python float helpers: round(x, 2), str(float), float(str), str.strip()', () => {
  assert.equal(pyRound2(0.125), 0.12);
  assert.equal(pyRound2(0.375), 0.38);
  assert.equal(pyRound2(-0.125), -0.12);
  assert.equal(pyRound2(2.675), 2.67);
  assert.equal(pyRound2(1.005), 1);
  assert.equal(pyRound2(12.345), 12.35); // 12.3450000000000006394884621840901672840118408203125
  assert.equal(pyRound2(1e20), 1e20);
  assert.ok(Object.is(pyRound2(-0.001), -0));
  assert.equal(pyFloatRepr(2), '2.0');
  assert.equal(pyFloatRepr(-0), '-0.0');
  assert.equal(pyFloatRepr(0.0001), '0.0001');
  assert.equal(pyFloatRepr(1e-5), '1e-05');
  assert.equal(pyFloatRepr(1e16), '1e+16');
  assert.equal(pyFloatRepr(123456789012345.6), '123456789012345.6');
  assert.equal(pyFloatRepr(1.5e300), '1.5e+300');
  for (const s of [' 12 ', '1_000', '.5', '5.', '-1e5', 'inf', '-Infinity', 'nan', '\u0661\u0662', '\t3\n']) assert.ok(pyIsFloat(s), s);
  for (const s of ['', '1__0', '_1', 'e5', '+-1', '1,000', '0x10', '1 2', 'infinit']) assert.ok(!pyIsFloat(s), s);
  assert.equal(pyStrip('\u00a0\x1c x \u3000'), 'x');
  assert.equal(pyStrip('\ufeffx'), '\ufeffx'); // BOM is not whitespace to Python
});
