// Length bucketing for forward passes without gradient (the self-teacher's and the KL reference's scoring).
// One grouped batch pads every prefix to the longest prefix and every response to the longest response; on
// the mini suite the teacher's prefixes run 15–55 tokens and responses 10–30, so a single batch spends ~40 %
// of its attention on padding. Splitting the groups into a few chunks of similar lengths removes most of it,
// at the price of one more set of kernel launches per chunk; the plan minimises a simple cost model of both.

export interface GroupShape {
  /** Prefix length in positions (image tokens + context). */
  prefixLen: number;
  /** Longest response of the group. */
  responseLen: number;
  /** Responses in the group. */
  size: number;
}

/**
 * Relative costs, μs on the WASM backend at the default model size: per-token and per-pair from a kernel profile
 * of the teacher pass (dense layers ≈ 30 μs per response token, attention ≈ 0.8 μs per query–key pair); per-call
 * from a sweep of 2,000–50,000 on real rollouts, all within ~5 % of each other and ~30 % below one batch.
 */
export interface ChunkCost {
  /** Per forward call (kernel launches, prefix pass, host-side layout). */
  perCall: number;
  /** Per response token (dense layers, unembedding). */
  perToken: number;
  /** Per (query, key) pair of attention. */
  perPair: number;
}

export const DEFAULT_CHUNK_COST: ChunkCost = { perCall: 10000, perToken: 30, perPair: 0.8 };

/** Modelled cost of scoring `groups` in one padded batch. */
export function chunkCost(groups: readonly GroupShape[], cost: ChunkCost = DEFAULT_CHUNK_COST): number {
  if (groups.length === 0) return 0;
  let n = 0;
  let R = 0;
  let T = 0;
  for (const g of groups) {
    n += g.size;
    R = Math.max(R, g.responseLen);
    T = Math.max(T, g.prefixLen);
  }
  return cost.perCall + n * R * (cost.perToken + cost.perPair * (T + R));
}

/**
 * Partitions groups into chunks (lists of group indices, each in input order) minimising the summed modelled
 * cost: groups sorted by response then prefix length, and split into contiguous runs by dynamic programming.
 * Deterministic; every group appears in exactly one chunk.
 */
export function planChunks(groups: readonly GroupShape[], cost: ChunkCost = DEFAULT_CHUNK_COST): number[][] {
  const n = groups.length;
  if (n === 0) return [];
  const order = groups
    .map((_, i) => i)
    .sort((a, b) => groups[a]!.responseLen - groups[b]!.responseLen || groups[a]!.prefixLen - groups[b]!.prefixLen || a - b);
  // best[j]: least cost of the first j sorted groups; cut[j]: where its last chunk starts.
  const best = new Float64Array(n + 1).fill(Infinity);
  const cut = new Int32Array(n + 1);
  best[0] = 0;
  for (let j = 1; j <= n; j++)
    for (let i = 0; i < j; i++) {
      const c = best[i]! + chunkCost(order.slice(i, j).map((k) => groups[k]!), cost);
      if (c < best[j]!) {
        best[j] = c;
        cut[j] = i;
      }
    }
  const chunks: number[][] = [];
  for (let j = n; j > 0; j = cut[j]!) chunks.unshift(order.slice(cut[j]!, j).sort((a, b) => a - b));
  return chunks;
}
