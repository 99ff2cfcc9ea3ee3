// The ground truth of a problem of the deep mini world: a short program over readings of the picture. Each step
// has one correct value; the reference solution states the steps in order, and the parser (parse.ts) checks a
// sampled response's steps against them to find its first wrong step.
//
//   read     a value read off the picture           'the red bar is 5 .'            (misreading when wrong)
//   arith    two earlier values combined             'first 5 plus 3 is 8 .'         (arithmetic slip, wrong combination)
//   compare  the reading that is largest / smallest  'blue has the most .'           (wrong combination)
//   choose   the option that holds the result        'that is blue (B) .'            (wrong choice)
// and the benchmark's own answer statement ends every response (wrong final statement).

export type Op = 'plus' | 'minus' | 'times';

export function applyOp(a: number, op: Op, b: number): number {
  return op === 'plus' ? a + b : op === 'minus' ? a - b : a * b;
}

/** How a reading is phrased: a bar's height, a count of objects, a rectangle's width or height. */
export type ReadForm = 'bar' | 'count' | 'wide' | 'tall';

/** An operand: the value of read step `read` (index among the program's readings), of arith step `step`, or a constant. */
export type Ref = { read: number } | { step: number } | { constant: number };

export interface ReadStep {
  kind: 'read';
  form: ReadForm;
  /** What is read: a colour, or a colour and a shape ('red circles'), one or two words. */
  label: string;
  value: number;
  /** For a count: how many of the counted objects are drawn faint (absent when none are). */
  faint?: number;
}
export interface ArithStep {
  kind: 'arith';
  op: Op;
  left: Ref;
  right: Ref;
  value: number;
}
export interface CompareStep {
  kind: 'compare';
  which: 'most' | 'least';
  /** Indices of the readings compared. */
  among: number[];
  /** The label of the winning reading. */
  label: string;
}
export interface ChooseStep {
  kind: 'choose';
  /** The option's text as the prompt shows it (a number or a label). */
  option: string;
  letter: string;
}
export type ProgramStep = ReadStep | ArithStep | CompareStep | ChooseStep;

export interface Program {
  /** The steps in the order a solution states them. */
  steps: ProgramStep[];
  /** Multiple-choice options in prompt order (letters A, B, …), when the problem has them. */
  options?: string[];
  /** The gold answer: a number as text, or an option letter. */
  answer: string;
}

export const OPTION_LETTERS = ['A', 'B', 'C', 'D'] as const;

/** The program's readings in order (the `read` index of a Ref counts these). */
export function readings(program: Program): ReadStep[] {
  return program.steps.filter((s): s is ReadStep => s.kind === 'read');
}

/** The program's arith steps in order (the `step` index of a Ref counts these). */
export function ariths(program: Program): ArithStep[] {
  return program.steps.filter((s): s is ArithStep => s.kind === 'arith');
}

/** The value a Ref names, given the values of the readings and the arith results so far. */
export function resolve(ref: Ref, readValues: readonly (number | undefined)[], results: readonly (number | undefined)[]): number | undefined {
  if ('constant' in ref) return ref.constant;
  if ('read' in ref) return readValues[ref.read];
  return results[ref.step];
}

/**
 * The result a solution ends with before the answer statement: the option's text for multiple choice, else the last
 * arith value, the compared label, or the only reading.
 */
export function finalResult(program: Program): string {
  const last = program.steps[program.steps.length - 1];
  if (last === undefined) throw new Error('program without steps');
  switch (last.kind) {
    case 'choose':
      return last.option;
    case 'arith':
    case 'read':
      return String(last.value);
    case 'compare':
      return last.label;
  }
}

/**
 * Checks that a program is consistent: every arith value is its operation on its operands, every Ref points
 * backwards, a compare names its largest / smallest reading (uniquely), a choose names the option at its letter and
 * the result before it, and the answer is the choice's letter or the final result. Throws naming the step.
 */
export function checkProgram(program: Program): void {
  const reads = readings(program);
  const readValues: number[] = [];
  const results: number[] = [];
  let result: string | undefined;
  program.steps.forEach((step, i) => {
    const where = `program step ${i + 1} (${step.kind})`;
    switch (step.kind) {
      case 'read':
        if (!Number.isInteger(step.value) || step.value < 0) throw new Error(`${where}: reading ${step.value} is not a whole number`);
        readValues.push(step.value);
        result = String(step.value);
        break;
      case 'arith': {
        const a = resolve(step.left, readValues, results);
        const b = resolve(step.right, readValues, results);
        if (a === undefined || b === undefined) throw new Error(`${where}: an operand refers to a later step`);
        if (applyOp(a, step.op, b) !== step.value) throw new Error(`${where}: ${a} ${step.op} ${b} is not ${step.value}`);
        if (step.value < 0) throw new Error(`${where}: negative result ${step.value}`);
        results.push(step.value);
        result = String(step.value);
        break;
      }
      case 'compare': {
        const values = step.among.map((k) => readValues[k]);
        if (values.some((v) => v === undefined)) throw new Error(`${where}: compares a reading not yet made`);
        const best = step.which === 'most' ? Math.max(...(values as number[])) : Math.min(...(values as number[]));
        const winners = step.among.filter((k) => readValues[k] === best);
        if (winners.length !== 1) throw new Error(`${where}: the ${step.which} is not unique`);
        if (reads[winners[0]!]!.label !== step.label) throw new Error(`${where}: ${step.label} does not have the ${step.which}`);
        result = step.label;
        break;
      }
      case 'choose': {
        const at = program.options?.[OPTION_LETTERS.indexOf(step.letter as (typeof OPTION_LETTERS)[number])];
        if (at !== step.option) throw new Error(`${where}: option ${step.letter} is not '${step.option}'`);
        if (result !== step.option) throw new Error(`${where}: chooses '${step.option}' after the result '${result}'`);
        result = step.letter;
        break;
      }
    }
  });
  if (result !== program.answer) throw new Error(`program: the steps end at '${result}', the answer is '${program.answer}'`);
}
