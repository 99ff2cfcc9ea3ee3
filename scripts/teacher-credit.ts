// The self-teacher's competence on a deep-world checkpoint (suite mini-2), before any RL: sample G responses to each
// held-out problem, score every response token under the student's prompt and under each privileged context (the
// gold answer alone; the full reference solution), and hold Δ_t = log P_T − log P_S against the ground truth of each
// response's steps (benchmarks/mini/deep/truth.ts, methods/credit.ts), over the reasoning span only:
//   AUROC of the span's summed Δ, correct against incorrect (all responses, and the mean within groups of mixed
//   outcome, what a group-relative method sees); the share of the teacher's blame exp(−Δ) on an incorrect response's
//   first wrong step against that step's share of tokens (chance); how often its most-blamed token lies in that step;
//   the share of its credit exp(Δ) on a correct response's filler against filler's share of tokens.
// The first-wrong-step figures also by that step's kind (misreading, arithmetic slip, …) and by benchmark: which
// errors each context can place. Prints Markdown tables and, with --out FILE, writes the figures as JSON (written
// whole, by rename).
// Usage: npx tsx scripts/teacher-credit.ts CHECKPOINT_DIR [--items 60] [--samples 8] [--temperature 1] [--seed 1] [--out FILE]
import { checkpointSuite, checkCheckpoint } from '../src/checkpoint.ts';
import { num, setupBackend, tensorOptions } from '../src/cli/util.ts';
import { Policy } from '../src/policy.ts';
import { parseOrExit, runScript, scriptCli } from '../src/cli/script.ts';
import { loadMiniTasks } from '../src/tasks.ts';
import { responseWithTruth } from '../src/train/credit.ts';
import { UsageError } from '../src/util/errors.ts';
import { writeJsonAtomic } from '../src/util/fs.ts';
import { Rng } from '../src/util/rng.ts';
import { answerOnlyReference } from '../benchmarks/mini/language.ts';
import { SUITE_MAX_NEW_TOKENS } from '../benchmarks/mini/types.ts';
import { auroc, spanSum, summariseCredit, teacherCredit, type CreditResponse } from '../methods/credit.ts';

const opts = parseOrExit(
  tensorOptions(
    scriptCli(
      'npx tsx scripts/teacher-credit.ts CHECKPOINT_DIR [options]',
      "Measures the self-teacher's per-token signal on a deep-world checkpoint against each response's step-level truth, for both privileged contexts.",
      { positionals: true },
    ),
  )
    .option('items', { type: 'number', default: 60, describe: 'held-out problems per mini benchmark (test split, data seed 1)' })
    .option('samples', { type: 'number', default: 8, describe: 'responses sampled per problem (G)' })
    .option('temperature', { type: 'number', default: 1, describe: 'sampling temperature' })
    .option('seed', { type: 'number', default: 1, describe: 'sampling seed' })
    .option('out', { type: 'string', describe: 'write the figures as JSON to this file' }),
  (argv) => {
    if (argv._.length !== 1) throw new UsageError(`give one CHECKPOINT_DIR (got ${argv._.length}; see --help)`);
    return {
      dir: String(argv._[0]),
      items: num('items', argv['items'], { integer: true, min: 1, max: 100_000 }),
      samples: num('samples', argv['samples'], { integer: true, min: 2, max: 64 }),
      temperature: num('temperature', argv['temperature'], { min: 0, minExclusive: true }),
      seed: num('seed', argv['seed'], { integer: true, min: 0 }),
      out: argv['out'] === undefined ? undefined : String(argv['out']),
      argv,
    };
  },
);

interface ContextFigures {
  context: string;
  responses: number;
  auroc: number;
  aurocWithinGroup: number;
  groupsMixed: number;
  meanAbsDelta: number;
  firstWrongN: number;
  firstWrongShare: number;
  firstWrongChance: number;
  firstWrongTop: number;
  fillerN: number;
  fillerShare: number;
  fillerTokenShare: number;
}

