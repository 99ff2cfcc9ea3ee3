// Phase 2, reward: the verifier (the benchmark's official scorer, without MMMU's random credit) on every
// response; under the shuffled-rewards control the rewards the method sees are permuted within the batch.
import type { Rng } from '../util/rng.ts';
import type { Rollout } from './rollout.ts';

export interface Rewards {
  /** [B] what the method sees (permuted under --shuffle-rewards). */
  rewards: Float32Array;
  /** [B] the verifier's verdicts, always (the reward metrics read these). */
  verdicts: Float32Array;
}

/** `shuffle`: the run's RNG when the control permutes the rewards (drawn after the rollout's samples), else null. */
export function reward(ro: Rollout, shuffle: Rng | null): Rewards {
  const verdicts = Float32Array.from(ro.texts.map((txt, i) => ro.prompts[ro.groupIds[i]!]!.reward(txt)));
  return { verdicts, rewards: shuffle ? Float32Array.from(shuffle.shuffle(Array.from(verdicts))) : verdicts };
}
