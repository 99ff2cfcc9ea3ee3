// The mini suite as Hugging Face datasets: rows with exactly the columns (and value types) of each
// benchmark's HF parquet files, plus extra columns `rlsd_reference` (the privileged reference
// solution), `rlsd_target` (the SFT target: trace + answer statement) and `rlsd_family`, written in
// each benchmark's HF file layout. Mini items carry the full
// mini prompt (question + options + format hint) where the benchmark keeps its prompt: `query` for
// MathVista, `question` (`question_text` for ZeroBench) elsewhere; a benchmark's prompt() must use it
// verbatim for mini rows (recognised by the `rlsd_family` column).
//
// Which families feed which benchmark:
//   mmmu ← choice (60 %, multiple choice) + count (20 %) + bars (20 %) open
//   mathvista ← count + bars (free-form integers)      mathvision ← grid (open)
//   wemath ← compose (multiple choice, complete groups: one row per step + the multi-step row)
//   zerobench ← hard compose (open; its steps are the `zerobench_subquestions` split)
import { join } from 'node:path';
import { Rng, hashString } from '../../src/util/rng.ts';
import { writeParquet, type ColumnKind, type ColumnSpec, type Row, type StructField } from '../common/parquet.ts';
import { MINI_IMAGE_SIZE, type FamilyName, type MiniBenchmark, type MiniSplit, type MiniTask } from './types.ts';
import { EVAL_SPLIT, MINI_BENCHMARKS, miniPrompt, miniTarget } from './formats.ts';
import { draftTask, finishTask, PngCache, type GenOptions, type MiniTaskDraft } from './generate.ts';
import { OPTION_LETTERS } from './language.ts';

export type { Row } from '../common/parquet.ts';

interface MixEntry {
  family: FamilyName;
  weight: number;
  opts: GenOptions;
}

/** Families (with weights and generator options) behind each mini benchmark. */
export const BENCHMARK_MIX: Record<MiniBenchmark, MixEntry[]> = {
  mmmu: [
    { family: 'choice', weight: 0.6, opts: {} },
    { family: 'count', weight: 0.2, opts: {} },
    { family: 'bars', weight: 0.2, opts: {} },
  ],
  mathvista: [
    { family: 'count', weight: 0.5, opts: {} },
    { family: 'bars', weight: 0.5, opts: {} },
  ],
  mathvision: [{ family: 'grid', weight: 1, opts: {} }],
  wemath: [{ family: 'compose', weight: 1, opts: { multipleChoice: true } }],
  zerobench: [{ family: 'compose', weight: 1, opts: { hard: true, multipleChoice: false } }],
};

const SUBQUESTIONS = '_subquestions';

/**
 * The split name the mini validation rows carry (MMMU's own tuning split is 'dev'; the mini suite uses it for
 * every benchmark, since MMMU's 'validation' already names its test rows).
 */
export const MINI_VALIDATION_SPLIT = 'dev';

/**
 * Validation problems skip the scenes of this many test problems per benchmark (the default test set is the
 * first MINI_EVAL_ITEMS; larger test sets beyond this may share scenes with validation).
 */
export const VALIDATION_EXCLUDES_TEST = 1000;

/**
 * The mini suite's three splits as the commands name them: 'train' (training prompts), 'validation' (for tuning)
 * and 'test' (the held-out set the tables report; the in-run evaluation of train and pretrain uses it too).
 */
export const MINI_SPLITS = ['train', 'validation', 'test'] as const;
export type MiniSuiteSplit = (typeof MINI_SPLITS)[number];

/**
 * Problems per benchmark of the mini test (and validation) set unless a flag says otherwise: the same number for
 * train's and pretrain's in-run evaluation and `eval --data mini` (449 rows at data seed 1).
 */
export const MINI_EVAL_ITEMS = 60;

/** The split name a mini benchmark's rows carry for a suite split (test: the benchmark's own evaluation split). */
export function miniSplitName(benchmark: MiniBenchmark, split: MiniSuiteSplit): string {
  return split === 'train' ? 'train' : split === 'test' ? EVAL_SPLIT[benchmark] : MINI_VALIDATION_SPLIT;
}

