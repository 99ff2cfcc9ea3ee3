// Family 'bars' (MathVista / MMMU chart QA): read a bar chart of 3–4 coloured bars (one per patch
// column, heights 1..7 units of 4 pixels with light rules at every unit) and read one bar, add or
// subtract two, or find the tallest value.
import type { Rng } from '../../../src/util/rng.ts';
import { BAR_MAX, type Colour, type Scene } from '../scene.ts';
import { chain, type Op } from '../language.ts';
import { distinctInts, numericDraft, pickColours, pickVariant, type FamilyGenerator, type TaskDraft } from './common.ts';

type BarsScene = Extract<Scene, { kind: 'bars' }>;

const WEIGHTS = { read: 25, plus: 30, minus: 25, tallest: 20 };

/** `n` bars of distinct colours in `n` of the 4 columns; values in 1..BAR_MAX (distinct when asked). */
export function barsScene(rng: Rng, n: number, distinct: boolean): BarsScene {
  const colours = pickColours(rng, n);
  const columns = distinctInts(rng, n, 0, 3).sort((a, b) => a - b);
  const values = distinct ? distinctInts(rng, n, 1, BAR_MAX) : colours.map(() => rng.int(1, BAR_MAX));
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
    value,
    multipleChoice,
  );
}

/** 'what is red plus blue minus green ?' — bar values combined left to right. */
export function askBarChain(rng: Rng, scene: BarsScene, colours: readonly Colour[], ops: readonly Op[], multipleChoice: boolean): TaskDraft {
  if (ops.length !== colours.length - 1) throw new Error('askBarChain: need one operator between each two colours');
  const values = colours.map((c) => barValue(scene, c));
  const { text, result } = chain(values[0]!, ops.map((op, i) => [op, values[i + 1]!] as const));
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
    result,
    multipleChoice,
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
    top,
    multipleChoice,
  );
}

export const barsFamily: FamilyGenerator = (rng, opts) => {
  const variant = pickVariant(rng, WEIGHTS, opts.variant, 'bars');
  const mc = opts.multipleChoice === true;
  const scene = barsScene(rng, opts.hard ? 4 : rng.int(3, 4), false);
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
