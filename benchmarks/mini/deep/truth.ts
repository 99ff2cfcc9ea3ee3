// The ground truth of a sampled response, token by token: which tokens are its reasoning span, which are filler, and
// which belong to its first wrong step — what the credit metrics (methods/credit.ts) hold a method's credit against.
import { answerStart, diagnose, type ErrorKind } from './parse.ts';
import type { Program } from './program.ts';
import { tokenSpanIndex } from './tokens.ts';

export interface ResponseTruth {
  /** 1 on the tokens before the final answer statement (all of them when there is none). */
  reasoning: Uint8Array;
  /** 1 on filler: filler sentences and the connectives that open a step sentence. */
  filler: Uint8Array;
  /** 1 on the first wrong step's tokens when it lies in the reasoning span; null when there is none there. */
  firstWrong: Uint8Array | null;
  /** The first wrong step's kind, also when it is the answer statement; null for a response without one. */
  errorKind: ErrorKind | null;
  /** Every sentence of the reasoning parsed as a step or filler. */
  parsed: boolean;
  /** Per token: the ordinal (0, 1, …) of the reasoning step whose body holds it (after its opening connectives), else -1. */
  steps: Int32Array;
  /** The first wrong step wherever it lies (the answer statement too), for views that show it; null without one. */
  firstWrongStep: { kind: ErrorKind; detail: string; inReasoning: boolean; tokens: Uint8Array } | null;
}

/**
 * `tokens`: the response's tokens as surface strings (their concatenation is its text; special tokens such as EOS
 * left out or empty). `statedAnswer`: what the benchmark's extractor reads from the response, or null.
 */
export function responseTruth(tokens: readonly string[], program: Program, statedAnswer: string | null): ResponseTruth {
  const text = tokens.join('');
  const { parsed, firstWrong } = diagnose(text, program, statedAnswer);
  const cut = answerStart(text);
  // The statement's tokens start with the space before it (a token belongs to the span of its first character).
  let end = cut < 0 ? text.length : cut;
  while (cut >= 0 && end > 0 && /\s/.test(text[end - 1]!)) end--;
  const spans = [{ start: 0, end }];
  const reasoning = Uint8Array.from(tokenSpanIndex(tokens, spans), (k) => (k === 0 ? 1 : 0));
  const fillerSpans = parsed.sentences.flatMap((s) => (s.role === 'filler' ? [s] : s.role === 'step' && s.bodyStart > s.start ? [{ start: s.start, end: s.bodyStart }] : []));
  const fillerIndex = tokenSpanIndex(tokens, fillerSpans);
  const filler = Uint8Array.from(fillerIndex, (k) => (k >= 0 ? 1 : 0));
  const stepBodies = parsed.sentences.flatMap((s) => (s.role === 'step' ? [{ start: s.bodyStart, end: s.end }] : []));
  const steps = tokenSpanIndex(tokens, stepBodies);
  const wrongTokens = firstWrong === null ? null : Uint8Array.from(tokenSpanIndex(tokens, [firstWrong]), (k) => (k === 0 ? 1 : 0));
  const found = wrongTokens !== null && wrongTokens.some((v) => v === 1);
  const wrong = found && firstWrong!.sentence >= 0 ? wrongTokens : null;
  const firstWrongStep = firstWrong === null ? null : { kind: firstWrong.kind, detail: firstWrong.detail, inReasoning: wrong !== null, tokens: found ? wrongTokens! : new Uint8Array(tokens.length) };
  return { reasoning, filler, firstWrong: wrong, errorKind: firstWrong?.kind ?? null, parsed: parsed.complete, steps, firstWrongStep };
}