/** Maps a split name ('train', the benchmark's eval split name or 'eval', 'dev' for validation) to the mini split. */
function miniSplitOf(benchmark: MiniBenchmark, split: string): MiniSplit {
  const base = benchmark === 'zerobench' && split.endsWith(SUBQUESTIONS) ? split.slice(0, -SUBQUESTIONS.length) : split;
  if (base === 'train') return 'train';
  if (base === 'eval' || base === EVAL_SPLIT[benchmark]) return 'eval';
  if (base === MINI_VALIDATION_SPLIT) return 'validation';
  throw new Error(`mini ${benchmark}: unknown split '${split}' (train, ${EVAL_SPLIT[benchmark]} or ${MINI_VALIDATION_SPLIT})`);
}

function pickMix(rng: Rng, mix: MixEntry[]): MixEntry {
  let u = rng.next() * mix.reduce((s, m) => s + m.weight, 0);
  for (const m of mix) {
    u -= m.weight;
    if (u < 0) return m;
  }
  return mix[mix.length - 1]!;
}

/** Drafts (no images) of the first `count` problems of a mini benchmark's split. */
function miniDrafts(benchmark: MiniBenchmark, miniSplit: MiniSplit, count: number, seed: number, exclude?: ReadonlySet<string>): MiniTaskDraft[] {
  const mix = BENCHMARK_MIX[benchmark];
  const genSeed = hashString(`rlsd-mini-bench|${benchmark}|${seed}`);
  const mixRoot = hashString(`rlsd-mini-mix|${benchmark}|${miniSplit}|${seed}`);
  return Array.from({ length: count }, (_, i) => {
    const m = pickMix(new Rng(mixRoot).fork(i), mix);
    return draftTask(m.family, miniSplit, i, genSeed, m.opts, exclude);
  });
}

/**
 * The first `count` tasks of a mini benchmark (top-level tasks; WeMath/ZeroBench tasks carry their
 * steps in `substeps`). Item i depends only on (benchmark, split, seed, i) — and, for validation, on the
 * scenes of the first VALIDATION_EXCLUDES_TEST test problems, which it skips.
 */
export async function miniTasks(benchmark: MiniBenchmark, split: string, count: number, seed: number): Promise<MiniTask[]> {
  const miniSplit = miniSplitOf(benchmark, split);
  const exclude = miniSplit === 'validation' ? new Set(miniDrafts(benchmark, 'eval', VALIDATION_EXCLUDES_TEST, seed).map((d) => d.key)) : undefined;
  const drafts = miniDrafts(benchmark, miniSplit, count, seed, exclude);
  const cache = new PngCache();
  const out: MiniTask[] = [];
  for (let i = 0; i < drafts.length; i += 64) out.push(...(await Promise.all(drafts.slice(i, i + 64).map((d) => finishTask(d, cache)))));
  return out;
}

// ---- per-benchmark rows ----

function image(task: MiniTask, path: string): { bytes: Uint8Array; path: string } {
  return { bytes: task.image, path };
}

