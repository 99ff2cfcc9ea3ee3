// Method options, each declared once in the shared form of every option (src/util/options.ts): its default, help
// line, rule and where the default comes from (`OptionSpec`). A method's `defaults` and `optionHelp`, and the rules
// `resolveMethodConfig` (methods/index.ts) checks command-line values against, are derived from these declarations —
// never stated a second time. They are keyed by name: `--opt key=value` sets them, not a flag each.
import { parseTeacherRegime, formatTeacherRegime, TEACHER_REGIME_FORMS } from './teacher-regime.ts';
import { checkNumber, describeNumberRule } from '../src/util/number-rule.ts';
import type { OptionDecl, OptionRule, OptionValue } from '../src/util/options.ts';

export type { OptionRule, OptionValue };

/** A method's options by name (what `--opt key=value` sets). */
export type MethodConfig = Record<string, number | string | boolean>;

/** What a privileged self-teacher may see: the reference solution, or only the gold answer (both in `[ref] … [/ref]`). */
export type PrivilegedContext = 'reference' | 'answer';
export const PRIVILEGED_CONTEXTS: readonly PrivilegedContext[] = ['reference', 'answer'];

export type OptionRules<C extends MethodConfig = MethodConfig> = Record<keyof C & string, OptionRule>;

/** One option of one method, declared once; `help` is its line in `rlsd-bench methods --verbose`. */
export interface OptionSpec<V extends OptionValue = OptionValue> extends OptionDecl<V> {
  /** Where the default comes from: the reference's file and setting, or why it was chosen here. */
  source: string;
}

/** A self-teacher regime in the text form of methods/teacher-regime.ts (live | frozen | sync:N | ema:RATE). */
export const TEACHER_REGIME_RULE: OptionRule = {
  kind: 'text',
  syntax: TEACHER_REGIME_FORMS,
  problem: (v) => (parseTeacherRegime(v) ? null : `must be ${TEACHER_REGIME_FORMS} (got ${JSON.stringify(v)})`),
  canonical: (v) => formatTeacherRegime(parseTeacherRegime(v)!),
};

export type OptionSpecs<C extends MethodConfig = MethodConfig> = { [K in keyof C & string]: OptionSpec<C[K]> };

/** A value with where it comes from (a method's recommended learning rate). */
export interface Sourced<V> {
  value: V;
  source: string;
}

export function defaultsOf<C extends MethodConfig>(specs: OptionSpecs<C>): C {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, (s as OptionSpec).default])) as C;
}

export function helpOf<C extends MethodConfig>(specs: OptionSpecs<C>): Record<keyof C & string, string> {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, (s as OptionSpec).help])) as Record<keyof C & string, string>;
}

export function rulesOf<C extends MethodConfig>(specs: OptionSpecs<C>): OptionRules<C> {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, (s as OptionSpec).rule])) as OptionRules<C>;
}

/** The `teacher` option of a teacher method: how the self-teacher's weights are kept (methods/teacher-regime.ts). */
export function teacherOption(defaultRegime: string, source: string): OptionSpec<string> {
  if (parseTeacherRegime(defaultRegime) === null) throw new Error(`teacherOption: '${defaultRegime}' is not a teacher regime`);
  return {
    default: defaultRegime,
    help: "how the self-teacher's weights are kept: live (the student itself) | frozen (the start) | sync:N (a frozen copy re-synced every N steps) | ema:RATE",
    rule: TEACHER_REGIME_RULE,
    source,
  };
}

/**
 * The `privileged` option of OPSD, hybrid and RLSD: what the self-teacher sees before the prompt. On the mini
 * suite `answer` is '[ref] answer X [/ref]' (benchmarks/mini/language.ts answerOnlyReference, X the gold answer:
 * a number, or the option letter), `reference` the full reference solution '[ref] … hence … answer X [/ref]'.
 */
/** Where the `answer` default of OPSD, hybrid and RLSD comes from. */
export const ANSWER_CONTEXT_SOURCE =
  'iie-ycx/RLSD examples/visual_rl/rlsd_train.sh data.trajectory_key=answer (rlsd_config.yaml use_gt_as_hint: true), as the paper says';

export function privilegedOption(defaultContext: PrivilegedContext, source: string): OptionSpec<PrivilegedContext> {
  return {
    default: defaultContext,
    help: "the self-teacher's privileged context: answer (only the gold answer) | reference (the full reference solution)",
    rule: { kind: 'choice', choices: PRIVILEGED_CONTEXTS },
    source,
  };
}

/**
 * Turns a raw override (a CLI string or an already-typed value) into the option's type and checks
 * its range; throws one line naming the method, the option and what is allowed. A teacher regime comes
 * back in its canonical text ('sync:010' → 'sync:10': its rule's `canonical`).
 */
export function coerceOption(method: string, key: string, raw: OptionValue, rule: OptionRule): OptionValue {
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
  if (rule.kind === 'text') {
    if (typeof raw !== 'string' || rule.problem(raw) !== null) return fail(rule.syntax);
    return rule.canonical ? rule.canonical(raw) : raw;
  }
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (checkNumber(value, rule).broken !== null) fail(describeNumberRule(rule));
  return value;
}
