// Answer formats of the five mini benchmarks. Each mini benchmark asks its question in the mini
// language followed by a short format hint (the skeleton of its answer statement), and a correct
// response ends with the statement that benchmark's official rule-based extractor reads, so that the
// benchmark's scorer doubles as the RL reward:
//   mmmu        'the answer is (B)' / 'the answer is 5'   (parse_multi_choice_response / parse_open_response)
//   mathvista   'The answer is "5".'                        (quick extract: The answer is "(.*)"\.)
//   mathvision  '\boxed{5}'                                 (last \boxed{} of evaluate.py's chain)
//   wemath      'Answer: B'                                 (letter after the last 'Answer'; multiple choice only)
//   zerobench   '{5}'                                       (last {...} of the lower-cased response)
import type { MiniBenchmark, MiniTask } from './types.ts';
import { answerOnlyReference, optionsText } from './language.ts';

export { MINI_BENCHMARKS, type MiniBenchmark } from './types.ts';

/** The benchmark's own name of its evaluation split (the mini suite writes files under these names). */
export const EVAL_SPLIT: Record<MiniBenchmark, string> = {
  mmmu: 'validation',
  mathvista: 'testmini',
  mathvision: 'test',
  wemath: 'testmini',
  zerobench: 'zerobench',
};

/** What a task needs for formatting (a MiniTask or a draft). */
export type FormattableTask = Pick<MiniTask, 'question' | 'answer' | 'trace' | 'reference'> & { options?: string[] };

function isLetter(answer: string): boolean {
  return /^[A-D]$/.test(answer);
}

/** The final statement of a correct response for `answer` (an integer string or an option letter). */
export function answerStatement(benchmark: MiniBenchmark, answer: string): string {
  switch (benchmark) {
    case 'mmmu':
      return isLetter(answer) ? `the answer is (${answer})` : `the answer is ${answer}`;
    case 'mathvista':
      return `The answer is "${answer}".`;
    case 'mathvision':
      return `\\boxed{${answer}}`;
    case 'wemath':
      return `Answer: ${answer}`;
    case 'zerobench':
      return `{${answer}}`;
  }
}

/** The format hint appended to the question: the skeleton of the benchmark's answer statement. */
export function formatHint(benchmark: MiniBenchmark, _task?: FormattableTask): string {
  switch (benchmark) {
    case 'mmmu':
      return 'the answer is';
    case 'mathvista':
      return 'The answer is "';
    case 'mathvision':
      return '\\boxed{}';
    case 'wemath':
      return 'Answer:';
    case 'zerobench':
      return '{}';
  }
}

/** The student's prompt: question, lettered options (multiple choice), format hint. */
export function miniPrompt(benchmark: MiniBenchmark, task: FormattableTask): string {
  const options = task.options && task.options.length > 0 ? ` ${optionsText(task.options)}` : '';
  return `${task.question}${options} ${formatHint(benchmark, task)}`;
}

/**
 * The SFT target: the trace of a correct response followed by the answer statement. A multiple-choice
 * trace ends with the chosen option's value, so it first names that option as the prompt does
 * ('… most is red (B)') — the lookup step — and then states the letter.
 */
export function miniTarget(benchmark: MiniBenchmark, task: FormattableTask): string {
  const lookup = task.options && task.options.length > 0 && isLetter(task.answer) ? ` (${task.answer})` : '';
  return `${task.trace}${lookup} ${answerStatement(benchmark, task.answer)}`;
}

/**
 * The self-teacher's prompt: the privileged context (the reference solution, or only the final answer
 * in the same markers) before the student's prompt.
 */
export function miniTeacherPrompt(benchmark: MiniBenchmark, task: FormattableTask, privileged: 'reference' | 'answer' = 'reference'): string {
  const context = privileged === 'reference' ? task.reference : answerOnlyReference(task.answer);
  return `${context} ${miniPrompt(benchmark, task)}`;
}
