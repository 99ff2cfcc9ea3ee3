// The method registry. The loop looks a method up by name, resolves its options (defaults +
// overrides, coerced and range-checked) and from then on reads only the flags of the `Method`
// contract — it never tests a method's name.
import { base } from './base.ts';
import { grpo } from './grpo.ts';
import { hybrid } from './hybrid.ts';
import { opsd } from './opsd.ts';
import { coerceOption, rulesOf, type OptionRules, type OptionSpec } from './options.ts';
import { rlsd } from './rlsd.ts';
import { sdpo } from './sdpo.ts';
import type { Method, MethodConfig } from './types.ts';

export const methods: Record<string, Method> = { base, grpo, opsd, hybrid, rlsd, sdpo };

/** Type and range of every option of every method, by method name (derived from each method's `options`). */
export const methodOptionRules: Record<string, OptionRules> = Object.fromEntries(
  Object.entries(methods).map(([name, m]) => [name, rulesOf(m.options)]),
);

export const methodNames: readonly string[] = Object.keys(methods);

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
