// MATH-V scoring, ported from mathllm/MATH-V `evaluation/evaluate.py` (`evaluate`,
// `math_level_subject_acc`) and `evaluation/utils.py` (`is_number`, `eval_tuple`, `is_equal`,
// `_fix_fracs`, `_fix_a_slash_b`, `_remove_right_units`, `_fix_sqrt`, `_strip_string`,
// `find_math_answer`). Every step keeps the original's quirks:
//   - option letters are taken from `… A.` / `… (A).` endings and `A\n` / `(A)\n` / `(A) A\n` starts;
//   - a response whose text after the last `is ` is a number (Python float()) becomes that number;
//   - without `oxed{`, the text after the last of four `the … answer is` flags (lower-case, then
//     capitalised) is kept up to the first newline or `. `; with several `oxed{`, the last box wins;
//   - `find_math_answer` lower-cases, takes `oxed{` up to the LAST `}` of the string, cuts at a `}`
//     that comes before any `{`, keeps what follows the last `=` and `\approx`, drops units and LaTeX
//     noise, and `_strip_string` repairs fractions only when the string contains `sqrt`;
//   - `is_equal(gold, answer) or is_equal(gold option text, answer)`: lower-cased string equality,
//     then `eval_tuple` on `(a,b)` / `[a,b]`, then the LaST-RESORT numeric test
//     `round(eval(str(latex2sympy(x))), 2)` on both sides (latex.ts), any exception meaning False.
// The gold answer is NOT normalised (only lower-cased), as in the original.
import type { Extraction, ItemRecord, Metrics } from '../common/types.ts';
import { latexValue, pyNumEquals, pyNumStr, pyRound2Num } from './latex.ts';
import { firstPart, lastPart, pyFloatRepr, pyIsFloat, pyLstrip, pyRound2, pyRstrip, pyStrip } from './python.ts';

// ---------------------------------------------------------------- utils.py

/** utils.py `is_number`: Python's float() accepts the string. */
export const isNumber = pyIsFloat;

/** utils.py `_fix_fracs`: `\frac12` → `\frac{1}{2}`, `\frac1{2}` → `\frac{1}{2}`. */
export function fixFracs(s: string): string {
  const parts = s.split('\\frac');
  let out = parts[0]!;
  for (const part of parts.slice(1)) {
    out += '\\frac';
    if (part.length > 0 && part[0] === '{') {
      out += part;
      continue;
    }
    if (part.length < 2) return s;
    const a = part[0]!;
    const b = part[1]!;
    const rest = part.slice(2);
    out += b !== '{' ? `{${a}}{${b}}${rest}` : `{${a}}${b}${rest}`;
  }
  return out;
}

const CANONICAL_INT = /^-?(?:0|[1-9][0-9]*)$/;

/** utils.py `_fix_a_slash_b`: `3/4` → `\frac{3}{4}` when both sides print back as Python ints. */
export function fixASlashB(s: string): string {
  const parts = s.split('/');
  if (parts.length !== 2) return s;
  const [a, b] = parts as [string, string];
  // int(a), int(b) and `s == "{}/{}".format(a, b)`: only canonical integer spellings survive
  if (!CANONICAL_INT.test(a) || !CANONICAL_INT.test(b) || a === '-0' || b === '-0') return s;
  return `\\frac{${a}}{${b}}`;
}

/** utils.py `_remove_right_units`: keep what precedes the first `\text{ `. */
export function removeRightUnits(s: string): string {
  return firstPart(s, '\\text{ ');
}

/** utils.py `_fix_sqrt`: `\sqrt3` → `\sqrt{3}`. */
export function fixSqrt(s: string): string {
  if (!s.includes('\\sqrt')) return s;
  const parts = s.split('\\sqrt');
  let out = parts[0]!;
  for (const part of parts.slice(1)) {
    out += part.length > 0 && part[0] !== '{' ? `\\sqrt{${part[0]}}${part.slice(1)}` : `\\sqrt${part}`;
  }
  return out;
}

