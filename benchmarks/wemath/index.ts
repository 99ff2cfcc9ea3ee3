// WeMath (We-Math/We-Math, testmini: 1,740 items in 525 problem groups) as a Benchmark unit:
// load (item.ts, load.ts) → official prompt (item.ts) → extraction + verdict + four-dimensional
// aggregates (score.ts). Metric names are documented in METRICS.md beside this file.
import type { Benchmark, ItemRecord, Metrics } from '../common/types.ts';
import { promptFor, type WeMathItem } from './item.ts';
import { loadWeMath, WEMATH_SPLITS } from './load.ts';
import { aggregateRecords, extractAnswer, scoreResponse, type WeMathRecord } from './score.ts';

export { itemFromRow, officialPrompt, promptFor, isMiniItem, splitOptions, WEMATH_KEYS } from './item.ts';
export type { WeMathItem, WeMathKey } from './item.ts';
export { loadWeMath, validateImages, readKnowledgeNodes, readJsonArray, WEMATH_SPLITS, REQUIRED_COLUMNS } from './load.ts';
export {
  extractAnswer,
  isCorrect,
  pyStrip,
  scoreResponse,
  aggregateRecords,
  mergeSteps,
  classifyGroups,
  DOMAIN_ORDER,
} from './score.ts';
export { pyPercent, fourDimensionalCells, accuracyCells } from './report.ts';
export type { WeMathRecord, WeMathExtraction, WeMathExtractor, FourDimensionalCounts, AggregateOptions } from './score.ts';

export const wemath: Benchmark<WeMathItem> = {
  name: 'wemath',
  splits: WEMATH_SPLITS,
  load: loadWeMath,
  prompt: promptFor,
  extract: (response: string) => extractAnswer(response),
  score: (item: WeMathItem, response: string): WeMathRecord => scoreResponse(item, response),
  aggregate: (records: ItemRecord[]): Metrics => aggregateRecords(records),
};
