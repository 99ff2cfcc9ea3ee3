// The benchmark contract (docs/design.md §3.2, lmms-eval style): load → prompt → extract → score → aggregate.
// A benchmark returns per-item records; every table is rebuilt from records, never from memory.

/** An image as distributed: the original encoded bytes (PNG/JPEG/…), decoded only at the model's edge. */
export interface EncodedImage {
  bytes: Uint8Array;
  path?: string | null;
}

export interface LoadOptions {
  split?: string;
  limit?: number;
}

export interface BenchItem {
  /** The benchmark's own item id (docs/design.md §5: MMMU `id`, MathVista `pid`, MathVision `id`, WeMath `question number`, ZeroBench `question_id`). */
  id: string;
  /** The split the item was loaded from (every loader sets it). */
  split?: string;
  /** The question text as the benchmark states it (before prompt templating). */
  question: string;
  /** Original images of the item. Empty when the layout ships none (see imagesMissing). */
  images: EncodedImage[];
  /** True when the item has images but this layout does not ship them (MathVista's GitHub layout). */
  imagesMissing?: boolean;
  /**
   * Image tags the text names that the row has no image for (MMMU validation_Math_7 names <image 8>…<image 30>
   * with only image_1…image_7 in the schema). Scoring reads only the text; evaluation shows the images that exist.
   */
  unresolvedImages?: string[];
  /** The gold answer as stored in the data. */
  answer: string;
  /** Privileged reference solution, when the data has one (the mini versions always do). */
  reference?: string;
  /** Every original field, untouched, for scorers and records. */
  raw: Record<string, unknown>;
}

export interface PromptParts {
  text: string;
  images: EncodedImage[];
}

export interface Extraction {
  /** What the rule-based extractor took from the response (null when nothing was found). */
  extracted: string | null;
  /** Which rule produced it, e.g. 'boxed', 'answer_is', 'letter_bracket', 'random_fallback'. */
  extractor: string;
}

export interface ItemRecord {
  id: string;
  response: string;
  extracted: string | null;
  gold: string;
  correct: boolean;
  extractor: string;
  /** Index of the sample for k-sample evaluation (0 when one sample). */
  sample?: number;
  /** Group fields used by the aggregate (subject, level, question type, …). */
  [field: string]: unknown;
}

/** Metrics: stable, documented names; nested objects for breakdowns; null for a rate with nothing to count (n/a). */
export type MetricValue = number | null | { [key: string]: MetricValue };
export type Metrics = Record<string, MetricValue>;

export interface Benchmark<I extends BenchItem = BenchItem> {
  name: string;
  /** Splits this benchmark knows, the first being the default. */
  splits: readonly string[];
  /** Reads a path in any supported layout (detected from the path). Throws DataError naming file and field. */
  load(source: string, opts?: LoadOptions): Promise<I[]>;
  /** The benchmark's official prompt for an item. */
  prompt(item: I): PromptParts;
  /** Rule-based answer extraction (the default everywhere). */
  extract(response: string, item: I): Extraction;
  /** Extract + judge, with the group fields the aggregate needs. Also the RL reward on mini items. */
  score(item: I, response: string): ItemRecord;
  /** Official aggregates over per-item records. */
  aggregate(records: ItemRecord[]): Metrics;
}
