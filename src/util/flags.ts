// The checks of a command-line flag's value, shared by the CLI (src/cli/util.ts re-exports them) and the command
// builders that live beside their library code (src/sweep/command.ts, src/report/command.ts): one wording of every
// refusal, `--flag must be … (got …)`, thrown as a UsageError.
import { UsageError } from './errors.ts';
import { checkNumber, type NumberRule } from './number-rule.ts';

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

