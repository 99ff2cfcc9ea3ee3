// One range rule for a numeric setting, checked in one place: train's flags (src/train/config.ts), the CLI's
// num() (src/cli/flags.ts) and a library caller's TrainConfig all read their failures from checkNumber.
export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  minExclusive?: boolean;
}

/** Which part of the rule a value breaks (null: none), with the value read as a number. */
export type NumberCheck = { value: number; broken: null | 'not-a-number' | 'integer' | 'min' | 'max' };

export function checkNumber(v: unknown, rule: NumberRule): NumberCheck {
  const x = typeof v === 'number' ? v : Number(v);
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || !Number.isFinite(x)) return { value: x, broken: 'not-a-number' };
  // Past 2^53 an integer is not held exactly (9007199254740993 reads as …992): not one a rule can accept.
  if (rule.integer && !Number.isSafeInteger(x)) return { value: x, broken: 'integer' };
  if (rule.min !== undefined && (rule.minExclusive ? x <= rule.min : x < rule.min)) return { value: x, broken: 'min' };
  if (rule.max !== undefined && x > rule.max) return { value: x, broken: 'max' };
  return { value: x, broken: null };
}

/** 'an integer ≥ 1', 'a number in (0, 1]', … */
export function describeNumberRule(rule: NumberRule): string {
  const what = rule.integer ? 'an integer' : 'a number';
  if (rule.min !== undefined && rule.max !== undefined) return `${what} in ${rule.minExclusive ? '(' : '['}${rule.min}, ${rule.max}]`;
  if (rule.min !== undefined) return `${what} ${rule.minExclusive ? '>' : '≥'} ${rule.min}`;
  if (rule.max !== undefined) return `${what} ≤ ${rule.max}`;
  return what;
}
