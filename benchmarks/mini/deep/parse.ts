// Reads any response of the deep mini world's grammar (language.ts) back into steps, and finds the first wrong one
// against the problem's program (program.ts).
//
// A response is cut into sentences at ' .' and ' ,'; a sentence is a step when it has one of the step forms after
// its connectives, filler when it is one of the filler forms, and otherwise unparsed (reported with its span: the
// grammar does not cover it). The answer statement is the text from the last answer opener ('the answer',
// 'The answer', 'Answer', '\boxed{', '{'), as the benchmarks' extractors read the last one.
//
// The first wrong step is judged against what the response itself said before it, so one misreading carried
// consistently through the arithmetic is one error, at the misreading:
//   misreading             a reading whose value differs from the picture's
//   wrong combination      an operation, comparison or choice on other quantities than the problem asks for, a
//                          reading the problem does not need, or a step of the program the response never made
//   arithmetic slip        the right operation on the right operands with a wrong result
//   wrong choice           the option's letter is not the letter of the option text it names
//   wrong final statement  the answer statement differs from the result the response reached (or is missing)
import { CONNECTIVES } from './language.ts';
import { OPTION_LETTERS, applyOp, resolve, type ArithStep, type Op, type Program, type ReadForm } from './program.ts';

export type ParsedStep =
  | { kind: 'read'; form: ReadForm; label: string; value: number }
  | { kind: 'arith'; op: Op; a: number; b: number; value: number }
  | { kind: 'compare'; which: 'most' | 'least'; label: string }
  | { kind: 'choose'; option: string; letter: string };

export interface Span {
  start: number;
  end: number;
}

/** A sentence of a response; a step's `bodyStart` is where its step begins after the connectives that open it (filler). */
export type ParsedSentence = Span & ({ role: 'step'; step: ParsedStep; bodyStart: number } | { role: 'filler' } | { role: 'unparsed'; text: string });

export interface ParsedResponse {
  sentences: ParsedSentence[];
  /** The answer statement's span, or null when the response has none. */
  answer: Span | null;
  /** True when every sentence of the reasoning parsed as a step or filler. */
  complete: boolean;
}

interface Word extends Span {
  text: string;
}

const OPS: ReadonlySet<string> = new Set(['plus', 'minus', 'times']);
const isNumber = (w: string | undefined): boolean => w !== undefined && /^\d+$/.test(w);

