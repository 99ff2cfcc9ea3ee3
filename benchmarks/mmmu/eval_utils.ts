// MMMU's official answer parsing and judging, ported rule for rule from MMMU-Benchmark/MMMU
// `mmmu/utils/eval_utils.py` (parse_multi_choice_response, check_is_number, normalize_str,
// extract_numbers, parse_open_response, eval_multi_choice, eval_open, calculate_ins_level_acc) and
// the subject tables of `mmmu/utils/data_utils.py` (CAT_SHORT2LONG, DOMAIN_CAT2SUB_CAT,
// get_multi_choice_info). Quirks kept on purpose:
// - punctuation is stripped one character kind at a time, in the original order;
// - "(A)" beats " A ", which beats option-text matching (only for responses of more than 5 tokens);
// - several candidates → the one whose LAST occurrence is latest (np.argmax → first on ties);
// - nothing found → `random.choice(all_choices)` from a Python-identical MT19937 stream (PyRandom);
// - open answers: "key sub-responses" after indicator words, every number in them, floats rounded
//   to 2 decimals, one-character strings padded with a space, substring match for strings, exact
//   float equality for numbers; `if not shortest_key_response` also overwrites an empty tail;
// - Python semantics for whitespace, len(), float() and round() (see pystr.ts); Python `\d` / `\b`
//   are Unicode-aware, so the regexes use \p{Nd} and an explicit word-character class.
import { PyRandom } from './pyrandom.ts';
import { pyFloat, pyLen, pyRound2, pySplitWhitespace, pyStrip, pyStripChars, PY_WHITESPACE_CLASS } from './pystr.ts';

// ---------------------------------------------------------------- subject tables (data_utils.py)

/** CAT_SHORT2LONG: short names → subject folder names, in the original (alphabetical) order. */
export const CAT_SHORT2LONG: Readonly<Record<string, string>> = {
  acc: 'Accounting',
  agri: 'Agriculture',
  arch: 'Architecture_and_Engineering',
  art: 'Art',
  art_theory: 'Art_Theory',
  bas_med: 'Basic_Medical_Science',
  bio: 'Biology',
  chem: 'Chemistry',
  cli_med: 'Clinical_Medicine',
  cs: 'Computer_Science',
  design: 'Design',
  diag_med: 'Diagnostics_and_Laboratory_Medicine',
  econ: 'Economics',
  elec: 'Electronics',
  ep: 'Energy_and_Power',
  fin: 'Finance',
  geo: 'Geography',
  his: 'History',
  liter: 'Literature',
  manage: 'Manage',
  mark: 'Marketing',
  mate: 'Materials',
  math: 'Math',
  mech: 'Mechanical_Engineering',
  music: 'Music',
  phar: 'Pharmacy',
  phys: 'Physics',
  psy: 'Psychology',
  pub_health: 'Public_Health',
  socio: 'Sociology',
};

/** The 30 subjects in the order the official scripts evaluate them. */
export const MMMU_SUBJECTS: readonly string[] = Object.values(CAT_SHORT2LONG);

/** DOMAIN_CAT2SUB_CAT: the six disciplines and their subjects (original order). */
export const DOMAIN_CAT2SUB_CAT: Readonly<Record<string, readonly string[]>> = {
  'Art and Design': ['Art', 'Art_Theory', 'Design', 'Music'],
  Business: ['Accounting', 'Economics', 'Finance', 'Manage', 'Marketing'],
  Science: ['Biology', 'Chemistry', 'Geography', 'Math', 'Physics'],
  'Health and Medicine': ['Basic_Medical_Science', 'Clinical_Medicine', 'Diagnostics_and_Laboratory_Medicine', 'Pharmacy', 'Public_Health'],
  'Humanities and Social Science': ['History', 'Literature', 'Sociology', 'Psychology'],
  'Tech and Engineering': ['Agriculture', 'Architecture_and_Engineering', 'Computer_Science', 'Electronics', 'Energy_and_Power', 'Materials', 'Mechanical_Engineering'],
};

const SUBJECT_TO_DOMAIN = new Map<string, string>();
for (const [domain, subjects] of Object.entries(DOMAIN_CAT2SUB_CAT)) for (const s of subjects) SUBJECT_TO_DOMAIN.set(s, domain);

/** The discipline of a subject, or null for a subject outside the 30. */
export function domainOf(subject: string): string | null {
  return SUBJECT_TO_DOMAIN.get(subject) ?? null;
}

/** The subject of an id, as main_eval_only.py groups it: "_".join(id.split("_")[1:-1]). */
export function subjectFromId(id: string): string {
  return id.split('_').slice(1, -1).join('_');
}

