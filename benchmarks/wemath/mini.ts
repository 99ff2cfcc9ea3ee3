// WeMath's version in the mini suite (docs/design.md §6.1): multi-step compositions as multiple choice, each in a
// complete problem group (a row per step plus the multi-step row, as the four-dimensional metrics need), answered
// `Answer: B` (the letter after the last 'Answer'), in the schema of We-Math/We-Math.
import type { Row } from '../common/parquet.ts';
import { OPTION_LETTERS } from '../mini/language.ts';
import { miniImage, promptWith, RLSD_COLUMNS, rlsdColumns, type MiniSpec } from '../mini/spec.ts';
import type { MiniTask } from '../mini/types.ts';

const CONCEPT_DESCRIPTIONS: Record<string, string> = {
  'Counting Objects by Colour': 'Counting Objects by Colour:\n1. Count the objects of one colour one by one.',
  'Reading Bar Charts': 'Reading Bar Charts:\n1. The value of a bar is its height in grid units.',
  'Measuring Lengths on a Grid': 'Measuring Lengths on a Grid:\n1. The length of a side is the number of unit cells along it.',
  'Addition and Subtraction of Whole Numbers': 'Addition and Subtraction of Whole Numbers:\n1. Combine the numbers from left to right.',
  'Area of Rectangles': 'Area of Rectangles:\n1. Area = width × height.',
};

/** Complete groups, ordered like the original (all step-1 rows, step-2 rows, …, multi rows). */
function wemathRows(tasks: readonly MiniTask[], split: string): Row[] {
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
          question: promptWith(wemathMini, t),
          option: (t.options ?? []).map((o, i) => `${OPTION_LETTERS[i]}. ${o}`).join(';'),
          answer: t.answer,
          image_path: miniImage(t, `${steps}steps/image/${gi + 1}-${key}.png`),
          key: `${steps}steps_${key}`,
          'question number': ++questionNumber,
          'knowledge concept description': CONCEPT_DESCRIPTIONS[concept] ?? concept,
          ...rlsdColumns(wemathMini, t),
        });
      });
    }
  }
  return rows;
}

export const wemathMini: MiniSpec = {
  evalSplit: 'testmini',
  mixes: {
    'mini-1': [{ family: 'compose', weight: 1, opts: { multipleChoice: true } }],
    'mini-2': [{ family: 'grouped', weight: 1, opts: { multipleChoice: true } }],
  },
  formatHint: 'Answer:',
  answerStatement: (answer) => `Answer: ${answer}`,
  columns: [
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
    ...RLSD_COLUMNS,
  ],
  rows: wemathRows,
};