/** Where the final answer statement starts (character offset), or -1. */
export function answerStart(text: string): number {
  let at = -1;
  for (const m of text.matchAll(/(?:^|\s)(the answer|The answer|Answer|\\boxed\{|\{)/g)) at = m.index + m[0].length - m[1]!.length;
  return at;
}

function stepOf(words: readonly string[]): ParsedStep | null {
  const n = words.length;
  const w = (i: number): string | undefined => words[i];
  // the X [Y] bar is N
  if (w(0) === 'the' && n >= 5 && n <= 6 && w(n - 3) === 'bar' && w(n - 2) === 'is' && isNumber(w(n - 1))) {
    return { kind: 'read', form: 'bar', label: words.slice(1, n - 3).join(' '), value: Number(w(n - 1)) };
  }
  // the X rectangle is N wide|tall
  if (w(0) === 'the' && n >= 6 && n <= 7 && w(n - 4) === 'rectangle' && w(n - 3) === 'is' && isNumber(w(n - 2)) && (w(n - 1) === 'wide' || w(n - 1) === 'tall')) {
    return { kind: 'read', form: w(n - 1) as 'wide' | 'tall', label: words.slice(1, n - 4).join(' '), value: Number(w(n - 2)) };
  }
  // the grid is N wide|tall
  if (n === 5 && w(0) === 'the' && w(1) === 'grid' && w(2) === 'is' && isNumber(w(3)) && (w(4) === 'wide' || w(4) === 'tall')) {
    return { kind: 'read', form: w(4) as 'wide' | 'tall', label: 'grid', value: Number(w(3)) };
  }
  // there are N X objects | there are N X Y
  if (w(0) === 'there' && w(1) === 'are' && isNumber(w(2)) && n === 5) {
    const label = w(4) === 'objects' ? w(3)! : `${w(3)} ${w(4)}`;
    return { kind: 'read', form: 'count', label, value: Number(w(2)) };
  }
  // N op N is N
  if (n === 5 && isNumber(w(0)) && OPS.has(w(1)!) && isNumber(w(2)) && w(3) === 'is' && isNumber(w(4))) {
    return { kind: 'arith', op: w(1) as Op, a: Number(w(0)), b: Number(w(2)), value: Number(w(4)) };
  }
  // X [Y] has the most|least
  if (n >= 4 && n <= 5 && w(n - 3) === 'has' && w(n - 2) === 'the' && (w(n - 1) === 'most' || w(n - 1) === 'least')) {
    return { kind: 'compare', which: w(n - 1) as 'most' | 'least', label: words.slice(0, n - 3).join(' ') };
  }
  // that is V [W] (L)
  const letter = /^\(([A-D])\)$/.exec(w(n - 1) ?? '');
  if (w(0) === 'that' && w(1) === 'is' && letter && n >= 4 && n <= 5) {
    return { kind: 'choose', option: words.slice(2, n - 1).join(' '), letter: letter[1]! };
  }
  return null;
}

function isFiller(words: readonly string[]): boolean {
  const s = words.join(' ');
  if (/^(looking at|let me look at|i look at|in) the (chart|picture|grid)$/.test(s)) return true;
  if (/^(we need|the question asks for) [a-z ]+$/.test(s)) return !words.some((x) => isNumber(x));
  return s === 'this gives the result' || s === 'that is the result';
}

/** The response's sentences as steps, filler or unparsed text, and its answer statement. */
export function parseResponse(text: string): ParsedResponse {
  const cut = answerStart(text);
  const reasoningEnd = cut < 0 ? text.length : cut;
  const words: Word[] = [];
  for (const m of text.slice(0, reasoningEnd).matchAll(/\S+/g)) words.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  const sentences: ParsedSentence[] = [];
  let from = 0;
  const close = (to: number): void => {
    // A sentence's span starts after the previous one (its leading space included) and ends after its stop.
    const part = words.slice(from, to);
    from = to;
    if (part.length === 0) return;
    const start = sentences.length === 0 ? 0 : sentences[sentences.length - 1]!.end;
    const end = part[part.length - 1]!.end;
    let body = part.map((x) => x.text);
    if (body[body.length - 1] === '.' || body[body.length - 1] === ',') body = body.slice(0, -1);
    let k = 0;
    while (k < body.length - 1 && CONNECTIVES.includes(body[k]!)) k++;
    const step = stepOf(body.slice(k));
    if (step !== null) sentences.push({ role: 'step', step, start, end, bodyStart: k === 0 ? start : part[k]!.start - 1 });
    else if (body.length === 0 || isFiller(body)) sentences.push({ role: 'filler', start, end });
    else sentences.push({ role: 'unparsed', text: text.slice(part[0]!.start, end), start, end });
  };
  words.forEach((word, i) => {
    if (word.text === '.' || word.text === ',') close(i + 1);
  });
  close(words.length);
  const answer = cut < 0 ? null : { start: sentences.length === 0 ? 0 : sentences[sentences.length - 1]!.end, end: text.length };
  return { sentences, answer, complete: sentences.every((s) => s.role !== 'unparsed') };
}

export type ErrorKind = 'misreading' | 'wrong combination' | 'arithmetic slip' | 'wrong choice' | 'wrong final statement';

export interface FirstWrongStep extends Span {
  kind: ErrorKind;
  /** Index of the sentence in `parsed.sentences`, or -1 for the answer statement (or the response's end when it has none). */
  sentence: number;
  /** What was expected, in words, for reports. */
  detail: string;
}

export interface Diagnosis {
  parsed: ParsedResponse;
  /** Null when every step and the answer statement agree with the program (given the response's own earlier values). */
  firstWrong: FirstWrongStep | null;
}

const sameOperands = (op: Op, a: number, b: number, x: number, y: number): boolean =>
  (a === x && b === y) || (op !== 'minus' && a === y && b === x);

/**
 * The first wrong step of a response against its program. `statedAnswer` is what the benchmark's extractor reads from
 * the response (an option letter or a number as text), or null when it reads nothing.
 */
export function diagnose(text: string, program: Program, statedAnswer: string | null): Diagnosis {
  const parsed = parseResponse(text);
  const reads = program.steps.filter((s) => s.kind === 'read');
  const arithSteps = program.steps.filter((s): s is ArithStep => s.kind === 'arith');
  const compareSteps = program.steps.filter((s) => s.kind === 'compare');
  const chooseStep = program.steps.find((s) => s.kind === 'choose');
  // The response's own values: its reading of each of the program's readings, and its arith results in order.
  const ownReads: (number | undefined)[] = reads.map(() => undefined);
  const ownResults: (number | undefined)[] = [];
  let ownResult: string | undefined;
  let compares = 0;
  let chosen = false;
  const wrong = (sentence: number, kind: ErrorKind, detail: string): Diagnosis => {
    const span = sentence < 0 ? (parsed.answer ?? { start: text.length, end: text.length }) : parsed.sentences[sentence]!;
    return { parsed, firstWrong: { kind, sentence, start: span.start, end: span.end, detail } };
  };
  for (const [i, sentence] of parsed.sentences.entries()) {
    if (sentence.role !== 'step') continue;
    const step = sentence.step;
    switch (step.kind) {
      case 'read': {
        const k = reads.findIndex((r) => r.form === step.form && r.label === step.label);
        if (k < 0) return wrong(i, 'wrong combination', `the problem needs no reading of ${step.label} (${step.form})`);
        if (step.value !== reads[k]!.value) return wrong(i, 'misreading', `${step.label} is ${reads[k]!.value}, not ${step.value}`);
        ownReads[k] = ownReads[k] ?? step.value;
        ownResult = String(step.value);
        break;
      }
      case 'arith': {
        const expected = arithSteps[ownResults.length];
        if (expected === undefined) return wrong(i, 'wrong combination', 'the problem has no further operation');
        // Operands the response should use: its own earlier values, the picture's where it never stated them.
        const truthReads = reads.map((r, k) => ownReads[k] ?? r.value);
        const truthResults = arithSteps.map((s, k) => ownResults[k] ?? s.value);
        const x = resolve(expected.left, truthReads, truthResults)!;
        const y = resolve(expected.right, truthReads, truthResults)!;
        if (step.op !== expected.op || !sameOperands(step.op, step.a, step.b, x, y)) {
          return wrong(i, 'wrong combination', `expected ${x} ${expected.op} ${y}, got ${step.a} ${step.op} ${step.b}`);
        }
        const right = applyOp(step.a, step.op, step.b);
        if (step.value !== right) return wrong(i, 'arithmetic slip', `${step.a} ${step.op} ${step.b} is ${right}, not ${step.value}`);
        ownResults.push(step.value);
        ownResult = String(step.value);
        break;
      }
      case 'compare': {
        const expected = compareSteps[compares++];
        if (expected === undefined || expected.kind !== 'compare' || expected.which !== step.which) {
          return wrong(i, 'wrong combination', 'the problem asks for no such comparison');
        }
        const values = expected.among.map((k) => ownReads[k] ?? reads[k]!.value);
        const best = step.which === 'most' ? Math.max(...values) : Math.min(...values);
        const winners = expected.among.filter((_, j) => values[j] === best).map((k) => reads[k]!.label);
        if (!winners.includes(step.label)) return wrong(i, 'wrong combination', `${winners.join(' or ')} has the ${step.which}, not ${step.label}`);
        ownResult = step.label;
        break;
      }
      case 'choose': {
        if (chooseStep === undefined || program.options === undefined) return wrong(i, 'wrong combination', 'the problem has no options');
        if (ownResult !== undefined && step.option !== ownResult) {
          return wrong(i, 'wrong combination', `the result so far is ${ownResult}, the choice names ${step.option}`);
        }
        const at = program.options.indexOf(step.option);
        const letter = at < 0 ? undefined : OPTION_LETTERS[at];
        if (letter !== step.letter) return wrong(i, 'wrong choice', at < 0 ? `${step.option} is not an option` : `${step.option} is (${letter}), not (${step.letter})`);
        chosen = true;
        ownResult = step.letter;
        break;
      }
    }
  }
  // Steps the program has and the response never made: blamed on the statement that skipped them.
  if (ownResults.length < arithSteps.length || compares < compareSteps.length || ownReads.some((v) => v === undefined)) {
    const missing = ownReads.findIndex((v) => v === undefined);
    const what = missing >= 0 ? `the reading of ${reads[missing]!.label}` : ownResults.length < arithSteps.length ? `operation ${ownResults.length + 1}` : 'the comparison';
    return wrong(-1, 'wrong combination', `${what} is missing`);
  }
  const expectedAnswer = program.options !== undefined && chooseStep !== undefined && !chosen && ownResult !== undefined
    ? OPTION_LETTERS[program.options.indexOf(ownResult)] ?? ownResult
    : ownResult;
  if (statedAnswer === null || statedAnswer !== expectedAnswer) {
    return wrong(-1, 'wrong final statement', `the response reached ${expectedAnswer ?? 'nothing'}, its statement says ${statedAnswer ?? 'nothing'}`);
  }
  return { parsed, firstWrong: null };
}
