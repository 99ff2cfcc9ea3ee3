// rlsd-bench command line. Every command validates its flags up front (one clear line and a non-zero exit
// on bad input), prints the backend it runs on, and writes results atomically.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BACKENDS, parseBackendName } from './backend.ts';
import { UsageError } from './cli-util.ts';
import { methodNames, methods } from '../methods/index.ts';
import { commandRegistry } from './commands.ts';

function listMethods(verbose: boolean): void {
  const width = Math.max(...methodNames.map((n) => n.length));
  for (const name of methodNames) {
    const m = methods[name]!;
    process.stdout.write(`${name.padEnd(width)}  ${m.summary}\n`);
    if (verbose) {
      for (const [k, v] of Object.entries(m.defaults)) {
        const help = (m.optionHelp as Record<string, string>)[k] ?? '';
        process.stdout.write(`${' '.repeat(width)}    --opt ${k}=${String(v)}  ${help}\n`);
      }
    }
  }
}

export function buildCli(args: string[]): Argv {
  let cli: Argv = yargs(args)
    .scriptName('rlsd-bench')
    .usage('$0 <command> [options]')
    .option('backend', { type: 'string', default: 'auto', describe: `tensor backend (${BACKENDS.join(' | ')})`, coerce: (v: unknown) => parseBackendName(String(Array.isArray(v) ? v[v.length - 1] : v)) })
    .option('attention-kernel', {
      type: 'string',
      describe: "WASM only: attention's batched products as a depthwise convolution ('conv', a 1.1–1.5× faster update step; default) or tfjs's batched matMul ('matmul', default of pretrain: the committed base's recipe)",
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress bars or banners' })
    .command(
      'methods',
      'list the post-training methods (with --verbose: their options and defaults)',
      (y) => y.option('verbose', { type: 'boolean', default: false }),
      (argv) => {
        listMethods(Boolean(argv.verbose));
      },
    );
  for (const c of commandRegistry) cli = c(cli);
  return cli
    .strict()
    .demandCommand(1, 'give a command (see --help)')
    .recommendCommands()
    .help()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
}

export async function main(args = hideBin(process.argv)): Promise<number> {
  try {
    await buildCli(args).parseAsync();
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    const err = e as Error;
    const known = ['UsageError', 'DataError', 'CheckpointError', 'BackendError', 'TrainingError', 'TeacherWorkerError', 'LockError', 'YError'];
    const line = (err.message || String(err)).split('\n')[0];
    process.stderr.write(`rlsd-bench: error: ${line}\n`);
    if (!known.includes(err.name) && process.env['RLSD_DEBUG']) process.stderr.write(`${err.stack}\n`);
    return known.includes(err.name) && err.name !== 'UsageError' && err.name !== 'YError' ? 1 : 2;
  }
}

if (process.argv[1]?.endsWith('src/cli.ts')) main().then((code) => process.exit(code));
