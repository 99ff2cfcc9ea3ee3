// rlsd-bench command line. Every command validates its flags up front (one clear line and a non-zero exit
// on bad input), prints the backend it runs on, and writes results atomically.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { setRawArgs, TENSOR_COMMANDS } from './util.ts';
import { TENSOR_OPTIONS } from '../backend.ts';
import { listBenchmarks } from './benchmarks.ts';
import { formatMethods } from '../../methods/describe.ts';
import { getMethod, methodNames, methods } from '../../methods/index.ts';
import { commandRegistry } from './commands.ts';
import { stopAllProgress } from '../progress.ts';
import { currentActivity } from '../util/activity.ts';
import { exitCodeOf, UsageError } from '../util/errors.ts';

/** `rlsd-bench methods [METHOD] [--verbose]`: the text comes from the method declarations (methods/describe.ts). */
function listMethods(verbose: boolean, only?: string): void {
  const chosen = only === undefined ? methodNames.map((n) => methods[n]!) : [getMethod(only)];
  process.stdout.write(formatMethods(chosen, verbose));
}

/** A clearer line than yargs' 'Unknown argument: backend' when a tensor flag reaches a command that runs no model. */
function tensorFlagMessage(msg: string, args: string[]): string | undefined {
  const m = /^Unknown arguments?: (.*)$/.exec(msg);
  if (!m) return undefined;
  const flag = m[1]!.split(', ').find((a) => TENSOR_OPTIONS.some((o) => o.flag === a));
  if (!flag) return undefined;
  const command = args.find((a) => ['methods', 'benchmarks', 'score', 'data'].includes(a)) ?? 'this command';
  return `--${flag} applies only to the commands that run the model (${TENSOR_COMMANDS.join(', ')}); ${command === 'this command' ? command : `'${command}'`} does no tensor work`;
}

export function buildCli(args: string[]): Argv {
  let cli: Argv = yargs(args)
    .scriptName('rlsd-bench')
    .usage('$0 <command> [options]')
    // --backend, --attention-kernel, --matmul and --threads belong to the commands that run the model (util.ts tensorOptions).
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress bars or banners' })
    .command(
      'methods [method]',
      'list the post-training methods (with --verbose: teacher regime, privileged context, lr and every option, with their sources)',
      (y) =>
        y
          .positional('method', { type: 'string', describe: 'show only this method' })
          .option('verbose', { type: 'boolean', default: false, describe: "add each method's teacher regime, privileged context and learning rate, and every option with its default, help and source" }),
      (argv) => {
        listMethods(Boolean(argv.verbose), argv.method === undefined ? undefined : String(argv.method));
      },
    )
    .command(
      'benchmarks',
      'list the benchmarks: splits, metrics, where data is looked for, the file layouts each reads, mini versions',
      (y) => y.option('verbose', { type: 'boolean', default: false, describe: 'add metrics, layouts and data locations' }),
      (argv) => {
        process.stdout.write(listBenchmarks(Boolean(argv.verbose)));
      },
    );
  for (const c of commandRegistry) cli = c(cli);
  return cli
    .strict()
    .demandCommand(1, 'give a command (see --help)')
    .recommendCommands()
    .help()
    .fail((msg, err) => {
      throw err ?? new UsageError(tensorFlagMessage(msg, args) ?? msg);
    });
}

/** What an interrupted command says: where it stopped, and what rerunning it does. */
export function interruptedLine(): string {
  const a = currentActivity();
  if (a?.command === 'train' && a.step !== undefined) {
    const from = a.checkpointStep !== undefined && a.checkpointStep < a.step ? ` (from its checkpoint at step ${a.checkpointStep})` : '';
    return `rlsd-bench: interrupted at step ${a.step} — rerun the same command to resume${from}`;
  }
  // Pretrain keeps no checkpoints on the way: --out is written once, at the end, so there is nothing to resume.
  if (a?.command === 'pretrain' && a.step !== undefined)
    return `rlsd-bench: interrupted at step ${a.step} — pretrain saves only at its end, so --out is unchanged; rerun the same command to start again`;
  if (a?.command === 'eval') return 'rlsd-bench: interrupted — rerun the same command to resume; finished items are kept';
  return 'rlsd-bench: interrupted';
}

let interruptHandlerInstalled = false;

/**
 * Ctrl-C / SIGTERM: put the terminal cursor back (a progress bar hides it), say where the command stopped, and exit
 * 128 + signal through process.exit, so that 'exit' handlers (lock release) run. Long loops yield between steps,
 * so the handler runs at a step boundary, with every file whole.
 */
export function installInterruptHandler(): void {
  if (interruptHandlerInstalled) return;
  interruptHandlerInstalled = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : 143;
    stopAllProgress();
    process.stderr.write(`${interruptedLine()}\n`);
    process.exit(code);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export async function main(args = hideBin(process.argv)): Promise<number> {
  installInterruptHandler();
  setRawArgs(args);
  try {
    await buildCli(args).parseAsync();
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    const err = e as Error;
    const line = (err.message || String(err)).split('\n')[0];
    stopAllProgress(); // a bar cut short by the error: end its line and show the cursor again
    process.stderr.write(`rlsd-bench: error: ${line}\n`);
    const code = exitCodeOf(err);
    if (code === undefined && process.env['RLSD_DEBUG']) process.stderr.write(`${err.stack}\n`);
    // Anything unforeseen exits 2, as a refusal of the command line does.
    return code ?? 2;
  }
}

if (process.argv[1]?.endsWith('src/cli/main.ts')) main().then((code) => process.exit(code));