async function main(): Promise<number> {
  const suite = checkpointSuite(checkCheckpoint(opts.dir).info);
  if (suite === 'mini-1') throw new UsageError(`${opts.dir} was trained on the first mini suite, which records no step-level truth: give a mini-2 checkpoint`);
  await setupBackend({ ...opts.argv, quiet: true });
  const policy = Policy.load(opts.dir).policy;
  const tok = policy.tokenizer;
  const reserve = SUITE_MAX_NEW_TOKENS[suite];
  const tasks = await loadMiniTasks(policy, { split: 'test', perBenchmark: opts.items, seed: 1, reserve, suite });
  const G = opts.samples;
  const rng = new Rng(opts.seed);
  const contexts = {
    answer: (t: (typeof tasks)[number]) => answerOnlyReference(t.item.answer),
    reference: (t: (typeof tasks)[number]) => t.reference ?? answerOnlyReference(t.item.answer),
  };
  const per: Record<keyof typeof contexts, { views: CreditResponse[]; scores: number[]; labels: boolean[]; groupAurocs: number[]; absDelta: number[] }> = {
    answer: { views: [], scores: [], labels: [], groupAurocs: [], absDelta: [] },
    reference: { views: [], scores: [], labels: [], groupAurocs: [], absDelta: [] },
  };
  // Per response, in the order of every context's views: its first wrong step's kind ('none' when that step is not in
  // the span, which has no first-wrong-step figures) and its benchmark.
  const groupsOf = { kinds: [] as string[], benchmarks: [] as string[] };
  let sampleCorrect = 0;
  let total = 0;
  const CHUNK = 16;
  for (let i = 0; i < tasks.length; i += CHUNK) {
    const chunk = tasks.slice(i, i + CHUNK);
    const inputs = chunk.map((t) => ({ patches: t.patches, context: t.student }));
    const gen = policy.sample(inputs, { maxNewTokens: reserve, temperature: opts.temperature, topP: 1, greedy: false, rng }, G);
    const truths = gen.responses.map((ids, b) => {
      const task = chunk[Math.floor(b / G)]!;
      const text = tok.decode(ids);
      const { tokens, truth } = responseWithTruth(task, ids, text, tok);
      return { truth, correct: task.reward(text) >= 1, len: tokens.length, benchmark: task.benchmark };
    });
    for (const { truth, benchmark } of truths) {
      groupsOf.kinds.push(truth.firstWrong !== null ? truth.errorKind! : 'none');
      groupsOf.benchmarks.push(benchmark);
    }
    sampleCorrect += truths.filter((t) => t.correct).length;
    total += truths.length;
    for (const [name, contextOf] of Object.entries(contexts) as [keyof typeof contexts, (t: (typeof tasks)[number]) => string][]) {
      const teacherInputs = chunk.map((t) => ({ patches: t.patches, context: policy.encodeContext(`${contextOf(t)} ${t.prompt}`, { reserve }).ids }));
      const scored = policy.scoreGrouped(teacherInputs, G, gen.responses, { temperature: opts.temperature, full: false });
      const acc = per[name];
      truths.forEach(({ truth, correct, len }, b) => {
        const delta = Float64Array.from({ length: len }, (_, t) => scored.logProbs[b]![t]! - gen.logProbs[b]![t]!);
        const span = truth.reasoning;
        for (let t = 0; t < len; t++) if (span[t] === 1) acc.absDelta.push(Math.abs(delta[t]!));
        acc.views.push({ correct, reasoning: span, firstWrong: truth.firstWrong, filler: truth.filler, credit: teacherCredit(delta, correct) });
        acc.scores.push(spanSum(delta, span));
        acc.labels.push(correct);
      });
      // Within each group of G: AUROC where the group has both outcomes.
      for (let g = 0; g < chunk.length; g++) {
        const s = acc.scores.slice(-truths.length).slice(g * G, (g + 1) * G);
        const l = acc.labels.slice(-truths.length).slice(g * G, (g + 1) * G);
        const a = auroc(s, l);
        if (Number.isFinite(a)) acc.groupAurocs.push(a);
      }
    }
  }
  const figures: ContextFigures[] = (Object.keys(per) as (keyof typeof per)[]).map((name) => {
    const acc = per[name];
    const s = summariseCredit(acc.views);
    return {
      context: name,
      responses: acc.views.length,
      auroc: auroc(acc.scores, acc.labels),
      aurocWithinGroup: acc.groupAurocs.reduce((a, b) => a + b, 0) / acc.groupAurocs.length,
      groupsMixed: acc.groupAurocs.length,
      meanAbsDelta: acc.absDelta.reduce((a, b) => a + b, 0) / acc.absDelta.length,
      firstWrongN: s.firstWrongN,
      firstWrongShare: s.firstWrongShare,
      firstWrongChance: s.firstWrongChance,
      firstWrongTop: s.firstWrongTopRate,
      fillerN: s.fillerN,
      fillerShare: s.fillerShare,
      fillerTokenShare: s.fillerTokenShare,
    };
  });
  const f = (x: number, d = 3): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const lines = [
    `Self-teacher's signal on ${opts.dir} (suite ${suite}; ${tasks.length} held-out rows × ${G} samples at temperature ${opts.temperature}; sample accuracy ${f((100 * sampleCorrect) / total, 1)} %; reasoning span only)`,
    '',
    '| privileged context | mean abs Δ | AUROC, span sum of Δ | within group (mixed groups) | first-wrong-step blame share | chance | ratio | most-blamed token in it | filler credit share | filler token share |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...figures.map(
      (x) =>
        `| ${x.context === 'answer' ? 'gold answer only' : 'full reference solution'} | ${f(x.meanAbsDelta)} | ${f(x.auroc)} | ${f(x.aurocWithinGroup)} (${x.groupsMixed}) | ${f(x.firstWrongShare)} (n=${x.firstWrongN}) | ${f(x.firstWrongChance)} | ${f(x.firstWrongShare / x.firstWrongChance, 2)}× | ${f(x.firstWrongTop)} | ${f(x.fillerShare)} (n=${x.fillerN}) | ${f(x.fillerTokenShare)} |`,
    ),
  ];
  // Where the first wrong step's blame lands, by the step's kind and by benchmark: which errors each context places.
  const breakdown = (key: 'kinds' | 'benchmarks') =>
    (Object.keys(per) as (keyof typeof per)[]).flatMap((name) => {
      const of = groupsOf[key];
      const groups = [...new Set(of)].filter((g) => g !== 'none').sort();
      return groups.map((group) => {
        const s = summariseCredit(per[name].views.filter((_, i) => of[i] === group));
        return { context: name, group, firstWrongN: s.firstWrongN, firstWrongShare: s.firstWrongShare, firstWrongChance: s.firstWrongChance, firstWrongTop: s.firstWrongTopRate };
      });
    });
  const byKind = breakdown('kinds');
  const byBenchmark = breakdown('benchmarks');
  const breakdownLines = (title: string, rows: typeof byKind) => [
    '',
    `| ${title} | context | incorrect with the step in the span | blame share | chance | ratio | most-blamed token in it |`,
    '|---|---|--:|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r.group} | ${r.context === 'answer' ? 'gold answer only' : 'full reference'} | ${r.firstWrongN} | ${f(r.firstWrongShare)} | ${f(r.firstWrongChance)} | ${f(r.firstWrongShare / r.firstWrongChance, 2)}× | ${f(r.firstWrongTop)} |`),
  ];
  lines.push(...breakdownLines('first wrong step', byKind), ...breakdownLines('benchmark', byBenchmark));
  process.stdout.write(`${lines.join('\n')}\n`);
  if (opts.out) writeJsonAtomic(opts.out, { checkpoint: opts.dir, suite, rows: tasks.length, samples: G, temperature: opts.temperature, seed: opts.seed, sampleAccuracy: sampleCorrect / total, figures, byKind, byBenchmark });
  return 0;
}

await runScript(main);
