// MATH-Vision (Wang et al., NeurIPS 2024 D&B; mathllm/MATH-V) as an rlsd-bench benchmark unit:
// load → prompt → extract → score → aggregate. The prompt is the authors' chain-of-thought prompt
// (models/GPT4.py and models/Qwen-VL.py `geninput`); scoring ports evaluation/evaluate.py and utils.py
// (score.ts, latex.ts); metrics are documented in METRICS.md.
import { defineBenchmark } from '../common/module.ts';
import type { PromptParts } from '../common/types.ts';
import { itemFromRow, type MathVisionItem } from './item.ts';
import { load, SPLITS } from './load.ts';
import { mathvisionMini } from './mini.ts';
import { aggregate, extractAnswer, scoreResponse } from './score.ts';

export { itemFromRow, type MathVisionItem } from './item.ts';
export { load, validateImages, SPLITS, HF_COLUMNS } from './load.ts';
export {
  aggregate,
  evalTuple,
  extractAnswer,
  findMathAnswer,
  fixASlashB,
  fixFracs,
  fixSqrt,
  goldOptionText,
  isEqual,
  isEqualRule,
  isNumber,
  judge,
  removeRightUnits,
  resultTable,
  scoreResponse,
  stripString,
  type EqualRule,
  type Judgement,
  type MathVisionRecord,
  type ScorableItem,
} from './score.ts';
export { latexValue, latexCanonical, pyNumEquals, pyNumStr, pyRound2Num, type PyNum } from './latex.ts';

/** The authors' chain-of-thought instruction (models/GPT4.py, models/Qwen-VL.py `geninput`). */
export const COT_INSTRUCTION =
  'Please solve the problem step by step and put your answer in one "\\boxed{}". If it is a multiple choice question, only one letter is allowed in the "\\boxed{}".\n';
/** The authors' direct-answer suffix (models/GPT4V.py `geninput`). */
export const DIRECT_SUFFIX = '\nAnswer the question using a single word or phrase.';

/** `(A) …\n(B) …\n…` — rendered only when the options are not just the letters `ABCDE` (the letters
 *  then label the choices inside the image). */
export function optionsBlock(options: readonly string[]): string {
  if (options.length === 0 || options.join('') === 'ABCDE') return '';
  return options.map((o, i) => `(${String.fromCharCode(65 + i)}) ${o}\n`).join('');
}

/**
 * The official prompt text: `cot` (default) is `COT_INSTRUCTION + question + '\n' + options`, the style
 * whose `\boxed{}` answers evaluate.py reads first; `direct` is `question + '\n' + options + DIRECT_SUFFIX`.
 * The question keeps its `<image1>` placeholder, as the authors send it.
 */
export function officialPrompt(item: Pick<MathVisionItem, 'question' | 'options'>, style: 'cot' | 'direct' = 'cot'): string {
  const options = optionsBlock(item.options);
  return style === 'cot' ? `${COT_INSTRUCTION}${item.question}\n${options}` : `${item.question}\n${options}${DIRECT_SUFFIX}`;
}

/** Real items get the official prompt; mini items keep their own question (it carries its format hint). */
function prompt(item: MathVisionItem): PromptParts {
  return { text: item.mini ? item.question : officialPrompt(item), images: item.images };
}

export const mathvision = defineBenchmark<MathVisionItem>({
  name: 'mathvision',
  title: 'MathVision (MATH-V): competition mathematics with images, 5 levels × 16 subjects',
  label: 'MathVision',
  reportRank: 2,
  splits: SPLITS,
  evaluatedSplit: 'test (testmini when test is absent)',
  headline: { metric: 'accuracy' },
  otherMetrics: ['level', 'subject', 'correct', 'total'],
  layouts: [
    'Hugging Face MathLLMs/MathVision: <dir>/data/<split>-*.parquet (or <dir>/<split>-*.parquet, or one parquet file)',
    "authors' GitHub (mathllm/MATH-V): <dir>/<split>.jsonl or <dir>/data/<split>.jsonl with images/",
  ],
  itemFromRow: (row, split) => itemFromRow(row, split),
  mini: mathvisionMini,
  load,
  prompt,
  extract: (response) => extractAnswer(response),
  score: (item, response) => scoreResponse(item, response),
  aggregate,
});
