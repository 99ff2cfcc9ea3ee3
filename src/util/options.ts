// An option declared once: its default, help line and rule, and for a command's option also the config field it
// sets and its flag. Commands keep tables of these (train: src/train/config.ts TRAIN_OPTIONS, pretrain:
// src/pretrain.ts, eval: src/eval.ts); a method keeps a record of them by option name (methods/options.ts). Defaults,
// the checks of a library caller's config, a command's yargs flags and their checks (src/cli/flags.ts), --help, the
// sweep schema and docs/cli.md are all read from those declarations.
import { checkNumber, describeNumberRule, type NumberRule } from './number-rule.ts';

export type OptionValue = string | number | boolean;

/**
 * How a value is checked: a number in a range (a size bound says why it is there), one of a few words, a switch,
 * or a text with a syntax of its own (`problem` says why a value breaks it, or null; `canonical` writes a valid
 * value in its one spelling, e.g. a teacher regime 'sync:010' → 'sync:10').
 */
export type OptionRule =
  | ({ kind: 'number'; why?: string } & NumberRule)
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'boolean' }
  | { kind: 'text'; syntax: string; problem: (value: string) => string | null; canonical?: (value: string) => string };

/** One option: what it defaults to, its help line and its rule; `source` says where the default comes from. */
export interface OptionDecl<V = OptionValue> {
  default: V;
  help: string;
  rule: OptionRule;
  source?: string;
}

/** A command's option: the config field it sets and the flag that sets it. */
export interface FlagOption<C, K extends keyof C & string = keyof C & string> extends OptionDecl<C[K]> {
  field: K;
  flag: string;
  /**
   * The default as --help shows it, for a value the command settles when it runs (from the checkpoint, the method,
   * a shorthand flag): yargs then leaves the flag unset unless it is given.
   */
  shownDefault?: string;
}

/** The declaration helper of a config type: checks each default against its field's type. */
export function optionsOf<C>(): <K extends keyof C & string>(o: FlagOption<C, K>) => FlagOption<C> {
  return (o) => o as unknown as FlagOption<C>;
}

/** Why `value` breaks `rule` (e.g. 'must be an integer ≥ 1 (got 0)'), or null when it keeps it. */
export function ruleProblem(rule: OptionRule, value: unknown): string | null {
  if (rule.kind === 'boolean') return typeof value === 'boolean' ? null : `must be true or false (got ${JSON.stringify(value)})`;
  if (rule.kind === 'choice') return rule.choices.includes(value as string) ? null : `must be ${rule.choices.join(' or ')} (got ${JSON.stringify(value)})`;
  if (rule.kind === 'text') return typeof value === 'string' ? rule.problem(value) : `must be a text (got ${JSON.stringify(value)})`;
  const { broken } = checkNumber(value, rule);
  return broken === null && typeof value === 'number' ? null : `must be ${describeNumberRule(rule)} (got ${String(value)})`;
}

/** The defaults of a table, by field. */
export function defaultsOf<C>(table: readonly FlagOption<C>[]): Partial<C> {
  return Object.fromEntries(table.map((o) => [o.field, o.default])) as Partial<C>;
}

/** The first field of `cfg` that breaks its declaration, as '<name> must be … (got …)' (`name` says how to call it), or null. */
export function configProblem<C>(table: readonly FlagOption<C>[], cfg: C, name: (o: FlagOption<C>) => string = (o) => o.field): string | null {
  for (const o of table) {
    const problem = ruleProblem(o.rule, cfg[o.field]);
    if (problem) return `${name(o)} ${problem}`;
  }
  return null;
}

/** A config's fields as a command line, in the table's order (booleans as --x / --no-x); fields absent are left out. */
export function flagArgs<C>(table: readonly FlagOption<C>[], values: Partial<C>): string[] {
  const args: string[] = [];
  for (const o of table) {
    const v = values[o.field];
    if (v === undefined) continue;
    if (typeof v === 'boolean') args.push(v ? `--${o.flag}` : `--no-${o.flag}`);
    else args.push(`--${o.flag}`, String(v));
  }
  return args;
}

/** A table's options as JSON Schema properties by flag (type, help, default): the shape a config file may give them in. */
export function schemaProperties<C>(table: readonly FlagOption<C>[]): Record<string, { type: string; description: string; default?: unknown }> {
  return Object.fromEntries(
    table.map((o) => {
      const type = o.rule.kind === 'boolean' ? 'boolean' : o.rule.kind === 'number' ? 'number' : 'string';
      return [o.flag, { type, description: o.help, ...(o.shownDefault === undefined && o.default !== undefined ? { default: o.default } : {}) }];
    }),
  );
}
