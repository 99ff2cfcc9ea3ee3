// Training and held-out tasks of the embedded default: the mini benchmarks, generated as rows of each
// benchmark's Hugging Face schema and read back through that benchmark's own `itemFromRow`, so the reward of
// the training loop is exactly the benchmark's official scorer (nanochat: a task's scorer is its reward).
import type { BenchItem, ItemRecord } from '../benchmarks/common/types.ts';
import { getBenchmark, MINI_BENCHMARKS, type BenchmarkModule, type MiniBenchmark } from '../benchmarks/index.ts';
import { miniRows, miniSplitName, type MiniSuiteSplit } from '../benchmarks/mini/build.ts';
import type { RowProgram } from '../benchmarks/mini/spec.ts';
import type { MiniSuite } from '../benchmarks/mini/types.ts';
import { type Policy } from './policy.ts';
import { ContextOverflowError, UsageError } from './util/errors.ts';

export interface Task {
  uid: string;
  benchmark: string;
  item: BenchItem;
  /** The student's prompt text. */
  prompt: string;
  /** Student context ids (BOS prompt SEP). */
  student: number[];
  /** Privileged reference solution (with its markers), when the item has one. */
  reference?: string;
  /** SFT target response (mini items only). */
  target?: string;
  /** Deep mini world: the problem's program and the spans of its target and reference (the row's rlsd_program). */
  program?: RowProgram;
  patches: Float32Array;
  /** Verifier: the benchmark's official scorer. */
  score(response: string): ItemRecord;
  /** RL reward in [0,1] (the official verdict without random credit). */
  reward(response: string): number;
}

export async function taskFromItem(policy: Policy, benchName: string, bench: BenchmarkModule, item: BenchItem, reserve: number): Promise<Task> {
  const parts = bench.prompt(item);
  const prompt = parts.text;
  const student = policy.encodeContext(prompt, { lenient: item.reference == null, reserve }).ids;
  const raw = item.raw as Record<string, unknown>;
  const target = typeof raw['rlsd_target'] === 'string' ? (raw['rlsd_target'] as string) : undefined;
  const program = typeof raw['rlsd_program'] === 'string' ? (JSON.parse(raw['rlsd_program'] as string) as RowProgram) : undefined;
  return {
    uid: `${benchName}/${item.id}`,
    benchmark: benchName,
    item,
    prompt,
    student,
    ...(item.reference ? { reference: item.reference } : {}),
    ...(target ? { target } : {}),
    ...(program ? { program } : {}),
    patches: await policy.patches(parts.images, `${benchName} item ${item.id}`),
    score: (response: string) => bench.score(item, response),
    reward: (response: string) => bench.reward(item, response),
  };
}

export interface MiniTaskOptions {
  split: MiniSuiteSplit;
  /** Top-level problems per benchmark. */
  perBenchmark: number;
  seed: number;
  benchmarks?: readonly MiniBenchmark[];
  /** Positions reserved for the response when encoding contexts. */
  reserve: number;
  /** The suite's version (default mini-1). */
  suite?: MiniSuite;
}

/** Mini tasks of every registered benchmark (WeMath/ZeroBench groups expand to their rows). */
export async function loadMiniTasks(policy: Policy, opts: MiniTaskOptions): Promise<Task[]> {
  policy.assertResponseFits(opts.reserve);
  const out: Task[] = [];
  for (const name of opts.benchmarks ?? MINI_BENCHMARKS) {
    const split = miniSplitName(name, opts.split);
    const bench = getBenchmark(name);
    const rows = await miniRows(name, split, opts.perBenchmark, opts.seed, opts.suite);
    for (const row of rows) {
      const item = bench.itemFromRow(row, split);
      try {
        out.push(await taskFromItem(policy, name, bench, item, opts.reserve));
      } catch (e) {
        // The mini prompts must fit whole; a response reserve that crowds one out is the flag's fault.
        if (e instanceof ContextOverflowError)
          throw new UsageError(`--max-new-tokens ${opts.reserve} leaves ${policy.promptBudget(opts.reserve)} positions for the prompt, too few for ${name} item ${item.id}: ${e.message}`);
        throw e;
      }
    }
  }
  return out;
}