/** Python's repr of a list of strings (MMMU stores `options` as such a literal). */
function pythonList(xs: readonly string[]): string {
  return `[${xs.map((x) => `'${x.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}


/** MMMU subjects of the mini items: invented sub-areas mapped to real MMMU subject names. */
export const MINI_MMMU_SUBJECTS: Record<string, { subject: string; subfield: string; imgType: string }> = {
  'choice-objects': { subject: 'Art', subfield: 'Colour Comparison', imgType: "['Diagrams']" },
  'choice-bars': { subject: 'Marketing', subfield: 'Chart Comparison', imgType: "['Plots and Charts']" },
  count: { subject: 'Math', subfield: 'Counting', imgType: "['Diagrams']" },
  bars: { subject: 'Economics', subfield: 'Chart Reading', imgType: "['Plots and Charts']" },
};

function mmmuArea(task: MiniTask): (typeof MINI_MMMU_SUBJECTS)[string] {
  if (task.family === 'choice') return MINI_MMMU_SUBJECTS[task.meta.variant === 'most' || task.meta.variant === 'least' ? 'choice-objects' : 'choice-bars']!;
  return MINI_MMMU_SUBJECTS[task.family === 'bars' ? 'bars' : 'count']!;
}

function mmmuRows(tasks: MiniTask[], split: string): Row[] {
  const perSubject = new Map<string, number>();
  return tasks.map((t) => {
    const area = mmmuArea(t);
    const n = (perSubject.get(area.subject) ?? 0) + 1;
    perSubject.set(area.subject, n);
    const id = `${split}_${area.subject}_${n}`;
    const steps = Number(t.meta.readings ?? 1);
    const row: Row = {
      id,
      question: miniPrompt('mmmu', t),
      options: pythonList(t.options ?? []),
      explanation: '',
      image_1: image(t, `${id}_1.png`),
    };
    for (let k = 2; k <= 7; k++) row[`image_${k}`] = null;
    Object.assign(row, {
      img_type: area.imgType,
      answer: t.answer,
      topic_difficulty: steps <= 1 ? 'Easy' : steps === 2 ? 'Medium' : 'Hard',
      question_type: t.options ? 'multiple-choice' : 'open',
      subfield: area.subfield,
      rlsd_reference: t.reference,
      rlsd_target: miniTarget('mmmu', t),
      rlsd_family: t.family,
    });
    return row;
  });
}

function mathvistaRows(tasks: MiniTask[], split: string): Row[] {
  return tasks.map((t, i) => {
    const pid = String(i + 1);
    const bars = t.family === 'bars';
    return {
      pid,
      question: t.question,
      image: `images/${pid}.png`,
      decoded_image: image(t, `images/${pid}.png`),
      choices: null,
      unit: null,
      precision: null,
      answer: t.answer,
      question_type: 'free_form',
      answer_type: 'integer',
      metadata: {
        split,
        language: 'english',
        img_width: MINI_IMAGE_SIZE,
        img_height: MINI_IMAGE_SIZE,
        source: 'rlsd-mini',
        category: 'math-targeted-vqa',
        task: bars ? 'figure question answering' : 'visual question answering',
        context: bars ? 'bar chart' : 'synthetic scene',
        grade: 'elementary school',
        skills: bars ? ['statistical reasoning', 'arithmetic reasoning'] : ['arithmetic reasoning'],
      },
      query: miniPrompt('mathvista', t),
      rlsd_reference: t.reference,
      rlsd_target: miniTarget('mathvista', t),
      rlsd_family: t.family,
    };
  });
}

function mathvisionRows(tasks: MiniTask[]): Row[] {
  return tasks.map((t, i) => {
    const id = String(i + 1);
    return {
      id,
      question: miniPrompt('mathvision', t),
      options: t.options ?? [],
      image: `images/${id}.png`,
      decoded_image: image(t, `images/${id}.png`),
      answer: t.answer,
      solution: null,
      level: Number(t.meta.level ?? 1),
      subject: t.meta.variant === 'area' ? 'metric geometry - area' : 'metric geometry - length',
      rlsd_reference: t.reference,
      rlsd_target: miniTarget('mathvision', t),
      rlsd_family: t.family,
    };
  });
}

const CONCEPT_DESCRIPTIONS: Record<string, string> = {
  'Counting Objects by Colour': 'Counting Objects by Colour:\n1. Count the objects of one colour one by one.',
  'Reading Bar Charts': 'Reading Bar Charts:\n1. The value of a bar is its height in grid units.',
  'Measuring Lengths on a Grid': 'Measuring Lengths on a Grid:\n1. The length of a side is the number of unit cells along it.',
  'Addition and Subtraction of Whole Numbers': 'Addition and Subtraction of Whole Numbers:\n1. Combine the numbers from left to right.',
  'Area of Rectangles': 'Area of Rectangles:\n1. Area = width × height.',
};

/** WeMath rows: complete groups, ordered like the original (all step-1 rows, step-2 rows, …, multi rows). */
function wemathRows(tasks: MiniTask[], split: string): Row[] {
  const rows: Row[] = [];
  let questionNumber = 0;
  for (const steps of [2, 3]) {
    const groups = tasks.filter((t) => (t.substeps?.length ?? 0) === steps);
    const keys = [...Array.from({ length: steps }, (_, k) => String(k + 1)), 'multi'];
    for (const key of keys) {
      groups.forEach((g, gi) => {
        const t = key === 'multi' ? g : g.substeps![Number(key) - 1]!;
        const concept = String(t.meta.concept);
        rows.push({
          ID: `${steps}steps_${gi + 1}`,
          split,
          'knowledge concept': concept,
          question: miniPrompt('wemath', t),
          option: (t.options ?? []).map((o, i) => `${OPTION_LETTERS[i]}. ${o}`).join(';'),
          answer: t.answer,
          image_path: image(t, `${steps}steps/image/${gi + 1}-${key}.png`),
          key: `${steps}steps_${key}`,
          'question number': ++questionNumber,
          'knowledge concept description': CONCEPT_DESCRIPTIONS[concept] ?? concept,
          rlsd_reference: t.reference,
          rlsd_target: miniTarget('wemath', t),
          rlsd_family: t.family,
        });
      });
    }
  }
  return rows;
}

function zerobenchRow(t: MiniTask, qid: string): Row {
  return {
    question_id: qid,
    question_text: miniPrompt('zerobench', t),
    question_images_decoded: [image(t, `${qid}.png`)],
    question_answer: t.answer,
    question_images: [`${qid}.png`],
    image_attribution: 'rlsd-bench mini (procedural)',
    rlsd_reference: t.reference,
    rlsd_target: miniTarget('zerobench', t),
    rlsd_family: t.family,
  };
}

function zerobenchRows(tasks: MiniTask[], subquestions: boolean): Row[] {
  if (!subquestions) return tasks.map((t, i) => zerobenchRow(t, String(i + 1)));
  return tasks.flatMap((t, i) => (t.substeps ?? []).map((s, k) => zerobenchRow(s, `${i + 1}_${k + 1}`)));
}

/**
 * Rows of a mini benchmark in its Hugging Face schema. `split` is 'train' or the benchmark's eval split
 * name (MMMU 'validation', MathVista 'testmini', MathVision 'test', WeMath 'testmini', ZeroBench 'zerobench',
 * or 'zerobench_subquestions' / 'train_subquestions' for ZeroBench's steps). `count` counts top-level
 * problems: rows for most benchmarks, groups for WeMath (3 or 4 rows each), main questions for ZeroBench.
 */
export async function miniRows(benchmark: MiniBenchmark, split: string, count: number, seed: number): Promise<Row[]> {
  const tasks = await miniTasks(benchmark, split, count, seed);
  const splitName = split === 'eval' ? EVAL_SPLIT[benchmark] : split;
  switch (benchmark) {
    case 'mmmu':
      return mmmuRows(tasks, splitName);
    case 'mathvista':
      return mathvistaRows(tasks, splitName);
    case 'mathvision':
      return mathvisionRows(tasks);
    case 'wemath':
      return wemathRows(tasks, splitName);
    case 'zerobench':
      return zerobenchRows(tasks, split.endsWith(SUBQUESTIONS));
  }
}

// ---- writing ----

type ColumnDef = readonly [name: string, kind: ColumnKind, fields?: StructField[]];

const EXTRA: ColumnDef[] = [
  ['rlsd_reference', 'string'],
  ['rlsd_target', 'string'],
  ['rlsd_family', 'string'],
];

const MATHVISTA_METADATA: StructField[] = [
  { name: 'split', kind: 'string' },
  { name: 'language', kind: 'string' },
  { name: 'img_width', kind: 'int64' },
  { name: 'img_height', kind: 'int64' },
  { name: 'source', kind: 'string' },
  { name: 'category', kind: 'string' },
  { name: 'task', kind: 'string' },
  { name: 'context', kind: 'string' },
  { name: 'grade', kind: 'string' },
  { name: 'skills', kind: 'string_list' },
];

/** Column names and kinds of each benchmark's HF parquet files (plus the two rlsd_ columns). */
export const MINI_SCHEMAS: Record<MiniBenchmark, ColumnDef[]> = {
  mmmu: [
    ['id', 'string'],
    ['question', 'string'],
    ['options', 'string'],
    ['explanation', 'string'],
    ...Array.from({ length: 7 }, (_, k) => [`image_${k + 1}`, 'image'] as const),
    ['img_type', 'string'],
    ['answer', 'string'],
    ['topic_difficulty', 'string'],
    ['question_type', 'string'],
    ['subfield', 'string'],
    ...EXTRA,
  ],
  mathvista: [
    ['pid', 'string'],
    ['question', 'string'],
    ['image', 'string'],
    ['decoded_image', 'image'],
    ['choices', 'string_list'],
    ['unit', 'string'],
    ['precision', 'double'],
    ['answer', 'string'],
    ['question_type', 'string'],
    ['answer_type', 'string'],
    ['metadata', 'struct', MATHVISTA_METADATA],
    ['query', 'string'],
    ...EXTRA,
  ],
  mathvision: [
    ['id', 'string'],
    ['question', 'string'],
    ['options', 'string_list'],
    ['image', 'string'],
    ['decoded_image', 'image'],
    ['answer', 'string'],
    ['solution', 'string'],
    ['level', 'int64'],
    ['subject', 'string'],
    ...EXTRA,
  ],
  wemath: [
    ['ID', 'string'],
    ['split', 'string'],
    ['knowledge concept', 'string'],
    ['question', 'string'],
    ['option', 'string'],
    ['answer', 'string'],
    ['image_path', 'image'],
    ['key', 'string'],
    ['question number', 'int64'],
    ['knowledge concept description', 'string'],
    ...EXTRA,
  ],
  zerobench: [
    ['question_id', 'string'],
    ['question_text', 'string'],
    ['question_images_decoded', 'image_list'],
    ['question_answer', 'string'],
    ['question_images', 'string_list'],
    ['image_attribution', 'string'],
    ...EXTRA,
  ],
};

function columnsOf(benchmark: MiniBenchmark, rows: Row[]): ColumnSpec[] {
  return MINI_SCHEMAS[benchmark].map(([name, kind, fields]) => {
    const spec: ColumnSpec = { name, kind, data: rows.map((r) => r[name] ?? null) };
    if (fields) spec.fields = fields;
    return spec;
  });
}

function shardName(split: string): string {
  return `${split}-00000-of-00001.parquet`;
}

export interface MiniSuiteOptions {
  seed: number;
  /** Top-level problems per benchmark and split (see miniRows); defaults: train 1000, eval 300. */
  counts?: Partial<Record<MiniBenchmark, { train?: number; eval?: number }>>;
  /** Which benchmarks to write (default: all five). */
  benchmarks?: readonly MiniBenchmark[];
}

export const DEFAULT_COUNTS = { train: 1000, eval: 300 } as const;

/**
 * Writes the mini suite under `outDir/<benchmark>/` in each benchmark's HF layout:
 *   mmmu/<Subject>/<split>-00000-of-00001.parquet   (split: train, validation)
 *   mathvista|mathvision|wemath/data/<split>-00000-of-00001.parquet
 *   zerobench/data/{train,zerobench,zerobench_subquestions}-00000-of-00001.parquet
 * Returns the written files (sorted). The same seed gives byte-identical files.
 */
export async function writeMiniSuite(outDir: string, opts: MiniSuiteOptions): Promise<string[]> {
  const files: string[] = [];
  for (const benchmark of opts.benchmarks ?? MINI_BENCHMARKS) {
    const root = join(outDir, benchmark);
    for (const which of ['train', 'eval'] as const) {
      const count = opts.counts?.[benchmark]?.[which] ?? DEFAULT_COUNTS[which];
      if (count <= 0) continue;
      const split = which === 'train' ? 'train' : EVAL_SPLIT[benchmark];
      const rows = await miniRows(benchmark, split, count, opts.seed);
      if (benchmark === 'mmmu') {
        const bySubject = new Map<string, Row[]>();
        for (const r of rows) {
          const subject = String(r.id).slice(split.length + 1).replace(/_\d+$/, '');
          bySubject.set(subject, [...(bySubject.get(subject) ?? []), r]);
        }
        for (const [subject, subjectRows] of [...bySubject].sort(([a], [b]) => a.localeCompare(b))) {
          const file = join(root, subject, shardName(split));
          writeParquet(file, columnsOf(benchmark, subjectRows));
          files.push(file);
        }
        continue;
      }
      const file = join(root, 'data', shardName(split));
      writeParquet(file, columnsOf(benchmark, rows));
      files.push(file);
      if (benchmark === 'zerobench' && which === 'eval') {
        const subFile = join(root, 'data', shardName(`${split}${SUBQUESTIONS}`));
        writeParquet(subFile, columnsOf(benchmark, await miniRows(benchmark, `${split}${SUBQUESTIONS}`, count, opts.seed)));
        files.push(subFile);
      }
    }
  }
  return files.sort();
}
