// Phase 1, rollout: the step's prompts from the seeded data order, and G sampled responses to each with their
// log-probs under the rollout policy (the update's "old" log-probs).
import { thoughtMaskRows } from '../../benchmarks/mini/thought-span.ts';
import type { GroupedBatch, PolicyInput } from '../policy.ts';
import type { Task } from '../tasks.ts';
import { hashString, Rng } from '../util/rng.ts';
import type { TrainMix } from './config.ts';
import type { DataOrder, RunContext } from './types.ts';

/** One step's batch: P prompts × G responses, laid out for the update (B = P·G rows of R padded positions). */
export interface Rollout {
  prompts: Task[];
  promptInputs: PolicyInput[];
  G: number;
  /** [B] the prompt (group) of each response. */
  groupIds: Int32Array;
  responses: number[][];
  texts: string[];
  batch: GroupedBatch;
  B: number;
  R: number;
  /** [B·R] the rollout's log-probs of the sampled tokens (0 on padding). */
  oldLogProbs: Float32Array;
  /** [B·R] 1 on each response's reasoning span; only when the method's loss reads it (RLSD's thoughtOnly). */
  thoughtMask?: Float32Array;
}

/**
 * One epoch's seeded order over the training pool. `rows`: every row once. `balanced`: from each benchmark, as many
 * rows as the smallest benchmark has, a fresh seeded subset each epoch, so every benchmark weighs the same.
 */
export function epochOrder(pool: readonly Pick<Task, 'benchmark'>[], mix: TrainMix, seed: number, epoch: number): number[] {
  const all = Array.from({ length: pool.length }, (_, i) => i);
  if (mix === 'rows') return new Rng(hashString(`order|${seed}|${epoch}`)).shuffle(all);
  const byBenchmark = new Map<string, number[]>();
  for (const i of all) {
    const list = byBenchmark.get(pool[i]!.benchmark) ?? [];
    list.push(i);
    byBenchmark.set(pool[i]!.benchmark, list);
  }
  const take = Math.min(...[...byBenchmark.values()].map((l) => l.length));
  const chosen = [...byBenchmark.entries()].flatMap(([b, rows]) => new Rng(hashString(`subset|${seed}|${epoch}|${b}`)).shuffle(rows).slice(0, take));
  return new Rng(hashString(`order|${seed}|${epoch}`)).shuffle(chosen.sort((a, b) => a - b));
}

/** The next `count` prompts of the data order, advancing it (a new epoch draws a new order). */
export function nextPrompts(pool: Task[], mix: TrainMix, seed: number, order: DataOrder, count: number): Task[] {
  const out: Task[] = [];
  let perm = epochOrder(pool, mix, seed, order.epoch);
  while (out.length < count) {
    if (order.cursor >= perm.length) {
      order.epoch++;
      order.cursor = 0;
      perm = epochOrder(pool, mix, seed, order.epoch);
    }
    out.push(pool[perm[order.cursor++]!]!);
  }
  return out;
}

/** What the rollout reads of the run. */
export type RolloutContext = Pick<RunContext, 'policy' | 'cfg' | 'method' | 'mcfg'>;

/** Samples G responses to each prompt with the run's RNG. */
export function rollout(run: RolloutContext, prompts: Task[], rng: Rng): Rollout {
  const { policy, cfg } = run;
  const promptInputs = prompts.map((t) => ({ patches: t.patches, context: t.student }));
  const gen = policy.sample(promptInputs, { maxNewTokens: cfg.maxNewTokens, temperature: cfg.temperature, topP: cfg.topP, greedy: false, rng }, cfg.samplesPerPrompt);
  return laidOutRollout(run, prompts, cfg.samplesPerPrompt, gen.responses, gen.logProbs);
}

/**
 * A batch of given responses laid out as the update reads it: `G` responses to each prompt (responses[g·G + j]
 * answers prompt g) with `logProbs`, each response's log-probs under the policy that is to count as the rollout's.
 */
export function laidOutRollout(run: RolloutContext, prompts: Task[], G: number, responses: number[][], logProbs: readonly Float32Array[]): Rollout {
  const { policy } = run;
  const promptInputs = prompts.map((t) => ({ patches: t.patches, context: t.student }));
  const groupIds = Int32Array.from(prompts.flatMap((_, g) => Array.from({ length: G }, () => g)));
  const texts = responses.map((r) => policy.tokenizer.decode(r));
  const batch = policy.groupedBatch(promptInputs, G, responses);
  const B = groupIds.length;
  const R = batch.R;
  const oldLogProbs = new Float32Array(B * R);
  logProbs.forEach((lp, b) => oldLogProbs.set(lp, b * R));
  const thoughtMask = run.method.needsThoughtMask(run.mcfg) ? thoughtMaskRows(responses.map((r) => r.map((id) => policy.tokenizer.vocab[id]!)), R) : undefined;
  return { prompts, promptInputs, G, groupIds, responses, texts, batch, B, R, oldLogProbs, ...(thoughtMask ? { thoughtMask } : {}) };
}
