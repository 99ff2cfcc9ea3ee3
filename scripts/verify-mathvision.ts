// Re-scores the MATH-V authors' published model outputs with benchmarks/mathvision and prints how often
// our verdicts agree with theirs. Nothing is downloaded: give local copies of the authors' files
// (mathllm/MATH-V: `data/test.jsonl` for the gold answers, `outputs/**/<model>.jsonl` with `response`,
// `model_answer`, `correct`, and optionally the `<model>_result.json` beside each).
//
//   npx tsx scripts/verify-mathvision.ts --gold /path/to/test.jsonl /path/to/outputs/Gemini-Pro.jsonl [...]
//   options: --show N (disagreements to list per file, default 20)
//
// For each file: verdict agreement (our `correct` vs theirs), extraction agreement (our extracted answer
// vs their `model_answer`), the disagreements with the rule that decided ours, and — when the
// `_result.json` is there — how many of its per-level/subject entries our aggregate reproduces.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { resultTable, scoreResponse, type ScorableItem } from '../benchmarks/mathvision/index.ts';
import { num } from '../src/cli/util.ts';
import { parseOrExit, runScript, scriptCli } from '../src/cli/script.ts';
import { UsageError } from '../src/util/errors.ts';
import { readJsonl } from '../src/util/jsonl.ts';

interface Args {
  gold: string;
  files: string[];
  show: number;
}

function parseArgs(): Args {
  return parseOrExit(
    scriptCli(
      'npx tsx scripts/verify-mathvision.ts --gold test.jsonl OUTPUTS.jsonl [OUTPUTS.jsonl …] [--show N]',
      "Re-scores the MATH-V authors' published outputs with benchmarks/mathvision and prints how often our verdicts agree with theirs. Fetches nothing.",
      { positionals: true },
    )
      .option('gold', { type: 'string', demandOption: true, describe: "the authors' data/test.jsonl (gold answers)" })
      .option('show', { type: 'number', default: 20, describe: 'disagreements to list per file' }),
    (argv) => {
      if (argv._.length === 0) throw new UsageError('give at least one outputs .jsonl file (see --help)');
      return { gold: String(argv['gold']), files: argv._.map(String), show: num('show', argv['show'], { integer: true, min: 0 }) };
    },
  );
}

function main(): void {
  const args = parseArgs();
  const gold = new Map<string, ScorableItem>();
  for (const r of readJsonl(args.gold).map((l) => l.value)) {
    const id = String(r.id);
    gold.set(id, { id, answer: String(r.answer), options: (r.options as string[]) ?? [], level: Number(r.level), subject: String(r.subject) });
  }
  let allAgree = 0;
  let allTotal = 0;
  for (const file of args.files) {
    const lines = readJsonl(file).map((l) => l.value);
    const t0 = performance.now();
    const records = [];
    let agree = 0;
    let extractionAgree = 0;
    let theirCorrect = 0;
    const disagreements: string[] = [];
    for (const line of lines) {
      const item = gold.get(String(line.id));
      if (!item) throw new Error(`${file}: id ${String(line.id)} is not in ${args.gold}`);
      const response = typeof line.response === 'string' ? line.response : String(line.response ?? '');
      const rec = scoreResponse(item, response);
      records.push(rec);
      const theirs = line.correct === true;
      if (theirs) theirCorrect++;
      if (rec.extracted === line.model_answer) extractionAgree++;
      if (rec.correct === theirs) agree++;
      else {
        disagreements.push(
          `  id ${rec.id}: ours ${rec.correct} (${rec.rule}, ${rec.extractor}) theirs ${theirs}; gold ${JSON.stringify(item.answer)}` +
            `${item.options.length ? ` option ${JSON.stringify(item.options[item.answer.charCodeAt(0) - 65])}` : ''}; ` +
            `extracted ${JSON.stringify(rec.extracted)} theirs ${JSON.stringify(line.model_answer)}`,
        );
      }
    }
    const ms = performance.now() - t0;
    allAgree += agree;
    allTotal += lines.length;
    const ours = records.filter((r) => r.correct).length;
    console.log(
      `${basename(file)}: verdicts agree ${agree}/${lines.length} (${((100 * agree) / lines.length).toFixed(2)}%), ` +
        `extraction agrees ${extractionAgree}/${lines.length}; correct ours ${ours} theirs ${theirCorrect}; ${ms.toFixed(0)} ms`,
    );
    const resultFile = file.replace(/\.jsonl$/, '_result.json');
    if (existsSync(resultFile)) {
      const published = JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, string>;
      const mine = resultTable(records);
      const keys = Object.keys(published);
      const same = keys.filter((k) => mine[k] === published[k]).length;
      console.log(`  ${basename(resultFile)}: ${same}/${keys.length} entries identical; -all ours ${mine['-all']} theirs ${published['-all']}`);
    }
    for (const d of disagreements.slice(0, args.show)) console.log(d);
    if (disagreements.length > args.show) console.log(`  … ${disagreements.length - args.show} more`);
  }
  if (args.files.length > 1) {
    console.log(`ALL: verdicts agree ${allAgree}/${allTotal} (${((100 * allAgree) / allTotal).toFixed(3)}%)`);
  }
}

await runScript(main);
