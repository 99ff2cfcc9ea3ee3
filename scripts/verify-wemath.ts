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
import { parseArgs } from 'node:util';
import { itemFromRow, readJsonArray, readKnowledgeNodes } from '../benchmarks/wemath/index.ts';
import { aggregateRecords, scoreResponse, type WeMathRecord } from '../benchmarks/wemath/score.ts';
import { DataError } from '../benchmarks/common/types.ts';
import { accuracyCells, fourDimensionalCells } from '../benchmarks/wemath/report.ts';

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
  const { values } = parseArgs({
    options: {
      results: { type: 'string' },
      'four-dim': { type: 'string' },
      accuracy: { type: 'string' },
      nodes: { type: 'string' },
      'total-groups': { type: 'string', default: '525' },
      show: { type: 'string', default: '20' },
    },
  });
  if (!values.results) {
    console.error('usage: verify-wemath.ts --results <result.json> [--four-dim csv] [--accuracy csv] [--nodes json] [--total-groups 525] [--show 20]');
    return 2;
  }
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
    if (e instanceof DataError) {
      console.error(e.message);
      process.exitCode = 1;
    } else throw e;
  }
}
