// One response's per-token credit as records (a line per token: the format of credit.jsonl, and of the worked
// examples `train` keeps of its last rollout batch, credit/step_N.jsonl) and back: the credit view builds a
// ResponseView from a sampled response and its step-level truth, writes it as records, and any page that shows the
// response — credit.html, the report's "Where the credit went" — renders a ResponseView read back from them
// (html.ts tokensHtml), so there is one renderer and one format.
import type { ErrorKind } from '../../benchmarks/mini/deep/parse.ts';
import type { Task } from '../tasks.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { responseWithTruth } from '../train/credit.ts';

/** What a token of a response is, by its place in the response's parse. */
export type SpanKind = 'step' | 'filler' | 'unparsed' | 'answer' | 'end';

/** One run's numbers for one response. */
export interface SideScores {
  /** The reward its method saw (the verifier's verdict, permuted under a shuffled-rewards control). */
  reward: number;
  /** Per token: Δ = log P_T − log P_S where the teacher scored this response with privileged context, else null. */
  delta: Float64Array | null;
  /** Per token: the factor of the advantage (MethodOutput.creditWeight), or null when the method has none. */
  weight: Float32Array | null;
  /** Per token: the credit its loss applies (MethodOutput.credit). */
  credit: Float32Array;
}

export interface ResponseView {
  /** Its place in the group (0 … G−1). */
  index: number;
  text: string;
  /** Per token: its surface text ('<eos>' for the end token). */
  tokens: string[];
  spans: SpanKind[];
  /** Per token: the reasoning step (0, 1, …) whose body holds it, else -1. */
  steps: Int32Array;
  /** Per token: 1 on the first wrong step wherever it lies (the answer statement too). */
  firstWrong: Uint8Array;
  /** The first wrong step's kind and what was expected, or null for a response without one. */
  error: { kind: ErrorKind; detail: string; inReasoning: boolean } | null;
  /** Per token: 1 on the reasoning span and on filler (the credit metrics' masks). */
  reasoning: Uint8Array;
  filler: Uint8Array;
  parsed: boolean;
  /** The verifier's verdict and what its extractor read. */
  verdict: number;
  extracted: string | null;
  /** One per run: A's, then B's. */
  sides: SideScores[];
}

/** One token of one response as one run's method credits it (a line of credit.jsonl). */
export interface CreditRecord {
  /** The training step of the weights that sampled and credited the response (a checkpoint's step). */
  step: number;
  /** 'a' for the run given first (or the run itself), 'b' for --method-b. */
  run: 'a' | 'b';
  method: string;
  problem: string;
  benchmark: string;
  /** The response's place in its group (0 … G−1), and the token's in the response (0 …). */
  response: number;
  token: number;
  text: string;
  span: SpanKind;
  /** The reasoning step (0, 1, …) whose body holds the token, else null. */
  reasoningStep: number | null;
  firstWrongStep: boolean;
  /** log P_T − log P_S of the token where the teacher scored the response with privileged context, else null. */
  delta: number | null;
  /** The factor of the token's advantage (RLSD's (1−λ) + λ·clip(w_t)), else null. */
  weight: number | null;
  credit: number;
  /** The reward the method saw, and the verifier's verdict. */
  reward: number;
  correct: boolean;
  /**
   * Of the whole response, repeated on each of its tokens (absent in records written before they were added): the
   * problem's gold answer, what the benchmark's extractor read, the first wrong step (its kind, what was expected,
   * whether it lies in the reasoning span) or null, and whether every sentence of its reasoning parsed.
   */
  gold?: string;
  extracted?: string | null;
  error?: { kind: ErrorKind; detail: string; inReasoning: boolean } | null;
  parsed?: boolean;
}

/** What a token of a response is, by its place in the response's parse. */
export function spanKinds(tokens: readonly string[], truth: ReturnType<typeof responseWithTruth>['truth']): SpanKind[] {
  return tokens.map((tok, t) => (tok === '' ? 'end' : truth.steps[t]! >= 0 ? 'step' : truth.filler[t] ? 'filler' : truth.reasoning[t] ? 'unparsed' : 'answer'));
}

