// The problem families of the deep mini world: each draws a scene and a question, builds the question's program
// (program.ts: every step with its correct value) and writes the reasoning and the reference solution with the span
// of every step (language.ts). Every problem takes at least three steps before its answer statement.
//
//   chain    'what is red plus blue minus green ?' on a bar chart, 'how many red plus blue minus green ?' on objects:
//            3 readings (4 when hard) combined left to right            (MathVista; ZeroBench when hard; WeMath)
//   compare  'which colour has the most ?' / 'which bar is the tallest ?': every reading, the comparison, the
//            option that names the winner                                (MMMU)
//   grid     'what is the perimeter ?' (width, height, w plus h, times 2) or 'how many cells are not red ?'
//            (width, height, w times h, 64 minus the area)               (MathVision)
import type { Rng } from '../../../src/util/rng.ts';
import { GRID_CELLS, type Colour, type Scene } from '../scene.ts';
import { numericOptions, letteredOptions } from '../language.ts';
import { barColours, barValue, barsScene } from '../families/bars.ts';
import { countScene } from '../families/count.ts';
import { gridScene } from '../families/grid.ts';
import { countWhere, pickColours, placeObjects } from '../families/common.ts';
import { COLOURS } from '../scene.ts';
import { applyOp, checkProgram, type ArithStep, type Op, type Program, type ProgramStep, type ReadForm, type ReadStep } from './program.ts';
import { writeReference, writeSolution, type Written } from './language.ts';

export type DeepFamily = 'chain' | 'compare' | 'grid';

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
}

export interface DeepOptions {
  /** Ask with lettered options A–D. */
  multipleChoice?: boolean;
  /** Longer chains (4 readings, 3 operations): ZeroBench. */
  hard?: boolean;
  /** Force a variant ('bars' | 'objects' for chain and compare; 'perimeter' | 'outside' for grid). */
  variant?: string;
}

function finish(rng: Rng, parts: Omit<DeepDraft, 'reasoning' | 'reference' | 'answer'> & { core: string; picture: string; compute?: (r: readonly number[]) => number; range?: readonly [number, number] }, multipleChoice: boolean): DeepDraft {
  const { core, picture, compute, range, ...draft } = parts;
  const steps: ProgramStep[] = [...draft.program.steps];
  const last = steps[steps.length - 1]!;
  let answer = last.kind === 'arith' || last.kind === 'read' ? String(last.value) : last.kind === 'compare' ? last.label : '';
  let options = draft.options;
  if (multipleChoice && last.kind !== 'choose') {
    if (compute === undefined) throw new Error(`${draft.family}: a multiple-choice problem needs its options`);
    const values = steps.filter((s): s is ReadStep => s.kind === 'read').map((s) => s.value);
    const mc = numericOptions(rng, values, compute, range);
    options = mc.options;
    steps.push({ kind: 'choose', option: answer, letter: mc.answer });
    answer = mc.answer;
  } else if (last.kind === 'choose') answer = last.letter;
  const program: Program = options === undefined ? { steps, answer } : { steps, options, answer };
  checkProgram(program);
  const out: DeepDraft = {
    ...draft,
    answer,
    program,
    reasoning: writeSolution(rng, program, { picture, core }),
    reference: writeReference(program),
    meta: { ...draft.meta, steps: steps.length },
  };
  if (options !== undefined) out.options = options;
  return out;
}

