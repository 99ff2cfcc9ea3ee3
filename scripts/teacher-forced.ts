// Teacher-forced diagnosis of a checkpoint on the mini suite: feed each held-out item's gold response (its
// SFT target) and report, per benchmark, how often the arg-max next token is right at the option letter that
// follows the chosen value (`… 3 (C)`, the lookup step) and at digit tokens (readings and arithmetic), with
// the letter's chance level; then the same letter accuracy on 256 option-lookup drills of each form (benchmarks/mini/drill.ts).
// It isolates skills that greedy accuracy mixes: a letter at chance caps WeMath whatever the readings.
// Usage: npx tsx scripts/teacher-forced.ts CHECKPOINT_DIR [--eval-items 60] [--backend wasm]
import * as tf from '@tensorflow/tfjs';
import { setupBackend, tensorOptions, num } from '../src/cli/util.ts';
import { parseOrExit, reportError, scriptCli } from '../src/cli/script.ts';
import { Policy, type PolicyInput } from '../src/policy.ts';
import { loadMiniTasks } from '../src/tasks.ts';
import { DRILL_FORMS, lookupDrill, type DrillForm } from '../benchmarks/mini/drill.ts';
import { Rng } from '../src/util/rng.ts';
import { pct } from '../src/progress.ts';
import { UsageError } from '../src/util/errors.ts';

const opts = parseOrExit(
  tensorOptions(
    scriptCli(
      'npx tsx scripts/teacher-forced.ts CHECKPOINT_DIR [options]',
      "Feeds each held-out mini item its gold response and prints, per benchmark, the arg-max accuracy at the option letter (with its chance level) and at digit tokens, plus the letter on 256 lookup drills of each form. Writes nothing.",
      { positionals: true },
    ),
  )
    .option('backend', { default: 'wasm' })
    .option('eval-items', { type: 'number', default: 60, describe: 'held-out problems per mini benchmark' }),
  (argv) => {
    if (argv._.length !== 1) throw new UsageError(`give one CHECKPOINT_DIR (got ${argv._.length}; see --help)`);
    return { dir: String(argv._[0]), evalItems: num('eval-items', argv['eval-items'], { integer: true, min: 1, max: 100_000 }), argv };
  },
);
const { dir, evalItems } = opts;
let policy: Policy;
try {
  await setupBackend({ ...opts.argv, quiet: true });
  policy = Policy.load(dir).policy;
} catch (e) {
  process.exit(reportError(e));
}
const tok = policy.tokenizer;
const reserve = 32;
// An option letter is the token 'C' of ' (' 'C' ')' (a bare letter without the leading space), or the fused
// marker ' (C)' of a tokenizer made with --fused-option-markers.
const isLetter = (id: number): boolean => /^(?:[A-D]| \([A-D]\))$/.test(tok.vocab[id]!);
const isDigit = (id: number): boolean => /^ ?\d$/.test(tok.vocab[id]!);
/** Chance of guessing the letter: one over the options written in the prompt ('value (L)'). */
const chanceOf = (prompt: string): number => 1 / Math.max(1, (prompt.match(/ \([A-D]\)/g) ?? []).length);

/** Arg-max next-token predictions [n][len] for each sequence given its gold response. */
function argmaxes(seqs: { input: PolicyInput; response: number[] }[]): Int32Array[] {
  const out: Int32Array[] = [];
  for (let i = 0; i < seqs.length; i += 64) {
    const chunk = seqs.slice(i, i + 64);
    const gb = policy.groupedBatch(chunk.map((s) => s.input), 1, chunk.map((s) => s.response));
    const am = tf.tidy(() => policy.groupedLogits(gb).argMax(-1).dataSync() as Int32Array);
    chunk.forEach((s, k) => out.push(am.slice(k * gb.R, k * gb.R + s.response.length)));
  }
  return out;
}

const tasks = (await loadMiniTasks(policy, { split: 'test', perBenchmark: evalItems, seed: 1, reserve })).filter((t) => t.target);
const seqs = tasks.map((t) => ({ input: { patches: t.patches, context: t.student }, response: [...tok.encode(t.target!), tok.eos] }));
const preds = argmaxes(seqs);
const rows = new Map<string, { items: number; letter: [number, number]; chance: number; digits: [number, number] }>();
tasks.forEach((t, k) => {
  const r = rows.get(t.benchmark) ?? { items: 0, letter: [0, 0], chance: 0, digits: [0, 0] };
  rows.set(t.benchmark, r);
  r.items++;
  const resp = seqs[k]!.response;
  const letterAt = resp.findIndex(isLetter); // the first letter of a response is the lookup
  if (letterAt >= 0) {
    r.letter[0] += preds[k]![letterAt] === resp[letterAt] ? 1 : 0;
    r.letter[1]++;
    r.chance += chanceOf(t.prompt);
  }
  resp.forEach((id, j) => {
    if (!isDigit(id)) return;
    r.digits[0] += preds[k]![j] === id ? 1 : 0;
    r.digits[1]++;
  });
});

const blank = await policy.patches([]);
/** Letter accuracy (and chance) on 256 drills of one form. */
function drillLetters(form: DrillForm): { ok: number; chance: number; n: number } {
  const rng = new Rng(99);
  const drills = Array.from({ length: 256 }, () => lookupDrill(rng, form));
  const seqs = drills.map((d) => ({ input: { patches: blank, context: policy.encodeContext(d.prompt, { reserve }).ids }, response: [...tok.encode(d.target), tok.eos] }));
  const preds = argmaxes(seqs);
  let ok = 0;
  let chance = 0;
  seqs.forEach((s, k) => {
    const j = s.response.findIndex(isLetter);
    ok += preds[k]![j] === s.response[j] ? 1 : 0;
    chance += chanceOf(drills[k]!.prompt);
  });
  return { ok, chance, n: drills.length };
}
const drillRows = DRILL_FORMS.map((form) => [form, drillLetters(form)] as const);

// Percents with two decimals, as every human-facing line of the project.
const ratio = ([a, n]: [number, number]): string => (n ? pct(a / n) : '—').padStart(8);
process.stdout.write(`teacher-forced arg-max accuracy of ${dir}, %\n${'benchmark'.padEnd(16)}${'items'.padStart(6)}${'letter'.padStart(8)}${'chance'.padStart(8)}${'digits'.padStart(8)}\n`);
for (const [b, r] of rows)
  process.stdout.write(`${b.padEnd(16)}${String(r.items).padStart(6)}${ratio(r.letter)}${ratio([r.chance, r.letter[1]])}${ratio(r.digits)}\n`);
for (const [form, d] of drillRows)
  process.stdout.write(`${`drills/${form}`.padEnd(16)}${String(d.n).padStart(6)}${ratio([d.ok, d.n])}${ratio([d.chance, d.n])}${'—'.padStart(8)}\n`);
