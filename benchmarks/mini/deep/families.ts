// The problem families of the deep mini world: each draws a scene and a question, builds the question's program
// (program.ts: every step with its correct value) and writes the reasoning and the reference solution with the span
// of every step (language.ts). Every problem takes at least three steps before its answer statement.
//
//   chain    'what is red plus blue minus green ?' on a bar chart, 'how many red plus blue minus green ?' on objects:
//            3 readings (4 when hard) combined left to right            (MathVista; ZeroBench when hard; WeMath)
//   compare  'which colour has the most ?' / 'which bar is the tallest ?': every reading, the comparison, the
//            option that names the winner                                (MMMU)
//   measure  'what is the perimeter ?' (width, height, w plus h, times 2) or 'how many cells are not red ?'
//            (the grid's size, its cells, the rectangle's sides and area, the difference), 'what is the area plus
//            the perimeter ?'                                              (MathVision)
import type { Rng } from '../../../src/util/rng.ts';
import { GRID_CELLS, type Perception, type Scene } from '../scene.ts';
import { numericOptions, letteredOptions } from '../language.ts';
import { gridScene } from '../families/grid.ts';
import { distinctInts, pickColours, placeObjects } from '../families/common.ts';
import { COLOURS } from '../scene.ts';
import { applyOp, checkProgram, type ArithStep, type Op, type Program, type ProgramStep, type ReadStep } from './program.ts';
import { writeReference, writeSolution, type Written } from './language.ts';

export type DeepFamily = 'chain' | 'compare' | 'measure' | 'grouped';

/**
 * How hard the deep world's pictures are to read: a noise pattern on every picture, bars in units of 3 pixels
 * (values 1..9) without rules, and a fifth of the objects faint (scene.ts). To be calibrated against the base.
 */
export const DEEP_PERCEPTION: Perception = { noise: 24, barUnit: 3, barRules: false };
const BAR_VALUES = [1, 9] as const;
const FAINT_SHARE = 0.2;

export interface DeepDraft {
  family: DeepFamily;
  scene: Scene;
  question: string;
  /** Option texts in letter order, for multiple choice. */
  options?: string[];
  answer: string;
  program: Program;
  /** The reasoning of a correct response (no answer statement), with its step and filler spans. */
  reasoning: Written;
  /** The reference solution (the self-teacher's privileged context), with its step spans. */
  reference: Written;
  meta: Record<string, string | number>;
  /** Sub-problems on the same picture (WeMath's one-step problems, ZeroBench's sub-questions). */
  substeps?: DeepDraft[];
}

export interface DeepOptions {
  /** Ask with lettered options A–D. */
  multipleChoice?: boolean;
  /** Longer chains (4 readings, 3 operations): ZeroBench. */
  hard?: boolean;
  /** Force a variant ('bars' | 'objects' for chain and compare; 'perimeter' | 'outside' | 'area-perimeter' for measure). */
  variant?: string;
}

/** What a question reads off its picture: its readings in order, and how the solution's preamble names the picture. */
interface Readable {
  scene: Scene;
  reads: ReadStep[];
  picture: string;
  /** 'bars' | 'objects' */
  kind: string;
  /** The range readings are drawn from (multiple-choice options use it). */
  range: readonly [number, number];
}

/** A bar chart of `n` bars (distinct values when asked), read left to right. */
function barsReadable(rng: Rng, n: number, distinct: boolean): Readable {
  const colours = pickColours(rng, n);
  const columns = distinctInts(rng, n, 0, 3).sort((a, b) => a - b);
  const values = distinct ? distinctInts(rng, n, BAR_VALUES[0], BAR_VALUES[1]) : colours.map(() => rng.int(BAR_VALUES[0], BAR_VALUES[1]));
  const bars = columns.map((column, i) => ({ column, colour: colours[i]!, value: values[i]! }));
  return {
    scene: { kind: 'bars', bars, perception: DEEP_PERCEPTION },
    reads: bars.map((b) => ({ kind: 'read', form: 'bar', label: b.colour, value: b.value })),
    picture: 'chart',
    kind: 'bars',
    range: BAR_VALUES,
  };
}

