// Python semantics that more than one official scorer depends on, emulated exactly (CPython 3.10+):
// `str.strip()` (its whitespace set), `float(str)` (whitespace, underscores, Unicode digits, inf/nan)
// and `str(float)` / `repr(float)` (shortest round-trip digits with the `1e-05` / `1e+16` forms).
// Used by MathVista (python.ts), MATH-V (python.ts) and MMMU (pystr.ts); helpers only one benchmark
// needs stay in that benchmark's module. Reference: CPython Objects/floatobject.c
// `PyFloat_FromString`, Python/pystrtod.c `format_float_short`, Objects/unicodeobject.c
// `_PyUnicode_TransformDecimalAndSpaceToASCII`.

/** Python's `str.isspace()` characters (what `str.strip()` removes). */
export const PY_SPACE: ReadonlySet<number> = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** ASCII whitespace as C's `Py_ISSPACE` sees it (no 0x1c–0x1f): what int()/float() skip around a number. */
const ASCII_SPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]);

/** Python `s.strip()` with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_SPACE.has(s.charCodeAt(start))) start++;
  while (end > start && PY_SPACE.has(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

// ---- float(str) ----

const DECIMAL_DIGIT = /\p{Nd}/u;

/** Unicode decimal digit value (Python's `Py_UNICODE_TODECIMAL`) or -1. Unicode lays every Nd digit
 *  out in runs of ten starting at zero, so the value is the position within the run, modulo 10. */
function decimalValue(cp: number): number {
  const isDigit = (c: number) => DECIMAL_DIGIT.test(String.fromCodePoint(c));
  if (!isDigit(cp)) return -1;
  let before = 0;
  while (isDigit(cp - before - 1)) before++;
  return before % 10;
}

const ASCII_ONLY = /^[\x00-\x7e]*$/;

/** `_PyUnicode_TransformDecimalAndSpaceToASCII`: non-ASCII spaces → ' ', Unicode digits → ASCII digits,
 *  anything else non-ASCII (and DEL) makes the number unparsable (null). */
export function transformToAscii(s: string): string | null {
  if (ASCII_ONLY.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 127) out += ch;
    else if (PY_SPACE.has(cp)) out += ' ';
    else {
      const d = decimalValue(cp);
      if (d < 0) return null;
      out += String.fromCharCode(48 + d);
    }
  }
  return out;
}

/** Strips the ASCII whitespace C's number parsers skip. */
export function stripAsciiSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && ASCII_SPACE.has(s.charCodeAt(start))) start++;
  while (end > start && ASCII_SPACE.has(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

const FLOAT_LITERAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF_NAN = /^([+-]?)(inf|infinity|nan)$/i;

/** `_Py_string_to_number_with_underscores`: an underscore must sit between two ASCII digits. */
function removeUnderscores(s: string): string | null {
  if (!s.includes('_')) return s;
  let prev = '';
  let out = '';
  for (const ch of s) {
    const isDigit = ch >= '0' && ch <= '9';
    if (ch === '_') {
      if (!(prev >= '0' && prev <= '9')) return null;
    } else {
      if (prev === '_' && !isDigit) return null;
      out += ch;
    }
    prev = ch;
  }
  return prev === '_' ? null : out;
}

/**
 * Python `float(s)` for a str argument, or null where Python raises ValueError. Non-ASCII whitespace
 * counts as space and non-ASCII decimal digits as digits, while ASCII characters are taken as they
 * are — so '\x1c3' is not a number although '\x1c'.isspace() is true.
 */
export function tryPyFloatFromString(s: string): number | null {
  const ascii = transformToAscii(s);
  const body = ascii === null ? null : removeUnderscores(stripAsciiSpace(ascii));
  if (body === null) return null;
  if (FLOAT_LITERAL.test(body)) return Number(body); // JS and CPython both round decimal input correctly
  const special = INF_NAN.exec(body);
  if (!special) return null;
  if (special[2]!.toLowerCase() === 'nan') return NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

// ---- str(float) / repr(float) ----

/** Shortest round-trip digits of |x| (x finite, non-zero) and the decimal point position:
 *  |x| = 0.d1d2… × 10^decpt. JS's Number→String picks the same digits as CPython's dtoa mode 0. */
function shortestDigits(x: number): { digits: string; decpt: number } {
  const s = String(Math.abs(x));
  const e = s.indexOf('e');
  const mant = e < 0 ? s : s.slice(0, e);
  const exp10 = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  let digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  let decpt = (dot < 0 ? mant.length : dot) + exp10;
  let lead = 0;
  while (lead < digits.length - 1 && digits[lead] === '0') lead++;
  digits = digits.slice(lead);
  decpt -= lead;
  digits = digits.replace(/0+$/, '') || '0';
  return { digits, decpt };
}

/** Python `repr(x)` / `str(x)` of a float: shortest round-trip, fixed notation when −4 < decpt ≤ 16. */
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
  const expText = String(Math.abs(exp)).padStart(2, '0');
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${expText}`;
}
