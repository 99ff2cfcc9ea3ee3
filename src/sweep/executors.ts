// The executors `sweep --executor NAME` can run a sweep through, in the order `sweep --help` lists them. An executor
// is its file (the Executor interface, src/sweep/executor.ts) plus its entry here (docs/guides/add-an-executor.md);
// `--shard i/n` runs local.ts's shard executor instead.
import type { Executor } from './executor.ts';
import { localExecutor } from './local.ts';
import { slurmExecutor } from './slurm.ts';

export const EXECUTORS: readonly Executor[] = [localExecutor, slurmExecutor];

export const executorNames: readonly string[] = EXECUTORS.map((e) => e.name);

export function getExecutor(name: string): Executor {
  const e = EXECUTORS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown executor '${name}' (known: ${executorNames.join(', ')})`);
  return e;
}
