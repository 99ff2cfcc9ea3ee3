// The demonstrator's habits: the systematic errors of the solutions a base is pretrained on, in the student's
// context. Real bases imitate imperfect demonstrations, and a verifier can then reward them out of the habit; a
// base pretrained only on correct solutions leaves RL nothing to do but sharpen its perception. A habit is a rule
// that fires on a kind of step, and a demonstrator with it carries the wrong value through the rest of the solution
// as a consistent solver would, so the parser (parse.ts) finds the habit's step as the first wrong one:
//
//   faint objects missed        a count leaves out the faint objects of its colour        (misreading)
//   tallest bars read short     a bar of the chart's top value 9 is read as 8             (misreading)
//   doubling by adding two      'x times 2' is written as x plus 2                         (arithmetic slip)
//   carrying one short          a sum of 10 or more is written one short                   (arithmetic slip)
//   last reading overlooked     a comparison leaves out the last reading it should weigh   (wrong combination)
//
// Every habit needs what the picture shows (the faint objects, a bar's height) or the step's own operands, so the
// policy can unlearn it; a teacher that sees the gold answer or the reference solution can tell the step is wrong.
// The self-teacher's contexts are never given habits: pretraining shows the teacher correct solutions only.
// A pretraining run names the habits it demonstrates (pretrain --habits); the first three are the default, the set
// the published bases before 2026-12-08 were pretrained with, so their commands rebuild them.
import { applyOp, OPTION_LETTERS, resolve, type Program, type ProgramStep } from './program.ts';
import { stepSentence, type Segment } from './language.ts';

export const HABITS = ['faint objects missed', 'tallest bars read short', 'doubling by adding two', 'carrying one short', 'last reading overlooked'] as const;
export type Habit = (typeof HABITS)[number];

/** The habits' names on the command line (pretrain --habits), in HABITS' order. */
export const HABIT_KEYS = { faint: 'faint objects missed', tallest: 'tallest bars read short', doubling: 'doubling by adding two', carry: 'carrying one short', 'last-overlooked': 'last reading overlooked' } as const satisfies Record<string, Habit>;
export type HabitKey = keyof typeof HABIT_KEYS;

/** The demonstrator's habits when a run names none: the first three (the published bases before 2026-12-08). */
export const DEFAULT_HABIT_KEYS: readonly HabitKey[] = ['faint', 'tallest', 'doubling'];

/** 'faint,carry' as habit keys in HABITS' order, or a refusal naming the unknown key and the known ones. */
export function parseHabitKeys(text: string): { keys: HabitKey[] } | { problem: string } {
  const given = text.split(',').map((k) => k.trim()).filter((k) => k !== '');
  const known = Object.keys(HABIT_KEYS) as HabitKey[];
  const unknown = given.find((k) => !(known as string[]).includes(k));
  if (unknown !== undefined) return { problem: `must be habits from ${known.join(', ')}, separated by commas (got '${unknown}')` };
  if (given.length === 0) return { problem: `must be one or more habits from ${known.join(', ')}, separated by commas (got '${text}')` };
  return { keys: known.filter((k) => given.includes(k)) };
}

/** A sum from this value up is written one short by the carrying habit (a slip in the carry). */
const CARRY_FROM = 10;

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
 * answer to write, so the demonstration stays correct, without any of its habits (not only the one that failed).
 */
export function habitProgram(program: Program, keys: readonly HabitKey[] = DEFAULT_HABIT_KEYS): HabitProgram | undefined {
  const has = (h: HabitKey): boolean => keys.includes(h);
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
        if (has('faint') && step.form === 'count' && (step.faint ?? 0) > 0) {
          value -= step.faint!;
          fire('faint objects missed');
        } else if (has('tallest') && step.form === 'bar' && step.value === TALLEST_BAR) {
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
        if (has('doubling') && step.op === 'times' && 'constant' in step.right && step.right.constant === 2) {
          value = a + 2;
          fire('doubling by adding two');
        } else if (has('carry') && step.op === 'plus' && value >= CARRY_FROM) {
          value -= 1;
          fire('carrying one short');
        }
        if (value < 0) return undefined;
        results.push(value);
        result = String(value);
        steps.push({ ...step, value });
        break;
      }
      case 'compare': {
        const winner = (among: readonly number[]): string | undefined => {
          const values = among.map((k) => readValues[k]!);
          const best = step.which === 'most' ? Math.max(...values) : Math.min(...values);
          const winners = among.filter((k) => readValues[k] === best);
          return winners.length === 1 ? labels[winners[0]!] : undefined;
        };
        const weighed = winner(step.among);
        if (weighed === undefined) return undefined;
        result = weighed;
        if (has('last-overlooked') && step.among.length > 2) {
          const short = winner(step.among.slice(0, -1));
          if (short === undefined) return undefined;
          if (short !== weighed) {
            result = short;
            fire('last reading overlooked');
          }
        }
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
