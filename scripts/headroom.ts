// Where post-training has room to move greedy accuracy, from two `rlsd-bench eval` outputs of one checkpoint on
// the same items: a greedy one and one with k samples at temperature T (`--samples 16 --temperature 1`).
// RL from verifiable rewards mostly sharpens the sampling distribution towards answers the policy already gives,
// so the greedy-wrong items it samples correctly often ("near misses") are the gain within reach; items whose
// sampled accuracy sits at the chance level of a lettered choice carry a verifier signal that is noise unless
// the policy can find the letter at all.
// Usage: npx tsx scripts/headroom.ts GREEDY_EVAL_DIR SAMPLED_EVAL_DIR
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pct } from '../src/progress.ts';
import { parseOrExit, reportError, scriptCli } from '../src/cli/script.ts';
import { DataError, UsageError } from '../src/util/errors.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { textTableLines } from '../src/util/text-table.ts';

interface SampleRecord {
  id: string;
  correct: boolean | number;
  sample?: number;
}

interface EvalConfig {
  samples: number;
  temperature: number;
  checkpoint?: string;
}

/** The evaluation's own config (results.json), which says how many samples per item it drew and at what temperature. */
function readConfig(dir: string): EvalConfig {
  const file = join(dir, 'results.json');
  if (!existsSync(file)) throw new Error(`${file}: missing (the evaluation did not finish)`);
  const cfg = (JSON.parse(readFileSync(file, 'utf8')) as { config?: Partial<EvalConfig> }).config;
  if (!cfg || typeof cfg.samples !== 'number' || typeof cfg.temperature !== 'number') throw new Error(`${file}: no config.samples / config.temperature`);
  return cfg as EvalConfig;
}

/** Verdicts per item id, of samples 0 … k−1 (a directory reused with a larger --samples may hold more). */
function readSamples(file: string, k: number): Map<string, number[]> {
  const byId = new Map<string, number[]>();
  for (const { line, value } of readJsonl(file)) {
    const r = value as Partial<SampleRecord>;
    if (typeof r.id !== 'string' || (typeof r.correct !== 'boolean' && typeof r.correct !== 'number'))
      throw new DataError(`${file} line ${line}: lacks 'id' or 'correct'`);
    if ((r.sample ?? 0) >= k) continue;
    const list = byId.get(r.id) ?? [];
    list.push(Number(r.correct));
    byId.set(r.id, list);
  }
  return byId;
}

function main([greedyDir, sampledDir]: [string, string]): number {
  for (const dir of [greedyDir, sampledDir]) if (!existsSync(dir)) throw new Error(`${dir}: no such evaluation directory`);
  const benchmarks = readdirSync(greedyDir).filter((b) => existsSync(join(greedyDir, b, 'samples.jsonl')));
  if (benchmarks.length === 0) throw new Error(`${greedyDir}: no <benchmark>/samples.jsonl (write one with rlsd-bench eval --out)`);
  const bins = [
    ['≥ 0.5', (p: number) => p >= 0.5],
    ['0.25–0.5', (p: number) => p >= 0.25 && p < 0.5],
    ['(0–0.25)', (p: number) => p > 0 && p < 0.25],
    ['0', (p: number) => p === 0],
  ] as const;
  const header = ['benchmark', 'items', 'greedy %', 'sampled %', 'greedy wrong', ...bins.map(([n]) => `p ${n}`)];
  const rows: string[][] = [];
  const total = { items: 0, greedyRight: 0, near: 0 };
  for (const b of benchmarks) {
    const sampledFile = join(sampledDir, b, 'samples.jsonl');
    if (!existsSync(sampledFile)) throw new Error(`${sampledFile}: missing (evaluate the same checkpoint and benchmarks with --samples k)`);
    const greedyCfg = readConfig(join(greedyDir, b));
    const sampledCfg = readConfig(join(sampledDir, b));
    if (greedyCfg.samples !== 1 || greedyCfg.temperature !== 0) throw new Error(`${join(greedyDir, b)}: not a greedy evaluation (samples ${greedyCfg.samples}, temperature ${greedyCfg.temperature})`);
    if (sampledCfg.samples < 2 || sampledCfg.temperature <= 0) throw new Error(`${join(sampledDir, b)}: not a sampled evaluation (samples ${sampledCfg.samples}, temperature ${sampledCfg.temperature}); use --samples k --temperature T`);
    if (greedyCfg.checkpoint !== sampledCfg.checkpoint) throw new Error(`${b}: the two evaluations are of different checkpoints (${greedyCfg.checkpoint} and ${sampledCfg.checkpoint})`);
    const greedy = readSamples(join(greedyDir, b, 'samples.jsonl'), 1);
    const sampled = readSamples(sampledFile, sampledCfg.samples);
    if (greedy.size === 0) throw new Error(`${join(greedyDir, b, 'samples.jsonl')}: no records`);
    let right = 0;
    let sampledSum = 0;
    const wrongP: number[] = [];
    for (const [id, verdicts] of greedy) {
      const s = sampled.get(id);
      if (!s) throw new Error(`${sampledFile}: no samples for item '${id}' of the greedy run (not the same items)`);
      const p = s.reduce((a, x) => a + x, 0) / s.length;
      sampledSum += p;
      if (verdicts[0]! >= 1) right++;
      else wrongP.push(p);
    }
    const n = greedy.size;
    rows.push([b, String(n), pct(right / n), pct(sampledSum / n), String(wrongP.length), ...bins.map(([, f]) => String(wrongP.filter(f).length))]);
    total.items += n;
    total.greedyRight += right;
    total.near += wrongP.filter((p) => p >= 0.5).length;
  }
  const table = textTableLines(header, rows, header.map((_, i) => (i === 0 ? 'l' : 'r')));
  process.stdout.write(`greedy-wrong items by the fraction p of samples that are right\n${table.join('\n')}\n`);
  process.stdout.write(
    `pooled: greedy ${pct(total.greedyRight / total.items)} % on ${total.items} items; ${total.near} greedy-wrong items ` +
      `are sampled right at least half the time — flipping all of them would add ${pct(total.near / total.items)} points\n`,
  );
  return 0;
}

const dirs = parseOrExit(
  scriptCli(
    'npx tsx scripts/headroom.ts GREEDY_EVAL_DIR SAMPLED_EVAL_DIR',
    'How much greedy accuracy post-training can reach from a checkpoint, from two `rlsd-bench eval` outputs of it on the same items: one greedy, one with --samples k --temperature T. Writes nothing.',
    { positionals: true },
  ),
  (argv) => {
    if (argv._.length !== 2) throw new UsageError(`give two evaluation folders, GREEDY_EVAL_DIR and SAMPLED_EVAL_DIR (got ${argv._.length}; see --help)`);
    return argv._.map(String) as [string, string];
  },
);
try {
  process.exitCode = main(dirs);
} catch (e) {
  process.exitCode = reportError(e);
}
