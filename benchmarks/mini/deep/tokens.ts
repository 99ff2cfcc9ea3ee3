// From character spans to token positions: which segment (language.ts) or parsed sentence (parse.ts) each token of a
// response belongs to. A response's tokens are surface strings whose concatenation is its text (the mini tokenizer's
// decode(encode(s)) = s); a token belongs to the span that holds its first character, so a token with a leading space
// goes with the word it starts, as the segments' spans do.
import type { Span } from './parse.ts';

/** For each token, the index of the span holding its first character, or -1 (outside every span, or an empty token). */
export function tokenSpanIndex(tokens: readonly string[], spans: readonly Span[]): Int32Array {
  const out = new Int32Array(tokens.length).fill(-1);
  let offset = 0;
  let k = 0;
  tokens.forEach((token, t) => {
    if (token.length > 0) {
      while (k < spans.length && spans[k]!.end <= offset) k++;
      if (k < spans.length && spans[k]!.start <= offset) out[t] = k;
    }
    offset += token.length;
  });
  return out;
}

/** 1 on the tokens whose first character lies in `span`, else 0. */
export function tokenMask(tokens: readonly string[], span: Span): Uint8Array {
  const index = tokenSpanIndex(tokens, [span]);
  return Uint8Array.from(index, (k) => (k === 0 ? 1 : 0));
}