/** Objects of `counts.length` colours, a fifth of them faint (still counted). */
function objectsReadable(rng: Rng, counts: readonly number[], range: readonly [number, number]): Readable {
  const colours = pickColours(rng, counts.length);
  const objects = placeObjects(rng, colours.map((c, i) => [c, counts[i]!] as const)).map((o) => (rng.next() < FAINT_SHARE ? { ...o, faint: true } : o));
  return {
    scene: { kind: 'objects', objects, perception: DEEP_PERCEPTION },
    reads: colours.map((label, i): ReadStep => {
      const faint = objects.filter((o) => o.colour === label && o.faint === true).length;
      return faint > 0 ? { kind: 'read', form: 'count', label, value: counts[i]!, faint } : { kind: 'read', form: 'count', label, value: counts[i]! };
    }),
    picture: 'picture',
    kind: 'objects',
    range,
  };
}

function readable(rng: Rng, kind: string, n: number, distinct: boolean, family: string): Readable {
  if (kind === 'bars') return barsReadable(rng, n, distinct);
  if (kind === 'objects') {
    const range = [1, n >= 4 ? 4 : 5] as const;
    const counts = distinct ? distinctInts(rng, n, 1, 5) : Array.from({ length: n }, () => rng.int(range[0], range[1]));
    return objectsReadable(rng, counts, range);
  }
  throw new Error(`${family}: unknown variant '${kind}' (known: bars, objects)`);
}

interface Parts {
  family: DeepFamily;
  scene: Scene;
  question: string;
  steps: ProgramStep[];
  meta: Record<string, string | number>;
  core: string;
  picture: string;
  /** For multiple choice over a number: the answer as a function of the readings, and their range. */
  compute?: (r: readonly number[]) => number;
  range?: readonly [number, number];
  /** For multiple choice over given texts (the compare family): the options and the winning text. */
  textOptions?: { texts: readonly string[]; gold: string };
}

/** Adds the choice (multiple choice), checks the program, writes the reasoning and the reference. */
function finish(rng: Rng, parts: Parts, multipleChoice: boolean): DeepDraft {
  const steps = [...parts.steps];
  const last = steps[steps.length - 1]!;
  let answer = last.kind === 'arith' || last.kind === 'read' ? String(last.value) : last.kind === 'compare' ? last.label : '';
  let options: string[] | undefined;
  if (parts.textOptions !== undefined) {
    const mc = letteredOptions(rng, parts.textOptions.texts, parts.textOptions.gold);
    options = mc.options;
    steps.push({ kind: 'choose', option: answer, letter: mc.answer });
    answer = mc.answer;
  } else if (multipleChoice) {
    if (parts.compute === undefined) throw new Error(`${parts.family}: a multiple-choice problem needs its options`);
    const values = steps.filter((s): s is ReadStep => s.kind === 'read').map((s) => s.value);
    const mc = numericOptions(rng, values, parts.compute, parts.range);
    options = mc.options;
    steps.push({ kind: 'choose', option: answer, letter: mc.answer });
    answer = mc.answer;
  }
  const program: Program = options === undefined ? { steps, answer } : { steps, options, answer };
  checkProgram(program);
  const draft: DeepDraft = {
    family: parts.family,
    scene: parts.scene,
    question: parts.question,
    answer,
    program,
    reasoning: writeSolution(rng, program, { picture: parts.picture, core: parts.core }),
    reference: writeReference(program),
    meta: { ...parts.meta, steps: steps.length },
  };
  if (options !== undefined) draft.options = options;
  return draft;
}

/** Readings then a left-to-right chain of operations over them: op k combines the result so far with reading k + 1. */
function chainProgram(reads: readonly ReadStep[], ops: readonly Op[]): ProgramStep[] {
  const steps: ProgramStep[] = [...reads];
  let acc = reads[0]!.value;
  ops.forEach((op, k) => {
    const value = applyOp(acc, op, reads[k + 1]!.value);
    const step: ArithStep = { kind: 'arith', op, left: k === 0 ? { read: 0 } : { step: k - 1 }, right: { read: k + 1 }, value };
    steps.push(step);
    acc = value;
  });
  return steps;
}

