// Family 'count' (MathVista / MMMU figure QA): count objects by colour and/or shape, or combine two
// colour counts. Objects are pixel-art circles, squares and triangles, one per 8×8 patch.
import type { Rng } from '../../../src/util/rng.ts';
import { SHAPES, COLOURS, type Colour, type Scene, type Shape } from '../scene.ts';
import { chain, type Op } from '../language.ts';
import { countWhere, numericDraft, single, pickColours, pickVariant, placeObjects, plural, type FamilyGenerator, type TaskDraft } from './common.ts';

type ObjectsScene = Extract<Scene, { kind: 'objects' }>;

const WEIGHTS = { colour: 35, shape: 10, 'colour-shape': 10, plus: 25, minus: 20 };

/** A scene with `k` colours, each present lo..hi times; returns the colours in random order. */
export function countScene(rng: Rng, k: number, lo: number, hi: number): { scene: ObjectsScene; colours: Colour[] } {
  const colours = pickColours(rng, k);
  const counts = colours.map((c) => [c, rng.int(lo, hi)] as const);
  return { scene: { kind: 'objects', objects: placeObjects(rng, counts) }, colours };
}

/** 'how many red ?' / 'how many circles ?' / 'how many red circles ?' */
/** `range`: the range the asked counts were drawn from, if known (multiple-choice options use it). */
export function askCount(
  rng: Rng,
  scene: ObjectsScene,
  what: { colour?: Colour; shape?: Shape },
  multipleChoice: boolean,
  range?: readonly [number, number],
): TaskDraft {
  const label = [what.colour, what.shape && plural(what.shape)].filter(Boolean).join(' ');
  if (!label) throw new Error('askCount: need a colour or a shape');
  const value = countWhere(scene.objects, what.colour, what.shape);
  return numericDraft(
    rng,
    { family: 'count', scene, question: `how many ${label} ?`, solution: { readings: [[label, value]] }, meta: { variant: 'read' } },
    multipleChoice,
    single,
    range,
  );
}

/** 'how many red plus blue minus green ?' — counts combined left to right. */
export function askCountChain(
  rng: Rng,
  scene: ObjectsScene,
  colours: readonly Colour[],
  ops: readonly Op[],
  multipleChoice: boolean,
  range?: readonly [number, number],
): TaskDraft {
  if (ops.length !== colours.length - 1) throw new Error('askCountChain: need one operator between each two colours');
  const values = colours.map((c) => countWhere(scene.objects, c));
  const combine = (r: readonly number[]) => chain(r[0]!, ops.map((op, i) => [op, r[i + 1]!] as const));
  const { text } = combine(values);
  const core = colours.map((c, i) => (i === 0 ? c : `${ops[i - 1]} ${c}`)).join(' ');
  return numericDraft(
    rng,
    {
      family: 'count',
      scene,
      question: `how many ${core} ?`,
      solution: { readings: colours.map((c, i) => [c, values[i]!] as const), combination: text, restatement: core },
      meta: { variant: ops.join('-') },
    },
    multipleChoice,
    (r) => combine(r).result,
    range,
  );
}

export const countFamily: FamilyGenerator = (rng, opts) => {
  const variant = pickVariant(rng, WEIGHTS, opts.variant, 'count');
  const hard = opts.hard === true;
  const mc = opts.multipleChoice === true;
  const range = hard ? ([2, 5] as const) : ([1, 4] as const);
  const { scene, colours } = countScene(rng, hard ? 3 : rng.int(2, 3), range[0], range[1]);
  let draft: TaskDraft;
  switch (variant) {
    case 'colour': {
      // Now and then ask about a colour that is absent (answer 0).
      const absent = COLOURS.filter((c) => !colours.includes(c));
      const colour = absent.length > 0 && rng.next() < 0.1 ? rng.pick(absent) : colours[0]!;
      draft = askCount(rng, scene, { colour }, mc, colours.includes(colour) ? range : undefined);
      break;
    }
    case 'shape':
      draft = askCount(rng, scene, { shape: rng.pick(SHAPES) }, mc);
      break;
    case 'colour-shape':
      draft = askCount(rng, scene, { colour: colours[0]!, shape: rng.pick(SHAPES) }, mc);
      break;
    case 'plus':
      draft = askCountChain(rng, scene, colours.slice(0, 2), ['plus'], mc, range);
      break;
    case 'minus': {
      const [a, b] = colours.slice(0, 2).sort((x, y) => countWhere(scene.objects, y) - countWhere(scene.objects, x));
      draft = askCountChain(rng, scene, [a!, b!], ['minus'], mc, range);
      break;
    }
  }
  draft.meta = { ...draft.meta, variant };
  return draft;
};
