// MathVista's LLM answer extraction, ported from lupantech/MathVista (commit 53d5258):
//   evaluation/prompts/ext_ans.py  `demo_prompt`         → DEMO_PROMPT (verbatim: it is the rule)
//   evaluation/extract_answer.py   `create_test_prompt`  → judgePrompt
//                                  `extract_answer`      → the rule path stays first (benchmarks/mathvista/score.ts
//                                                          extractAnswer); the judge is asked only where it calls the LLM
//   models/gpt.py                  `GPT_Model`           → the request: one user message with one text part,
//                                                          temperature 0, max_tokens 1024, n 1; the answer stripped
// ExtractOptions.judge is synchronous (the scorer is a pure function), so a response is first run through the rules
// with a probe judge that only notes that it was reached; only then is the judge endpoint asked (cached like every
// request), and the scorer runs again with a judge that returns that answer. Responses the rules settle never reach it.
import type { ItemRecord } from '../../benchmarks/common/types.ts';
import { extractAnswer, scoreResponse, type MathVistaItem } from '../../benchmarks/mathvista/index.ts';
import type { EndpointClient } from './client.ts';

// evaluation/prompts/ext_ans.py (pids 852, 104, 824, 506, 540). Python's non-raw triple-quoted string turns the
// `\n` of the last example into newlines, as this template literal does.
export const DEMO_PROMPT = `
Please read the following example. Then extract the answer from the model response and type it at the end of the prompt.

Hint: Please answer the question requiring an integer answer and provide the final value, e.g., 1, 2, 3, at the end.
Question: Which number is missing?

Model response: The number missing in the sequence is 14.

Extracted answer: 14

Hint: Please answer the question requiring a floating-point number with one decimal place and provide the final value, e.g., 1.2, 1.3, 1.4, at the end.
Question: What is the fraction of females facing the camera?

Model response: The fraction of females facing the camera is 0.6, which means that six out of ten females in the group are facing the camera.

Extracted answer: 0.6

Hint: Please answer the question requiring a floating-point number with two decimal places and provide the final value, e.g., 1.23, 1.34, 1.45, at the end.
Question: How much money does Luca need to buy a sour apple candy and a butterscotch candy? (Unit: $)

Model response: Luca needs $1.45 to buy a sour apple candy and a butterscotch candy.

Extracted answer: 1.45

Hint: Please answer the question requiring a Python list as an answer and provide the final list, e.g., [1, 2, 3], [1.2, 1.3, 1.4], at the end.
Question: Between which two years does the line  graph saw its maximum peak?

Model response: The line graph saw its maximum peak between 2007 and 2008.

Extracted answer: [2007, 2008]

Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.
Question: What fraction of the shape is blue?\nChoices:\n(A) 3/11\n(B) 8/11\n(C) 6/11\n(D) 3/5

Model response: The correct answer is (B) 8/11.

Extracted answer: B
`;

/** `create_test_prompt(demo_prompt, query, response)`: the demo (stripped), the problem's query, the response, the cue. */
export function judgePrompt(query: string, response: string): string {
  return `${DEMO_PROMPT.trim()}\n\n${query}\n\n${response}\n\nExtracted answer: `;
}

/** GPT_Model's defaults in models/gpt.py. */
export const JUDGE_SAMPLING = { temperature: 0, max_tokens: 1024 } as const;

/** Whether extract_answer would reach its LLM call for this response (no rule settles it). */
export function reachesJudge(item: MathVistaItem, response: string): boolean {
  let reached = false;
  extractAnswer(response, item, {
    judge: () => {
      reached = true;
      return null;
    },
  });
  return reached;
}

/** The judge's extraction of one response (`model.get_response(full_prompt)`, stripped as GPT_Model does). */
export async function judgeExtraction(judge: EndpointClient, item: MathVistaItem, response: string): Promise<string> {
  // extract_answer.py reads problem['query'], the prompt the model was shown (build_query.py's output).
  const text = judgePrompt(item.query, response);
  const c = await judge.complete(
    { model: judge.target.model, messages: [{ role: 'user', content: [{ type: 'text', text }] }], temperature: JUDGE_SAMPLING.temperature, max_tokens: JUDGE_SAMPLING.max_tokens, n: 1 },
    { purpose: 'mathvista-extraction' },
  );
  return c.text.trim();
}

/** MathVista's scorer with the judge in the original's place: rules first, the judge's answer where they give none. */
export async function scoreWithJudge(judge: EndpointClient, item: MathVistaItem, response: string): Promise<ItemRecord> {
  if (!reachesJudge(item, response)) return scoreResponse(item, response);
  const answer = await judgeExtraction(judge, item, response);
  return scoreResponse(item, response, { judge: () => answer });
}