/** Operators for a chain over `values` whose running result never goes below zero (a minus only where it can). */
function chainOps(rng: Rng, values: readonly number[]): Op[] {
  const ops: Op[] = [];
  let acc = values[0]!;
  for (let k = 1; k < values.length; k++) {
    const op: Op = acc - values[k]! >= 0 && rng.next() < 0.5 ? 'minus' : 'plus';
    ops.push(op);
    acc = applyOp(acc, op, values[k]!);
  }
  return ops;
}

const evalChain = (ops: readonly Op[]) => (r: readonly number[]): number => ops.reduce((acc, op, k) => applyOp(acc, op, r[k + 1]!), r[0]!);

/** 'what is red plus blue minus green ?' over the given readings of a picture. */
function chainOn(rng: Rng, source: Readable, reads: readonly ReadStep[], ops: readonly Op[], multipleChoice: boolean): DeepDraft {
  const core = reads.map((r, i) => (i === 0 ? r.label : `${ops[i - 1]} ${r.label}`)).join(' ');
  return finish(
    rng,
    {
      family: 'chain',
      scene: source.scene,
      question: source.kind === 'bars' ? `what is ${core} ?` : `how many ${core} ?`,
      steps: chainProgram(reads, ops),
      meta: { variant: source.kind, readings: reads.length },
      core,
      picture: source.picture,
      compute: evalChain(ops),
      range: source.range,
    },
    multipleChoice,
  );
}

export function chainProblem(rng: Rng, opts: DeepOptions): DeepDraft {
  const n = opts.hard ? 4 : 3;
  const source = readable(rng, opts.variant ?? (rng.next() < 0.5 ? 'bars' : 'objects'), n, false, 'chain');
  const reads = rng.shuffle([...source.reads]);
  return chainOn(rng, source, reads, chainOps(rng, reads.map((r) => r.value)), opts.multipleChoice === true);
}

export function compareProblem(rng: Rng, opts: DeepOptions): DeepDraft {
  const which = rng.next() < 0.5 ? 'most' : 'least';
  const source = readable(rng, opts.variant ?? (rng.next() < 0.5 ? 'bars' : 'objects'), rng.int(3, 4), true, 'compare');
  const values = source.reads.map((r) => r.value);
  const best = which === 'most' ? Math.max(...values) : Math.min(...values);
  const winner = source.reads[values.indexOf(best)]!.label;
  const asks = source.kind === 'bars' ? `which bar is the ${which === 'most' ? 'tallest' : 'shortest'} ?` : `which colour has the ${which} ?`;
  return finish(
    rng,
    {
      family: 'compare',
      scene: source.scene,
      question: asks,
      steps: [...source.reads, { kind: 'compare', which, among: source.reads.map((_, i) => i), label: winner }],
      meta: { variant: `${source.kind}-${which}`, readings: source.reads.length },
      core: `the colour with the ${which}`,
      picture: source.picture,
      // Four colour options: the picture's colours, and the one it lacks when it has three.
      textOptions: { texts: COLOURS, gold: winner },
    },
    true,
  );
}

