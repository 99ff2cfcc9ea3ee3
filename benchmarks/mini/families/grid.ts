// Family 'grid' (MathVision-style metric geometry): a coloured rectangle on a checkerboard of unit
// cells (4×4 pixels, 8×8 cells); asks its area, perimeter, width or height in cell units.
import type { Rng } from '../../../src/util/rng.ts';
import { GRID_CELLS, type Scene } from '../scene.ts';
import { chain } from '../language.ts';
import { numericDraft, pickColours, single, pickVariant, type FamilyGenerator, type TaskDraft } from './common.ts';

type GridScene = Extract<Scene, { kind: 'grid' }>;
export type GridQuestion = 'area' | 'perimeter' | 'width' | 'height';

const WEIGHTS: Record<GridQuestion, number> = { area: 45, perimeter: 35, width: 10, height: 10 };

/** MathVision level of each question (how many steps it takes). */
export const GRID_LEVEL: Record<GridQuestion, number> = { width: 1, height: 1, area: 2, perimeter: 3 };

/** A w×h rectangle (sides 1..maxSide) at a random position. */
export function gridScene(rng: Rng, maxSide: number): GridScene {
  const w = rng.int(1, maxSide);
  const h = rng.int(1, maxSide);
  return {
    kind: 'grid',
    rect: { x: rng.int(0, GRID_CELLS - w), y: rng.int(0, GRID_CELLS - h), w, h, colour: pickColours(rng, 1)[0]! },
  };
}

/** `maxSide`: the rectangle's sides were drawn from 1..maxSide (multiple-choice options use it). */
export function askGrid(rng: Rng, scene: GridScene, what: GridQuestion, multipleChoice: boolean, maxSide = 6): TaskDraft {
  const range = [1, maxSide] as const;
  const { w, h } = scene.rect;
  const base = { family: 'grid' as const, scene, question: `what is the ${what} ?`, meta: { variant: what, level: GRID_LEVEL[what] } };
  switch (what) {
    case 'width':
      return numericDraft(rng, { ...base, solution: { readings: [['width', w]] } }, multipleChoice, single, range);
    case 'height':
      return numericDraft(rng, { ...base, solution: { readings: [['height', h]] } }, multipleChoice, single, range);
    case 'area': {
      const area = (r: readonly number[]) => chain(r[0]!, [['times', r[1]!]]);
      const solution = { readings: [['width', w], ['height', h]] as const, combination: area([w, h]).text, restatement: 'the area' };
      return numericDraft(rng, { ...base, solution }, multipleChoice, (r) => area(r).result, range);
    }
    case 'perimeter': {
      const perimeter = (r: readonly number[]) => chain(r[0]!, [['plus', r[1]!], ['times', 2]]);
      const solution = { readings: [['width', w], ['height', h]] as const, combination: perimeter([w, h]).text, restatement: 'the perimeter' };
      return numericDraft(rng, { ...base, solution }, multipleChoice, (r) => perimeter(r).result, range);
    }
  }
}

export const gridFamily: FamilyGenerator = (rng, opts) => {
  const variant = pickVariant(rng, WEIGHTS, opts.variant, 'grid');
  const maxSide = opts.hard ? GRID_CELLS : 6;
  return askGrid(rng, gridScene(rng, maxSide), variant, opts.multipleChoice === true, maxSide);
};
