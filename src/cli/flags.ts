// A command-line flag's value checked, and an option table (src/util/options.ts FlagOption) as yargs flags and back:
// one wording of every refusal, `--flag must be … (got …)`, thrown as a UsageError.
import type { Options } from 'yargs';
import { UsageError } from '../util/errors.ts';
import { checkNumber, type NumberRule } from '../util/number-rule.ts';
import type { FlagOption, OptionValue } from '../util/options.ts';

let rawArgs: readonly string[] = process.argv.slice(2);

/** The command line as typed (main() passes it), so that a refused number is quoted as the user wrote it. */
export function setRawArgs(args: readonly string[]): void {
  rawArgs = args;
}

/** The text given to --flag on the command line (yargs has already turned 'abc' into NaN), or undefined. */
function typedValue(flag: string): string | undefined {
  for (let i = rawArgs.length - 1; i >= 0; i--) {
    const a = rawArgs[i]!;
    if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
    if (a === `--${flag}` && i + 1 < rawArgs.length) return rawArgs[i + 1];
  }
  return undefined;
}

/** Validates a numeric flag: finite, optionally integer, within [min, max] (the rule's check: src/util/number-rule.ts). */
export function num(flag: string, v: unknown, opts: NumberRule = {}): number {
  const { value: x, broken } = checkNumber(v, opts);
  if (broken === 'not-a-number') {
    const typed = typeof v === 'number' && Number.isNaN(v) ? (typedValue(flag) ?? String(v)) : String(v);
    throw new UsageError(`--${flag} must be ${opts.integer ? 'an integer' : 'a number'} (got '${typed}')`);
  }
  if (broken === 'integer') throw new UsageError(`--${flag} must be an integer (got ${x})`);
  if (broken === 'min') throw new UsageError(`--${flag} must be ${opts.minExclusive ? '>' : '≥'} ${opts.min} (got ${x})`);
  if (broken === 'max') throw new UsageError(`--${flag} must be ≤ ${opts.max} (got ${x})`);
  return x;
}

/** Validates a flag that takes one of a few words; the error lists them ('a or b', 'a, b or c'). */
export function choice<T extends string>(flag: string, v: unknown, allowed: readonly T[]): T {
  const hit = allowed.find((a) => a === v);
  if (hit !== undefined) return hit;
  const list = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : String(allowed[0]);
  throw new UsageError(`--${flag} must be ${list} (got '${String(v)}')`);
}

/** One flag's value read and checked; a refusal is one line, `--flag must be … (got …)` (a size bound says why it is there). */
export function readFlag(o: Pick<FlagOption<unknown>, 'flag' | 'rule'>, v: unknown): OptionValue {
  const r = o.rule;
  if (r.kind === 'boolean') return Boolean(v);
  if (r.kind === 'choice') return choice(o.flag, v, r.choices);
  if (r.kind === 'text') {
    const problem = typeof v === 'string' ? r.problem(v) : `must be a text (got ${JSON.stringify(v)})`;
    if (problem) throw new UsageError(`--${o.flag} ${problem}`);
    return r.canonical ? r.canonical(String(v)) : String(v);
  }
  if (r.why !== undefined && r.max !== undefined) {
    const x = num(o.flag, v, { ...r, max: undefined });
    if (x > r.max) throw new UsageError(`--${o.flag} must be ≤ ${r.max} (got ${x}): ${r.why}`);
    return x;
  }
  return num(o.flag, v, r);
}

/**
 * A command's flags from yargs' argv as config fields, each checked by its rule; a flag with a shownDefault, or
 * without a default, only when it is given (the command settles the rest).
 */
export function readFlags<C>(table: readonly FlagOption<C>[], argv: Record<string, unknown>): Partial<C> {
  const out: Record<string, unknown> = {};
  for (const o of table) if (!((o.shownDefault !== undefined || o.default === undefined) && argv[o.flag] === undefined)) out[o.field] = readFlag(o, argv[o.flag]);
  return out as Partial<C>;
}

/** The flags of a table given in argv (the others absent, whatever their default), each checked by its rule. */
export function readGivenFlags<C>(table: readonly FlagOption<C>[], argv: Record<string, unknown>): Partial<C> {
  const out: Record<string, unknown> = {};
  for (const o of table) if (argv[o.flag] !== undefined) out[o.field] = readFlag(o, argv[o.flag]);
  return out as Partial<C>;
}

/** A table as yargs options, in its order: type from the rule, the default (or how --help shows it), the help line. */
export function flagOptions<C>(table: readonly FlagOption<C>[]): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const o of table) {
    const type = o.rule.kind === 'boolean' ? 'boolean' : o.rule.kind === 'number' ? 'number' : 'string';
    if (o.shownDefault !== undefined) out[o.flag] = { type, defaultDescription: o.shownDefault, describe: o.help };
    else if (o.default === undefined) out[o.flag] = { type, describe: o.help };
    else out[o.flag] = { type, default: o.default, describe: o.help };
  }
  return out;
}
