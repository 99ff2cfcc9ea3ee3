// Option rules for method configs: each method file declares the type and range of its options
// next to their defaults; methods/index.ts coerces command-line strings and checks values here.
import type { MethodConfig } from './types.ts';

export type OptionRule =
  | { kind: 'number'; min?: number; max?: number; minExclusive?: boolean; integer?: boolean }
  | { kind: 'boolean' }
  | { kind: 'choice'; choices: readonly string[] };

export type OptionRules<C extends MethodConfig = MethodConfig> = Record<keyof C & string, OptionRule>;

function describeRange(rule: Extract<OptionRule, { kind: 'number' }>): string {
  const what = rule.integer ? 'an integer' : 'a number';
  if (rule.min !== undefined && rule.max !== undefined) return `${what} in ${rule.minExclusive ? '(' : '['}${rule.min}, ${rule.max}]`;
  if (rule.min !== undefined) return `${what} ${rule.minExclusive ? '>' : '≥'} ${rule.min}`;
  if (rule.max !== undefined) return `${what} ≤ ${rule.max}`;
  return what;
}

/**
 * Turns a raw override (a CLI string or an already-typed value) into the option's type and checks
 * its range; throws one line naming the method, the option and what is allowed.
 */
export function coerceOption(method: string, key: string, raw: string | number | boolean, rule: OptionRule): string | number | boolean {
  const fail = (expected: string): never => {
    throw new Error(`option '${key}' of method '${method}' must be ${expected}, got ${JSON.stringify(raw)}`);
  };
  if (rule.kind === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === '1' || raw === 1) return true;
    if (raw === 'false' || raw === '0' || raw === 0) return false;
    return fail('true or false');
  }
  if (rule.kind === 'choice') {
    if (typeof raw === 'string' && rule.choices.includes(raw)) return raw;
    return fail(`one of ${rule.choices.join(', ')}`);
  }
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  const ok =
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || (rule.minExclusive ? value > rule.min : value >= rule.min)) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) fail(describeRange(rule));
  return value;
}
