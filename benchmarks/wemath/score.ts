// WeMath scoring: answer extraction, per-item verdicts and the official aggregates.
//
// Ported from We-Math/We-Math `evaluation/four_dimensional_metrics.py` and `evaluation/accuracy.py`
// (identical `load_and_process_data`, `process_steps_data`, `calculate_metrics`, `compute_final_scores`,
// `update_main_results_df`, `evaluate_steps`); lmms-eval `tasks/wemath/wemath_utils.py` copies the same code.
//
// Extraction (`load_and_process_data`): take the text after the LAST case-sensitive `Answer`
// (the whole response when there is none), Python-`strip()` it, delete every `<`, `>`, `:` and `.`,
// strip again, and keep the first character when it is one of A–H; otherwise no answer. A verdict is
// plain string equality with the stored `answer`.
//
// Aggregation (`process_steps_data` + `calculate_metrics`): per family (key contains `2steps` / `3steps`)
// the `<n>steps_1` items are LEFT-merged on `ID` with `<n>steps_2..n` and `<n>steps_multi`, exactly as
// pandas does (a missing partner gives NaN, which is neither True nor False; duplicated partners
// multiply rows). Each merged row (one problem group) is classified:
//   IK  = some one-step wrong  & multi wrong          IG = all one-step right & multi wrong
//   CM_strict = all right & multi right               CM_loose = some one-step right & multi right
//   RM_strict = some wrong & multi right              RM_loose = all one-step wrong & multi right
// rates: IK, IG, CM_* over the number of groups; RM_* over (CM_* + RM_*);
// score_* = (groups − 0.5·IG − RM_* − IK) / groups. S1 = mean verdict of the one-step items of the merged
// rows, S2 / S3 = mean verdict of the 2-step / 3-step composite items; per-domain accuracy as in
// accuracy.py (mean over a domain's knowledge concepts of each concept's one-step accuracy).
//
// Departures from the original, all inert on the full testmini (525 groups, one sample):
// - The original hard-codes 525 as the number of groups; here it is the number of merged rows found
//   (525 on the full testmini), so subsets and mini suites get meaningful rates. `totalGroups` forces it.
// - Where Python prints `nan%` or raises ZeroDivisionError (no rows, CM + RM = 0) the value is NaN.
// - A group whose members are not all present (a subset such as --limit, or a file missing rows) is left out
//   of every group metric: the original's left merge counts it as a group with NaN verdicts, which falls in
//   no category and so scores as perfect (score_strict 1.000 at 14 % accuracy on `--limit 50`). `groups`
//   is then the number of complete groups used, `groups_incomplete` the partial ones left out, and
//   `items_dropped` the records outside complete groups (`accuracy` and `n` still cover every record).
// - Records with several samples (`sample` field) are aggregated per sample and the metrics averaged.
// - The original crashes on a non-string response (pandas `.str` yields NaN); here it is no answer.
// - `accuracy` (mean verdict over all records) is not an official WeMath number; it is reported for
//   uniformity with the other benchmarks.

import type { ItemRecord, Metrics } from '../common/types.ts';

/** Option letters the original accepts (`x[0] in 'ABCDEFGH'`). */
const OPTION_LETTERS = 'ABCDEFGH';
/** Python `str.isspace()` characters, i.e. what `str.strip()` removes (JS `trim()` differs: it keeps \x1c–\x1f, \x85 and strips \ufeff). */
const PY_STRIP = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
/** `str.replace(r'[>><<:.]', '', regex=True)`: the class is just < > : . */
const PUNCTUATION = /[<>:.]/g;

/** Python `str.strip()` without arguments. */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

export type WeMathExtractor = 'after_answer' | 'first_char' | 'none';

export interface WeMathExtraction {
  extracted: string | null;
  extractor: WeMathExtractor;
}

/**
 * The official extraction (`load_and_process_data`). `extractor` says which rule fired:
 * 'after_answer' (a letter after the last `Answer`), 'first_char' (no `Answer` in the response and it
 * starts with a letter A–H after cleaning), 'none'.
 */
