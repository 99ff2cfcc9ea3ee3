// Deterministic generation of mini tasks, with disjoint train and eval splits.
//
// Determinism: item i of (family, split, seed) draws from its own stream
//   new Rng(hashString(`rlsd-mini|<family>|<split>|<seed>`)).fork(i),
// so it never depends on how many items were drawn before or in which order.
//
// Split rule (documented, tested): every scene has a canonical key (sceneKey: the image parameters).
// The key belongs to 'eval' when the top bit of mix32(hashString('rlsd-mini-split|' + key)) is 1, else to
// 'train'. A generator redraws (from the item's own stream) until its scene falls in its own half, so
// train and eval never share an image — and therefore never share an (image, question) pair either.
// The substeps of a compose task share its scene, so a WeMath/ZeroBench group is never split.
// 'validation' items draw from their own stream, keep only held-out-half scenes (so they share no image with
// train either) and skip the scenes the caller excludes (the test problems' — benchmarks/mini/build.ts).
import { Rng, hashString } from '../../src/util/rng.ts';
import type { FamilyName, MiniSplit, MiniSuite, MiniTask } from './types.ts';
import { encodeScenePng, sceneKey, scenePixels, type Scene } from './scene.ts';
import type { FamilyGenerator, GenOptions, TaskDraft } from './families/common.ts';
import { countFamily } from './families/count.ts';
import { barsFamily } from './families/bars.ts';
import { gridFamily } from './families/grid.ts';
import { choiceFamily } from './families/choice.ts';
import { composeFamily } from './families/compose.ts';
import { chainProblem, compareProblem, groupedProblem, measureProblem, type DeepDraft, type DeepOptions } from './deep/families.ts';

export type { GenOptions, TaskDraft } from './families/common.ts';

/** A deep-world problem as the suite's draft: its reasoning is the trace, and the spans come along. */
function deepTaskDraft(d: DeepDraft): TaskDraft {
  const draft: TaskDraft = {
    family: d.family,
    scene: d.scene,
    question: d.question,
    answer: d.answer,
    reference: d.reference.text,
    trace: d.reasoning.text,
    meta: d.meta,
    program: d.program,
    traceSegments: d.reasoning.segments,
    referenceSegments: d.reference.segments,
  };
  if (d.options) draft.options = d.options;
  if (d.substeps) draft.substeps = d.substeps.map(deepTaskDraft);
  return draft;
}

const deep = (make: (rng: Rng, opts: DeepOptions) => DeepDraft): FamilyGenerator => (rng, opts) => deepTaskDraft(make(rng, opts));

export const FAMILIES: Record<FamilyName, FamilyGenerator> = {
  count: countFamily,
  bars: barsFamily,
  grid: gridFamily,
  choice: choiceFamily,
  compose: composeFamily,
  chain: deep(chainProblem),
  compare: deep(compareProblem),
  measure: deep(measureProblem),
  grouped: deep(groupedProblem),
};
export const FAMILY_NAMES = Object.keys(FAMILIES) as FamilyName[];

/** The families each version of the suite draws from (its benchmarks' mixes name only these). */
export const SUITE_FAMILIES: Readonly<Record<MiniSuite, readonly FamilyName[]>> = {
  'mini-1': ['count', 'bars', 'grid', 'choice', 'compose'],
  'mini-2': ['chain', 'compare', 'measure', 'grouped'],
};

/** murmur3's finaliser: spreads every input bit over the output (FNV-1a's low bits are weak). */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The split a scene key belongs to (see the rule at the top of this file). */
export function splitOfKey(key: string): 'train' | 'eval' {
  return mix32(hashString('rlsd-mini-split|' + key)) >>> 31 === 1 ? 'eval' : 'train';
}

/** A task before rendering: the draft plus its identity. Substeps carry the same scene. */
export interface MiniTaskDraft extends Omit<TaskDraft, 'substeps'> {
  uid: string;
  split: MiniSplit;
  /** Canonical key of the scene (decides the split). */
  key: string;
  substeps?: MiniTaskDraft[];
}

