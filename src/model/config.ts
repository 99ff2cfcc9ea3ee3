// Policy model configuration. Defaults as docs/design.md §6.2 (d=64, 3 layers, 4 heads, MLP 4×) plus a small vision
// block (MLP patch encoder, image tokens attending to each other).

export interface ModelConfig {
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  mlpRatio: number;
  /** Maximum sequence length: image tokens + context + response. */
  maxPositions: number;
  imageSize: number;
  patchSize: number;
  channels: number;
  /** 'bidirectional': image tokens attend to each other (prefix-LM vision block); absent/'causal': plain causal. */
  imageAttention?: 'causal' | 'bidirectional';
  /** Hidden width of a ReLU MLP patch encoder; 0 or absent: one linear patch projection. */
  patchHidden?: number;
  /**
   * Each text token's input also carries an embedding of the token before it (a token shift, as the "smeared
   * keys" of Olsson et al. 2022), so one attention layer can find "the token after an earlier copy of this one" —
   * the induction lookup a multiple-choice letter needs. Absent/false: off (checkpoints before it).
   */
  prevTokenEmbedding?: boolean;
  /** Standard deviation of the normal initialisation (residual projections are scaled by 1/√(2·layers)). */
  initStd?: number;
}

export const DEFAULT_MODEL: Omit<ModelConfig, 'vocabSize'> = {
  dModel: 64,
  nLayers: 3,
  nHeads: 4,
  mlpRatio: 4,
  maxPositions: 160,
  imageSize: 32,
  patchSize: 8,
  channels: 3,
  // A small vision block (an MLP patch encoder whose image tokens attend to each other): with one linear patch
  // projection and causal image tokens the base misread bar heights and counts by one.
  patchHidden: 256,
  imageAttention: 'bidirectional',
};

export function numImageTokens(cfg: ModelConfig): number {
  return (cfg.imageSize / cfg.patchSize) ** 2;
}

export function patchDim(cfg: ModelConfig): number {
  return cfg.patchSize * cfg.patchSize * cfg.channels;
}

export function validateModelConfig(cfg: ModelConfig): void {
  const ints: Exclude<keyof ModelConfig, 'initStd' | 'patchHidden' | 'imageAttention' | 'prevTokenEmbedding'>[] = ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'mlpRatio', 'maxPositions', 'imageSize', 'patchSize', 'channels'];
  for (const k of ints) {
    const v = cfg[k];
    if (!Number.isInteger(v) || v <= 0) throw new Error(`model config: '${k}' must be a positive integer (got ${v})`);
  }
  if (cfg.imageAttention !== undefined && cfg.imageAttention !== 'causal' && cfg.imageAttention !== 'bidirectional')
    throw new Error(`model config: 'imageAttention' must be causal or bidirectional (got ${String(cfg.imageAttention)})`);
  if (cfg.patchHidden !== undefined && !(Number.isInteger(cfg.patchHidden) && cfg.patchHidden >= 0))
    throw new Error(`model config: 'patchHidden' must be a non-negative integer (got ${cfg.patchHidden})`);
  if (cfg.prevTokenEmbedding !== undefined && typeof cfg.prevTokenEmbedding !== 'boolean')
    throw new Error(`model config: 'prevTokenEmbedding' must be true or false (got ${String(cfg.prevTokenEmbedding)})`);
  if (cfg.initStd !== undefined && !(cfg.initStd > 0)) throw new Error(`model config: 'initStd' must be positive (got ${cfg.initStd})`);
  if (cfg.dModel % cfg.nHeads !== 0) throw new Error(`model config: dModel ${cfg.dModel} is not divisible by nHeads ${cfg.nHeads}`);
  if (cfg.imageSize % cfg.patchSize !== 0) throw new Error(`model config: imageSize ${cfg.imageSize} is not a multiple of patchSize ${cfg.patchSize}`);
  if (numImageTokens(cfg) >= cfg.maxPositions) throw new Error('model config: maxPositions must exceed the number of image tokens');
}
