// The few Python behaviours MATH-V's evaluation depends on, emulated exactly (CPython 3.10+):
// `str.strip()` (its whitespace set), `float(str)` acceptance (evaluate.py's `is_number`),
// `round(x, 2)` on a float (half-even on the exact binary value) and `str(float)` (shortest
// round-trip digits, `1e-05` / `1e+16` forms), which `eval_tuple` writes back into strings.
// `str.strip()` and `str(float)` are shared with the other scorers (benchmarks/common/python.ts).
import { tryPyFloatFromString } from '../common/python.ts';

export { pyFloatRepr, pyStrip } from '../common/python.ts';

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

/** Whether Python's `float(s)` accepts the string (MATH-V utils.py `is_number`). */
export function pyIsFloat(s: string): boolean {
  return tryPyFloatFromString(s) !== null;
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