/** A sampled response (`ids`, decoded `text`) to a deep-world task, held against its program, with each run's numbers. */
export function responseView(task: Task, ids: readonly number[], text: string, tokenizer: Tokenizer, index: number, verdict: number, sides: SideScores[]): ResponseView {
  const { tokens, record, truth } = responseWithTruth(task, ids, text, tokenizer);
  const wrong = truth.firstWrongStep;
  return {
    index,
    text,
    tokens: tokens.map((t, k) => (t === '' ? tokenizer.vocab[ids[k]!]! : t)),
    spans: spanKinds(tokens, truth),
    steps: truth.steps,
    firstWrong: wrong ? wrong.tokens : new Uint8Array(tokens.length),
    error: wrong ? { kind: wrong.kind, detail: wrong.detail, inReasoning: wrong.inReasoning } : null,
    reasoning: truth.reasoning,
    filler: truth.filler,
    parsed: truth.parsed,
    verdict,
    extracted: record.extracted,
    sides,
  };
}

/** The records of one response under side `k` (0: run a, 1: run b). */
export function responseRecords(r: ResponseView, k: number, at: { step: number; method: string; problem: string; benchmark: string; gold: string }): CreditRecord[] {
  const s = r.sides[k]!;
  return r.tokens.map((text, t) => ({
    step: at.step,
    run: k === 0 ? 'a' : 'b',
    method: at.method,
    problem: at.problem,
    benchmark: at.benchmark,
    response: r.index,
    token: t,
    text,
    span: r.spans[t]!,
    reasoningStep: r.steps[t]! >= 0 ? r.steps[t]! : null,
    firstWrongStep: r.firstWrong[t] === 1,
    delta: s.delta ? s.delta[t]! : null,
    weight: s.weight ? s.weight[t]! : null,
    credit: s.credit[t]!,
    reward: s.reward,
    correct: r.verdict >= 1,
    gold: at.gold,
    extracted: r.extracted,
    error: r.error,
    parsed: r.parsed,
  }));
}

/** The records of one response and one run (in token order) as the view the pages render; its one side is theirs. */
export function responseFromRecords(records: readonly CreditRecord[]): ResponseView {
  const rs = [...records].sort((a, b) => a.token - b.token);
  const first = rs[0];
  if (!first) throw new Error('responseFromRecords: no records');
  const spans = rs.map((x) => x.span);
  const column = <T extends Float32Array | Float64Array>(make: new (n: number) => T, pick: (x: CreditRecord) => number | null): T | null => {
    if (rs.some((x) => pick(x) === null)) return null;
    const out = new make(rs.length);
    rs.forEach((x, t) => (out[t] = pick(x)!));
    return out;
  };
  return {
    index: first.response,
    text: rs.map((x) => (x.span === 'end' ? '' : x.text)).join(''),
    tokens: rs.map((x) => x.text),
    spans,
    steps: Int32Array.from(rs, (x) => x.reasoningStep ?? -1),
    firstWrong: Uint8Array.from(rs, (x) => (x.firstWrongStep ? 1 : 0)),
    error: first.error ?? null,
    reasoning: Uint8Array.from(spans, (s) => (s === 'step' || s === 'filler' || s === 'unparsed' ? 1 : 0)),
    filler: Uint8Array.from(spans, (s) => (s === 'filler' ? 1 : 0)),
    parsed: first.parsed ?? !spans.includes('unparsed'),
    verdict: first.correct ? 1 : 0,
    extracted: first.extracted ?? null,
    sides: [{ reward: first.reward, delta: column(Float64Array, (x) => x.delta), weight: column(Float32Array, (x) => x.weight), credit: Float32Array.from(rs, (x) => x.credit) }],
  };
}

const SPAN_KINDS: ReadonlySet<string> = new Set<SpanKind>(['step', 'filler', 'unparsed', 'answer', 'end']);

/** What is wrong with a line read as a CreditRecord (its first problem, naming the field), or null when it is one. */
export function creditRecordProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const x = v as Record<string, unknown>;
  const isNumber = (k: string): boolean => typeof x[k] === 'number' && Number.isFinite(x[k]);
  for (const k of ['step', 'response', 'token', 'credit', 'reward']) if (!isNumber(k)) return `${k} is not a number`;
  for (const k of ['method', 'problem', 'benchmark', 'text']) if (typeof x[k] !== 'string') return `${k} is not a string`;
  for (const k of ['firstWrongStep', 'correct']) if (typeof x[k] !== 'boolean') return `${k} is not true or false`;
  if (x['run'] !== 'a' && x['run'] !== 'b') return "run is not 'a' or 'b'";
  if (typeof x['span'] !== 'string' || !SPAN_KINDS.has(x['span'])) return `span is not one of ${[...SPAN_KINDS].join(', ')}`;
  for (const k of ['reasoningStep', 'delta', 'weight']) if (x[k] !== null && !isNumber(k)) return `${k} is neither null nor a number`;
  return null;
}
