// Family 'compose' (WeMath-style, and ZeroBench when hard): a 2- or 3-step problem whose single steps
// are also asked alone, as `substeps` on the same image. WeMath asks every item with lettered options
// (multipleChoice, the default here); ZeroBench items (hard) are open, with more objects and 3 steps.
//   2 steps: count 'how many red plus blue ?' (substeps: each count), grid area (width, height),
//            bars 'what is red minus blue ?' (each bar)
//   3 steps: 'how many / what is red plus blue minus green ?' on objects or bars (each reading)
import type { Rng } from '../../../src/util/rng.ts';
import type { Colour } from '../scene.ts';
import { askBar, askBarChain, barColours, barValue, barsScene } from './bars.ts';
import { askCount, askCountChain, countScene } from './count.ts';
import { askGrid, gridScene } from './grid.ts';
import { countWhere, pickVariant, type FamilyGenerator, type TaskDraft } from './common.ts';

const WEIGHTS = { 'count-plus': 20, 'grid-area': 20, 'bars-minus': 20, 'bars-3': 20, 'count-3': 20 };
const HARD_WEIGHTS = { 'count-3': 60, 'bars-3': 40 };

/** WeMath knowledge concepts (invented for the mini suite), per step kind. */
export const KNOWLEDGE_CONCEPTS = {
  count: 'Counting Objects by Colour',
  bars: 'Reading Bar Charts',
  grid: 'Measuring Lengths on a Grid',
  arithmetic: 'Addition and Subtraction of Whole Numbers',
  area: 'Area of Rectangles',
} as const;

function group(multi: TaskDraft, steps: TaskDraft[], concepts: { step: string; multi: string }): TaskDraft {
  steps.forEach((s, i) => {
    s.family = 'compose';
    s.meta = { ...s.meta, step: String(i + 1), steps: steps.length, concept: concepts.step };
  });
  multi.family = 'compose';
  multi.meta = { ...multi.meta, step: 'multi', steps: steps.length, concept: concepts.multi };
  multi.substeps = steps;
  return multi;
}

/** Orders three colours so that a + b − c ≥ 0 (c has the smallest value). */
function threeStepOrder(colours: Colour[], valueOf: (c: Colour) => number): Colour[] {
  const sorted = [...colours].sort((x, y) => valueOf(x) - valueOf(y));
  const c = sorted[0]!;
  return [...colours.filter((x) => x !== c), c];
}

export const composeFamily: FamilyGenerator = (rng: Rng, opts) => {
  const hard = opts.hard === true;
  const mc = opts.multipleChoice ?? true;
  const variant = hard ? pickVariant(rng, HARD_WEIGHTS, opts.variant, 'compose (hard)') : pickVariant(rng, WEIGHTS, opts.variant, 'compose');
  let draft: TaskDraft;
  switch (variant) {
    case 'count-plus': {
      const { scene, colours } = countScene(rng, rng.int(2, 3), 1, 4);
      const pair = colours.slice(0, 2);
      const multi = askCountChain(rng, scene, pair, ['plus'], mc, [1, 4]);
      const steps = pair.map((colour) => askCount(rng, scene, { colour }, mc, [1, 4]));
      draft = group(multi, steps, { step: KNOWLEDGE_CONCEPTS.count, multi: KNOWLEDGE_CONCEPTS.arithmetic });
      break;
    }
    case 'grid-area': {
      const scene = gridScene(rng, 6);
      const multi = askGrid(rng, scene, 'area', mc);
      const steps = [askGrid(rng, scene, 'width', mc), askGrid(rng, scene, 'height', mc)];
      draft = group(multi, steps, { step: KNOWLEDGE_CONCEPTS.grid, multi: KNOWLEDGE_CONCEPTS.area });
      break;
    }
    case 'bars-minus': {
      const scene = barsScene(rng, rng.int(3, 4), false);
      const pair = rng
        .shuffle(barColours(scene))
        .slice(0, 2)
        .sort((x, y) => barValue(scene, y) - barValue(scene, x));
      const multi = askBarChain(rng, scene, pair, ['minus'], mc);
      const steps = pair.map((c) => askBar(rng, scene, c, mc));
      draft = group(multi, steps, { step: KNOWLEDGE_CONCEPTS.bars, multi: KNOWLEDGE_CONCEPTS.arithmetic });
      break;
    }
    case 'bars-3': {
      const scene = barsScene(rng, hard ? 4 : rng.int(3, 4), false);
      const three = threeStepOrder(rng.shuffle(barColours(scene)).slice(0, 3), (c) => barValue(scene, c));
      const multi = askBarChain(rng, scene, three, ['plus', 'minus'], mc);
      const steps = three.map((c) => askBar(rng, scene, c, mc));
      draft = group(multi, steps, { step: KNOWLEDGE_CONCEPTS.bars, multi: KNOWLEDGE_CONCEPTS.arithmetic });
      break;
    }
    case 'count-3': {
      const range = hard ? ([2, 5] as const) : ([1, 4] as const);
      const { scene, colours } = countScene(rng, 3, range[0], range[1]);
      const three = threeStepOrder(colours, (c) => countWhere(scene.objects, c));
      const multi = askCountChain(rng, scene, three, ['plus', 'minus'], mc, range);
      const steps = three.map((colour) => askCount(rng, scene, { colour }, mc, range));
      draft = group(multi, steps, { step: KNOWLEDGE_CONCEPTS.count, multi: KNOWLEDGE_CONCEPTS.arithmetic });
      break;
    }
  }
  draft.meta = { ...draft.meta, variant };
  return draft;
};
