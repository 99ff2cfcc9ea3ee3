// `rlsd-bench serve`: the command builder of the OpenAI-compatible server (src/endpoint/serve.ts).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { checkCheckpoint } from '../checkpoint.ts';
import { defaultBase, PACKAGE_BASE_SHOWN } from '../paths.ts';
import { Policy } from '../policy.ts';
import { resolveCheckpoint } from '../run-dir.ts';
import { setActivity } from '../util/activity.ts';
import { UsageError } from '../util/errors.ts';
import { num } from './flags.ts';
import { setupBackend, tensorOptions } from './util.ts';
import { defaultModelName, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_QUEUE, SERVE_BOUNDS, startServer, type RunningServer } from '../endpoint/serve.ts';

/** A listen failure as one line naming the flag at fault. */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  if (e.code === 'EADDRINUSE') return new UsageError(`--port ${port}: ${host}:${port} is already in use (another server?); pick another port or --port 0 for any free one`);
  if (e.code === 'EACCES') return new UsageError(`--port ${port}: permission denied on ${host} (ports below 1024 need privileges)`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new UsageError(`--host ${host}: cannot listen there (${e.code}); give an address of this machine, e.g. 127.0.0.1 or 0.0.0.0`);
  return e;
}

export const serveCommand = (cli: Argv): Argv =>
  cli.command(
    'serve',
    'serve a checkpoint through the OpenAI chat-completions API (GET /v1/models, POST /v1/chat/completions)',
    (y) =>
      tensorOptions(y)
        .option('checkpoint', { type: 'string', default: defaultBase(), defaultDescription: PACKAGE_BASE_SHOWN, describe: 'checkpoint directory, or a run folder (its latest checkpoint), to serve' })
        .option('port', { type: 'number', demandOption: true, describe: 'TCP port (0: any free one; the startup line says which)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on (0.0.0.0: every interface; there is no authentication)' })
        .option('model-name', { type: 'string', describe: "the model id clients send as 'model' (default: the checkpoint folder's name, <run>/<step> for a run's checkpoint)" })
        .option('queue', { type: 'number', default: DEFAULT_MAX_QUEUE, describe: 'requests that may wait for the decoder (one request decodes at a time); beyond: 429 with Retry-After' })
        .option('max-body-mb', { type: 'number', default: DEFAULT_MAX_BODY_BYTES / 2 ** 20, describe: 'largest request body in MiB (base64 images included); beyond: 413' }),
    async (argv) => {
      const port = num('port', argv.port, { integer: true, min: 0, max: 65535 });
      const host = String(argv.host);
      if (host.trim() === '') throw new UsageError('--host is empty');
      const maxQueue = num('queue', argv.queue, { integer: true, min: 0, max: SERVE_BOUNDS.queue });
      const maxBodyMb = num('max-body-mb', argv['max-body-mb'], { min: 0, minExclusive: true, max: SERVE_BOUNDS.bodyMb });
      const modelName = argv['model-name'] === undefined ? undefined : String(argv['model-name']);
      if (modelName !== undefined && modelName.trim() === '') throw new UsageError('--model-name is empty');
      const resolved = resolveCheckpoint(String(argv.checkpoint));
      const checkpoint = resolved.checkpoint;
      if (resolved.note) process.stderr.write(`rlsd-bench: ${resolved.note.replace('evaluating', 'serving')}\n`);
      checkCheckpoint(checkpoint); // a wrong path is said before the backend's banner
      await setupBackend(argv);
      const { policy } = Policy.load(checkpoint);
      const meta = join(checkpoint, 'checkpoint.json');
      const name = modelName ?? defaultModelName(checkpoint);
      const quiet = Boolean(argv.quiet);
      let running: RunningServer;
      try {
        running = await startServer({
          policy,
          checkpoint,
          modelName: name,
          host,
          port,
          maxQueue,
          maxBodyBytes: Math.floor(maxBodyMb * 2 ** 20),
          created: Math.floor(statSync(meta).mtimeMs / 1000),
          ...(quiet ? {} : { log: (line: string) => process.stderr.write(`rlsd-bench: ${line}\n`) }),
        });
      } catch (e) {
        throw listenError(e as NodeJS.ErrnoException, host, port);
      }
      setActivity({ command: 'serve' }); // for the Ctrl-C line (main.ts)
      // Ctrl-C / SIGTERM: stop accepting and end open connections before main.ts's handler exits 130 / 143.
      const stop = (): void => {
        running.server.close();
        running.server.closeAllConnections();
      };
      process.prependListener('SIGINT', stop);
      process.prependListener('SIGTERM', stop);
      process.stdout.write(`serving ${name} from ${checkpoint} on ${running.url}\n`);
      await new Promise<void>((resolve) => running.server.once('close', () => resolve()));
    },
  );
