// What the evaluation loop (eval.ts) shares with who answers — its local policy, or a model behind an endpoint
// (src/endpoint/responder.ts): the evaluation's settings and the Responder contract. eval.ts re-exports them.
import type { BenchItem, ItemRecord } from '../benchmarks/common/types.ts';
import type { BenchmarkModule } from '../benchmarks/index.ts';
import type { MiniSuite } from '../benchmarks/mini/types.ts';
import type { ClientSettings, EndpointTarget } from './endpoint/client.ts';

export interface EvalConfig {
  /** The checkpoint the local policy loads; unused when `endpoint` is set. */
  checkpoint?: string;
  /** A model served by an OpenAI-compatible server, evaluated instead of a checkpoint. */
  endpoint?: EndpointTarget;
  /** MathVista's LLM answer extraction (src/endpoint/mathvista-judge.ts); without it the rules alone extract. */
  judge?: EndpointTarget;
  /** How endpoint and judge requests are sent (concurrency, timeout, retries, cache). */
  client?: ClientSettings;
  benchmarks: string[];
  data: string;
  split?: string;
  limit?: number;
  samples: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  batchSize: number;
  seed: number;
  /** Problems per benchmark of the in-memory mini suite (with --data mini). */
  miniCount: number;
  miniSeed: number;
  /** The mini suite's version with --data mini (default mini-1). */
  miniSuite?: MiniSuite;
  out: string;
  /** Start the folder afresh when it holds an evaluation with other settings (else such a run refuses). */
  overwrite?: boolean;
}

/** One response to produce: an item and its sample index. */
export interface WorkUnit {
  item: BenchItem;
  sample: number;
}

/** Turns a response into its record: the benchmark's scorer, with MathVista's judge when one is configured. */
export type Scorer = (item: BenchItem, response: string) => Promise<ItemRecord>;

/** What a responder is asked for one benchmark. */
export interface RespondTask {
  name: string;
  bench: BenchmarkModule;
  /** The benchmark's whole work list, in order (a local batch is cut over the whole list, never over what is left). */
  work: readonly WorkUnit[];
  isDone(unit: WorkUnit): boolean;
  score: Scorer;
  /** Hands over a finished record (a scored response, or an error record); records are written in the order given. */
  deliver(unit: WorkUnit, record: ItemRecord): void;
}

/** Who answers: the local policy or an endpoint. The loop that writes records and rebuilds metrics is shared. */
export interface Responder {
  /** Refusals that must come before anything is written; returns the configuration with what the server says filled in. */
  prepare(cfg: EvalConfig): Promise<EvalConfig>;
  /** Per-benchmark prompt statistics (the local policy's vocabulary and positions; none for an endpoint). */
  promptStats(name: string, bench: BenchmarkModule, items: readonly BenchItem[], cfg: EvalConfig): { unknownWords: number; truncatedPrompts: number };
  /** Produces every unfinished unit's record through task.deliver. */
  respond(task: RespondTask, cfg: EvalConfig): Promise<void>;
  /** What results.json records about who answered (checkpoint and backend, or endpoint and traffic). */
  describe(): Record<string, unknown>;
  /** One line on what it cost (an endpoint's requests, retries, cache hits), or null. */
  summary(): string | null;
  dispose(): void;
}
