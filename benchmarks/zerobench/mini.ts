// ZeroBench's version in the mini suite (docs/design.md §6.1): hard open compositions, answered `{5}` (the last
// {…} of the lower-cased response), in the schema of jonathan-roberts1/zerobench; the steps of each problem are
// the `zerobench_subquestions` split.
import type { Row } from '../common/parquet.ts';
import { miniImage, promptWith, RLSD_COLUMNS, rlsdColumns, type MiniSpec } from '../mini/spec.ts';
import type { MiniTask } from '../mini/types.ts';

const STEPS = '_subquestions';

function zerobenchRow(t: MiniTask, qid: string): Row {
  return {
    question_id: qid,
    question_text: promptWith(zerobenchMini, t),
    question_images_decoded: [miniImage(t, `${qid}.png`)],
    question_answer: t.answer,
    question_images: [`${qid}.png`],
    image_attribution: 'rlsd-bench mini (procedural)',
    ...rlsdColumns(zerobenchMini, t),
  };
}

/** Main questions are numbered 1, 2, …; the steps of question i are `<i>_1`, `<i>_2`, … as ZeroBench's sub-questions. */
function zerobenchRows(tasks: readonly MiniTask[], split: string): Row[] {
  if (!split.endsWith(STEPS)) return tasks.map((t, i) => zerobenchRow(t, String(i + 1)));
  return tasks.flatMap((t, i) => (t.substeps ?? []).map((s, k) => zerobenchRow(s, `${i + 1}_${k + 1}`)));
}

export const zerobenchMini: MiniSpec = {
  evalSplit: 'zerobench',
  mixes: {
    'mini-1': [{ family: 'compose', weight: 1, opts: { hard: true, multipleChoice: false } }],
    'mini-2': [{ family: 'grouped', weight: 1, opts: { hard: true, multipleChoice: false } }],
  },
  formatHint: '{}',
  answerStatement: (answer) => `{${answer}}`,
  columns: [
    ['question_id', 'string'],
    ['question_text', 'string'],
    ['question_images_decoded', 'image_list'],
    ['question_answer', 'string'],
    ['question_images', 'string_list'],
    ['image_attribution', 'string'],
    ...RLSD_COLUMNS,
  ],
  rows: zerobenchRows,
  stepSplitSuffix: STEPS,
};