export function extractAnswer(response: unknown): WeMathExtraction {
  if (typeof response !== 'string') return { extracted: null, extractor: 'none' };
  const at = response.lastIndexOf('Answer');
  const tail = at < 0 ? response : response.slice(at + 'Answer'.length);
  const cleaned = pyStrip(pyStrip(tail).replace(PUNCTUATION, ''));
  const first = cleaned.charAt(0);
  if (first !== '' && OPTION_LETTERS.includes(first)) {
    return { extracted: first, extractor: at < 0 ? 'first_char' : 'after_answer' };
  }
  return { extracted: null, extractor: 'none' };
}

/** `processed_answer == answer`: no normalisation of the gold either. */
export function isCorrect(extracted: string | null, gold: string): boolean {
  return extracted !== null && extracted === gold;
}

/** What the aggregate needs to know about an item (all present on `WeMathItem`). */
export interface WeMathGroupFields {
  id: string;
  answer: string;
  /** `ID`: the problem group (same for the one-step sub-problems and their composite). */
  group: string;
  /** `key`: '2steps_1', '2steps_2', '2steps_multi', '3steps_1' … '3steps_multi'. */
  key: string;
  /** `knowledge concept`. */
  concept: string;
  /** Knowledge-structure domain (`root2` of knowledge_structure_nodes.json) when known. */
  domain?: string | undefined;
}

export interface WeMathRecord extends ItemRecord {
  group: string;
  key: string;
  concept: string;
  domain?: string;
}

/** Extract + judge one response; the record carries the group fields the aggregate needs. */
export function scoreResponse(item: WeMathGroupFields, response: string): WeMathRecord {
  const { extracted, extractor } = extractAnswer(response);
  const record: WeMathRecord = {
    id: item.id,
    response,
    extracted,
    gold: item.answer,
    correct: isCorrect(extracted, item.answer),
    extractor,
    group: item.group,
    key: item.key,
    concept: item.concept,
  };
  if (item.domain !== undefined) record.domain = item.domain;
  return record;
}

// ---------------------------------------------------------------- aggregation

/** Column order of accuracy.py's result table (domains = `root2` of the knowledge structure). */
export const DOMAIN_ORDER: readonly string[] = [
  'Understanding and Conversion of Units',
  'Angles and Length',
  'Calculation of Plane Figures',
  'Understanding of Plane Figures',
  'Calculation of Solid Figures',
  'Understanding of Solid Figures',
  'Basic Transformations of Figures',
  'Cutting and Combining of Figures',
  'Direction',
  'Position',
  'Route Map',
  'Correspondence of Coordinates and Positions',
];

/** A verdict after the merge: true / false, or null where pandas has NaN (missing partner). */
type Joker = boolean | null;

interface RecordLike {
  group: string;
  key: string;
  correct: boolean;
  concept?: string;
  domain?: string;
}

/** One merged row of `process_steps_data`: the one-step verdicts in order and the composite's. */
export interface MergedRow {
  group: string;
  steps: Joker[];
  concepts: (string | null)[];
  domains: (string | null)[];
  multi: Joker;
}

function byGroup(records: RecordLike[], key: string): Map<string, RecordLike[]> {
  const out = new Map<string, RecordLike[]>();
  for (const r of records) {
    if (r.key !== key) continue;
    const list = out.get(r.group);
    if (list) list.push(r);
    else out.set(r.group, [r]);
  }
  return out;
}

