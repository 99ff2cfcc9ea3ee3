// MathVista (Lu et al., ICLR 2024) as an rlsd-bench benchmark unit: load → prompt → extract → score →
// aggregate. The prompt is the dataset's own `query` (made by the authors' evaluation/build_query.py);
// scoring ports extract_answer.py / calculate_score.py (see score.ts); metrics are documented in METRICS.md.
import { defineBenchmark } from '../common/module.ts';
import type { PromptParts } from '../common/types.ts';
import { itemFromRow, type MathVistaItem } from './item.ts';
import { load, SPLITS } from './load.ts';
import { mathvistaMini } from './mini.ts';
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

export const mathvista = defineBenchmark<MathVistaItem>({
  name: 'mathvista',
  title: 'MathVista: mathematical reasoning in visual contexts',
  label: 'MathVista',
  reportRank: 1,
  splits: SPLITS,
  evaluatedSplit: 'testmini',
  headline: { metric: 'accuracy' },
  otherMetrics: ['question_type', 'answer_type', 'language', 'source', 'category', 'task', 'context', 'grade', 'skills'],
  layouts: [
    'Hugging Face AI4Math/MathVista: <dir>/data/<split>-*.parquet (or that data/ folder, or one parquet file)',
    "authors' GitHub (lupantech/MathVista): <dir>/data/testmini.json + query.json (images/ beside them, else no images)",
  ],
  itemFromRow: (row, split) => itemFromRow(row, split),
  mini: mathvistaMini,
  load,
  prompt,
  extract: (response, item) => extractAnswer(response, item),
  score: (item, response) => scoreResponse(item, response),
  aggregate,
});