/** get_multi_choice_info: letters A, B, … for the options, and letter → option text. */
export function getMultiChoiceInfo(options: readonly string[]): { index2ans: Record<string, string>; allChoices: string[] } {
  const index2ans: Record<string, string> = {};
  const allChoices: string[] = [];
  options.forEach((option, i) => {
    const letter = String.fromCharCode(65 + i);
    index2ans[letter] = option;
    allChoices.push(letter);
  });
  return { index2ans, allChoices };
}

// ---------------------------------------------------------------- multiple choice

export type MultiChoiceRule = 'letter_bracket' | 'letter_spaced' | 'option_text' | 'random_fallback' | 'no_choices';

export interface MultiChoiceParse {
  /** The predicted letter; null only when there are no choices at all (Python would raise). */
  pred: string | null;
  rule: MultiChoiceRule;
  /** Every candidate the rule found, in choice order (several → the last occurrence won). */
  candidates: string[];
}

const MC_STRIP_CHARS = [',', '.', '!', '?', ';', ':', "'"] as const;

/** parse_multi_choice_response(response, all_choices, index2ans), with the random stream made explicit. */
export function parseMultiChoiceResponse(
  response: string,
  allChoices: readonly string[],
  index2ans: Readonly<Record<string, string>>,
  rng: PyRandom,
): MultiChoiceParse {
  let r = response;
  for (const ch of MC_STRIP_CHARS) r = pyStripChars(r, ch);
  r = ' ' + r + ' '; // add space to avoid partial match

  let indexAns = true;
  let ansWithBrack = false;
  const candidates: string[] = [];
  for (const choice of allChoices) {
    if (r.includes(`(${choice})`)) {
      candidates.push(choice);
      ansWithBrack = true;
    }
  }
  if (candidates.length === 0) {
    for (const choice of allChoices) if (r.includes(` ${choice} `)) candidates.push(choice);
  }
  let lower: string | null = null;
  if (candidates.length === 0 && pySplitWhitespace(r).length > 5) {
    lower = r.toLowerCase();
    for (const [index, ans] of Object.entries(index2ans)) {
      if (lower.includes(ans.toLowerCase())) {
        candidates.push(index);
        indexAns = false; // it's content ans.
      }
    }
  }

  const rule: MultiChoiceRule = !indexAns ? 'option_text' : ansWithBrack ? 'letter_bracket' : 'letter_spaced';
  if (candidates.length === 0) {
    if (allChoices.length === 0) return { pred: null, rule: 'no_choices', candidates };
    return { pred: rng.choice(allChoices), rule: 'random_fallback', candidates };
  }
  if (candidates.length === 1) return { pred: candidates[0]!, rule, candidates };

  const startIndexes = candidates.map((can) => {
    if (indexAns) return ansWithBrack ? r.lastIndexOf(`(${can})`) : r.lastIndexOf(` ${can} `);
    return lower!.lastIndexOf(index2ans[can]!.toLowerCase());
  });
  let best = 0; // np.argmax: the first maximum
  for (let i = 1; i < startIndexes.length; i++) if (startIndexes[i]! > startIndexes[best]!) best = i;
  return { pred: candidates[best]!, rule, candidates };
}

// ---------------------------------------------------------------- open questions

/** A parsed open prediction: strings (lower-cased) and floats (rounded to 2 decimals), like Python's mixed list. */
export type OpenPred = string | number;

/** check_is_number: float(string.replace(',', '')) succeeds. */
export function checkIsNumber(s: string): boolean {
  return pyFloat(s.replace(/,/g, '')) !== null;
}

/** normalize_str: numbers → [round(float, 2)]; strings → lower-cased, one-character strings padded both ways. */
export function normalizeStr(s: string): OpenPred[] {
  const t = pyStrip(s);
  const value = pyFloat(t.replace(/,/g, ''));
  if (value !== null) return [pyRound2(value)];
  const lower = t.toLowerCase();
  if (pyLen(lower) === 1) return [' ' + lower, lower + ' ']; // avoid trivial matches
  return [lower];
}

// Python's \w for str patterns: letters, anything numeric, underscore.
const W = '[\\p{L}\\p{N}_]';
const PATTERN_COMMAS = new RegExp(`-?(?<!${W})\\p{Nd}{1,3}(?:,\\p{Nd}{3})+(?!${W})`, 'gu');
const PATTERN_SCIENTIFIC = /-?\p{Nd}+(?:\.\p{Nd}+)?[eE][+-]?\p{Nd}+/gu;
const PATTERN_SIMPLE = new RegExp(`-?(?:\\p{Nd}+\\.\\p{Nd}+|\\.\\p{Nd}+|\\p{Nd}+(?!${W}))(?![eE][+-]?\\p{Nd}+)(?![,\\p{Nd}])`, 'gu');
const HAS_DIGIT = /\p{Nd}/u;

