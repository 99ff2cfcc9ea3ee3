// Flag parsing for the scripts in scripts/: the CLI's parser (yargs, strict, with --help) and the CLI's validation
// helpers (num, choice in util.ts), so a script refuses bad input with one line `rlsd-bench: error: …` and a
// non-zero exit before it deletes or writes anything.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { exitCodeOf, UsageError } from '../util/errors.ts';

/** One error line on stderr and the exit code: 2 for bad flags, the error's own code for the others, else 1. */
export function reportError(e: unknown): number {
  const err = e as Error;
  const line = (err?.message || String(e)).split('\n')[0];
  process.stderr.write(`rlsd-bench: error: ${line}\n`);
  const code = exitCodeOf(e);
  if (code === undefined && process.env['RLSD_DEBUG']) process.stderr.write(`${err?.stack}\n`);
  return code ?? 1;
}

/**
 * A script's parser: `usage` is its synopsis (e.g. 'npm run demo -- [options]'), `describe` one sentence on what
 * it does. Strict (unknown flags and extra positionals are refused), --help prints usage and exits 0.
 */
export function scriptCli(usage: string, describe: string, opts: { positionals?: boolean } = {}, args: string[] = hideBin(process.argv)): Argv {
  const y = yargs(args).usage(`${usage}\n\n${describe}`);
  // strict() also refuses positionals; a script that takes some (RUN_DIR …) refuses only unknown flags.
  return (opts.positionals ? y.strictOptions() : y.strict())
    .version(false)
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
}

/** Runs a script's main: any error becomes one line and a non-zero exit code. */
export async function runScript(main: () => Promise<number | void> | number | void): Promise<void> {
  try {
    const code = await main();
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    process.exitCode = reportError(e);
  }
}

/** Parses a script's flags (and runs `validate` on them); on bad input prints one line and exits before any work. */
export function parseOrExit<T>(y: Argv, validate: (argv: Record<string, unknown> & { _: (string | number)[] }) => T): T {
  try {
    return validate(y.parseSync() as Record<string, unknown> & { _: (string | number)[] });
  } catch (e) {
    process.exit(reportError(e));
  }
}
