// WeMath (We-Math/We-Math, testmini: 1,740 items in 525 problem groups) as a Benchmark unit:
// load (item.ts, load.ts) → official prompt (item.ts) → extraction + verdict + four-dimensional
// aggregates (score.ts). Metric names are documented in METRICS.md beside this file.
import { defineBenchmark } from '../common/module.ts';
import type { ItemRecord, Metrics } from '../common/types.ts';
import { itemFromRow, promptFor, type WeMathItem } from './item.ts';
import { loadWeMath, WEMATH_SPLITS } from './load.ts';
import { wemathMini } from './mini.ts';
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

const percent = (v: Metrics[string] | undefined): string => (typeof v !== 'number' ? 'n/a' : Number.isFinite(v) ? (100 * v).toFixed(2) : '—');

export const wemath = defineBenchmark<WeMathItem>({
  name: 'wemath',
  title: 'WeMath: problem groups of one-step items and their multi-step composite, four-dimensional metrics',
  label: 'WeMath',
  reportRank: 4,
  splits: WEMATH_SPLITS,
  evaluatedSplit: 'testmini',
  // Accuracy over items, because a run's tables are built from per-item verdicts (training's held-out evaluation,
  // evals/step_N.jsonl), the report's paired bootstrap resamples items, and the group score over the few groups of a
  // held-out set moves in coarse steps.
  headline: {
    metric: 'accuracy',
    label: 'accuracy (over items, not score_strict)',
    note: "WeMath: accuracy over items (every one-step and multi-step item alike), not the official leaderboard's Score (Strict) over whole problem groups (eval's results.json has it as score_strict).",
    evalNote: (m) =>
      'score_strict' in m ? `WeMath's headline is accuracy over items; the leaderboard's Score (Strict) is score_strict ${percent(m['score_strict'])} (not in the Avg)` : undefined,
  },
  officialScore: { metric: 'score_strict', label: 'WeMath Score (Strict)' },
  otherMetrics: ["score_strict (the leaderboard's Score (Strict), over whole problem groups)", 'score_loose', 'IK', 'IG', 'CM_strict', 'CM_loose', 'RM_strict', 'RM_loose', 'S1', 'S2', 'S3', 'domains'],
  layouts: [
    'Hugging Face We-Math/We-Math: <dir>/data/<split>-*.parquet (or <dir>/<split>-*.parquet, or one parquet file)',
    "authors' GitHub: <dir>/<split>.json or <dir>/data/<split>.json (+ knowledge_structure_nodes.json for domains)",
  ],
  itemFromRow: (row, split) => itemFromRow(row, split),
  mini: wemathMini,
  load: loadWeMath,
  prompt: promptFor,
  extract: (response: string) => extractAnswer(response),
  score: (item: WeMathItem, response: string): WeMathRecord => scoreResponse(item, response),
  aggregate: (records: ItemRecord[]): Metrics => aggregateRecords(records),
});
