// Phase 5, metrics: the per-step record of metrics.jsonl (rewards, lengths, leakage, throughput, memory), the one
// timer every phase is measured with (`timing_s/<phase>`), and the table that reads the names of older runs.
//
// Names follow veRL's trainer where it has one (verl/trainer/ppo/metric_utils.py `compute_data_metrics`,
// `compute_timing_metrics`, `compute_throughout_metrics`; ray_trainer.py `_validate`), so a dashboard built for
// veRL reads them: critic/score/{mean,max,min}, response_length/{mean,max,min,clip_ratio}, timing_s/{gen,reward,
// update_actor,testing,step}, perf/{total_num_tokens,throughput}, val-core/<benchmark>/acc/mean@1. The rest are
// this loop's own (reward/std, reward/<benchmark>, timing_s/teacher, perf/teacher_tokens, …).
import * as tf from '@tensorflow/tfjs';
import { mentionsReference } from '../../benchmarks/mini/language.ts';
import { cachedTensorCount } from '../model/ops.ts';
import type { PolicyInput } from '../policy.ts';
import type { Rewards } from './reward.ts';
import type { Rollout } from './rollout.ts';
import type { StepMetrics } from './types.ts';

/** The loop's phases as veRL's `timing_s/<name>` calls them (teacher: the self-teacher's and the KL reference's passes). */
export type Phase = 'gen' | 'reward' | 'teacher' | 'update_actor' | 'testing';

export type Timer = <T>(phase: Phase, f: () => T) => T;

/** Runs a phase and adds its wall time to `timing_s/<phase>` of `metrics` (a phase timed twice sums). */
export function timer(metrics: StepMetrics): Timer {
  return (phase, f) => {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      const key = `timing_s/${phase}`;
      metrics[key] = (metrics[key] ?? 0) + (performance.now() - t0) / 1000;
    }
  };
}

/**
 * Tokens of sequences as veRL's `global_token_num` counts them: per response, its prompt (image tokens and
 * context) and its own tokens — the unit of `perf/total_num_tokens`, `perf/teacher_tokens` and
 * `perf/reference_tokens`. (The loop computes a group's shared prefix once; the count is per sequence all the same.)
 */
export function sequenceTokens(imageTokens: number, prefixes: readonly PolicyInput[], G: number, responses: readonly (readonly number[])[]): number {
  return responses.reduce((s, r, b) => s + imageTokens + prefixes[Math.floor(b / G)]!.context.length + r.length, 0);
}

/**
 * Reward, length, leakage, throughput and memory metrics of one step. `m` holds what the phases logged so far (the
 * timings, the teacher's token count); `imageTokens` and `maxNewTokens` come from the run.
 */
export function stepMetrics(ro: Rollout, rw: Rewards, shuffled: boolean, run: { imageTokens: number; maxNewTokens: number }): StepMetrics {
  const { B, G, prompts, groupIds } = ro;
  const lengths = ro.responses.map((r) => r.length);
  const mean = rw.verdicts.reduce((a, b) => a + b, 0) / B;
  let zeroStd = 0;
  for (let g = 0; g < prompts.length; g++) {
    const rs = Array.from(rw.rewards.subarray(g * G, (g + 1) * G));
    if (rs.every((r) => r === rs[0])) zeroStd++;
  }
  const out: StepMetrics = {
    // veRL: the sequence score of each response (here the verifier's verdict), over the step's responses.
    'critic/score/mean': mean,
    'critic/score/max': Math.max(...rw.verdicts),
    'critic/score/min': Math.min(...rw.verdicts),
    'reward/std': Math.sqrt(rw.verdicts.reduce((a, r) => a + (r - mean) ** 2, 0) / B),
    'reward/frac_zero_std_groups': zeroStd / prompts.length,
    'response_length/mean': lengths.reduce((a, b) => a + b, 0) / B,
    'response_length/max': Math.max(...lengths),
    'response_length/min': Math.min(...lengths),
    // veRL: the share of responses as long as the limit (--max-new-tokens).
    'response_length/clip_ratio': lengths.filter((n) => n >= run.maxNewTokens).length / B,
    'leakage/rate': ro.texts.filter(mentionsReference).length / B,
    'perf/total_num_tokens': sequenceTokens(run.imageTokens, ro.promptInputs, G, ro.responses),
    // Leak watch: both must stay flat over a run (a growing count is a tensor not disposed). The ones-row
    // cache of the matmul kernels gains one small tensor per new batch shape, so it is counted apart.
    'perf/num_tensors': tf.memory().numTensors - cachedTensorCount(),
    'perf/cached_tensors': cachedTensorCount(),
    'perf/rss_mib': process.memoryUsage().rss / 2 ** 20,
  };
  // Per-benchmark train reward: which skills the verifier's signal moves (veRL has no train-side name for it).
  const perBench = new Map<string, [number, number]>();
  rw.verdicts.forEach((r, i) => {
    const name = prompts[groupIds[i]!]!.benchmark;
    const e = perBench.get(name) ?? [0, 0];
    perBench.set(name, [e[0] + r, e[1] + 1]);
  });
  for (const [name, [sum, n]] of perBench) out[`reward/${name}`] = sum / n;
  if (shuffled) out['reward/shuffled_mean'] = rw.rewards.reduce((a, b) => a + b, 0) / B;
  return out;
}

/**
 * The names of runs written before the veRL names (old → new), so that their metrics.jsonl still reads: applied by
 * every reader (summary.json, scripts/curves.ts) through `currentNames`. `eval/<benchmark>` is mapped by pattern.
 * `perf/tokens_per_s` (response tokens over the phases' time) has no counterpart and is left as it was.
 */
export const RENAMED_METRICS: Readonly<Record<string, string>> = {
  'reward/mean': 'critic/score/mean',
  'eval/accuracy': 'val-core/all/acc/mean@1',
  'eval/benchmark_mean': 'val-core/avg/acc/mean@1',
  'eval/n': 'val-aux/n',
  'timing/rollout_s': 'timing_s/gen',
  'timing/reward_s': 'timing_s/reward',
  'timing/teacher_s': 'timing_s/teacher',
  'timing/update_s': 'timing_s/update_actor',
  'timing/eval_s': 'timing_s/testing',
  'timing/step_s': 'timing_s/step',
  'timing/teacher_worker_s': 'timing_s/teacher_worker',
  'timing/teacher_wait_s': 'timing_s/teacher_wait',
};

/** A metrics line under today's names (a line already in them comes back equal). */
export function currentNames(line: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(line)) {
    const renamed = RENAMED_METRICS[k] ?? (/^eval\/[a-z0-9_]+$/.test(k) && !k.startsWith('eval/accuracy') ? `val-core/${k.slice(5)}/acc/mean@1` : k);
    out[renamed] = v;
  }
  return out;
}
