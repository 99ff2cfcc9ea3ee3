// Phase 6, evaluate: held-out greedy accuracy during training, on the steps of the evaluation schedule (always at
// step 0 and the last step). Evaluation draws nothing from the run's RNG, so its schedule leaves the trajectory as
// it is (a resume may change it). The records go to metrics.jsonl under veRL's validation names
// (`val-core/<benchmark>/acc/mean@1`: greedy, one sample), and summary.ts keeps the run's peak and last.
import type { Policy } from '../policy.ts';
import { pruneStepRecords, stepRecordsFile, writeStepRecords } from '../run-dir.ts';
import type { Task } from '../tasks.ts';
import { TrainingError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

/** When to evaluate: each segment evaluates every `every` steps up to step `until` (the last one to the end); none: never. */
export interface EvalSchedule {
  segments: { every: number; until?: number }[];
}

/**
 * The default: dense early, where OPSD peaks (the paper: steps 10–20) and RLSD's λ decays (to 0 at step 50), and
 * sparse late, where the curves hold — 33 evaluations over 600 steps instead of 13 every 50.
 */
export const DENSE_EVAL_SCHEDULE = '5@50,25';

export const EVAL_SCHEDULE_SYNTAX = "dense (= 5@50,25), every:N (N = 0: never), never, or EVERY@UNTIL,…,EVERY (e.g. 5@50,25: every 5 steps to step 50, then every 25)";

/** The schedule a `--eval-schedule` value names, or why it names none. */
export function parseEvalSchedule(text: string): EvalSchedule | string {
  const bad = `must be ${EVAL_SCHEDULE_SYNTAX} (got ${JSON.stringify(text)})`;
  const t = text.trim();
  if (t === 'never') return { segments: [] };
  if (t === 'dense') return parseEvalSchedule(DENSE_EVAL_SCHEDULE);
  const whole = (s: string | undefined, min: number): number | null => (s !== undefined && /^\d+$/.test(s) && Number(s) >= min && Number.isSafeInteger(Number(s)) ? Number(s) : null);
  const every = /^every:(.*)$/.exec(t);
  if (every) {
    const n = whole(every[1], 0);
    return n === null ? bad : { segments: n === 0 ? [] : [{ every: n }] };
  }
  const parts = t.split(',');
  const segments: EvalSchedule['segments'] = [];
  for (const [i, part] of parts.entries()) {
    const [e, u, ...rest] = part.split('@');
    const last = i === parts.length - 1;
    const n = whole(e, 1);
    if (n === null || rest.length > 0 || last !== (u === undefined)) return bad;
    if (last) {
      segments.push({ every: n });
      break;
    }
    const until = whole(u, 1);
    if (until === null) return bad;
    const prev = segments.at(-1)?.until;
    if (prev !== undefined && until <= prev) return `must list its UNTIL steps in increasing order (got ${JSON.stringify(text)})`;
    segments.push({ every: n, until });
  }
  return { segments };
}

/** Why a `--eval-schedule` value is not one, or null (the rule of the flag). */
export function evalScheduleProblem(text: string): string | null {
  const s = parseEvalSchedule(text);
  return typeof s === 'string' ? s : null;
}

/** A schedule in its canonical written form ('never', 'every:N' or 'E@U,…,E'). */
export function formatEvalSchedule(s: EvalSchedule): string {
  if (s.segments.length === 0) return 'never';
  if (s.segments.length === 1) return `every:${s.segments[0]!.every}`;
  return s.segments.map((g) => (g.until === undefined ? String(g.every) : `${g.every}@${g.until}`)).join(',');
}

function schedule(text: string): EvalSchedule {
  const s = parseEvalSchedule(text);
  if (typeof s === 'string') throw new TrainingError(`evalSchedule ${s}`);
  return s;
}

/** Whether step `done` (0: the starting point; else 1-based training steps) ends with an evaluation. */
export function evaluationDue(cfg: { evalSchedule: string; steps: number }, done: number): boolean {
  const { segments } = schedule(cfg.evalSchedule);
  if (segments.length === 0) return false;
  if (done === 0 || done === cfg.steps) return true;
  const seg = segments.find((g) => g.until === undefined || done <= g.until)!;
  return done % seg.every === 0;
}

/** The steps of a `steps`-step run the schedule evaluates, step 0 included. */
export function evaluationSteps(cfg: { evalSchedule: string; steps: number }): number[] {
  return Array.from({ length: cfg.steps + 1 }, (_, s) => s).filter((s) => evaluationDue(cfg, s));
}

/** Greedy accuracy over held-out items: pooled over items, per benchmark, and their unweighted mean. */
export interface HeldOutAccuracy {
  pooled: number;
  /** The paper's "Avg" column: every benchmark counts once, however many rows it expands to. */
  benchmarkMean: number;
  perBenchmark: Record<string, number>;
  n: number;
  /** Every evaluated row's verdict, in the held-out order (written to evals/step_N.jsonl for paired comparisons). */
  verdicts: ItemVerdict[];
}

/** One row of evals/step_N.jsonl: the item's id within its benchmark, and the greedy response's verdict. */
export interface ItemVerdict {
  uid: string;
  benchmark: string;
  correct: number;
  /** The problem group an official aggregate scores together (WeMath's `ID`): the report's bootstrap draws whole groups. */
  group?: string;
  /** The item's place in its group (WeMath's `key`, e.g. '2steps_multi'), which WeMath's score_strict needs. */
  key?: string;
}

/** An item's group fields, when its benchmark groups items (WeMath: `group` and `key`). */
export function groupFields(item: object): Pick<ItemVerdict, 'group' | 'key'> {
  const { group, key } = item as { group?: unknown; key?: unknown };
  return typeof group === 'string' && typeof key === 'string' ? { group, key } : {};
}

/** The folder of a run's per-item evaluation records. */
export const ITEM_VERDICTS_DIR = 'evals';

/** evals/step_000050.jsonl for step 50. */
export function itemVerdictsFile(out: string, step: number): string {
  return stepRecordsFile(out, ITEM_VERDICTS_DIR, step);
}

/**
 * Writes the per-item verdicts of the evaluation at `step`: the report's paired bootstrap pairs two methods' verdicts
 * item by item, which the aggregate accuracies of metrics.jsonl cannot give.
 */
export function writeItemVerdicts(out: string, step: number, acc: HeldOutAccuracy): void {
  writeStepRecords(out, ITEM_VERDICTS_DIR, step, acc.verdicts);
}

/** Removes the verdict files of evaluations after `step` (a resume goes on from a checkpoint before them). */
export function pruneItemVerdicts(out: string, step: number): void {
  pruneStepRecords(out, ITEM_VERDICTS_DIR, step);
}

/**
 * Held-out greedy accuracy by the reward verdict (official rules without MMMU's random credit, so curves carry
 * no lottery noise).
 */
export function evaluateTasks(policy: Policy, tasks: readonly Task[], maxNewTokens: number): HeldOutAccuracy {
  const texts = policy.generateText(
    tasks.map((t) => ({ patches: t.patches, context: t.student })),
    { maxNewTokens, greedy: true, temperature: 1, topP: 1, rng: new Rng(0) },
  );
  return heldOutAccuracy(tasks.map((t, i) => ({ uid: t.item.id, benchmark: t.benchmark, correct: t.reward(texts[i]!), ...groupFields(t.item) })));
}

/** The accuracies of a list of per-item verdicts: pooled over items, per benchmark (in order of appearance), their mean. */
export function heldOutAccuracy(verdicts: ItemVerdict[]): HeldOutAccuracy {
  const per = new Map<string, [number, number]>();
  let correct = 0;
  for (const v of verdicts) {
    correct += v.correct;
    const e = per.get(v.benchmark) ?? [0, 0];
    e[0] += v.correct;
    e[1]++;
    per.set(v.benchmark, e);
  }
  const perBenchmark = Object.fromEntries([...per].map(([b, [c, n]]) => [b, c / n]));
  // WeMath's problem groups give it ~3.5 rows per problem, so the item-pooled figure weighs it ~46 %.
  const means = Object.values(perBenchmark);
  return { pooled: correct / Math.max(1, verdicts.length), benchmarkMean: means.length ? means.reduce((a, b) => a + b, 0) / means.length : NaN, perBenchmark, n: verdicts.length, verdicts };
}

/** The validation record of metrics.jsonl: veRL's `val-core/<benchmark>/acc/mean@1`, with `all` (pooled) and `avg` (benchmark mean). */
export function valMetrics(a: HeldOutAccuracy): Record<string, number> {
  const out: Record<string, number> = { 'val-core/all/acc/mean@1': a.pooled, 'val-aux/n': a.n };
  for (const [b, acc] of Object.entries(a.perBenchmark)) out[`val-core/${b}/acc/mean@1`] = acc;
  if (Number.isFinite(a.benchmarkMean)) out['val-core/avg/acc/mean@1'] = a.benchmarkMean;
  return out;
}

/** The prefix of the final evaluation's figures over its larger set (`val-full/<benchmark>/acc/mean@1`, `val-full/n`). */
export const FULL_PREFIX = 'val-full';

/**
 * The last step's evaluation over the larger final set (`full`), whose first problems per benchmark are the curve's
 * (`curve`: the dense evaluation's tasks): the curve's figures come from the same responses restricted to those
 * problems, so the curve keeps one item set and the tables get the larger one. All of full's verdicts go to
 * evals/step_N.jsonl.
 */
export function finalValMetrics(full: HeldOutAccuracy, curve: readonly Task[]): { metrics: Record<string, number>; curve: HeldOutAccuracy } {
  const dense = new Set(curve.map((t) => `${t.benchmark}/${t.item.id}`));
  const onCurve = heldOutAccuracy(full.verdicts.filter((v) => dense.has(`${v.benchmark}/${v.uid}`)));
  const metrics = valMetrics(onCurve);
  metrics[`${FULL_PREFIX}/all/acc/mean@1`] = full.pooled;
  metrics[`${FULL_PREFIX}/n`] = full.n;
  for (const [b, acc] of Object.entries(full.perBenchmark)) metrics[`${FULL_PREFIX}/${b}/acc/mean@1`] = acc;
  if (Number.isFinite(full.benchmarkMean)) metrics[`${FULL_PREFIX}/avg/acc/mean@1`] = full.benchmarkMean;
  return { metrics, curve: onCurve };
}