/** utils.py `_strip_string`. */
export function stripString(input: string): string {
  let s = input
    .replaceAll('\n', '')
    .replaceAll('\\!', '')
    .replaceAll('\\\\', '\\')
    .replaceAll('tfrac', 'frac')
    .replaceAll('dfrac', 'frac')
    .replaceAll('\\left', '')
    .replaceAll('\\right', '')
    .replaceAll('^{\\circ}', '')
    .replaceAll('^\\circ', '')
    .replaceAll('\\$', '')
    .replaceAll('$', '');
  s = removeRightUnits(s);
  s = s.replaceAll('\\%', '').replaceAll(' .', ' 0.').replaceAll('{.', '{0.');
  if (s.length === 0) return s;
  if (s[0] === '.') s = `0${s}`;
  if (s.split('=').length === 2) s = lastPart(s, '=');
  if (s.split('\\approx').length === 2) s = lastPart(s, '\\approx');
  if (s.includes('sqrt')) s = fixSqrt(s);
  s = s.replaceAll(' ', '');
  if (s.includes('sqrt')) s = fixFracs(s); // sic: fractions are repaired only next to a sqrt
  if (s === '0.5') s = '\\frac{1}{2}';
  return fixASlashB(s);
}

const BOXED = /oxed\{([\s\S]*)\}/;

/** utils.py `find_math_answer`. */
export function findMathAnswer(input: string): string {
  let s = input.toLowerCase();
  if (s.includes('{}')) s = s.replaceAll('{}', '');
  const m = BOXED.exec(s); // greedy: from the first `oxed{` to the last `}`
  let ans = m ? m[1]! : s;
  const close = ans.indexOf('}');
  const open = ans.indexOf('{');
  if (close !== -1 && (open === -1 || close < open)) ans = firstPart(ans, '}');
  ans = lastPart(ans, '=');
  ans = lastPart(ans, '\\approx');
  ans = ans
    .replaceAll(' ', '')
    .replaceAll('\\,', '')
    .replaceAll('∞', '\\infty')
    .replaceAll('+\\infty', '\\infty')
    .replaceAll('\\\\', '\\')
    .replaceAll('\n', '')
    .replaceAll('\\text', '')
    .replaceAll('\\mbox', '')
    .replaceAll('bmatrix', 'pmatrix')
    .replaceAll('\\left', '')
    .replaceAll('\\right', '')
    .replaceAll('^{\\circ}', '')
    .replaceAll('^\\circ', '')
    .replaceAll('{m}^3', '')
    .replaceAll('m^3', '')
    .replaceAll('{units}', '')
    .replaceAll('units', '')
    .replaceAll('{km}', '')
    .replaceAll('km', '');
  return stripString(ans);
}

/** utils.py `eval_tuple`: `(a,b,…)` / `[a,b,…]` with each element evaluated and rounded to 2 places. */
export function evalTuple(s: string): string {
  const inner = s.slice(1, -1).split(',');
  if (s.length === 0 || inner.length <= 1) return s;
  const open = s[0];
  const close = s[s.length - 1];
  if (!((open === '(' && close === ')') || (open === '[' && close === ']'))) return s;
  const parts: string[] = [];
  for (const sub of inner) {
    if (sub.includes('infty') || sub === 'a' || sub === '-a') {
      parts.push(sub);
      continue;
    }
    const v = latexValue(sub);
    if (!v) return s; // `except Exception: return s`
    parts.push(pyNumStr(pyRound2Num(v)));
  }
  return `${open}${parts.join(',')}${close}`;
}

/** The step of `is_equal` that decided a comparison. */
export type EqualRule = 'empty' | 'string' | 'tuple' | 'numeric' | 'none';

/** utils.py `is_equal(asw, gt_asw)` with the rule that decided it (`none` = not equal). */
export function isEqualRule(asw: string, gtAsw: string): EqualRule {
  let a = asw.toLowerCase();
  let g = gtAsw.toLowerCase();
  if (a.replaceAll(' ', '') === '' || g.replaceAll(' ', '') === '') return 'empty';
  if (pyStrip(g) === pyStrip(a)) return 'string';
  a = evalTuple(a);
  g = evalTuple(g);
  if (g === a) return 'tuple';
  const gv = latexValue(g);
  if (!gv) return 'none';
  const av = latexValue(a);
  if (!av) return 'none';
  return pyNumEquals(pyRound2Num(gv), pyRound2Num(av)) ? 'numeric' : 'none';
}

