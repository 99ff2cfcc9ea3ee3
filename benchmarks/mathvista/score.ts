// MathVista's official scoring, ported from lupantech/MathVista:
//   evaluation/extract_answer.py   `extract_answer`            → extractAnswer
//   evaluation/calculate_score.py  `normalize_extracted_answer` → normalizeExtractedAnswer
//                                  `get_most_similar`           → getMostSimilar (python-Levenshtein `distance`)
//                                  `safe_equal`                 → safeEqual
//                                  main() + `get_acc_with_contion` → aggregate
// Departures, all deliberate:
// - Where the original asks an LLM (GPT) to extract the answer, the default here is no judge: the
//   response goes on UNCHANGED to normalisation (multiple choice then snaps to the nearest option by
//   edit distance; numbers usually fail to parse → wrong). A judge can be plugged in (`ExtractOptions.judge`).
// - The quick rule (`The answer is "…".`) is on by default (the original's `--quick_extract` flag).
// - Mini items are scored by exactly this rule path (their responses end `The answer is "<x>".`, the
//   quick rule), so the training reward is the official scorer.
// - Inputs the original crashes on (free_form text answers, multiple choice without choices, a group
//   value that is null) give a null prediction / are left out of that breakdown.
import { distance as myersDistance } from 'fastest-levenshtein';
import type { Extraction, ItemRecord, Metrics } from '../common/types.ts';
import type { MathVistaItem } from './item.ts';
import { pyFloatRepr, pyIntFromFloat, pyIntFromNumber, pyRound, pyStr, pyStrip, tryPyFloat, tryPyFloatFromString, tryPyIntFromString } from './python.ts';

/** The fields of a problem the scorer reads (a MathVistaItem has them all). */
export type Problem = Pick<MathVistaItem, 'questionType' | 'answerType' | 'choices' | 'precision'>;

/** Stand-in for the original's LLM extractor: returns the extracted answer, or null when it finds none. */
export type ExtractJudge = (response: string, problem: Problem) => string | null;

export interface ExtractOptions {
  /** The `The answer is "…".` rule (`--quick_extract` in the original). Default true. */
  quickExtract?: boolean;
  /** Called where the original calls the LLM. Default: none (the response passes through unchanged). */
  judge?: ExtractJudge;
}

// extract_answer.py: re.search(r'The answer is "(.*)"\.', response). Python's `.` stops only at \n
// (JS's also at \r, \u2028, \u2029), hence [^\n].
const QUICK_ANSWER = /The answer is "([^\n]*)"\./;
// calculate_score.py: re.findall(r'\(([a-zA-Z])\)', extraction) — the first "(B)" wins.
const PARENTHESISED_LETTER = /\(([a-zA-Z])\)/;
const SURROGATE = /[\uD800-\uDFFF]/;

/** `extract_answer` (rule-based path). `extractor` names the rule that fired. */
export function extractAnswer(response: string, problem: Problem, opts: ExtractOptions = {}): Extraction {
  if (response === '') return { extracted: '', extractor: 'empty' };
  if (problem.questionType === 'multi_choice' && problem.choices?.includes(response)) {
    return { extracted: response, extractor: 'choice_text' };
  }
  // (parsers return null where Python raises; exceptions would be slow on every wordy response)
  if (problem.answerType === 'integer') {
    const v = tryPyIntFromString(response);
    if (v !== null) return { extracted: v.toString(), extractor: 'int_parse' };
  }
  if (problem.answerType === 'float') {
    const v = tryPyFloatFromString(response);
    if (v !== null) return { extracted: pyFloatRepr(v), extractor: 'float_parse' };
  }
  if (opts.quickExtract ?? true) {
    const m = QUICK_ANSWER.exec(response);
    if (m) return { extracted: m[1]!, extractor: 'answer_is_quoted' };
  }
  if (opts.judge) {
    const found = opts.judge(response, problem);
    return found === null ? { extracted: null, extractor: 'judge_none' } : { extracted: found, extractor: 'judge' };
  }
  return { extracted: response, extractor: 'passthrough' };
}