/** Readings then a left-to-right chain of operations over them: op k combines the result so far with reading k + 1. */
function chainProgram(reads: ReadStep[], ops: readonly Op[]): ProgramStep[] {
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

export function chainProblem(rng: Rng, opts: DeepOptions): DeepDraft {
  const n = opts.hard ? 4 : 3;
  const kind = opts.variant ?? (rng.next() < 0.5 ? 'bars' : 'objects');
  let scene: Scene;
  let colours: Colour[];
  let form: ReadForm;
  let valueOf: (c: Colour) => number;
  let range: readonly [number, number];
  if (kind === 'bars') {
    const bars = barsScene(rng, n, false);
    scene = bars;
    colours = rng.shuffle(barColours(bars));
    form = 'bar';
    valueOf = (c) => barValue(bars, c);
    range = [1, 7];
  } else if (kind === 'objects') {
    const objects = countScene(rng, n, 1, 4);
    scene = objects.scene;
    colours = objects.colours;
    form = 'count';
    valueOf = (c) => countWhere(objects.scene.objects, c);
    range = [1, 4];
  } else throw new Error(`chain: unknown variant '${kind}' (known: bars, objects)`);
  const reads: ReadStep[] = colours.map((label) => ({ kind: 'read', form, label, value: valueOf(label) }));
  const ops = chainOps(rng, reads.map((r) => r.value));
  const core = colours.map((c, i) => (i === 0 ? c : `${ops[i - 1]} ${c}`)).join(' ');
  return finish(
    rng,
    {
      family: 'chain',
      scene,
      question: kind === 'bars' ? `what is ${core} ?` : `how many ${core} ?`,
      program: { steps: chainProgram(reads, ops), answer: '' },
      meta: { variant: kind, readings: n },
      core,
      picture: kind === 'bars' ? 'chart' : 'picture',
      compute: evalChain(ops),
      range,
    },
    opts.multipleChoice === true,
  );
}

export function compareProblem(rng: Rng, opts: DeepOptions): DeepDraft {
  const kind = opts.variant ?? (rng.next() < 0.5 ? 'bars' : 'objects');
  const which = rng.next() < 0.5 ? 'most' : 'least';
  const n = rng.int(3, 4);
  let reads: ReadStep[];
  let scene: Scene;
  if (kind === 'bars') {
    const bars = barsScene(rng, n, true);
    scene = bars;
    reads = barColours(bars).map((label) => ({ kind: 'read', form: 'bar', label, value: barValue(bars, label) }));
  } else if (kind === 'objects') {
    // Distinct counts, so the most and the least are unique.
    const counts = rng.shuffle([1, 2, 3, 4, 5]).slice(0, n);
    const colours = pickColours(rng, n);
    scene = { kind: 'objects', objects: placeObjects(rng, colours.map((c, i) => [c, counts[i]!] as const)) };
    reads = colours.map((label, i) => ({ kind: 'read', form: 'count', label, value: counts[i]! }));
  } else throw new Error(`compare: unknown variant '${kind}' (known: bars, objects)`);
  const values = reads.map((r) => r.value);
  const best = which === 'most' ? Math.max(...values) : Math.min(...values);
  const winner = reads[values.indexOf(best)]!.label;
  // Four colour options: the colours of the picture, and the one it lacks when it has three.
  const { options, answer } = letteredOptions(rng, [...COLOURS], winner);
  const steps: ProgramStep[] = [...reads, { kind: 'compare', which, among: reads.map((_, i) => i), label: winner }, { kind: 'choose', option: winner, letter: answer }];
  const asks = kind === 'bars' ? `which bar is the ${which === 'most' ? 'tallest' : 'shortest'} ?` : `which colour has the ${which} ?`;
  return finish(
    rng,
    {
      family: 'compare',
      scene,
      question: asks,
      options,
      program: { steps, options, answer },
      meta: { variant: `${kind}-${which}`, readings: n },
      core: `the colour with the ${which}`,
      picture: kind === 'bars' ? 'chart' : 'picture',
    },
    true,
  );
}

export function gridProblem(rng: Rng, opts: DeepOptions): DeepDraft {
  const kind = opts.variant ?? rng.pick(['perimeter', 'outside', 'area-perimeter']);
  const scene = gridScene(rng, 6);
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
  } else throw new Error(`grid: unknown variant '${kind}' (known: perimeter, outside, area-perimeter)`);
  return finish(
    rng,
    {
      family: 'grid',
      scene,
      question,
      program: { steps, answer: '' },
      meta: { variant: kind, readings: steps.filter((s) => s.kind === 'read').length },
      core,
      picture: 'grid',
      compute,
      range: [1, 6],
    },
    opts.multipleChoice === true,
  );
}
