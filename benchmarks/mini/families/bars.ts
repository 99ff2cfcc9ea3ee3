// Family 'bars' (MathVista / MMMU chart QA): read a bar chart of 3–4 coloured bars (one per patch
// column, heights 1..7 units of 4 pixels with light rules at every unit) and read one bar, add or
// subtract two, or find the tallest value.
import type { Rng } from '../../../src/util/rng.ts';
import { BAR_MAX, type Colour, type Scene } from '../scene.ts';
import { chain, type Op } from '../language.ts';
import { distinctInts, numericDraft, single, pickColours, pickVariant, type FamilyGenerator, type TaskDraft } from './common.ts';

type BarsScene = Extract<Scene, { kind: 'bars' }>;

const WEIGHTS = { read: 25, plus: 30, minus: 25, tallest: 20 };
/** Bar values are drawn from this range (uniformly, unless distinct or spread). */
const BAR_RANGE = [1, BAR_MAX] as const;

/**
 * `n` bars of distinct colours in `n` of the 4 columns; values in 1..BAR_MAX (distinct when asked).
 * With `spreadMax` the tallest value is drawn uniformly from 2..BAR_MAX first (otherwise the maximum of
 * 3–4 uniform values is nearly always 6 or 7, guessable without the image).
 */
export function barsScene(rng: Rng, n: number, distinct: boolean, spreadMax = false): BarsScene {
  const colours = pickColours(rng, n);
  const columns = distinctInts(rng, n, 0, 3).sort((a, b) => a - b);
  let values: number[];
  if (distinct) values = distinctInts(rng, n, 1, BAR_MAX);
  else if (spreadMax) {
    const top = rng.int(2, BAR_MAX);
    values = rng.shuffle([top, ...Array.from({ length: n - 1 }, () => rng.int(1, top))]);
  } else values = colours.map(() => rng.int(1, BAR_MAX));
  return { kind: 'bars', bars: columns.map((column, i) => ({ column, colour: colours[i]!, value: values[i]! })) };
}

export function barValue(scene: BarsScene, colour: Colour): number {
  const bar = scene.bars.find((b) => b.colour === colour);
  if (!bar) throw new Error(`barValue: no ${colour} bar`);
  return bar.value;
}

/** Bar colours from left to right. */
export function barColours(scene: BarsScene): Colour[] {
  return [...scene.bars].sort((a, b) => a.column - b.column).map((b) => b.colour);
}

/** 'what is the red bar ?' */
export function askBar(rng: Rng, scene: BarsScene, colour: Colour, multipleChoice: boolean): TaskDraft {
  const value = barValue(scene, colour);
  return numericDraft(
    rng,
    { family: 'bars', scene, question: `what is the ${colour} bar ?`, solution: { readings: [[colour, value]] }, meta: { variant: 'read' } },
    multipleChoice,
    single,
    BAR_RANGE,
  );
}

/** 'what is red plus blue minus green ?' — bar values combined left to right. */
export function askBarChain(rng: Rng, scene: BarsScene, colours: readonly Colour[], ops: readonly Op[], multipleChoice: boolean): TaskDraft {
  if (ops.length !== colours.length - 1) throw new Error('askBarChain: need one operator between each two colours');
  const values = colours.map((c) => barValue(scene, c));
  const combine = (r: readonly number[]) => chain(r[0]!, ops.map((op, i) => [op, r[i + 1]!] as const));
  const { text } = combine(values);
  const core = colours.map((c, i) => (i === 0 ? c : `${ops[i - 1]} ${c}`)).join(' ');
  return numericDraft(
    rng,
    {
      family: 'bars',
      scene,
      question: `what is ${core} ?`,
      solution: { readings: colours.map((c, i) => [c, values[i]!] as const), combination: text, restatement: core },
      meta: { variant: ops.join('-') },
    },
    multipleChoice,
    (r) => combine(r).result,
    BAR_RANGE,
  );
}

/** 'what is the tallest bar ?' — reads every bar left to right, then names the largest value. */
export function askTallestValue(rng: Rng, scene: BarsScene, multipleChoice: boolean): TaskDraft {
  const colours = barColours(scene);
  const values = colours.map((c) => barValue(scene, c));
  const top = Math.max(...values);
  return numericDraft(
    rng,
    {
      family: 'bars',
      scene,
      question: 'what is the tallest bar ?',
      solution: { readings: colours.map((c, i) => [c, values[i]!] as const), combination: `tallest is ${top}`, restatement: 'the tallest bar' },
      meta: { variant: 'tallest' },
    },
    multipleChoice,
    (r) => Math.max(...r),
    BAR_RANGE,
  );
}

export const barsFamily: FamilyGenerator = (rng, opts) => {
  const variant = pickVariant(rng, WEIGHTS, opts.variant, 'bars');
  const mc = opts.multipleChoice === true;
  const scene = barsScene(rng, opts.hard ? 4 : rng.int(3, 4), false, variant === 'tallest');
  const colours = rng.shuffle(barColours(scene));
  let draft: TaskDraft;
  switch (variant) {
    case 'read':
      draft = askBar(rng, scene, colours[0]!, mc);
      break;
    case 'plus':
      draft = askBarChain(rng, scene, colours.slice(0, 2), ['plus'], mc);
      break;
    case 'minus': {
      const [a, b] = colours.slice(0, 2).sort((x, y) => barValue(scene, y) - barValue(scene, x));
      draft = askBarChain(rng, scene, [a!, b!], ['minus'], mc);
      break;
    }
    case 'tallest':
      draft = askTallestValue(rng, scene, mc);
      break;
  }
  draft.meta = { ...draft.meta, variant };
  return draft;
};