/** utils.py `is_equal`. */
export function isEqual(asw: string, gtAsw: string): boolean {
  const rule = isEqualRule(asw, gtAsw);
  return rule === 'string' || rule === 'tuple' || rule === 'numeric';
}

// ---------------------------------------------------------------- evaluate.py

const FLAGS = ['the final answer is', 'the answer is', 'the correct answer is', 'the answer should be'];
const LETTERS = ['A', 'B', 'C', 'D', 'E'];

/**
 * evaluate.py's extraction of `model_answer` from a response. `extractor` names the rules that fired,
 * joined by '+': `option_letter`, `is_number`, `answer_flag`, `last_boxed` (several boxes), `boxed`
 * (one box), and `raw` when none did (the whole response went through find_math_answer).
 */
export function extractAnswer(response: string): Extraction & { extracted: string } {
  const fired: string[] = [];
  let ans = pyStrip(response);
  for (const c of LETTERS) {
    if (
      ans.endsWith(` ${c}.`) ||
      ans.endsWith(` (${c}).`) ||
      ans.startsWith(`${c}\n`) ||
      ans.startsWith(`(${c})\n`) ||
      ans.startsWith(`(${c}) ${c}\n`)
    ) {
      ans = c;
      if (!fired.includes('option_letter')) fired.push('option_letter');
    }
  }
  const afterIs = pyRstrip(lastPart(ans, 'is '), '.');
  if (isNumber(afterIs)) {
    if (afterIs !== ans) fired.push('is_number');
    ans = afterIs;
  }
  if (!ans.includes('oxed{')) {
    for (const lower of FLAGS) {
      for (const flag of [lower, lower.replaceAll('the', 'The')]) {
        const raw = ans;
        ans = pyStrip(lastPart(ans, flag));
        if (raw.includes(flag)) {
          ans = firstPart(firstPart(ans, '\n'), '. ');
          if (!fired.includes('answer_flag')) fired.push('answer_flag');
        }
      }
    }
  } else if (ans.split('oxed{').length - 1 > 1) {
    ans = `\\boxed{${lastPart(ans, 'oxed{')}`;
    fired.push('last_boxed');
  } else {
    fired.push('boxed');
  }
  const extracted = pyStrip(
    pyLstrip(
      pyRstrip(
        findMathAnswer(ans)
          .replaceAll('(a)', 'a')
          .replaceAll('(b)', 'b')
          .replaceAll('(c)', 'c')
          .replaceAll('(d)', 'd')
          .replaceAll('(e)', 'e')
          .replaceAll('{a}', 'a')
          .replaceAll('{b}', 'b')
          .replaceAll('{c}', 'c')
          .replaceAll('{d}', 'd')
          .replaceAll('{e}', 'e'),
        '.',
      ),
      ':',
    ),
  );
  return { extracted, extractor: fired.length > 0 ? fired.join('+') : 'raw' };
}

/** The text of the gold option (`options[ord(answer) - ord('A')]`), '' for open questions. */
export function goldOptionText(answer: string, options: readonly string[]): string {
  if (options.length === 0) return '';
  const index = answer.length === 1 ? answer.charCodeAt(0) - 65 : -1;
  return index >= 0 && index < options.length ? options[index]! : '';
}

/** What `correct` needs: the gold answer, the option texts, and which rule decided. */
export interface Judgement {
  correct: boolean;
  /** `answer:<rule>` or `option:<rule>` for the comparison that succeeded, `none` otherwise. */
  rule: string;
}

/** evaluate.py: `is_equal(gt_answer, model_answer) or is_equal(gt_answer_value, model_answer)`. */
export function judge(modelAnswer: string, answer: string, options: readonly string[]): Judgement {
  const byAnswer = isEqualRule(answer, modelAnswer);
  if (byAnswer === 'string' || byAnswer === 'tuple' || byAnswer === 'numeric') return { correct: true, rule: `answer:${byAnswer}` };
  const byOption = isEqualRule(goldOptionText(answer, options), modelAnswer);
  if (byOption === 'string' || byOption === 'tuple' || byOption === 'numeric') return { correct: true, rule: `option:${byOption}` };
  return { correct: false, rule: 'none' };
}

// ---------------------------------------------------------------- records and aggregates