/** extract_numbers: numbers with commas, then scientific notation, then simple numbers (each in text order). */
export function extractNumbers(s: string): string[] {
  if (!HAS_DIGIT.test(s)) return [];
  return [...(s.match(PATTERN_COMMAS) ?? []), ...(s.match(PATTERN_SCIENTIFIC) ?? []), ...(s.match(PATTERN_SIMPLE) ?? [])];
}

const SUB_RESPONSE_SPLIT = new RegExp(`\\.[${PY_WHITESPACE_CLASS}](?=[A-Z])|\\n`);
const KEY_INDICATORS = ['could be ', 'so ', 'is ', 'thus ', 'therefore ', 'final ', 'answer ', 'result '] as const;
const TRIVIAL_TAILS = new Set([':', ',', '.', '!', '?', ';', "'"]);

/** get_key_subresponses (inner function of parse_open_response); `found` false when it fell back to the whole response. */
export function getKeySubresponses(response: string): { keys: string[]; found: boolean } {
  const text = pyStripChars(pyStrip(response), '.').toLowerCase();
  const subResponses = text.split(SUB_RESPONSE_SPLIT);
  const keys: string[] = [];
  const indicators: string[] = [...KEY_INDICATORS];
  subResponses.forEach((resp, index) => {
    // if last one, accept it's an equation (the entire response can be just one sentence with equation)
    if (index === subResponses.length - 1) indicators.push('=');
    let shortest: string | null = null;
    for (const indicator of indicators) {
      if (!resp.includes(indicator)) continue;
      const tail = pyStrip(resp.split(indicator).pop()!);
      if (!shortest) shortest = tail; // Python `if not shortest_key_response`: '' is replaced too
      else if (pyLen(tail) < pyLen(shortest)) shortest = tail;
    }
    if (shortest && !TRIVIAL_TAILS.has(pyStrip(shortest))) keys.push(shortest);
  });
  if (keys.length === 0) return { keys: [text], found: false };
  return { keys, found: true };
}

export interface OpenParse {
  /** parse_open_response's prediction list (deduplicated; Python returns list(set(...))). */
  preds: OpenPred[];
  /** The key sub-responses the predictions came from. */
  keys: string[];
  rule: 'open_key_response' | 'open_whole_response';
}

function sameOpenPred(a: OpenPred, b: OpenPred): boolean {
  return typeof a === typeof b && a === b; // NaN never equals itself, as in a Python set of distinct NaNs
}

/** parse_open_response(response). */
export function parseOpenResponse(response: string): OpenParse {
  const { keys, found } = getKeySubresponses(response);
  const predList: string[] = [...keys];
  for (const k of keys) predList.push(...extractNumbers(k));
  const preds: OpenPred[] = [];
  for (const p of predList) {
    for (const v of normalizeStr(p)) if (!preds.some((q) => sameOpenPred(q, v))) preds.push(v);
  }
  return { preds, keys, rule: found ? 'open_key_response' : 'open_whole_response' };
}

// ---------------------------------------------------------------- judging

/** eval_multi_choice: exact equality with the gold letter (or any of a gold list). */
export function evalMultiChoice(gold: string | readonly string[], pred: string | null): boolean {
  if (typeof gold === 'string') return gold === pred;
  return gold.some((g) => g === pred);
}

/** eval_open: a string prediction contains a normalised string answer, or a float prediction equals a float answer. */
export function evalOpen(gold: string | readonly string[], preds: readonly OpenPred[]): boolean {
  const normAnswers: OpenPred[] = typeof gold === 'string' ? normalizeStr(gold) : gold.flatMap((g) => normalizeStr(g));
  for (const pred of preds) {
    if (typeof pred === 'string') {
      for (const ans of normAnswers) if (typeof ans === 'string' && pred.includes(ans)) return true;
    } else {
      // Python `pred in norm_answers`: float == float; a NaN object is only "in" the list by identity, never here.
      for (const ans of normAnswers) if (typeof ans === 'number' && ans === pred) return true;
    }
  }
  return false;
}

export interface CategoryResult {
  acc: number;
  num_example: number;
}

/** calculate_ins_level_acc: accuracy weighted by item count over the given subjects (0 when empty). */
export function calculateInsLevelAcc(results: Readonly<Record<string, CategoryResult>>): number {
  let acc = 0;
  let num = 0;
  for (const r of Object.values(results)) {
    acc += r.acc * r.num_example;
    num += r.num_example;
  }
  return num === 0 ? 0 : acc / num;
}
