#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx (a runtime dependency), so no build step is needed, in this very
// process — so a signal sent to it reaches the CLI's handler (src/cli/main.ts) directly.
import { register } from 'tsx/esm/api';

// Under `npx` (npm exec) this process is npm's grandchild, and a SIGTERM sent to npm ends npm and its shell without
// passing the signal on: the command would run on as an orphan, holding its folder's lock. So when the parent that
// started it goes away, it acts as if it had received the SIGTERM itself. (Only under npm: a shell's `cmd &` may
// outlive its shell on purpose.) A sweep asks the same of the cells it starts (RLSD_BENCH_EXIT_WITH_PARENT=1), so a
// sweep killed with SIGKILL leaves no training running on behind it.
if (process.env.npm_command === 'exec' || process.env.npm_lifecycle_event === 'npx' || process.env.RLSD_BENCH_EXIT_WITH_PARENT === '1') {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watch);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 500);
  watch.unref();
}

register();
// tsx turns Node's source maps on, for the TypeScript's stack traces; with them on, Node also reads and parses the
// source map of every package file it loads, and tfjs's bundles carry ~10 MB of them (~0.3 s of CPU at every
// start-up). Every command loads tfjs (the methods import it), so it is loaded first, with source maps off: its
// stack frames name its bundles' lines, the TypeScript's keep their maps.
process.setSourceMapsEnabled(false);
await import('@tensorflow/tfjs');
process.setSourceMapsEnabled(true);
const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv.slice(2)));
