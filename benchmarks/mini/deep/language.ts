// The language of the deep mini world: how a program (program.ts) is written out as a correct response, with the
// character span of every step and of every piece of filler recorded as it is written.
//
// A response is sentences separated by ' .', then the benchmark's answer statement:
//   looking at the chart , we need red plus blue minus green . the red bar is 5 . the blue bar is 3 .
//   the green bar is 2 . first 5 plus 3 is 8 . then 8 minus 2 is 6 . The answer is "6".
// Filler decides nothing: the preamble, the restatement of the question ('we need …'), the connectives that open a
// step sentence ('first', 'then', 'so', …) and an optional closing sentence. Every step sentence has one fixed
// form (program.ts lists them), so parse.ts reads any response of this grammar back into steps.
//
// The reference solution (the self-teacher's privileged context) states the same steps tersely in the teacher's
// own template, '[ref] red bar 5 blue bar 3 green bar 2 hence 5 plus 3 is 8 8 minus 2 is 6 answer 6 [/ref]':
// only references use the markers and 'hence' (leakage, benchmarks/mini/language.ts).
import type { Rng } from '../../../src/util/rng.ts';
import { REF_CLOSE, REF_OPEN } from '../language.ts';
import { resolve, type Program, type ProgramStep, type ReadStep } from './program.ts';

/** What a stretch of a text is: filler, one step of the program (its index in `program.steps`), or the answer statement. */
export type SegmentRole = 'filler' | 'step' | 'answer';

export interface Segment {
  /** Character offsets in the text, [start, end). */
  start: number;
  end: number;
  role: SegmentRole;
  /** For 'step': the index of the step in `program.steps`. */
  step?: number;
}

export interface Written {
  text: string;
  /** In order and contiguous: every character of `text` belongs to exactly one segment (separating spaces to the one after). */
  segments: Segment[];
}

/** What a problem adds to its solution's filler: its picture's noun and the question's core. */
export interface WritingContext {
  /** The picture as the preamble names it: 'chart', 'picture', 'grid'. */
  picture: string;
  /** The question's core for the restatement, without numbers ('red plus blue minus green'). */
  core: string;
}

const PREAMBLES = ['looking at the {p} ,', 'let me look at the {p} ,', 'i look at the {p} ,', 'in the {p} ,'] as const;
const RESTATEMENTS = ['we need {c} .', 'the question asks for {c} .'] as const;
const CLOSINGS = ['this gives the result .', 'that is the result .'] as const;
/** Words that may open a step sentence and decide nothing. */
export const CONNECTIVES: readonly string[] = ['first', 'then', 'next', 'now', 'so', 'and'];

class Writer {
  text = '';
  readonly segments: Segment[] = [];
  add(piece: string, role: SegmentRole, step?: number): void {
    const start = this.text.length;
    this.text += (this.text.length > 0 ? ' ' : '') + piece;
    const last = this.segments[this.segments.length - 1];
    // Adjacent filler pieces form one segment.
    if (role === 'filler' && last?.role === 'filler') {
      last.end = this.text.length;
      return;
    }
    const seg: Segment = { start, end: this.text.length, role };
    if (step !== undefined) seg.step = step;
    this.segments.push(seg);
  }
}

/** How a reading is said: 'the red bar is 5 .', 'there are 3 red objects .', 'the red rectangle is 4 wide .'. */
export function readSentence(step: Pick<ReadStep, 'form' | 'label'>, value: number): string {
  switch (step.form) {
    case 'bar':
      return `the ${step.label} bar is ${value} .`;
    case 'count':
      return `there are ${value} ${step.label.includes(' ') ? step.label : `${step.label} objects`} .`;
    case 'wide':
    case 'tall':
      return step.label === 'grid' ? `the grid is ${value} ${step.form} .` : `the ${step.label} rectangle is ${value} ${step.form} .`;
  }
}

/** The sentence of a step, without its connective, given the values of the readings and results before it. */
export function stepSentence(step: ProgramStep, readValues: readonly number[], results: readonly number[]): string {
  switch (step.kind) {
    case 'read':
      return readSentence(step, step.value);
    case 'arith':
      return `${resolve(step.left, readValues, results)} ${step.op} ${resolve(step.right, readValues, results)} is ${step.value} .`;
    case 'compare':
      return `${step.label} has the ${step.which} .`;
    case 'choose':
      return `that is ${step.option} (${step.letter}) .`;
  }
}

/** The connective before a step sentence, or none: 'first' / 'then' / 'next' for a chain of operations, 'so' before a conclusion. */
function connectiveFor(rng: Rng, step: ProgramStep, arithIndex: number, arithCount: number): string | null {
  if (step.kind === 'read') return rng.next() < 0.15 ? 'and' : null;
  if (step.kind === 'arith') {
    if (arithCount === 1) return 'so';
    return arithIndex === 0 ? 'first' : rng.pick(['then', 'next', 'now']);
  }
  if (step.kind === 'compare') return 'so';
  return null;
}

/**
 * A correct response's reasoning: preamble, optional restatement, each step (with its connective), optional closing.
 * The benchmark's answer statement follows it (withAnswer): the family that writes a solution does not know it.
 */
export function writeSolution(rng: Rng, program: Program, ctx: WritingContext): Written {
  const w = new Writer();
  w.add(rng.pick(PREAMBLES).replace('{p}', ctx.picture), 'filler');
  if (rng.next() < 0.6) w.add(rng.pick(RESTATEMENTS).replace('{c}', ctx.core), 'filler');
  const readValues: number[] = [];
  const results: number[] = [];
  const arithCount = program.steps.filter((s) => s.kind === 'arith').length;
  program.steps.forEach((step, i) => {
    const connective = connectiveFor(rng, step, results.length, arithCount);
    if (connective !== null) w.add(connective, 'filler');
    w.add(stepSentence(step, readValues, results), 'step', i);
    if (step.kind === 'read') readValues.push(step.value);
    if (step.kind === 'arith') results.push(step.value);
  });
  if (rng.next() < 0.3) w.add(rng.pick(CLOSINGS), 'filler');
  return { text: w.text, segments: w.segments };
}

/** The reasoning followed by the benchmark's answer statement (its extractor reads it: the scorer is the reward). */
export function withAnswer(reasoning: Written, statement: string): Written {
  const start = reasoning.text.length;
  const text = `${reasoning.text} ${statement}`;
  return { text, segments: [...reasoning.segments.map((s) => ({ ...s })), { start, end: text.length, role: 'answer' }] };
}

/** The reference solution in the teacher's template, with the span of every step. */
export function writeReference(program: Program): Written {
  const w = new Writer();
  w.add(REF_OPEN, 'filler');
  const readValues: number[] = [];
  const results: number[] = [];
  let concluded = false;
  program.steps.forEach((step, i) => {
    if (step.kind === 'read') {
      const what = step.form !== 'count' ? `${step.label} ${step.form}` : step.label.includes(' ') ? step.label : `${step.label} objects`;
      w.add(`${what} ${step.value}`, 'step', i);
      readValues.push(step.value);
      return;
    }
    if (!concluded) {
      w.add('hence', 'filler');
      concluded = true;
    }
    w.add(stepSentence(step, readValues, results).replace(/ \.$/, ''), 'step', i);
    if (step.kind === 'arith') results.push(step.value);
  });
  w.add(`answer ${program.answer}`, 'answer');
  w.add(REF_CLOSE, 'filler');
  return { text: w.text, segments: w.segments };
}