const MAX_REDRAWS = 1000;

function itemRng(family: FamilyName, split: MiniSplit, index: number, seed: number): Rng {
  return new Rng(hashString(`rlsd-mini|${family}|${split}|${seed}`)).fork(index);
}

function stamp(d: TaskDraft, uid: string, split: MiniSplit, key: string): MiniTaskDraft {
  const { substeps, ...rest } = d;
  const out: MiniTaskDraft = { ...rest, uid, split, key, meta: { ...d.meta, key } };
  if (substeps) out.substeps = substeps.map((s, i) => stamp(s, `${uid}-s${i + 1}`, split, key));
  return out;
}

/** Draws item `index` of a family and split, synchronously (no image yet). */
export function draftTask(family: FamilyName, split: MiniSplit, index: number, seed: number, opts: GenOptions = {}, exclude?: ReadonlySet<string>): MiniTaskDraft {
  const gen = FAMILIES[family];
  if (!gen) throw new Error(`unknown mini family '${family}' (known: ${FAMILY_NAMES.join(', ')})`);
  if (split !== 'train' && split !== 'eval' && split !== 'validation') throw new Error(`unknown mini split '${split}' (train, eval or validation)`);
  const rng = itemRng(family, split, index, seed);
  const half = split === 'validation' ? 'eval' : split;
  for (let attempt = 0; attempt < MAX_REDRAWS; attempt++) {
    const draft = gen(rng, opts);
    const key = sceneKey(draft.scene);
    if (splitOfKey(key) !== half || exclude?.has(key)) continue;
    const tag = opts.hard ? `${family}-hard` : family;
    return stamp(draft, `${tag}-${split}-${String(index).padStart(6, '0')}`, split, key);
  }
  throw new Error(`${family}: no ${split} scene after ${MAX_REDRAWS} draws`);
}

/** Renders PNGs once per scene (substeps and repeated scenes share them). */
export class PngCache {
  private readonly map = new Map<string, Promise<Uint8Array>>();
  get(key: string, scene: Scene): Promise<Uint8Array> {
    let p = this.map.get(key);
    if (!p) {
      p = encodeScenePng(scene);
      this.map.set(key, p);
    }
    return p;
  }
}

/** Renders a draft's image (PNG encoded by sharp, and raw pixels) into a MiniTask. */
export async function finishTask(d: MiniTaskDraft, cache: PngCache = new PngCache()): Promise<MiniTask> {
  const image = await cache.get(d.key, d.scene);
  const pixels = scenePixels(d.scene);
  const task: MiniTask = {
    uid: d.uid,
    family: d.family,
    split: d.split,
    image,
    pixels,
    question: d.question,
    answer: d.answer,
    reference: d.reference,
    trace: d.trace,
    meta: d.meta,
  };
  if (d.options) task.options = [...d.options];
  if (d.program) {
    task.program = d.program;
    task.traceSegments = d.traceSegments!;
    task.referenceSegments = d.referenceSegments!;
  }
  if (d.substeps) task.substeps = await Promise.all(d.substeps.map((s) => finishTask(s, cache)));
  return task;
}

export async function generateTask(family: FamilyName, split: MiniSplit, index: number, seed: number, opts: GenOptions = {}): Promise<MiniTask> {
  return finishTask(draftTask(family, split, index, seed, opts));
}

/** Items start..start+count-1 of a family and split (rendered in parallel batches). */
export async function generateTasks(
  family: FamilyName,
  split: MiniSplit,
  count: number,
  seed: number,
  opts: GenOptions = {},
  start = 0,
): Promise<MiniTask[]> {
  const cache = new PngCache();
  const out: MiniTask[] = [];
  const BATCH = 64;
  for (let i = 0; i < count; i += BATCH) {
    const n = Math.min(BATCH, count - i);
    const drafts = Array.from({ length: n }, (_, j) => draftTask(family, split, start + i + j, seed, opts));
    out.push(...(await Promise.all(drafts.map((d) => finishTask(d, cache)))));
  }
  return out;
}
