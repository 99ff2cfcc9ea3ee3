// Re-scores a WeMath result file with this project's scorer and compares with the official verdicts.
//
//   node --import tsx scripts/verify-wemath.ts --results <result.json> \
//     [--four-dim <four_dimensional_metrics.csv>] [--accuracy <accuracy.csv>] \
//     [--nodes <knowledge_structure_nodes.json>] [--total-groups 525] [--show 20]
//
// --results     a JSON array in the authors' result format (the testmini fields plus `response`, see the
//               We-Math README). When entries also carry the official per-item verdict (`processed_answer`
//               and/or `joker`, the columns `load_and_process_data` adds), every item is compared.
// --four-dim    the CSV written by evaluation/four_dimensional_metrics.py (`main_results_csv_path`).
// --accuracy    the CSV written by evaluation/accuracy.py (S1/S2/S3 and the per-domain columns);
//               the per-domain columns need --nodes.
// --total-groups the rate denominator; 525 is the original's constant (our default elsewhere is the
//               number of groups found, identical on the full testmini).
// Nothing is fetched: the files are local copies obtained beforehand. Exit code 1 on any disagreement.
//
// The We-Math repository publishes no model outputs (its README points to ../output/GPT-4o.json, which is
// not in the repository or its history). To check the port, run the official scripts themselves (pandas)
// on a result file and hand their CSVs to this script; to get per-item verdicts, dump the DataFrame of
// `load_and_process_data(result.json)` (columns `processed_answer`, `joker`) back into the result entries.
import { readFileSync } from 'node:fs';
import { itemFromRow, readJsonArray, readKnowledgeNodes } from '../benchmarks/wemath/index.ts';
import { aggregateRecords, scoreResponse, type WeMathRecord } from '../benchmarks/wemath/score.ts';
import { accuracyCells, fourDimensionalCells } from '../benchmarks/wemath/report.ts';
import { num } from '../src/cli/util.ts';
import { parseOrExit, reportError, scriptCli } from '../src/cli/script.ts';
import { DataError } from '../src/util/errors.ts';

/** Minimal CSV reader (RFC 4180 quoting) → header + rows. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f !== ''));
}

function readCsvRow(file: string): Map<string, string> {
  const rows = parseCsv(readFileSync(file, 'utf8'));
  if (rows.length < 2) throw new DataError(`${file}: expected a header and one result row`);
  const [header, values] = rows as [string[], string[]];
  return new Map(header.map((h, i) => [h, values[i] ?? '']));
}

function compareTable(label: string, file: string, ours: Record<string, string>): number {
  const theirs = readCsvRow(file);
  let bad = 0;
  let n = 0;
  console.log(`\n${label} (${file})`);
  for (const [column, official] of theirs) {
    if (column === 'Model') continue;
    n++;
    const mine = ours[column] ?? 'nan%';
    const same = mine === official;
    if (!same) bad++;
    console.log(`  ${same ? 'ok  ' : 'DIFF'} ${column}: official ${official} | ours ${mine}`);
  }
  console.log(`  ${n - bad}/${n} cells agree`);
  return bad;
}

function main(): number {
  const values = parseOrExit(
    scriptCli(
      'npx tsx scripts/verify-wemath.ts --results RESULT.json [--four-dim CSV] [--accuracy CSV] [--nodes JSON] [--total-groups 525] [--show 20]',
      "Re-scores a WeMath result file with this project's scorer and compares with the official verdicts and tables. Exit code 1 on any disagreement.",
    )
      .option('results', { type: 'string', demandOption: true, describe: "a JSON array in the authors' result format (testmini fields plus `response`)" })
      .option('four-dim', { type: 'string', describe: 'the CSV of evaluation/four_dimensional_metrics.py' })
      .option('accuracy', { type: 'string', describe: 'the CSV of evaluation/accuracy.py (per-domain columns need --nodes)' })
      .option('nodes', { type: 'string', describe: 'knowledge_structure_nodes.json' })
      .option('total-groups', { type: 'number', default: 525, describe: "the rates' denominator (the original's constant)" })
      .option('show', { type: 'number', default: 20, describe: 'disagreements to list' }),
    (argv) => ({
      results: String(argv['results']),
      'four-dim': argv['four-dim'] === undefined ? undefined : String(argv['four-dim']),
      accuracy: argv['accuracy'] === undefined ? undefined : String(argv['accuracy']),
      nodes: argv['nodes'] === undefined ? undefined : String(argv['nodes']),
      'total-groups': num('total-groups', argv['total-groups'], { integer: true, min: 1 }),
      show: num('show', argv['show'], { integer: true, min: 0 }),
    }),
  );
  const nodes = values.nodes ? readKnowledgeNodes(values.nodes) : null;
  const { rows, where } = readJsonArray(values.results);
  const records: WeMathRecord[] = [];
  let compared = 0;
  const disagreements: string[] = [];
  rows.forEach((row, i) => {
    const item = itemFromRow(row, 'testmini', where(i));
    const domain = nodes?.get(item.concept);
    if (domain !== undefined) item.domain = domain;
    const response = row['response'];
    // The original crashes on a non-string response; it scores as no answer here.
    const record = scoreResponse(item, typeof response === 'string' ? response : '');
    records.push(record);
    const hasExtracted = 'processed_answer' in row;
    const hasJoker = 'joker' in row;
    if (!hasExtracted && !hasJoker) return;
    compared++;
    const official = row['processed_answer'] ?? null;
    const extractedAgrees = !hasExtracted || official === record.extracted;
    const jokerAgrees = !hasJoker || row['joker'] === record.correct;
    if (!extractedAgrees || !jokerAgrees) {
      disagreements.push(
        `  question number ${item.id} (${item.group} ${item.key}) gold ${item.answer}: official ${JSON.stringify(official)}/${String(row['joker'])}, ours ${JSON.stringify(record.extracted)}/${record.correct} [${record.extractor}] response ${JSON.stringify(String(response).slice(-80))}`,
      );
    }
  });
  let bad = disagreements.length;
  if (compared > 0) {
    console.log(`per-item verdicts: ${compared - disagreements.length}/${compared} agree`);
    for (const d of disagreements.slice(0, Number(values.show))) console.log(d);
  } else {
    console.log(`per-item verdicts: none in ${values.results} (no 'processed_answer' / 'joker' fields); aggregates only`);
  }
  const metrics = aggregateRecords(records, { totalGroups: Number(values['total-groups']) });
  if (values['four-dim']) bad += compareTable('four_dimensional_metrics.py', values['four-dim'], fourDimensionalCells(metrics));
  if (values.accuracy) bad += compareTable('accuracy.py', values.accuracy, accuracyCells(metrics));
  if (!values['four-dim'] && !values.accuracy) console.log(JSON.stringify(metrics, null, 2));
  console.log(bad === 0 ? '\nAGREE' : `\n${bad} disagreement(s)`);
  return bad === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.exitCode = main();
  } catch (e) {
    process.exitCode = reportError(e);
  }
}
