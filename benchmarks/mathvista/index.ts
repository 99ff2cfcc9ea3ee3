// MathVista (Lu et al., ICLR 2024) as an rlsd-bench benchmark unit: load → prompt → extract → score →
// aggregate. The prompt is the dataset's own `query` (made by the authors' evaluation/build_query.py);
// scoring ports extract_answer.py / calculate_score.py (see score.ts); metrics are documented in METRICS.md.
import type { Benchmark, PromptParts } from '../common/types.ts';
import type { MathVistaItem } from './item.ts';
import { load, SPLITS } from './load.ts';
import { aggregate, extractAnswer, scoreResponse } from './score.ts';

export { itemFromRow, type MathVistaItem, type MathVistaMetadata, type QuestionType, type AnswerType } from './item.ts';
export { load, requireImages, validateImages, SPLITS } from './load.ts';
export {
  aggregate,
  editDistance,
  extractAnswer,
  getMostSimilar,
  GROUP_KEYS,
  normalizeExtractedAnswer,
  safeEqual,
  scoreResponse,
  type ExtractJudge,
  type ExtractOptions,
  type MathVistaRecord,
  type Problem,
} from './score.ts';

/** The official prompt is the row's `query`; mini rows keep their full mini prompt (question + format
 *  hint, in the tiny policy's language) in the same column, so it is returned verbatim for both. */
function prompt(item: MathVistaItem): PromptParts {
  return { text: item.query, images: item.images };
}

export const mathvista: Benchmark<MathVistaItem> = {
  name: 'mathvista',
  splits: SPLITS,
  load,
  prompt,
  extract: (response, item) => extractAnswer(response, item),
  score: (item, response) => scoreResponse(item, response),
  aggregate,
};
