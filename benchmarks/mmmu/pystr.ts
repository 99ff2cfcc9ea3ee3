// Python 3 string and number semantics that MMMU's official scorer (MMMU-Benchmark/MMMU,
// mmmu/utils/eval_utils.py) silently relies on, reproduced for TypeScript:
// `str.strip()` / `str.split()` whitespace (str.isspace, which is not JS's \s), `str.strip(chars)`,
// `len()` in code points, `float()` (underscores, inf/nan, non-ASCII decimal digits) and
// `round(x, 2)` (correctly rounded, ties to even on the exact binary value).
// Lower-casing uses JS toLowerCase, which agrees with Python's str.lower for everything but a few
// exotic code points (documented, not worth a Unicode table).

/** Characters for which Python's str.isspace() is true (differs from JS \s: \x1c-\x1f, \x85 yes; \ufeff no). */
export const PY_WHITESPACE_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const LEADING_WS = new RegExp(`^[${PY_WHITESPACE_CLASS}]+`);
const TRAILING_WS = new RegExp(`[${PY_WHITESPACE_CLASS}]+$`);
const WS_RUN = new RegExp(`[${PY_WHITESPACE_CLASS}]+`);
const IS_WS_CHAR = new RegExp(`^[${PY_WHITESPACE_CLASS}]$`);

/** Python `s.strip()` (no argument). */
export function pyStrip(s: string): string {
  return s.replace(LEADING_WS, '').replace(TRAILING_WS, '');
}

/** Python `s.strip(chars)`: removes every leading and trailing character that is in `chars`. */
export function pyStripChars(s: string, chars: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && chars.includes(s[start]!)) start++;
  while (end > start && chars.includes(s[end - 1]!)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Python `s.split()` (no argument): runs of whitespace separate, empty ends dropped. */
export function pySplitWhitespace(s: string): string[] {
  const t = pyStrip(s);
  return t === '' ? [] : t.split(WS_RUN);
}

const ASTRAL = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/** Python `len(s)`: code points, not UTF-16 units. */
export function pyLen(s: string): number {
  // Fast path: almost every string is BMP-only.
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const m = s.match(ASTRAL);
      n -= m ? m.length : 0;
      break;
    }
  }
  return n;
}

const ND = /^\p{Nd}$/u;

/** Digit value of a Unicode decimal digit (Nd blocks are contiguous runs that start at zero). */
function decimalValue(cp: number): number {
  let start = cp;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

const FLOAT_SYNTAX = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;
// Only strings with non-ASCII characters need the CPython transformation below.
const NON_ASCII = /[^\x00-\x7f]/;

const C_SPACE_EDGES = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;

/**
 * Python `float(s)` for a str: the value, or null where Python raises ValueError.
 * Like CPython (_PyUnicode_TransformDecimalAndSpaceToASCII, then C-locale stripping): non-ASCII
 * whitespace counts as space and non-ASCII decimal digits as digits, while ASCII characters are
 * taken as they are — so '\x1c3' is not a number although '\x1c'.isspace() is true.
 */
export function pyFloat(s: string): number | null {
  let t = s;
  if (NON_ASCII.test(t)) {
    let out = '';
    for (const ch of t) {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x80) out += ch;
      else if (IS_WS_CHAR.test(ch)) out += ' ';
      else if (ND.test(ch)) out += String(decimalValue(cp));
      else out += '?';
    }
    t = out;
  }
  t = t.replace(C_SPACE_EDGES, '');
  if (FLOAT_SYNTAX.test(t)) return Number(t.replace(/_/g, ''));
  const special = FLOAT_SPECIAL.exec(t);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  return null;
}

/**
 * Python `round(x, 2)` for a float. toFixed already rounds the exact binary value correctly; the
 * only difference is exact ties (x = j/8 with j odd), which Python sends to the even neighbour and
 * toFixed away from zero.
 */
export function pyRound2(x: number): number {
  if (!Number.isFinite(x)) return x;
  const eighths = x * 8; // exact (power-of-two scaling)
  // Below 2^48 eighths, x*100 = 12.5·j is exact; beyond that (|x| > 3.5e13) toFixed is used as is.
  if (Number.isInteger(eighths) && eighths % 2 !== 0 && Math.abs(eighths) < 2 ** 48) {
    const lower = Math.floor(x * 100);
    const n = lower % 2 === 0 ? lower : lower + 1;
    return n / 100;
  }
  return Number(x.toFixed(2));
}