/** Levenshtein distance over code points, as python-Levenshtein's `distance` (unit costs). */
export function editDistance(a: string, b: string): number {
  // fastest-levenshtein counts UTF-16 units; identical unless a surrogate pair is present.
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return myersDistance(a, b);
  const s = Array.from(a);
  const t = Array.from(b);
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** `get_most_similar`: the choice at the smallest edit distance, the first one on ties. */
export function getMostSimilar(prediction: string, choices: readonly string[]): string {
  let best = 0;
  let bestDistance = Infinity;
  for (let i = 0; i < choices.length; i++) {
    const d = editDistance(prediction, choices[i]!);
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return choices[best]!;
}

/** `normalize_extracted_answer`. Returns the prediction string, or null (Python's None). */
export function normalizeExtractedAnswer(
  extraction: unknown,
  choices: readonly string[] | null,
  questionType: string,
  answerType: string,
  precision: unknown,
  ignoreEmptyExtractions = false,
): string | null {
  if (questionType === 'multi_choice') {
    let text = typeof extraction === 'string' ? pyStrip(extraction) : pyStr(extraction);
    if (ignoreEmptyExtractions && !text) return null;
    const letter = PARENTHESISED_LETTER.exec(text);
    if (letter) text = letter[1]!.toUpperCase();
    if (!choices || choices.length === 0) return null; // the original raises here
    // sequential_characters = A, B, … for as many choices as there are
    if (text.length === 1) {
      const index = text.charCodeAt(0) - 65;
      if (index >= 0 && index < choices.length) return choices[index]!;
    }
    return getMostSimilar(text, choices);
  }
  if (answerType === 'list') return pyStr(extraction);
  if (answerType !== 'integer' && answerType !== 'float') return null; // free_form text: no branch in the original
  const value = tryPyFloat(extraction);
  if (value === null) return null;
  try {
    if (answerType === 'integer') return pyIntFromFloat(value).toString(); // str(int(float(x)))
    return pyFloatRepr(pyRound(value, pyIntFromNumber(precision))); // str(round(float(x), int(precision)))
  } catch {
    return null; // int(inf/nan), int(None), round overflow
  }
}

/** `safe_equal`: plain equality of the prediction and the gold answer string. */
export function safeEqual(prediction: string | null, answer: string): boolean {
  return prediction === answer;
}

/** Breakdown keys of calculate_score.py, in its order; `skills` is a list (an item counts in each). */
export const GROUP_KEYS = ['question_type', 'answer_type', 'language', 'source', 'category', 'task', 'context', 'grade', 'skills'] as const;

export interface MathVistaRecord extends ItemRecord {
  /** The normalised answer compared with `gold` (null when it did not parse). */
  prediction: string | null;
  question_type: string;
  answer_type: string;
  language?: string;
  source?: string;
  category?: string;
  task?: string;
  context?: string;
  grade?: string;
  skills?: string[];
}

/** Extract → normalise → compare, with the group fields `aggregate` needs. */
export function scoreResponse(item: MathVistaItem, response: string, opts: ExtractOptions = {}): MathVistaRecord {
  const { extracted, extractor } = extractAnswer(response, item, opts);
  const prediction =
    extracted === null ? null : normalizeExtractedAnswer(extracted, item.choices, item.questionType, item.answerType, item.precision);
  const m = item.metadata;
  const record: MathVistaRecord = {
    id: item.id,
    response,
    extracted,
    gold: item.answer,
    correct: safeEqual(prediction, item.answer),
    extractor,
    prediction,
    question_type: item.questionType,
    answer_type: item.answerType,
  };
  for (const key of ['language', 'source', 'category', 'task', 'context', 'grade'] as const) {
    if (m[key] !== undefined) record[key] = m[key];
  }
  if (m.skills) record.skills = m.skills;
  return record;
}

type Tally = { accuracy: number; correct: number; total: number };

function tally(correct: number, total: number): Tally {
  return { accuracy: total > 0 ? correct / total : 0, correct, total };
}

/**
 * calculate_score.py's scores: overall `accuracy`/`correct`/`total` (also under `average`, the
 * original's key) and, per GROUP_KEYS key, `{value: {accuracy, correct, total}}` sorted by accuracy,
 * highest first (ties keep first-appearance order). Accuracies are fractions in [0, 1].
 */
export function aggregate(records: readonly ItemRecord[]): Metrics {
  let correct = 0;
  for (const r of records) if (r.correct) correct++;
  const overall = tally(correct, records.length);
  const metrics: Metrics = { ...overall, average: { ...overall } };
  for (const key of GROUP_KEYS) {
    const counts = new Map<string, [number, number]>();
    const add = (value: string, ok: boolean) => {
      const c = counts.get(value) ?? [0, 0];
      c[0] += ok ? 1 : 0;
      c[1] += 1;
      counts.set(value, c);
    };
    for (const r of records) {
      const v = r[key];
      if (key === 'skills') {
        if (Array.isArray(v)) for (const s of new Set(v as string[])) add(String(s), r.correct);
      } else if (v !== undefined && v !== null) add(String(v), r.correct);
    }
    const rows = [...counts.entries()].map(([value, [c, t]]) => [value, tally(c, t)] as const);
    rows.sort((a, b) => b[1].accuracy - a[1].accuracy); // Array.prototype.sort is stable, like Python's sorted
    const group: Record<string, Tally> = {};
    for (const [value, t] of rows) group[value] = t;
    metrics[key] = group;
  }
  return metrics;
}
