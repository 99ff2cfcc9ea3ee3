// Phase 6, evaluate: held-out greedy accuracy during training (at step 0, every --eval-every steps and at the
// last step). Evaluation draws nothing from the run's RNG, so its cadence leaves the trajectory as it is.
import type { Policy } from '../policy.ts';
import type { Task } from '../tasks.ts';
import { Rng } from '../util/rng.ts';
import type { TrainConfig } from './config.ts';

/** Whether training step `done` (1-based) ends with an evaluation. */
export function evaluationDue(cfg: Pick<TrainConfig, 'evalEvery' | 'steps'>, done: number): boolean {
  return cfg.evalEvery > 0 && (done % cfg.evalEvery === 0 || done === cfg.steps);
}

/**
 * Held-out greedy accuracy: overall (micro over items), per benchmark and their unweighted mean, by the reward
 * verdict (official rules without MMMU's random credit, so curves carry no lottery noise).
 */
export function evaluateTasks(policy: Policy, tasks: readonly Task[], maxNewTokens: number): Record<string, number> {
  const texts = policy.generateText(
    tasks.map((t) => ({ patches: t.patches, context: t.student })),
    { maxNewTokens, greedy: true, temperature: 1, topP: 1, rng: new Rng(0) },
  );
  const per = new Map<string, [number, number]>();
  let correct = 0;
  tasks.forEach((t, i) => {
    const ok = t.reward(texts[i]!);
    correct += ok;
    const e = per.get(t.benchmark) ?? [0, 0];
    e[0] += ok;
    e[1]++;
    per.set(t.benchmark, e);
  });
  const out: Record<string, number> = { 'eval/accuracy': correct / Math.max(1, tasks.length), 'eval/n': tasks.length };
  for (const [b, [c, n]] of per) out[`eval/${b}`] = c / n;
  // The paper's "Avg" column: every benchmark counts once, however many rows it expands to (WeMath's
  // problem groups give it ~3.5 rows per problem, so the item-pooled figure weighs it ~46 %).
  if (per.size > 0) out['eval/benchmark_mean'] = [...per.values()].reduce((a, [c, n]) => a + c / n, 0) / per.size;
  return out;
}
