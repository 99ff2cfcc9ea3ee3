// The method registry. The loop looks a method up by name, resolves its options (defaults +
// overrides, coerced and range-checked) and from then on reads only the flags of the `Method`
// contract — it never tests a method's name. A method is its file and its line here
// (docs/guides/add-a-method.md): the CLI, the sweeps and the report read everything else from it.
import { base } from './base.ts';
import { grpo } from './grpo.ts';
import { hybrid } from './hybrid.ts';
import { opsd } from './opsd.ts';
import { coerceOption, rulesOf, type OptionRules, type OptionSpec, type Sourced } from './options.ts';
import { rlsd } from './rlsd.ts';
import { sdpo } from './sdpo.ts';
import { DEFAULT_TUNING_SUITE, UNTUNED_LR } from './tuned-lr.ts';
import type { Method, MethodConfig } from './types.ts';

// The order `rlsd-bench methods` lists them in; the report orders its rows by each method's reportRank.
export const methods: Record<string, Method> = { base, grpo, opsd, hybrid, rlsd, sdpo };

/** Type and range of every option of every method, by method name (derived from each method's `options`). */
export const methodOptionRules: Record<string, OptionRules> = Object.fromEntries(
  Object.entries(methods).map(([name, m]) => [name, rulesOf(m.options)]),
);

export const methodNames: readonly string[] = Object.keys(methods);

/** The method names in the report's row order: by reportRank, then those without one by name. */
export const reportOrder: readonly string[] = Object.values(methods)
  .map((m) => ({ name: m.name, rank: m.reportRank ?? Number.POSITIVE_INFINITY }))
  .sort((a, b) => (a.rank === b.rank ? 0 : a.rank - b.rank) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  .map((m) => m.name);

/**
 * The learning rate a method trains with when --lr is not given: its rate for the run's mini suite, else its
 * recommendation (said to come from another suite when `suite` names one it was not tuned on), else UNTUNED_LR.
 */
export function methodLr(method: Method, suite?: string): Sourced<number> & { tuned: boolean } {
  const own = suite === undefined ? undefined : method.recommendedLrBySuite?.[suite];
  if (own) return { ...own, tuned: true };
  if (!method.recommendedLr) return { ...UNTUNED_LR, tuned: false };
  const elsewhere = suite !== undefined && suite !== DEFAULT_TUNING_SUITE;
  return { value: method.recommendedLr.value, source: elsewhere ? `${method.recommendedLr.source} — tuned on ${DEFAULT_TUNING_SUITE}; none tuned on ${suite} yet` : method.recommendedLr.source, tuned: true };
}

/** The one-line notice train prints for a method without a tuned rate (null when it has one). */
export function untunedLrNotice(method: Method): string | null {
  return method.recommendedLr ? null : `method '${method.name}' declares no tuned learning rate: training at --lr ${UNTUNED_LR.value.toExponential()} (${UNTUNED_LR.source})`;
}

export function getMethod(name: string): Method {
  const method = Object.hasOwn(methods, name) ? methods[name] : undefined;
  if (!method) throw new Error(`unknown method '${name}' (known: ${methodNames.join(', ')})`);
  return method;
}

/**
 * The method's defaults with `overrides` applied. Unknown keys and ill-typed or out-of-range
 * values throw one line naming the method, the option and what is valid. Strings (from the
 * command line) are coerced to the option's type.
 */
export function resolveMethodConfig<C extends MethodConfig>(method: Method<C>, overrides: Record<string, string | number | boolean>): C {
  const specs = method.options as Record<string, OptionSpec>;
  const valid = Object.keys(specs);
  const config: MethodConfig = { ...method.defaults };
  for (const [key, raw] of Object.entries(overrides)) {
    if (!valid.includes(key)) {
      const list = valid.length > 0 ? valid.join(', ') : 'none';
      throw new Error(`unknown option '${key}' for method '${method.name}' (valid: ${list})`);
    }
    config[key] = coerceOption(method.name, key, raw, specs[key]!.rule);
  }
  return config as C;
}
