// Python semantics that MathVista's official scorer depends on, emulated exactly:
// `str.strip()`, `int(str)`, `float(str)`, `round(float, n)`, `str(float)` / `repr(float)`, `str(x)`.
// calculate_score.py's `normalize_extracted_answer` is `str(int(float(x)))` and
// `str(round(float(x), int(precision)))`, so a prediction is right or wrong depending on these
// details (whitespace sets, underscores, Unicode digits, half-even rounding on the binary value,
// the shortest round-trip repr with its `1e-05` / `1e+16` forms). Reference: CPython 3.11
// (Objects/floatobject.c `PyFloat_FromString`, `double_round`; Objects/longobject.c
// `PyLong_FromString`; Python/pystrtod.c `format_float_short`; Objects/unicodeobject.c
// `_PyUnicode_TransformDecimalAndSpaceToASCII`). `str.strip()`, `float(str)` and `str(float)` are
// shared with the other scorers and live in benchmarks/common/python.ts.
import { pyFloatRepr, pyStrip, stripAsciiSpace, transformToAscii, tryPyFloatFromString } from '../common/python.ts';

// Shared with the other scorers (benchmarks/common/python.ts); re-exported for this module's callers.
export { pyFloatRepr, pyStrip, tryPyFloatFromString };

/** Thrown where Python would raise (ValueError, TypeError, OverflowError); callers catch it like `except Exception`. */
export class PyError extends Error {
  override name = 'PyError';
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
