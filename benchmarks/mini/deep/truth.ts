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
  let wrong: Uint8Array | null = null;
  if (firstWrong !== null && firstWrong.sentence >= 0) {
    const index = tokenSpanIndex(tokens, [firstWrong]);
    wrong = Uint8Array.from(index, (k) => (k === 0 ? 1 : 0));
    if (!wrong.some((v) => v === 1)) wrong = null;
  }
  return { reasoning, filler, firstWrong: wrong, errorKind: firstWrong?.kind ?? null, parsed: parsed.complete };
}
