// The few Python behaviours MATH-V's evaluation depends on, emulated exactly (CPython 3.10+):
// `str.strip()` (its whitespace set), `float(str)` acceptance (evaluate.py's `is_number`),
// `round(x, 2)` on a float (half-even on the exact binary value) and `str(float)` (shortest
// round-trip digits, `1e-05` / `1e+16` forms), which `eval_tuple` writes back into strings.

/** Python's `str.isspace()` characters (what `str.strip()` removes). */
const PY_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Python `s.strip()` with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_SPACE.has(s.charCodeAt(start))) start++;
  while (end > start && PY_SPACE.has(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Python `s.rstrip(chars)` / `s.lstrip(chars)` for a set of single characters. */
export function pyRstrip(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1]!)) end--;
  return s.slice(0, end);
}
export function pyLstrip(s: string, chars: string): string {
  let start = 0;
  while (start < s.length && chars.includes(s[start]!)) start++;
  return s.slice(start);
}

/** Python `s.split(sep)[-1]`. */
export function lastPart(s: string, sep: string): string {
  const i = s.lastIndexOf(sep);
  return i < 0 ? s : s.slice(i + sep.length);
}

/** Python `s.split(sep)[0]`. */
export function firstPart(s: string, sep: string): string {
  const i = s.indexOf(sep);
  return i < 0 ? s : s.slice(0, i);
}

// float(str): optional sign, digits with single underscores between them, optional fraction and
// exponent, or inf/infinity/nan; any Unicode decimal digit counts (Python converts them to ASCII).
const FLOAT_BODY = /^[+-]?(?:(?:\p{Nd}(?:_?\p{Nd})*)(?:\.(?:\p{Nd}(?:_?\p{Nd})*)?)?|\.\p{Nd}(?:_?\p{Nd})*)(?:[eE][+-]?\p{Nd}(?:_?\p{Nd})*)?$/u;
const FLOAT_SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/** Whether Python's `float(s)` accepts the string (MATH-V utils.py `is_number`). */
export function pyIsFloat(s: string): boolean {
  const t = pyStrip(s);
  return FLOAT_BODY.test(t) || FLOAT_SPECIAL.test(t);
}

/**
 * Python `round(x, 2)` for a float. Ties exist only where the binary value is exactly halfway at the
 * third decimal, i.e. x = k/8 with k odd; there Python rounds half to even. Elsewhere `toFixed(2)`
 * rounds the exact binary value like CPython's dtoa and `Number()` parses back correctly rounded.
 */
export function pyRound2(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const ax = Math.abs(x);
  if (ax >= 2 ** 50) return x; // every double this large is an integer or a multiple of 1/4
  let r: number;
  const eighths = ax * 8; // exact: a power-of-two scaling
  if (Number.isInteger(eighths) && eighths % 2 === 1) {
    const hundredths = ax * 100; // exact here (odd/8 · 100 = 12.5 · odd < 2^53)
    const lower = Math.floor(hundredths);
    const n = lower % 2 === 0 ? lower : lower + 1;
    r = n / 100;
  } else {
    r = Number(ax.toFixed(2));
  }
  return x < 0 ? -r : r;
}

/** Shortest round-trip digits of |x| (finite, non-zero): |x| = 0.d1d2… × 10^decpt. */
function shortestDigits(x: number): { digits: string; decpt: number } {
  const [mant, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, decpt: Number(exp) + 1 };
}

/** Python `str(x)` of a float: shortest round-trip digits, fixed notation when 1e-4 ≤ |x| < 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const { digits, decpt } = shortestDigits(x);
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const exp = decpt - 1;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
