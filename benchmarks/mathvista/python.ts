// Python semantics that MathVista's official scorer depends on, emulated exactly:
// `str.strip()`, `int(str)`, `float(str)`, `round(float, n)`, `str(float)` / `repr(float)`, `str(x)`.
// calculate_score.py's `normalize_extracted_answer` is `str(int(float(x)))` and
// `str(round(float(x), int(precision)))`, so a prediction is right or wrong depending on these
// details (whitespace sets, underscores, Unicode digits, half-even rounding on the binary value,
// the shortest round-trip repr with its `1e-05` / `1e+16` forms). Reference: CPython 3.11
// (Objects/floatobject.c `PyFloat_FromString`, `double_round`; Objects/longobject.c
// `PyLong_FromString`; Python/pystrtod.c `format_float_short`; Objects/unicodeobject.c
// `_PyUnicode_TransformDecimalAndSpaceToASCII`).

/** Python's `str.isspace()` characters (what `str.strip()` removes). */
const PY_SPACE = new Set([
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

/** Thrown where Python would raise (ValueError, TypeError, OverflowError); callers catch it like `except Exception`. */
export class PyError extends Error {
  override name = 'PyError';
}

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
function transformToAscii(s: string): string | null {
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
function stripAsciiSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && ASCII_SPACE.has(s.charCodeAt(start))) start++;
  while (end > start && ASCII_SPACE.has(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

const INT_LITERAL = /^([+-]?)(\d+(?:_\d+)*)$/;
/** Python ≥ 3.11 refuses to convert decimal strings longer than this (sys.get_int_max_str_digits()). */
const INT_MAX_STR_DIGITS = 4300;

/** Python `int(s)` for a str argument (base 10), or null where Python raises ValueError. */
export function tryPyIntFromString(s: string): bigint | null {
  const ascii = transformToAscii(s);
  const m = ascii === null ? null : INT_LITERAL.exec(stripAsciiSpace(ascii));
  if (!m) return null;
  const digits = m[2]!.includes('_') ? m[2]!.replaceAll('_', '') : m[2]!;
  if (digits.length > INT_MAX_STR_DIGITS) return null;
  const v = BigInt(digits);
  return m[1] === '-' ? -v : v;
}

/** Python `int(s)` for a str argument (base 10). Throws PyError where Python raises ValueError. */
export function pyIntFromString(s: string): bigint {
  const v = tryPyIntFromString(s);
  if (v === null) throw new PyError(`invalid literal for int() with base 10: ${JSON.stringify(s.slice(0, 80))}`);
  return v;
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

/** Python `float(s)` for a str argument, or null where Python raises ValueError. */
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

/** Python `float(s)` for a str argument. Throws PyError where Python raises ValueError. */
export function pyFloatFromString(s: string): number {
  const v = tryPyFloatFromString(s);
  if (v === null) throw new PyError(`could not convert string to float: ${JSON.stringify(s.slice(0, 80))}`);
  return v;
}

/** Python `float(x)` for the values a JSON file or a response can hold, or null where Python raises. */
export function tryPyFloat(x: unknown): number | null {
  if (typeof x === 'string') return tryPyFloatFromString(x);
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'boolean') return x ? 1 : 0;
  return null;
}

/** Python `float(x)` for the values a JSON file or a response can hold. */
export function pyFloat(x: unknown): number {
  if (typeof x === 'string') return pyFloatFromString(x);
  const v = tryPyFloat(x);
  if (v !== null) return v;
  throw new PyError(`float() argument must be a string or a real number, not '${x === null ? 'NoneType' : typeof x}'`);
}

/** Python `int(x)` where x is a float: truncation toward zero; inf → OverflowError, nan → ValueError. */
export function pyIntFromFloat(x: number): bigint {
  if (Number.isNaN(x)) throw new PyError('cannot convert float NaN to integer');
  if (!Number.isFinite(x)) throw new PyError('cannot convert float infinity to integer');
  return BigInt(Math.trunc(x));
}

/** Python `int(x)` for a precision read from JSON/parquet (int or float; None → TypeError). */
export function pyIntFromNumber(x: unknown): number {
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'number') return Number(pyIntFromFloat(x));
  if (typeof x === 'string') return Number(pyIntFromString(x));
  throw new PyError(`int() argument must be a string or a real number, not '${x === null ? 'NoneType' : typeof x}'`);
}

// ---- round(float, ndigits): correctly rounded, ties to even on the exact binary value ----

/** `double_round` limits: beyond them Python returns x (too many digits) or 0.0*x (too few). */
const NDIGITS_MAX = 323;
const NDIGITS_MIN = -308;

/** The double as an exact rational: |x| = mantissa · 2^exponent. */
function decompose(x: number): { negative: boolean; mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) exponent = -1074; // subnormal
  else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  return { negative, mantissa, exponent };
}

/** Python `round(x, ndigits)` for a float x. Throws PyError on overflow (as Python's OverflowError). */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (ndigits > NDIGITS_MAX) return x;
  if (ndigits < NDIGITS_MIN) return 0 * x;
  const { negative, mantissa, exponent } = decompose(x);
  // |x| · 10^ndigits = num / den exactly
  let num = mantissa;
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  if (ndigits >= 0) num *= 10n ** BigInt(ndigits);
  else den *= 10n ** BigInt(-ndigits);
  let q = num / den;
  const twiceRemainder = 2n * (num - q * den);
  if (twiceRemainder > den || (twiceRemainder === den && q % 2n === 1n)) q += 1n;
  // the decimal string back through a correctly rounded parse, as double_round does with _Py_dg_strtod
  const rounded = Number(`${negative ? '-' : ''}${q}e${-ndigits}`);
  if (!Number.isFinite(rounded)) throw new PyError('rounded value too large to represent');
  return rounded;
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

// ---- str(x) for JSON values (extractions read from result files may not be strings) ----

/** Python `repr(s)` of a str (quote choice and escapes of the common characters). */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

function pyRepr(x: unknown): string {
  return typeof x === 'string' ? pyStrRepr(x) : pyStr(x);
}

/** Python `str(x)` for a value parsed from JSON. JSON drops the int/float distinction: an integral
 *  number is taken as a Python int (`5`), any other as a float (`2.5`). */
export function pyStr(x: unknown): string {
  if (typeof x === 'string') return x;
  if (x === null || x === undefined) return 'None';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'number') return Number.isInteger(x) ? BigInt(x).toString() : pyFloatRepr(x);
  if (Array.isArray(x)) return `[${x.map(pyRepr).join(', ')}]`;
  if (typeof x === 'object') {
    return `{${Object.entries(x as Record<string, unknown>)
      .map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return String(x);
}
