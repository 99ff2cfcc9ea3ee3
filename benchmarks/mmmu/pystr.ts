// Python 3 string and number semantics that MMMU's official scorer (MMMU-Benchmark/MMMU,
// mmmu/utils/eval_utils.py) silently relies on, reproduced for TypeScript:
// `str.strip()` / `str.split()` whitespace (str.isspace, which is not JS's \s), `str.strip(chars)`,
// `len()` in code points, `float()` (underscores, inf/nan, non-ASCII decimal digits) and
// `round(x, 2)` (correctly rounded, ties to even on the exact binary value).
// Lower-casing uses JS toLowerCase, which agrees with Python's str.lower for everything but a few
// exotic code points (documented, not worth a Unicode table).
// `str.strip()` and `float()` are shared with the other scorers (benchmarks/common/python.ts); `round(x, 2)`
// stays here because it differs from MATH-V's (see pyRound2).
import { pyStrip } from '../common/python.ts';

export { pyStrip } from '../common/python.ts';
/** Python `float(s)` for a str: the value, or null where Python raises ValueError. */
export { tryPyFloatFromString as pyFloat } from '../common/python.ts';

/** Characters for which Python's str.isspace() is true (differs from JS \s: \x1c-\x1f, \x85 yes; \ufeff no). */
export const PY_WHITESPACE_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const WS_RUN = new RegExp(`[${PY_WHITESPACE_CLASS}]+`);

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

/**
 * Python `round(x, 2)` for a float. toFixed already rounds the exact binary value correctly; the
 * only difference is exact ties (x = j/8 with j odd), which Python sends to the even neighbour and
 * toFixed away from zero. Known departures from CPython (and from MATH-V's pyRound2, which is why the
 * two are not shared): -0.0 comes back as 0, and ties with |x| ≥ 2^45 round away from zero.
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
