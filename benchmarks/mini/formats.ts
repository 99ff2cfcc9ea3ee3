// The mini benchmarks' answer formats by name. Each benchmark states its own in benchmarks/<name>/mini.ts (its
// answer statement and format hint, read by its official extractor, so its scorer doubles as the RL reward):
//   mmmu        'the answer is (B)' / 'the answer is 5'   (parse_multi_choice_response / parse_open_response)
//   mathvista   'The answer is "5".'                        (quick extract: The answer is "(.*)"\.)
//   mathvision  '\boxed{5}'                                 (last \boxed{} of evaluate.py's chain)
//   wemath      'Answer: B'                                 (letter after the last 'Answer'; multiple choice only)
//   zerobench   '{5}'                                       (last {...} of the lower-cased response)
// This module looks the spec up by name for callers that think in names (the drills, the tokenizer's tests).
import { miniSpec, type MiniBenchmark } from '../index.ts';
import { promptWith, targetWith, teacherPromptWith, type FormattableTask } from './spec.ts';

export { MINI_BENCHMARKS, miniSpec, type MiniBenchmark } from '../index.ts';
export type { FormattableTask } from './spec.ts';

/** The final statement of a correct response for `answer` (an integer string or an option letter). */
export function answerStatement(benchmark: MiniBenchmark, answer: string): string {
  return miniSpec(benchmark).answerStatement(answer);
}

/** The format hint appended to the question: the skeleton of the benchmark's answer statement. */
export function formatHint(benchmark: MiniBenchmark): string {
  return miniSpec(benchmark).formatHint;
}

/** The student's prompt: question, lettered options (multiple choice), format hint. */
export function miniPrompt(benchmark: MiniBenchmark, task: FormattableTask): string {
  return promptWith(miniSpec(benchmark), task);
}

/** The SFT target: the trace of a correct response followed by the answer statement (spec.ts targetWith). */
export function miniTarget(benchmark: MiniBenchmark, task: FormattableTask): string {
  return targetWith(miniSpec(benchmark), task);
}

/** The self-teacher's prompt: the privileged context (reference solution, or only the answer) before the student's. */
export function miniTeacherPrompt(benchmark: MiniBenchmark, task: FormattableTask, privileged: 'reference' | 'answer' = 'reference'): string {
  return teacherPromptWith(miniSpec(benchmark), task, privileged);
}
