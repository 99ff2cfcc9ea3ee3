// Golden values from CPython 3.11 for the Python semantics MathVista's scorer relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  pyFloatFromString,
  pyFloatRepr,
  pyIntFromFloat,
  pyIntFromNumber,
  pyIntFromString,
  pyRound,
  pyStr,
  pyStrip,
  tryPyFloatFromString,
  tryPyIntFromString,
} from './python.ts';

test('pyStrip removes exactly str.isspace() characters', () => {
  assert.equal(pyStrip(' \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000a b\u3000 '), 'a b');
  assert.equal(pyStrip('\ufeffa\u200b'), '\ufeffa\u200b'); // BOM and zero-width space are not whitespace in Python
  assert.equal(pyStrip(''), '');
  assert.equal(pyStrip('   '), '');
});

// [input, int(s) or null for ValueError, float(s) repr or null]
const PARSE_CASES: [string, string | null, string | null][] = [
  ['  5 ', '5', '5.0'],
  ['+5', '5', '5.0'],
  ['5_000', '5000', '5000.0'],
  ['5__0', null, null],
  ['_5', null, null],
  ['5_', null, null],
  ['\x1c5', null, null], // str.strip() removes \x1c, int()/float() do not
  ['5\x1c', null, null],
  ['\x855', '5', '5.0'], // …but non-ASCII spaces are turned into ' ' first
  ['\u30005\u3000', '5', '5.0'],
  ['１２', '12', '12.0'], // full-width digits
  ['٣', '3', '3.0'], // Arabic-Indic three
  ['𝟓', '5', '5.0'], // mathematical bold five (astral)
  ['5.0', null, '5.0'],
  ['1e3', null, '1000.0'],
  ['inf', null, 'inf'],
  ['-Infinity', null, '-inf'],
  ['iNf', null, 'inf'],
  ['infinity ', null, 'inf'],
  ['nan', null, 'nan'],
  ['nan(1)', null, null],
  ['in_f', null, null],
  ['1_0.5', null, '10.5'],
  ['1_e5', null, null],
  ['1e1_0', null, '10000000000.0'],
  ['1.', null, '1.0'],
  ['.5', null, '0.5'],
  ['.', null, null],
  ['e5', null, null],
  ['1e', null, null],
  ['0x10', null, null],
  ['1,000', null, null],
  ['', null, null],
  [' ', null, null],
  ['-0', '0', '-0.0'],
  ['+.5e-3', null, '0.0005'],
  ['1\u00a0', '1', '1.0'],
  ['\ufeff5', null, null],
  ['5\x7f', null, null],
  ['1e400', null, 'inf'],
  ['-1e-400', null, '-0.0'],
  ['0_0', '0', '0.0'],
  ['00', '0', '0.0'],
  ['1__0.0', null, null],
  ['12345678901234567890123', '12345678901234567890123', '1.2345678901234568e+22'],
];

test('int(str) and float(str) accept and reject exactly what CPython does', () => {
  for (const [s, int, float] of PARSE_CASES) {
    const gotInt = tryPyIntFromString(s);
    assert.equal(gotInt === null ? null : gotInt.toString(), int, `int(${JSON.stringify(s)})`);
    const gotFloat = tryPyFloatFromString(s);
    assert.equal(gotFloat === null ? null : pyFloatRepr(gotFloat), float, `float(${JSON.stringify(s)})`);
  }
  assert.throws(() => pyIntFromString('5.0'), /invalid literal for int/);
  assert.throws(() => pyFloatFromString('five'), /could not convert string to float/);
  assert.equal(tryPyIntFromString('1'.repeat(4300))?.toString().length, 4300);
  assert.equal(tryPyIntFromString('1'.repeat(4301)), null); // sys.get_int_max_str_digits() (3.11+)
});

test('int(float) truncates toward zero and raises on inf/nan', () => {
  assert.equal(pyIntFromFloat(999.99), 999n);
  assert.equal(pyIntFromFloat(-7.5), -7n);
  assert.equal(pyIntFromFloat(-0.0), 0n);
  assert.equal(pyIntFromFloat(1e20), 100000000000000000000n);
  assert.throws(() => pyIntFromFloat(Infinity));
  assert.throws(() => pyIntFromFloat(NaN));
  assert.equal(pyIntFromNumber(2.0), 2); // int(precision) with precision a float from parquet
  assert.equal(pyIntFromNumber(1n), 1);
  assert.throws(() => pyIntFromNumber(null)); // int(None): TypeError
});

// [x, ndigits, repr(round(x, ndigits)) or 'OverflowError']
const ROUND_CASES: [number, number, string][] = [
  [0.125, 2, '0.12'], // exact binary tie → even
  [0.375, 2, '0.38'], // exact tie → even (upwards)
  [2.675, 2, '2.67'], // 2.67499999… in binary
  [2.5, 0, '2.0'],
  [3.5, 0, '4.0'],
  [-2.5, 0, '-2.0'],
  [0.5, 0, '0.0'],
  [1.5, 0, '2.0'],
  [-0.5, 0, '-0.0'],
  [-0.04, 1, '-0.0'],
  [1.005, 2, '1.0'],
  [0.045, 2, '0.04'],
  [1.25, 1, '1.2'],
  [1.15, 1, '1.1'],
  [0.135, 2, '0.14'],
  [0.145, 2, '0.14'],
  [1234.5, -2, '1200.0'],
  [1250.0, -2, '1200.0'],
  [123.456, -1, '120.0'],
  [2.675, 10, '2.675'],
  [1e22, 2, '1e+22'],
  [5e-324, 400, '5e-324'],
  [1e-320, 322, '1e-320'],
  [1.7976931348623157e308, -308, 'OverflowError'],
];

test('round(x, n) is correctly rounded, half-even on the exact binary value', () => {
  for (const [x, n, want] of ROUND_CASES) {
    let got: string;
    try {
      got = pyFloatRepr(pyRound(x, n));
    } catch {
      got = 'OverflowError';
    }
    assert.equal(got, want, `round(${x}, ${n})`);
  }
  assert.equal(pyFloatRepr(pyRound(Infinity, 2)), 'inf');
  assert.equal(pyFloatRepr(pyRound(NaN, 2)), 'nan');
});

test('repr(float): shortest round-trip, fixed for -4 < decpt <= 16, else d.ddde±XX', () => {
  const cases: [number, string][] = [
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [5, '5.0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [-0, '-0.0'],
    [0, '0.0'],
    [1.5e300, '1.5e+300'],
    [123456789.123, '123456789.123'],
    [1 / 3, '0.3333333333333333'],
    [2 ** 53, '9007199254740992.0'],
    [1e22, '1e+22'],
    [1.5e-7, '1.5e-07'],
    [-12, '-12.0'],
    [100, '100.0'],
    [0.00012345, '0.00012345'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ];
  for (const [x, want] of cases) assert.equal(pyFloatRepr(x), want, String(x));
});

test('str(x) of JSON values follows Python (lists as str(list))', () => {
  assert.equal(pyStr([2014, 2016]), '[2014, 2016]');
  assert.equal(pyStr(['a', "b'c", 'd"e\'f', 'x\ny']), `['a', "b'c", 'd"e\\'f', 'x\\ny']`);
  assert.equal(pyStr([1.5, null, true]), '[1.5, None, True]');
  assert.equal(pyStr(null), 'None');
  assert.equal(pyStr('text'), 'text');
  assert.equal(pyStr(2.5), '2.5');
  assert.equal(pyStr({ a: 1 }), "{'a': 1}");
});
