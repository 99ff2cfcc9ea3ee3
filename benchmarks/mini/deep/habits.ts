// The demonstrator's habits: the systematic errors of the solutions a base is pretrained on, in the student's
// context. Real bases imitate imperfect demonstrations, and a verifier can then reward them out of the habit; a
// base pretrained only on correct solutions leaves RL nothing to do but sharpen its perception. A habit is a rule
// that fires on a kind of step, and a demonstrator with it carries the wrong value through the rest of the solution
// as a consistent solver would, so the parser (parse.ts) finds the habit's step as the first wrong one:
//
//   faint objects missed      a count leaves out the faint objects of its colour          (misreading)
//   tallest bars read short   a bar of the chart's top value 9 is read as 8               (misreading)
//   doubling by adding two    'x times 2' is written as x plus 2                           (arithmetic slip)
//
// Every habit needs what the picture shows (the faint objects, a bar's height) or the step's own operands, so the
// policy can unlearn it; a teacher that sees the gold answer or the reference solution can tell the step is wrong.
// The self-teacher's contexts are never given habits: pretraining shows the teacher correct solutions only.
import { applyOp, OPTION_LETTERS, resolve, type Program, type ProgramStep } from './program.ts';
import { stepSentence, type Segment } from './language.ts';

export const HABITS = ['faint objects missed', 'tallest bars read short', 'doubling by adding two'] as const;
export type Habit = (typeof HABITS)[number];

/** The chart's top bar value, which the demonstrator reads one short. */
const TALLEST_BAR = 9;

export interface HabitProgram {
  /** The steps the demonstrator writes (their values carried through; not a consistent program when a slip fires). */
  program: Program;
  /** The habits that changed a step, in the order they first fire. */
  habits: Habit[];
}

/**
 * The demonstrator's version of a program, or undefined when no habit fires, when its values leave the language
 * (a negative result), or when its result is not among the options or is a tie — a demonstrator then has no
 * answer to write, so the demonstration stays correct.
 */
export function habitProgram(program: Program): HabitProgram | undefined {
  const habits: Habit[] = [];
  const fire = (h: Habit): void => {
    if (!habits.includes(h)) habits.push(h);
  };
  const readValues: number[] = [];
  const results: number[] = [];
  const labels: string[] = [];
  let result: string | undefined;
  const steps: ProgramStep[] = [];
  for (const step of program.steps) {
    switch (step.kind) {
      case 'read': {
        let value = step.value;
        if (step.form === 'count' && (step.faint ?? 0) > 0) {
          value -= step.faint!;
          fire('faint objects missed');
        } else if (step.form === 'bar' && step.value === TALLEST_BAR) {
          value -= 1;
          fire('tallest bars read short');
        }
        readValues.push(value);
        labels.push(step.label);
        result = String(value);
        steps.push({ ...step, value });
        break;
      }
      case 'arith': {
        const a = resolve(step.left, readValues, results)!;
        const b = resolve(step.right, readValues, results)!;
        let value = applyOp(a, step.op, b);
        if (step.op === 'times' && 'constant' in step.right && step.right.constant === 2) {
          value = a + 2;
          fire('doubling by adding two');
        }
        if (value < 0) return undefined;
        results.push(value);
        result = String(value);
        steps.push({ ...step, value });
        break;
      }
      case 'compare': {
        const values = step.among.map((k) => readValues[k]!);
        const best = step.which === 'most' ? Math.max(...values) : Math.min(...values);
        const winners = step.among.filter((k) => readValues[k] === best);
        if (winners.length !== 1) return undefined;
        result = labels[winners[0]!]!;
        steps.push({ ...step, label: result });
        break;
      }
      case 'choose': {
        const index = program.options?.indexOf(result ?? '') ?? -1;
        if (index < 0) return undefined;
        const letter = OPTION_LETTERS[index]!;
        steps.push({ ...step, option: result!, letter });
        result = letter;
        break;
      }
    }
  }
  if (habits.length === 0 || result === undefined) return undefined;
  return { program: { ...program, steps, answer: result }, habits };
}

/**
 * A written solution with the demonstrator's steps: every step sentence of `text` (its segments: steps, filler and
 * the answer statement) rewritten with the values of `demo`, the filler kept, and the answer statement made by
 * `answerStatement` for the demonstrator's answer.
 */
export function rewriteSolution(text: string, segments: readonly Segment[], demo: Program, answerStatement: (answer: string) => string): string {
  const readValues: number[] = [];
  const results: number[] = [];
  let out = '';
  for (const seg of segments) {
    const lead = seg.start > 0 ? ' ' : '';
    if (seg.role === 'filler') out += text.slice(seg.start, seg.end);
    else if (seg.role === 'answer') out += lead + answerStatement(demo.answer);
    else {
      const step = demo.steps[seg.step!]!;
      out += lead + stepSentence(step, readValues, results);
      if (step.kind === 'read') readValues.push(step.value);
      if (step.kind === 'arith') results.push(step.value);
    }
  }
  return out;
}
