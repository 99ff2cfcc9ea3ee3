// MathVision's version in the mini suite (docs/design.md §6.1): lengths and areas on a checkerboard grid, answered
// `\boxed{5}` (the last \boxed{} of evaluate.py's chain), in the schema of MathLLMs/MathVision.
import type { Row } from '../common/parquet.ts';
import { miniImage, promptWith, RLSD_COLUMNS, rlsdColumns, type MiniSpec } from '../mini/spec.ts';
import type { MiniTask } from '../mini/types.ts';

function mathvisionRows(tasks: readonly MiniTask[]): Row[] {
  return tasks.map((t, i) => {
    const id = String(i + 1);
    return {
      id,
      question: promptWith(mathvisionMini, t),
      options: t.options ?? [],
      image: `images/${id}.png`,
      decoded_image: miniImage(t, `images/${id}.png`),
      answer: t.answer,
      solution: null,
      level: Number(t.meta.level ?? 1),
      subject: t.meta.variant === 'area' || t.meta.variant === 'outside' || t.meta.variant === 'area-perimeter' ? 'metric geometry - area' : 'metric geometry - length',
      ...rlsdColumns(mathvisionMini, t),
    };
  });
}

export const mathvisionMini: MiniSpec = {
  evalSplit: 'test',
  mixes: { 'mini-1': [{ family: 'grid', weight: 1, opts: {} }], 'mini-2': [{ family: 'measure', weight: 1, opts: {} }] },
  formatHint: '\\boxed{}',
  answerStatement: (answer) => `\\boxed{${answer}}`,
  columns: [
    ['id', 'string'],
    ['question', 'string'],
    ['options', 'string_list'],
    ['image', 'string'],
    ['decoded_image', 'image'],
    ['answer', 'string'],
    ['solution', 'string'],
    ['level', 'int64'],
    ['subject', 'string'],
    ...RLSD_COLUMNS,
  ],
  rows: mathvisionRows,
};
