// The reasoning span of a mini response, for RLSD's `thoughtOnly` ablation (methods/rlsd.ts, input `thoughtMask`).
//
// The official ablation re-weights only the tokens strictly inside <thought> … </thought> (iie-ycx/RLSD
// verl/trainer/opsd_trainer._build_thought_span_mask; a span never closed runs to the end of the response). Mini
// responses carry no tags: a correct one is its trace, then (multiple choice) the chosen option's letter as the
// prompt shows it, then the benchmark's answer statement (benchmarks/mini/formats.ts miniTarget), e.g.
//   'i see red 3 blue 2 so 3 plus 2 is 5 \boxed{5}'
//   'in the image blue 1 red 4 green 2 so most is red (B) Answer: B'
// so the reasoning span is every token before the final answer statement; the statement (and the EOS after it)
// is outside. A response that never starts an answer statement is reasoning to its end, as an unclosed
// <thought> is.
//
// An answer statement starts at the last of: 'the answer' / 'The answer' (MMMU, MathVista: from 'the'), a bare
// 'answer' / 'Answer' (WeMath's 'Answer:'), '\boxed{' (MathVision) or '{' (ZeroBench). The trace language has
// none of these words or symbols, so a well-formed response has exactly one statement; in any other the last one
// counts, as the benchmarks' extractors read the last.

/** Token texts (trimmed) that open an answer statement. */
const OPENERS: ReadonlySet<string> = new Set(['answer', 'Answer', '\\boxed{', '{']);

/**
 * 1 on each token of the response's reasoning span (every token before its final answer statement), else 0.
 * `tokens` are the surface strings of the response's tokens in order (the tokenizer's vocabulary entries,
 * leading spaces allowed; special tokens such as '<eos>' included as they were emitted).
 */
export function reasoningSpan(tokens: readonly string[]): Uint8Array {
  let start = tokens.length;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (!OPENERS.has(tokens[i]!.trim())) continue;
    const previous = i > 0 ? tokens[i - 1]!.trim() : '';
    start = /^answer$/i.test(tokens[i]!.trim()) && (previous === 'the' || previous === 'The') ? i - 1 : i;
    break;
  }
  const span = new Uint8Array(tokens.length);
  span.fill(1, 0, start);
  return span;
}

/**
 * The [B,T] thought mask of a batch (row-major, B = responses.length): row b holds reasoningSpan(responses[b])
 * over its first tokens and 0 beyond them. A response longer than T is cut at T.
 */
export function thoughtMaskRows(responses: readonly (readonly string[])[], T: number): Float32Array {
  const out = new Float32Array(responses.length * T);
  responses.forEach((tokens, b) => {
    const span = reasoningSpan(tokens);
    for (let t = 0; t < Math.min(T, span.length); t++) out[b * T + t] = span[t]!;
  });
  return out;
}
