// Shared pieces of the family generators: the draft a generator returns (a task before its image is
// rendered and before it gets a split and uid), generator options, and scene-building helpers.
import type { Rng } from '../../../src/util/rng.ts';
import type { FamilyName } from '../types.ts';
import type { Program } from '../deep/program.ts';
import type { Segment } from '../deep/language.ts';
import { CELLS, COLOURS, SHAPES, type Colour, type Scene, type SceneObject, type Shape } from '../scene.ts';
import { numericOptions, referenceText, traceText, type Solution } from '../language.ts';

export interface TaskDraft {
  family: FamilyName;
  scene: Scene;
  question: string;
  answer: string;
  options?: string[];
  reference: string;
  trace: string;
  meta: Record<string, string | number>;
  substeps?: TaskDraft[];
  /** Deep world: the program and the spans of the trace and the reference (MiniTask). */
  program?: Program;
  traceSegments?: Segment[];
  referenceSegments?: Segment[];
}

export interface GenOptions {
  /** Harder items (more objects / larger values); ZeroBench-style compositions. */
  hard?: boolean;
  /** Ask with lettered options A–D (compose: default true, as WeMath is multiple choice only). */
  multipleChoice?: boolean;
  /** Force one variant of the family (e.g. 'area'); otherwise drawn with the family's weights. */
  variant?: string;
}

export type FamilyGenerator = (rng: Rng, opts: GenOptions) => TaskDraft;

/** Draws a variant by weight unless `forced` names one (which must exist). */
export function pickVariant<V extends string>(rng: Rng, weights: Record<V, number>, forced: string | undefined, family: string): V {
  const names = Object.keys(weights) as V[];
  if (forced !== undefined) {
    if (!names.includes(forced as V)) throw new Error(`${family}: unknown variant '${forced}' (known: ${names.join(', ')})`);
    return forced as V;
  }
  let total = 0;
  for (const n of names) total += weights[n];
  let u = rng.next() * total;
  for (const n of names) {
    u -= weights[n];
    if (u < 0) return n;
  }
  return names[names.length - 1]!;
}

/** `k` distinct colours in random order. */
export function pickColours(rng: Rng, k: number): Colour[] {
  return rng.shuffle([...COLOURS]).slice(0, k);
}

/** Places the given number of objects of each colour in distinct random cells, with random shapes. */
export function placeObjects(rng: Rng, counts: ReadonlyArray<readonly [Colour, number]>): SceneObject[] {
  const total = counts.reduce((s, [, n]) => s + n, 0);
  if (total > CELLS) throw new Error(`placeObjects: ${total} objects do not fit in ${CELLS} cells`);
  const cells = rng.shuffle(Array.from({ length: CELLS }, (_, i) => i));
  const objects: SceneObject[] = [];
  let next = 0;
  for (const [colour, n] of counts) {
    for (let i = 0; i < n; i++) objects.push({ cell: cells[next++]!, colour, shape: rng.pick(SHAPES) });
  }
  return objects.sort((a, b) => a.cell - b.cell);
}

export function countWhere(objects: readonly SceneObject[], colour?: Colour, shape?: Shape): number {
  return objects.filter((o) => (colour === undefined || o.colour === colour) && (shape === undefined || o.shape === shape)).length;
}

/** Plural of a shape word in the mini language ('circle' + 's'). */
export function plural(shape: Shape): string {
  return `${shape}s`;
}

/** `k` distinct integers in [lo, hi], in random order. */
export function distinctInts(rng: Rng, k: number, lo: number, hi: number): number[] {
  const all = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  return rng.shuffle(all).slice(0, k);
}

/** Assembles a draft from its solution: trace (with a random preamble) and reference. */
export function makeDraft(
  rng: Rng,
  parts: { family: FamilyName; scene: Scene; question: string; answer: string; options?: string[]; solution: Solution; meta: Record<string, string | number> },
): TaskDraft {
  const draft: TaskDraft = {
    family: parts.family,
    scene: parts.scene,
    question: parts.question,
    answer: parts.answer,
    reference: referenceText(parts.solution, parts.answer),
    trace: traceText(rng, parts.solution),
    meta: { ...parts.meta, readings: parts.solution.readings.length },
  };
  if (parts.options) draft.options = parts.options;
  return draft;
}

/**
 * A draft whose answer is a number computed from its readings: open (the number) or multiple choice
 * (lettered options, see numericOptions). `range` is the range the readings were drawn from, when known.
 */
export function numericDraft(
  rng: Rng,
  parts: { family: FamilyName; scene: Scene; question: string; solution: Solution; meta: Record<string, string | number> },
  multipleChoice: boolean,
  compute: (readings: readonly number[]) => number,
  range?: readonly [number, number],
): TaskDraft {
  const readings = parts.solution.readings.map(([, v]) => v);
  const value = compute(readings);
  if (!multipleChoice) return makeDraft(rng, { ...parts, answer: String(value), meta: { ...parts.meta, value } });
  const { options, answer } = numericOptions(rng, readings, compute, range);
  return makeDraft(rng, { ...parts, answer, options, meta: { ...parts.meta, value } });
}

/** The value of a single reading. */
export const single = (r: readonly number[]): number => r[0]!;
