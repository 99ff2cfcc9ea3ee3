// Checks benchmarks/mmmu against the MMMU authors' own published outputs. Fetches nothing: give it a
// local copy of the `mmmu/` folder of github.com/MMMU-Benchmark/MMMU (it holds
// `example_outputs/<model>/<Subject>/output.json` with raw responses, `example_outputs/<model>/
// total_val_output.json` with the authors' parsed predictions, and `answer_dict_val.json`).
//
// For each model it re-parses every response with our port, in the authors' order (subjects as in
// CAT_SHORT2LONG, items in file order, one Python-identical random stream seeded with 42 — what
// `main_parse_and_eval.py --subject ALL` does), then reports:
//   1. multiple-choice letters vs the authors' total_val_output.json (random fallbacks included);
//   2. verdicts vs the authors' evaluation-only pipeline (main_eval_only.py rules) on their
//      total_val_output.json with answer_dict_val.json;
//   3. accuracy overall / per domain vs the published validation accuracy (MMMU paper, Table 2);
//   4. optionally (--official FILE) per-item parsed predictions and verdicts vs a JSON dump made by
//      running the authors' eval_utils.py itself: {"items": [{"id", "parsed_pred", "judge"}], "table": …}
//      where parsed_pred is the letter or the open prediction list (NaN written as "NaN").
//
// Usage: npx tsx scripts/verify-mmmu.ts <path/to/MMMU/mmmu> [--model qwen_vl] [--official dump.json]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  aggregateMmmu,
  domainOf,
  evalMultiChoice,
  evalOpen,
  MMMU_SUBJECTS,
  parseMultiChoiceResponse,
  parseOpenResponse,
  PyRandom,
  type OpenPred,
} from '../benchmarks/mmmu/index.ts';
import type { ItemRecord } from '../benchmarks/common/types.ts';
import { parseOrExit, scriptCli } from '../src/cli/script.ts';
import { UsageError } from '../src/util/errors.ts';

/** Published validation accuracy (%) of the two example models, MMMU paper (CVPR 2024) Table 2. */
const PUBLISHED_VAL_ACCURACY: Record<string, { label: string; accuracy: number }> = {
  'llava1.5_13b': { label: 'LLaVA-1.5-13B', accuracy: 36.4 },
  qwen_vl: { label: 'Qwen-VL-7B-Chat', accuracy: 35.9 },
};

interface OutputEntry {
  id: string;
  question_type: string;
  answer: string | string[];
  all_choices?: string[];
  index2ans?: Record<string, string>;
  response: string;
}

interface OfficialDump {
  items: { id: string; parsed_pred: string | (string | number)[]; judge: string }[];
  table: Record<string, { num: number; acc: number }>;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    console.error(`cannot read ${file}: ${(e as Error).message}`);
    process.exit(2);
  }
}

function sameOpenSet(ours: readonly OpenPred[], theirs: readonly (string | number)[]): boolean {
  const key = (v: OpenPred | string): string => (typeof v === 'number' ? `n:${Number.isNaN(v) ? 'NaN' : v}` : v === 'NaN' ? 'n:NaN' : `s:${v}`);
  const a = new Set(ours.map(key));
  const b = new Set(theirs.map((v) => key(v as OpenPred)));
  return a.size === b.size && [...a].every((k) => b.has(k));
}

function pct(x: number): string {
  return (100 * x).toFixed(2);
}

