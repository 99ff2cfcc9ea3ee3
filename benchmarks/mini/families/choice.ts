// Family 'choice' (MMMU-style multiple choice, options A–D): which colour has the most / least
// objects, or which bar is the tallest / shortest. Learnable by design: the options are colours whose
// counts or heights are visible, the trace reads them first (in option order), names the winner,
// and only then the answer statement gives its letter.
import type { Rng } from '../../../src/util/rng.ts';
import { COLOURS, type Colour, type Scene } from '../scene.ts';
import { letteredOptions, type Reading } from '../language.ts';
import { barsScene, barValue } from './bars.ts';
import { countWhere, distinctInts, makeDraft, pickColours, pickVariant, placeObjects, type FamilyGenerator, type TaskDraft } from './common.ts';

type Extreme = 'most' | 'least' | 'tallest' | 'shortest';

const WEIGHTS: Record<Extreme, number> = { most: 30, least: 20, tallest: 30, shortest: 20 };

function askExtreme(rng: Rng, scene: Scene, extreme: Extreme, candidates: readonly Colour[], valueOf: (c: Colour) => number): TaskDraft {
  const values = candidates.map(valueOf);
  const best = extreme === 'most' || extreme === 'tallest' ? Math.max(...values) : Math.min(...values);
  if (values.filter((v) => v === best).length !== 1) throw new Error('askExtreme: the extreme must be unique');
  const winner = candidates[values.indexOf(best)]!;
  const { options, answer } = letteredOptions(rng, candidates, winner);
  const readings: Reading[] = options.map((c) => [c, valueOf(c as Colour)] as const);
  const question = extreme === 'most' || extreme === 'least' ? `which colour has ${extreme} ?` : `which bar is ${extreme} ?`;
  return makeDraft(rng, {
    family: 'choice',
    scene,
    question,
    answer,
    options,
    solution: { readings, combination: `${extreme} is ${winner}` },
    meta: { variant: extreme, winner, options: options.length },
  });
}

export const choiceFamily: FamilyGenerator = (rng, opts) => {
  const extreme = pickVariant(rng, WEIGHTS, opts.variant, 'choice');
  if (extreme === 'most' || extreme === 'least') {
    // 2 or 3 option colours with distinct counts; with 2 options, sometimes a third colour as a distractor.
    const k = rng.next() < 0.7 ? 3 : 2;
    const maxCount = opts.hard ? 5 : 4;
    const colours = pickColours(rng, k);
    const counts = distinctInts(rng, k, 1, maxCount);
    const present: Array<readonly [Colour, number]> = colours.map((c, i) => [c, counts[i]!] as const);
    if (k === 2 && rng.next() < 0.5) present.push([COLOURS.find((c) => !colours.includes(c))!, rng.int(1, maxCount)]);
    const scene: Scene = { kind: 'objects', objects: placeObjects(rng, present) };
    return askExtreme(rng, scene, extreme, colours, (c) => countWhere(scene.objects, c));
  }
  const scene = barsScene(rng, opts.hard ? 4 : rng.int(3, 4), true);
  return askExtreme(
    rng,
    scene,
    extreme,
    scene.bars.map((b) => b.colour),
    (c) => barValue(scene, c),
  );
};