export function measureProblem(rng: Rng, opts: DeepOptions): DeepDraft {
  const kind = opts.variant ?? rng.pick(['perimeter', 'outside', 'area-perimeter']);
  const scene: Scene = { ...gridScene(rng, 6), perception: DEEP_PERCEPTION };
  if (scene.kind !== 'grid') throw new Error('measure: not a grid scene');
  const { w, h, colour } = scene.rect;
  const width: ReadStep = { kind: 'read', form: 'wide', label: colour, value: w };
  const height: ReadStep = { kind: 'read', form: 'tall', label: colour, value: h };
  let steps: ProgramStep[];
  let compute: (r: readonly number[]) => number;
  let question: string;
  let core: string;
  if (kind === 'perimeter') {
    steps = [width, height, { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: w + h }, { kind: 'arith', op: 'times', left: { step: 0 }, right: { constant: 2 }, value: 2 * (w + h) }];
    compute = (r) => 2 * (r[0]! + r[1]!);
    question = `what is the perimeter of the ${colour} rectangle ?`;
    core = 'the perimeter';
  } else if (kind === 'outside') {
    // The grid's own size is read too (8 by 8 cells), then the rectangle's, then the cells outside it.
    const n = GRID_CELLS;
    steps = [
      { kind: 'read', form: 'wide', label: 'grid', value: n },
      { kind: 'read', form: 'tall', label: 'grid', value: n },
      { kind: 'arith', op: 'times', left: { read: 0 }, right: { read: 1 }, value: n * n },
      width,
      height,
      { kind: 'arith', op: 'times', left: { read: 2 }, right: { read: 3 }, value: w * h },
      { kind: 'arith', op: 'minus', left: { step: 0 }, right: { step: 1 }, value: n * n - w * h },
    ];
    compute = (r) => r[0]! * r[1]! - r[2]! * r[3]!;
    question = `how many cells are not ${colour} ?`;
    core = `the cells that are not ${colour}`;
  } else if (kind === 'area-perimeter') {
    steps = [
      width,
      height,
      { kind: 'arith', op: 'times', left: { read: 0 }, right: { read: 1 }, value: w * h },
      { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: w + h },
      { kind: 'arith', op: 'times', left: { step: 1 }, right: { constant: 2 }, value: 2 * (w + h) },
      { kind: 'arith', op: 'plus', left: { step: 0 }, right: { step: 2 }, value: w * h + 2 * (w + h) },
    ];
    compute = (r) => r[0]! * r[1]! + 2 * (r[0]! + r[1]!);
    question = `what is the area plus the perimeter of the ${colour} rectangle ?`;
    core = 'the area plus the perimeter';
  } else throw new Error(`measure: unknown variant '${kind}' (known: perimeter, outside, area-perimeter)`);
  return finish(
    rng,
    {
      family: 'measure',
      scene,
      question,
      steps,
      // MathVision's level (1–5) grows with the operations the problem takes.
      meta: { variant: kind, readings: steps.filter((s) => s.kind === 'read').length, level: Math.min(5, 1 + steps.filter((s) => s.kind === 'arith').length) },
      core,
      picture: 'grid',
      compute,
      range: [1, 6],
    },
    opts.multipleChoice === true,
  );
}

/**
 * A chain with its sub-problems on the same picture. WeMath (multiple choice): 3 readings, and one problem per
 * operation, each on the two readings it joins (the larger first under a minus). ZeroBench (hard, open): 4 readings,
 * and the chain's prefixes as its sub-questions, each a problem of its own ('red plus blue', 'red plus blue minus
 * green').
 */
export function groupedProblem(rng: Rng, opts: DeepOptions): DeepDraft {
  const hard = opts.hard === true;
  const mc = opts.multipleChoice ?? !hard;
  const source = readable(rng, opts.variant ?? (rng.next() < 0.5 ? 'bars' : 'objects'), hard ? 4 : 3, false, 'grouped');
  const reads = rng.shuffle([...source.reads]);
  const ops = chainOps(rng, reads.map((r) => r.value));
  const multi = chainOn(rng, source, reads, ops, mc);
  let substeps: DeepDraft[];
  if (hard) {
    substeps = ops.slice(0, -1).map((_, k) => chainOn(rng, source, reads.slice(0, k + 2), ops.slice(0, k + 1), mc));
  } else {
    substeps = ops.map((op, k) => {
      const pair = [reads[k]!, reads[k + 1]!];
      if (op === 'minus' && pair[0]!.value < pair[1]!.value) pair.reverse();
      return chainOn(rng, source, pair, [op], mc);
    });
  }
  // WeMath's knowledge concepts (benchmarks/mini/families/compose.ts): reading for the sub-problems, arithmetic for the whole.
  const concept = (step: string): string => (step === 'multi' ? 'Addition and Subtraction of Whole Numbers' : source.kind === 'bars' ? 'Reading Bar Charts' : 'Counting Objects by Colour');
  const tag = (d: DeepDraft, step: string): DeepDraft => ({ ...d, family: 'grouped', meta: { ...d.meta, step, steps: d.program.steps.length, concept: concept(step) } });
  return { ...tag(multi, 'multi'), substeps: substeps.map((d, k) => tag(d, String(k + 1))) };
}