/** `process_steps_data(df, steps)`: left merges on `ID_1`, duplicates and NaN included. */
export function mergeSteps(records: RecordLike[], steps: 2 | 3): MergedRow[] {
  const family = `${steps}steps`;
  // `data[data['key'].str.contains('2steps')]` then `df['key'] == '2steps_i'`: equality is what decides.
  let rows: (RecordLike | null)[][] = records.filter((r) => r.key === `${family}_1`).map((r) => [r]);
  const partners = [...Array.from({ length: steps - 1 }, (_, i) => `${family}_${i + 2}`), `${family}_multi`];
  for (const key of partners) {
    const index = byGroup(records, key);
    const next: (RecordLike | null)[][] = [];
    for (const row of rows) {
      const matches = index.get(row[0]!.group);
      if (!matches) next.push([...row, null]);
      else for (const m of matches) next.push([...row, m]);
    }
    rows = next;
  }
  return rows.map((row) => {
    const oneStep = row.slice(0, steps);
    const multi = row[steps] ?? null;
    return {
      group: row[0]!.group,
      steps: oneStep.map((r) => (r ? r.correct : null)),
      concepts: oneStep.map((r) => (r && r.concept !== undefined ? r.concept : null)),
      domains: oneStep.map((r) => (r && r.domain !== undefined ? r.domain : null)),
      multi: multi ? multi.correct : null,
    };
  });
}

export interface FourDimensionalCounts {
  IK: number;
  IG: number;
  CM_strict: number;
  CM_loose: number;
  RM_strict: number;
  RM_loose: number;
}

/** `calculate_metrics` + the sums of `compute_final_scores`. */
export function classifyGroups(rows: MergedRow[]): FourDimensionalCounts {
  const c: FourDimensionalCounts = { IK: 0, IG: 0, CM_strict: 0, CM_loose: 0, RM_strict: 0, RM_loose: 0 };
  for (const row of rows) {
    // pandas: NaN == True and NaN == False are both False.
    const allTrue = row.steps.every((j) => j === true);
    const allFalse = row.steps.every((j) => j === false);
    const anyTrue = row.steps.some((j) => j === true);
    const anyFalse = row.steps.some((j) => j === false);
    if (row.multi === true) {
      if (allFalse) c.RM_loose++;
      if (anyFalse) c.RM_strict++;
      if (anyTrue) c.CM_loose++;
      if (allTrue) c.CM_strict++;
    } else if (row.multi === false) {
      if (allTrue) c.IG++;
      if (anyFalse) c.IK++;
    }
  }
  return c;
}

function mean(values: Joker[]): number {
  let n = 0;
  let sum = 0;
  for (const v of values) {
    if (v === null) continue; // pandas mean skips NaN
    n++;
    if (v) sum++;
  }
  return n === 0 ? NaN : sum / n;
}

const ratio = (a: number, b: number): number => (b === 0 ? NaN : a / b);

export interface AggregateOptions {
  /** Denominator of the rates and scores; the original hard-codes 525 (= merged groups of the full testmini). */
  totalGroups?: number;
}

/** Per-domain accuracy of accuracy.py: concept accuracy over one-step rows, then the mean over a domain's concepts. */
function domainAccuracy(rows: MergedRow[]): Record<string, number> {
  const perConcept = new Map<string, { domain: string; jokers: Joker[] }>();
  for (const row of rows) {
    row.steps.forEach((j, i) => {
      const concept = row.concepts[i];
      const domain = row.domains[i];
      // Unmatched concepts get NaN `final_key` in the nodes merge and drop out of the groupby.
      if (concept == null || domain == null) return;
      const entry = perConcept.get(concept);
      if (entry) entry.jokers.push(j);
      else perConcept.set(concept, { domain, jokers: [j] });
    });
  }
  const perDomain = new Map<string, number[]>();
  for (const { domain, jokers } of perConcept.values()) {
    const acc = mean(jokers);
    if (Number.isNaN(acc)) continue;
    const list = perDomain.get(domain);
    if (list) list.push(acc);
    else perDomain.set(domain, [acc]);
  }
  const out: Record<string, number> = {};
  const names = [...DOMAIN_ORDER.filter((d) => perDomain.has(d)), ...[...perDomain.keys()].filter((d) => !DOMAIN_ORDER.includes(d)).sort()];
  for (const name of names) {
    const accs = perDomain.get(name)!;
    out[name] = accs.reduce((a, b) => a + b, 0) / accs.length;
  }
  return out;
}