/** The fields scoreResponse needs from an item. */
export interface ScorableItem {
  id: string;
  answer: string;
  options: readonly string[];
  level: number;
  subject: string;
}

export interface MathVisionRecord extends ItemRecord {
  level: number;
  subject: string;
  /** Which comparison made the answer correct (`answer:numeric`, `option:string`, …) or `none`. */
  rule: string;
}

/** Extract + judge one response. */
export function scoreResponse(item: ScorableItem, response: string): MathVisionRecord {
  const { extracted, extractor } = extractAnswer(response);
  const { correct, rule } = judge(extracted, item.answer, item.options);
  return { id: item.id, response, extracted, gold: item.answer, correct, extractor, level: item.level, subject: item.subject, rule };
}

interface Tally {
  accuracy: number;
  correct: number;
  total: number;
}

function tally(correct: number, total: number): Tally {
  return { accuracy: total === 0 ? 0 : correct / total, correct, total };
}

/** `round(c / max(t, 1) * 100, 2)`, the percentage math_level_subject_acc prints. */
function percent(correct: number, total: number): number {
  return pyRound2((correct / Math.max(total, 1)) * 100);
}

/** The keys math_level_subject_acc counts each record under. */
function resultKeys(level: unknown, subject: unknown): string[] {
  return ['-all', `-level${level}`, `${subject}`, `${subject}_level${level}`, `-level${level}_${subject}`];
}

/**
 * evaluate.py `math_level_subject_acc` as the `_result.json` it writes: key → `"c/t=p%"`, keys sorted
 * (`-all`, `-level<L>`, `<subject>`, `<subject>_level<L>`, `-level<L>_<subject>`).
 */
export function resultTable(records: readonly ItemRecord[]): Record<string, string> {
  const counts = new Map<string, [number, number]>();
  for (const r of records) {
    for (const key of resultKeys(r.level, r.subject)) {
      const c = counts.get(key) ?? [0, 0];
      c[0] += r.correct ? 1 : 0;
      c[1] += 1;
      counts.set(key, c);
    }
  }
  const out: Record<string, string> = {};
  // Python sorts str keys by code point, which JS's default sort matches for BMP strings
  for (const key of [...counts.keys()].sort()) {
    const [c, t] = counts.get(key)!;
    out[key] = t === 0 ? `${c}/${t}=0` : `${c}/${t}=${pyPercentText(c, t)}%`;
  }
  return out;
}

/** The percentage as Python prints the float (e.g. `23.98`, `20.0`, `100.0`). */
function pyPercentText(c: number, t: number): string {
  return pyFloatRepr(percent(c, t));
}

/**
 * Official aggregates. `accuracy`/`correct`/`total` overall (fractions in [0, 1]); `level` and `subject`
 * map each value to `{accuracy, correct, total}`; `official` holds the original's keys (see
 * resultTable) with the percentage it prints (rounded to 2 places) — e.g. `official['-all']`.
 */
export function aggregate(records: readonly ItemRecord[]): Metrics {
  const overall = { correct: 0, total: 0 };
  const byLevel = new Map<string, [number, number]>();
  const bySubject = new Map<string, [number, number]>();
  const official = new Map<string, [number, number]>();
  const add = (m: Map<string, [number, number]>, key: string, ok: boolean) => {
    const c = m.get(key) ?? [0, 0];
    c[0] += ok ? 1 : 0;
    c[1] += 1;
    m.set(key, c);
  };
  for (const r of records) {
    overall.total++;
    if (r.correct) overall.correct++;
    add(byLevel, String(r.level), r.correct);
    add(bySubject, String(r.subject), r.correct);
    for (const key of resultKeys(r.level, r.subject)) add(official, key, r.correct);
  }
  const toTallies = (m: Map<string, [number, number]>) =>
    Object.fromEntries([...m.keys()].sort().map((k) => [k, { ...tally(m.get(k)![0], m.get(k)![1]) }]));
  return {
    ...tally(overall.correct, overall.total),
    level: toTallies(byLevel),
    subject: toTallies(bySubject),
    official: Object.fromEntries([...official.keys()].sort().map((k) => [k, percent(official.get(k)![0], official.get(k)![1])])),
  };
}
