// Checks the MathVista scorer against the authors' published verdicts.
// Input: one of their per-model result files (lupantech/MathVista `results/<model>/output_*.json`: every
// pid with the problem fields plus `response`, `extraction` (their GPT extraction), `prediction`,
// `true_false`), as a local copy; optionally the matching `scores_*.json`. Nothing is fetched here.
//   1. their `extraction` → our normalize_extracted_answer + safe_equal → compare `prediction`, `true_false`
//   2. their raw `response` → our rule-based extract_answer (no LLM) → compare `true_false`
//   3. with --scores: our aggregate over their verdicts vs their per-group correct/total counts
// Usage: npx tsx scripts/verify-mathvista.ts <output.json> [--scores <scores.json>] [--show <n>]
import { readFileSync } from 'node:fs';
import { itemFromRow, type MathVistaItem } from '../benchmarks/mathvista/item.ts';
import { aggregate, GROUP_KEYS, normalizeExtractedAnswer, safeEqual, scoreResponse } from '../benchmarks/mathvista/score.ts';
import type { ItemRecord, Metrics } from '../benchmarks/common/types.ts';
import { num } from '../src/cli/util.ts';
import { parseOrExit, scriptCli } from '../src/cli/script.ts';
import { UsageError } from '../src/util/errors.ts';

const { outputPath, scoresPath, show } = parseOrExit(
  scriptCli(
    'npx tsx scripts/verify-mathvista.ts OUTPUT.json [--scores SCORES.json] [--show N]',
    "Checks the MathVista scorer against the authors' published verdicts (one of their results/<model>/output_*.json, a local copy). Fetches nothing.",
    { positionals: true },
  )
    .option('scores', { type: 'string', describe: 'the matching scores_*.json, to compare the aggregate' })
    .option('show', { type: 'number', default: 15, describe: 'disagreements to list' }),
  (argv) => {
    if (argv._.length !== 1) throw new UsageError(`give one OUTPUT.json (got ${argv._.length}; see --help)`);
    return { outputPath: String(argv._[0]), scoresPath: argv['scores'] === undefined ? undefined : String(argv['scores']), show: num('show', argv['show'], { integer: true, min: 0 }) };
  },
);

type Entry = Record<string, unknown> & { response?: unknown; extraction?: unknown; prediction?: unknown; true_false?: unknown };
const results = JSON.parse(readFileSync(outputPath, 'utf8')) as Record<string, Entry>;
const pids = Object.keys(results);
const items = new Map<string, MathVistaItem>();
for (const pid of pids) items.set(pid, itemFromRow(results[pid]!, 'testmini', `${outputPath} pid ${pid}`));

const pct = (a: number, b: number) => `${a}/${b} (${((100 * a) / b).toFixed(2)}%)`;
const clip = (s: unknown, n = 70) => JSON.stringify(typeof s === 'string' && s.length > n ? `${s.slice(0, n)}…` : s);

// 1. normalisation of their extraction
let tfAgree = 0;
let predAgree = 0;
const normDisagree: string[] = [];
for (const pid of pids) {
  const e = results[pid]!;
  const item = items.get(pid)!;
  const prediction = normalizeExtractedAnswer(e.extraction, item.choices, item.questionType, item.answerType, item.precision);
  const tf = safeEqual(prediction, item.answer);
  const theirPrediction = e.prediction ?? null;
  if (prediction === theirPrediction) predAgree++;
  if (tf === e.true_false) tfAgree++;
  else normDisagree.push(`  pid ${pid} [${item.answerType}] extraction=${clip(e.extraction)} theirs=${clip(theirPrediction)}/${e.true_false} ours=${clip(prediction)}/${tf} gold=${clip(item.answer)}`);
}
console.log(`file: ${outputPath}`);
console.log(`1. normalisation of their extraction: true_false agree ${pct(tfAgree, pids.length)}, prediction string agree ${pct(predAgree, pids.length)}`);
for (const line of normDisagree.slice(0, show)) console.log(line);

// 2. rule-based extraction from the raw response
const byRule = new Map<string, { n: number; agree: number; sameExtraction: number }>();
let ruleAgree = 0;
let ourCorrect = 0;
let theirCorrect = 0;
const records: ItemRecord[] = [];
const ruleDisagree: string[] = [];
for (const pid of pids) {
  const e = results[pid]!;
  const item = items.get(pid)!;
  const response = typeof e.response === 'string' ? e.response : '';
  const rec = scoreResponse(item, response);
  records.push({ ...rec, correct: e.true_false === true }); // their verdicts, for the aggregate check
  const stats = byRule.get(rec.extractor) ?? { n: 0, agree: 0, sameExtraction: 0 };
  stats.n++;
  if (rec.correct === e.true_false) {
    stats.agree++;
    ruleAgree++;
  } else if (rec.extractor !== 'passthrough') {
    ruleDisagree.push(`  pid ${pid} [${rec.extractor}] response=${clip(response)} ours=${clip(rec.prediction)}/${rec.correct} theirs=${clip(e.extraction)}/${e.true_false}`);
  }
  if (rec.extracted === e.extraction) stats.sameExtraction++;
  byRule.set(rec.extractor, stats);
  if (rec.correct) ourCorrect++;
  if (e.true_false === true) theirCorrect++;
}
console.log(`2. rule-based extraction (no LLM) vs their true_false: agree ${pct(ruleAgree, pids.length)}; accuracy ours ${pct(ourCorrect, pids.length)}, theirs ${pct(theirCorrect, pids.length)}`);
for (const [rule, s] of [...byRule.entries()].sort((a, b) => b[1].n - a[1].n)) {
  console.log(`   ${rule.padEnd(17)} n=${String(s.n).padStart(4)}  verdict agree ${pct(s.agree, s.n)}  same extraction ${pct(s.sameExtraction, s.n)}`);
}
if (ruleDisagree.length > 0) console.log('   disagreements where a rule fired (not passthrough):');
for (const line of ruleDisagree.slice(0, show)) console.log(line);

// 3. aggregate over their verdicts vs their scores file
if (scoresPath) {
  const theirs = JSON.parse(readFileSync(scoresPath, 'utf8')) as Record<string, Record<string, unknown>>;
  const ours = aggregate(records) as Metrics;
  let groups = 0;
  let same = 0;
  const diffs: string[] = [];
  const check = (label: string, a: { correct?: unknown; total?: unknown } | undefined, b: { correct?: unknown; total?: unknown } | undefined) => {
    groups++;
    if (a && b && a.correct === b.correct && a.total === b.total) same++;
    else diffs.push(`  ${label}: ours ${a?.correct}/${a?.total} theirs ${b?.correct}/${b?.total}`);
  };
  check('average', ours.average as never, theirs.average as never);
  for (const key of GROUP_KEYS) {
    const o = (ours[key] ?? {}) as Record<string, { correct: number; total: number }>;
    const t = (theirs[key] ?? {}) as Record<string, { correct: number; total: number }>;
    for (const value of new Set([...Object.keys(o), ...Object.keys(t)])) check(`${key}/${value}`, o[value], t[value]);
  }
  console.log(`3. aggregate (their verdicts, our grouping) vs ${scoresPath}: ${same}/${groups} groups identical (correct and total)`);
  for (const line of diffs.slice(0, show)) console.log(line);
}