/** All official WeMath metrics for records of one sample. */
function aggregateOneSample(records: RecordLike[], opts: AggregateOptions): Metrics {
  const complete = (row: MergedRow): boolean => row.multi !== null && row.steps.every((j) => j !== null);
  const full2 = mergeSteps(records, 2);
  const full3 = mergeSteps(records, 3);
  const merged2 = full2.filter(complete);
  const merged3 = full3.filter(complete);
  const all = [...merged2, ...merged3];
  // A group is (family, ID): ids may repeat across the 2-step and 3-step families.
  const familyOf = (key: string): string => key.replace(/_[^_]*$/, '');
  const used = new Set([...merged2.map((r) => `2steps|${r.group}`), ...merged3.map((r) => `3steps|${r.group}`)]);
  const present = new Set(records.map((r) => `${familyOf(r.key)}|${r.group}`));
  const incomplete = [...present].filter((g) => !used.has(g)).length;
  const dropped = records.filter((r) => !used.has(`${familyOf(r.key)}|${r.group}`)).length;
  const counts = classifyGroups(all);
  const total = opts.totalGroups ?? all.length;
  const dim = (count: number, denominator: number) => ({ count, rate: ratio(count, denominator) });
  const metrics: Metrics = {
    accuracy: mean(records.map((r) => r.correct)),
    n: records.length,
    groups: total,
    groups_incomplete: incomplete,
    items_dropped: dropped,
    score_strict: ratio(total - 0.5 * counts.IG - counts.RM_strict - counts.IK, total),
    score_loose: ratio(total - 0.5 * counts.IG - counts.RM_loose - counts.IK, total),
    IK: dim(counts.IK, total),
    IG: dim(counts.IG, total),
    CM_strict: dim(counts.CM_strict, total),
    CM_loose: dim(counts.CM_loose, total),
    RM_strict: dim(counts.RM_strict, counts.CM_strict + counts.RM_strict),
    RM_loose: dim(counts.RM_loose, counts.CM_loose + counts.RM_loose),
    S1: mean(all.flatMap((row) => row.steps)),
    S2: mean(merged2.map((row) => row.multi)),
    S3: mean(merged3.map((row) => row.multi)),
  };
  const domains = domainAccuracy(all);
  if (Object.keys(domains).length > 0) metrics.domains = domains;
  return metrics;
}

function averageMetrics(list: Metrics[]): Metrics {
  const avg = (values: unknown[]): Metrics[string] => {
    const first = values[0];
    if (typeof first === 'number') return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
    const out: Metrics = {};
    const keys = new Set<string>();
    for (const v of values) for (const k of Object.keys(v as object)) keys.add(k);
    for (const k of keys) {
      const present = values.map((v) => (v as Metrics)[k]).filter((v) => v !== undefined);
      out[k] = avg(present);
    }
    return out;
  };
  return avg(list) as Metrics;
}

/**
 * Official WeMath aggregates (metric names in the module header and METRICS.md). Records of several
 * samples (`sample` field) are aggregated per sample and averaged, with `samples` = k.
 */
export function aggregateRecords(records: ItemRecord[], opts: AggregateOptions = {}): Metrics {
  const bySample = new Map<number, RecordLike[]>();
  for (const r of records) {
    const s = r.sample ?? 0;
    const list = bySample.get(s);
    const like = r as unknown as RecordLike;
    if (list) list.push(like);
    else bySample.set(s, [like]);
  }
  if (bySample.size <= 1) return aggregateOneSample(bySample.values().next().value ?? [], opts);
  const perSample = [...bySample.keys()].sort((a, b) => a - b).map((s) => aggregateOneSample(bySample.get(s)!, opts));
  return { ...averageMetrics(perSample), samples: perSample.length };
}
