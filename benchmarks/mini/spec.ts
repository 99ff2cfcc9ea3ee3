// What a benchmark's version in the mini suite is made of (MiniSpec, written by each benchmark in
// benchmarks/<name>/mini.ts), and the pieces a spec builds its rows from. The suite (build.ts) draws the tasks of
// a spec's mix, hands them to its `rows`, and writes the rows with its `columns` in its folders.
//
// Every mini row is a row of the benchmark's own Hugging Face schema, so the benchmark's loader and scorer read mini
// and real files alike, plus three columns of ours: `rlsd_reference` (the privileged reference solution),
// `rlsd_target` (the SFT target: trace + answer statement) and `rlsd_family`. A mini row carries the full mini
// prompt (question + options + format hint) where the benchmark keeps its prompt, and the benchmark's prompt()
// returns it verbatim for mini rows (recognised by the `rlsd_family` column).
import type { Row } from '../common/parquet.ts';
import type { ColumnKind, StructField } from '../common/parquet-write.ts';
import type { GenOptions } from './families/common.ts';
import { answerOnlyReference, optionsText } from './language.ts';
import type { FamilyName, MiniSuite, MiniTask } from './types.ts';

export type { Row } from '../common/parquet.ts';

/** One family behind a mini benchmark: each problem draws its family by weight, then the family's generator runs with `opts`. */
export interface MixEntry {
  family: FamilyName;
  weight: number;
  opts: GenOptions;
}

/** A column of a parquet file: name, kind, and a struct's fields. */
export type ColumnDef = readonly [name: string, kind: ColumnKind, fields?: StructField[]];

/** A benchmark's mini version: which families feed it, how a correct response ends, and its rows and files. */
export interface MiniSpec {
  /** The benchmark's own name of its evaluation split: the mini test rows carry it (and its files are named by it). */
  evalSplit: string;
  /** The families behind its problems, in each version of the suite. */
  mixes: Readonly<Record<MiniSuite, readonly MixEntry[]>>;
  /** The skeleton of its answer statement, appended to every question. */
  formatHint: string;
  /** The final statement of a correct response — what its official extractor reads, so its scorer is the reward. */
  answerStatement(answer: string): string;
  /** The columns of its parquet files, in order (its Hugging Face columns, then RLSD_COLUMNS). */
  columns: readonly ColumnDef[];
  /** Its rows for the top-level `tasks` of a split (`split`: the name the rows carry). */
  rows(tasks: readonly MiniTask[], split: string): Row[];
  /** The folder a row is written in (default `data`, as most Hugging Face datasets keep their shards). */
  folderOf?(row: Row, split: string): string;
  /**
   * A split named `<split><suffix>` holds the steps of `<split>`'s problems, one row per step (ZeroBench's
   * `zerobench_subquestions`); the suite writes the evaluation split's beside it.
   */
  stepSplitSuffix?: string;
}

/** What a task needs for formatting (a MiniTask or a draft). */
export type FormattableTask = Pick<MiniTask, 'question' | 'answer' | 'trace' | 'reference' | 'program'> & { options?: string[] };

/** The part of a spec that says how a response ends. */
export type AnswerFormat = Pick<MiniSpec, 'formatHint' | 'answerStatement'>;

function isLetter(answer: string): boolean {
  return /^[A-D]$/.test(answer);
}

/** The student's prompt: question, lettered options (multiple choice), format hint. */
export function promptWith(format: AnswerFormat, task: FormattableTask): string {
  const options = task.options && task.options.length > 0 ? ` ${optionsText(task.options)}` : '';
  return `${task.question}${options} ${format.formatHint}`;
}

/**
 * The SFT target: the trace of a correct response followed by the answer statement. A multiple-choice
 * trace of the first suite ends with the chosen option's value, so it first names that option as the prompt does
 * ('… most is red (B)') — the lookup step — and then states the letter; a deep-world trace has its choice step.
 */
export function targetWith(format: AnswerFormat, task: FormattableTask): string {
  const lookup = task.program === undefined && task.options && task.options.length > 0 && isLetter(task.answer) ? ` (${task.answer})` : '';
  return `${task.trace}${lookup} ${format.answerStatement(task.answer)}`;
}

/**
 * The self-teacher's prompt: the privileged context (the reference solution, or only the final answer
 * in the same markers) before the student's prompt.
 */
export function teacherPromptWith(format: AnswerFormat, task: FormattableTask, privileged: 'reference' | 'answer' = 'reference'): string {
  const context = privileged === 'reference' ? task.reference : answerOnlyReference(task.answer);
  return `${context} ${promptWith(format, task)}`;
}

/** A task's image as a parquet image cell. */
export function miniImage(task: MiniTask, path: string): { bytes: Uint8Array; path: string } {
  return { bytes: task.image, path };
}

/**
 * The columns of ours that end every mini row: the reference, the SFT target, the family, and for the deep world the
 * program with the spans of the target's and the reference's steps (JSON; null in the first suite's rows).
 */
export const RLSD_COLUMNS: readonly ColumnDef[] = [
  ['rlsd_reference', 'string'],
  ['rlsd_target', 'string'],
  ['rlsd_family', 'string'],
  ['rlsd_program', 'string'],
];

/** The deep world's ground truth as a row carries it (rlsd_program). */
export interface RowProgram {
  program: NonNullable<MiniTask['program']>;
  /** Spans of the target (trace, then the answer statement) and of the reference. */
  target: NonNullable<MiniTask['traceSegments']>;
  reference: NonNullable<MiniTask['referenceSegments']>;
}

/** The values of RLSD_COLUMNS for a task (a first-suite task has no rlsd_program key, so its rows read as before). */
export function rlsdColumns(format: AnswerFormat, task: MiniTask): Row {
  const target = targetWith(format, task);
  const row: Row = { rlsd_reference: task.reference, rlsd_target: target, rlsd_family: task.family };
  if (task.program !== undefined) {
    const answer = { start: task.trace.length, end: target.length, role: 'answer' as const };
    const value: RowProgram = { program: task.program, target: [...(task.traceSegments ?? []), answer], reference: task.referenceSegments ?? [] };
    row['rlsd_program'] = JSON.stringify(value);
  }
  return row;
}
