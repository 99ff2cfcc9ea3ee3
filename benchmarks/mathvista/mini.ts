// MathVista's version in the mini suite (docs/design.md §6.1): free-form integer counts and chart readings,
// answered `The answer is "5".` as the quick extractor reads it, in the schema of AI4Math/MathVista (`query` holds
// the full mini prompt).
import type { Row } from '../common/parquet.ts';
import type { StructField } from '../common/parquet-write.ts';
import { miniImage, promptWith, RLSD_COLUMNS, rlsdColumns, type MiniSpec } from '../mini/spec.ts';
import { MINI_IMAGE_SIZE, type MiniTask } from '../mini/types.ts';

const METADATA: StructField[] = [
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

function mathvistaRows(tasks: readonly MiniTask[], split: string): Row[] {
  return tasks.map((t, i) => {
    const pid = String(i + 1);
    const bars = t.family === 'bars' || (t.family === 'chain' && t.meta.variant === 'bars');
    return {
      pid,
      question: t.question,
      image: `images/${pid}.png`,
      decoded_image: miniImage(t, `images/${pid}.png`),
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
      query: promptWith(mathvistaMini, t),
      ...rlsdColumns(mathvistaMini, t),
    };
  });
}

export const mathvistaMini: MiniSpec = {
  evalSplit: 'testmini',
  mixes: {
    'mini-1': [
      { family: 'count', weight: 0.5, opts: {} },
      { family: 'bars', weight: 0.5, opts: {} },
    ],
    'mini-2': [{ family: 'chain', weight: 1, opts: {} }],
  },
  formatHint: 'The answer is "',
  answerStatement: (answer) => `The answer is "${answer}".`,
  columns: [
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
    ['metadata', 'struct', METADATA],
    ['query', 'string'],
    ...RLSD_COLUMNS,
  ],
  rows: mathvistaRows,
};
