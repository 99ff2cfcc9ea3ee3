// Phase 5, metrics: the per-step record of metrics.jsonl (rewards, lengths, leakage, throughput, memory), and the
// one timer every phase is measured with (`timing/<phase>_s`).
import * as tf from '@tensorflow/tfjs';
import { mentionsReference } from '../../benchmarks/mini/language.ts';
import { cachedTensorCount } from '../model/ops.ts';
import type { Rewards } from './reward.ts';
import type { Rollout } from './rollout.ts';
import type { StepMetrics } from './types.ts';

export type Timer = <T>(phase: string, f: () => T) => T;

/** Runs a phase and adds its wall time to `timing/<phase>_s` of `metrics` (a phase timed twice sums). */
export function timer(metrics: StepMetrics): Timer {
  return (phase, f) => {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      const key = `timing/${phase}_s`;
      metrics[key] = (metrics[key] ?? 0) + (performance.now() - t0) / 1000;
    }
  };
}

/** Reward, length, leakage, throughput and memory metrics of one step (the timings are already in `m`). */
export function stepMetrics(ro: Rollout, rw: Rewards, shuffled: boolean, m: StepMetrics): StepMetrics {
  const { B, G, prompts, groupIds } = ro;
  const tokens = ro.responses.reduce((a, r) => a + r.length, 0);
  const mean = rw.verdicts.reduce((a, b) => a + b, 0) / B;
  let zeroStd = 0;
  for (let g = 0; g < prompts.length; g++) {
    const rs = Array.from(rw.rewards.subarray(g * G, (g + 1) * G));
    if (rs.every((r) => r === rs[0])) zeroStd++;
  }
  const out: StepMetrics = {
    'reward/mean': mean,
    'reward/std': Math.sqrt(rw.verdicts.reduce((a, r) => a + (r - mean) ** 2, 0) / B),
    'reward/frac_zero_std_groups': zeroStd / prompts.length,
    'response_length/mean': tokens / B,
    'leakage/rate': ro.texts.filter(mentionsReference).length / B,
    'perf/tokens_per_s': tokens / ['rollout', 'reward', 'teacher', 'update'].reduce((s, p) => s + (m[`timing/${p}_s`] ?? 0), 0),
    // Leak watch: both must stay flat over a run (a growing count is a tensor not disposed). The ones-row
    // cache of the matmul kernels gains one small tensor per new batch shape, so it is counted apart.
    'perf/num_tensors': tf.memory().numTensors - cachedTensorCount(),
    'perf/cached_tensors': cachedTensorCount(),
    'perf/rss_mib': process.memoryUsage().rss / 2 ** 20,
  };
  // Per-benchmark train reward (veRL's per-data-source metrics): which skills the verifier's signal moves.
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
