// MMMU's version in the mini suite (docs/design.md §6.1): multiple-choice comparisons (60 %) and open counting and
// chart readings (20 % each), answered `the answer is (B)` / `the answer is 5` as parse_multi_choice_response and
// parse_open_response read it, in the schema of MMMU/MMMU with one folder per subject.
import type { Row } from '../common/parquet.ts';
import { miniImage, promptWith, RLSD_COLUMNS, rlsdColumns, type MiniSpec } from '../mini/spec.ts';
import type { MiniTask } from '../mini/types.ts';

/** MMMU subjects of the mini items: invented sub-areas mapped to real MMMU subject names. */
export const MINI_MMMU_SUBJECTS: Record<string, { subject: string; subfield: string; imgType: string }> = {
  'choice-objects': { subject: 'Art', subfield: 'Colour Comparison', imgType: "['Diagrams']" },
  'choice-bars': { subject: 'Marketing', subfield: 'Chart Comparison', imgType: "['Plots and Charts']" },
  count: { subject: 'Math', subfield: 'Counting', imgType: "['Diagrams']" },
  bars: { subject: 'Economics', subfield: 'Chart Reading', imgType: "['Plots and Charts']" },
};

function mmmuArea(task: MiniTask): (typeof MINI_MMMU_SUBJECTS)[string] {
  const variant = String(task.meta.variant ?? '');
  if (task.family === 'compare') return MINI_MMMU_SUBJECTS[variant.startsWith('bars') ? 'choice-bars' : 'choice-objects']!;
  if (task.family === 'chain') return MINI_MMMU_SUBJECTS[variant === 'bars' ? 'bars' : 'count']!;
  if (task.family === 'choice') return MINI_MMMU_SUBJECTS[task.meta.variant === 'most' || task.meta.variant === 'least' ? 'choice-objects' : 'choice-bars']!;
  return MINI_MMMU_SUBJECTS[task.family === 'bars' ? 'bars' : 'count']!;
}

/** Python's repr of a list of strings (MMMU stores `options` as such a literal). */
function pythonList(xs: readonly string[]): string {
  return `[${xs.map((x) => `'${x.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

/** Ids as MMMU's: `<split>_<Subject>_<n>`, n counting within the subject. */
function mmmuRows(tasks: readonly MiniTask[], split: string): Row[] {
  const perSubject = new Map<string, number>();
  return tasks.map((t) => {
    const area = mmmuArea(t);
    const n = (perSubject.get(area.subject) ?? 0) + 1;
    perSubject.set(area.subject, n);
    const id = `${split}_${area.subject}_${n}`;
    const steps = Number(t.meta.readings ?? 1);
    const row: Row = {
      id,
      question: promptWith(mmmuMini, t),
      options: pythonList(t.options ?? []),
      explanation: '',
      image_1: miniImage(t, `${id}_1.png`),
    };
    for (let k = 2; k <= 7; k++) row[`image_${k}`] = null;
    Object.assign(row, {
      img_type: area.imgType,
      answer: t.answer,
      topic_difficulty: steps <= 1 ? 'Easy' : steps === 2 ? 'Medium' : 'Hard',
      question_type: t.options ? 'multiple-choice' : 'open',
      subfield: area.subfield,
      ...rlsdColumns(mmmuMini, t),
    });
    return row;
  });
}

export const mmmuMini: MiniSpec = {
  evalSplit: 'validation',
  mixes: {
    'mini-1': [
      { family: 'choice', weight: 0.6, opts: {} },
      { family: 'count', weight: 0.2, opts: {} },
      { family: 'bars', weight: 0.2, opts: {} },
    ],
    'mini-2': [
      { family: 'compare', weight: 0.6, opts: {} },
      { family: 'chain', weight: 0.4, opts: { multipleChoice: true } },
    ],
  },
  formatHint: 'the answer is',
  answerStatement: (answer) => (/^[A-D]$/.test(answer) ? `the answer is (${answer})` : `the answer is ${answer}`),
  columns: [
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
    ...RLSD_COLUMNS,
  ],
  rows: mmmuRows,
  // MMMU/MMMU keeps one folder per subject: <Subject>/<split>-00000-of-00001.parquet.
  folderOf: (row, split) => String(row.id).slice(split.length + 1).replace(/_\d+$/, ''),
};