function main(): void {
  const { dir, modelArg, officialArg } = parseOrExit(
    scriptCli(
      'npx tsx scripts/verify-mmmu.ts path/to/MMMU/mmmu [--model NAME] [--official dump.json]',
      "Re-parses the MMMU authors' example outputs with benchmarks/mmmu and compares letters, verdicts and accuracy with theirs (a local copy of the repository's mmmu/ folder). Fetches nothing.",
      { positionals: true },
    )
      .option('model', { type: 'string', describe: 'one model folder of example_outputs/ (default: every model)' })
      .option('official', { type: 'string', describe: "JSON dump of the authors' eval_utils.py run on the same responses ({model} is replaced)" }),
    (argv) => {
      if (argv._.length !== 1) throw new UsageError(`give the path of MMMU's mmmu/ folder (got ${argv._.length} paths; see --help)`);
      return {
        dir: String(argv._[0]),
        modelArg: argv['model'] === undefined ? undefined : String(argv['model']),
        officialArg: argv['official'] === undefined ? undefined : String(argv['official']),
      };
    },
  );
  const outputsDir = join(dir, 'example_outputs');
  const answerDict = readJson<Record<string, { question_type: string; ground_truth: string | string[] }>>(join(dir, 'answer_dict_val.json'));
  const models = modelArg ? [modelArg] : readdirSync(outputsDir).filter((m) => existsSync(join(outputsDir, m, 'total_val_output.json')) && existsSync(join(outputsDir, m, 'Accounting')));
  let failures = 0;

  for (const model of models) {
    console.log(`\n=== ${model}`);
    const started = performance.now();
    const rng = new PyRandom(42); // eval_utils.py: random.seed(42) at import, one stream per run
    const records: ItemRecord[] = [];
    const ourLetters = new Map<string, string | null>();
    const ourOpen = new Map<string, OpenPred[]>();
    let fallbacks = 0;
    for (const subject of MMMU_SUBJECTS) {
      const file = join(outputsDir, model, subject, 'output.json');
      if (!existsSync(file)) continue;
      for (const o of readJson<OutputEntry[]>(file)) {
        let correct: boolean;
        let extracted: string | null;
        let extractor: string;
        if (o.question_type === 'multiple-choice') {
          const p = parseMultiChoiceResponse(o.response, o.all_choices ?? [], o.index2ans ?? {}, rng);
          if (p.rule === 'random_fallback') fallbacks++;
          ourLetters.set(o.id, p.pred);
          correct = evalMultiChoice(o.answer, p.pred);
          extracted = p.pred;
          extractor = p.rule;
        } else {
          const p = parseOpenResponse(o.response);
          ourOpen.set(o.id, p.preds);
          correct = evalOpen(o.answer, p.preds);
          extracted = JSON.stringify(p.preds);
          extractor = p.rule;
        }
        records.push({ id: o.id, response: o.response, extracted, gold: JSON.stringify(o.answer), correct, extractor, subject, domain: domainOf(subject), question_type: o.question_type });
      }
    }
    const elapsed = performance.now() - started;

    // 1. Letters vs the authors' parsed predictions.
    const theirs = readJson<Record<string, string>>(join(outputsDir, model, 'total_val_output.json'));
    let agree = 0;
    const letterDiffs: string[] = [];
    for (const [id, letter] of ourLetters) {
      if (theirs[id] === letter) agree++;
      else letterDiffs.push(`${id}: ours ${letter} theirs ${theirs[id]}`);
    }
    console.log(`multiple-choice letters vs total_val_output.json: ${agree} / ${ourLetters.size} agree (${fallbacks} random fallbacks)`);
    for (const d of letterDiffs.slice(0, 20)) console.log(`  ${d}`);
    if (letterDiffs.length > 0) failures++;

    // 2. Verdicts vs the evaluation-only pipeline on the authors' parsed predictions.
    let vAgree = 0;
    let evalOnlyCorrect = 0;
    const verdictDiffs: string[] = [];
    for (const r of records) {
      const truth = answerDict[r.id];
      const pred = theirs[r.id];
      if (!truth || pred === undefined) {
        verdictDiffs.push(`${r.id}: missing from answer_dict_val.json or total_val_output.json`);
        continue;
      }
      const theirVerdict = truth.question_type === 'multiple-choice' ? evalMultiChoice(truth.ground_truth, pred) : evalOpen(truth.ground_truth, parseOpenResponse(pred).preds);
      if (theirVerdict) evalOnlyCorrect++;
      if (theirVerdict === r.correct) vAgree++;
      else verdictDiffs.push(`${r.id} [${r.question_type}]: ours ${r.correct ? 'Correct' : 'Wrong'}, eval-only ${theirVerdict ? 'Correct' : 'Wrong'} (gold ${JSON.stringify(truth.ground_truth)}; their pred ${JSON.stringify(pred)}; our parse ${r.extracted})`);
    }
    console.log(`verdicts vs main_eval_only on total_val_output.json: ${vAgree} / ${records.length} agree; eval-only accuracy ${pct(evalOnlyCorrect / records.length)}%`);
    for (const d of verdictDiffs.slice(0, 20)) console.log(`  ${d}`);

    // 3. Accuracy vs the published number.
    const m = aggregateMmmu(records);
    const published = PUBLISHED_VAL_ACCURACY[model];
    const ours = m.accuracy as number;
    console.log(`our accuracy: ${pct(ours)}% over ${records.length} items${published ? `; published (${published.label}, val): ${published.accuracy.toFixed(1)}%` : ''}`);
    for (const [domain, v] of Object.entries(m.domains as Record<string, { accuracy: number; num: number }>)) console.log(`  ${domain.padEnd(30)} ${String(v.num).padStart(4)}  ${pct(v.accuracy)}%`);
    console.log(`parse + judge time: ${elapsed.toFixed(0)} ms for ${records.length} responses`);

    // 4. Per-item comparison with a dump of the authors' code run on the same responses.
    if (officialArg) {
      const official = readJson<OfficialDump>(officialArg.replace('{model}', model));
      const byId = new Map(records.map((r) => [r.id, r]));
      let predAgree = 0;
      let judgeAgree = 0;
      const diffs: string[] = [];
      for (const it of official.items) {
        const r = byId.get(it.id);
        if (!r) {
          diffs.push(`${it.id}: not scored by us`);
          continue;
        }
        const samePred = typeof it.parsed_pred === 'string' ? ourLetters.get(it.id) === it.parsed_pred : sameOpenSet(ourOpen.get(it.id) ?? [], it.parsed_pred);
        if (samePred) predAgree++;
        else diffs.push(`${it.id}: parsed ours ${r.extracted} theirs ${JSON.stringify(it.parsed_pred)}`);
        if ((it.judge === 'Correct') === r.correct) judgeAgree++;
        else diffs.push(`${it.id}: verdict ours ${r.correct} theirs ${it.judge}`);
      }
      console.log(`vs the authors' eval_utils run (${officialArg.replace('{model}', model)}): parsed predictions ${predAgree} / ${official.items.length}, verdicts ${judgeAgree} / ${official.items.length}`);
      const offOverall = official.table.Overall;
      if (offOverall) console.log(`  their overall accuracy ${pct(offOverall.acc)}% vs ours ${pct(ours)}%`);
      for (const d of diffs.slice(0, 20)) console.log(`  ${d}`);
      if (diffs.length > 0) failures++;
    }
  }
  process.exit(failures > 0 ? 1 : 0);
}

main();
