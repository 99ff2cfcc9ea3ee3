// MathVista items: one Hugging Face parquet row (or one entry of the GitHub `testmini.json`, which has
// the same fields minus `decoded_image` and `query`) → a typed item. Shared by the loader and the
// mini-data path; mini rows carry two extra columns, `rlsd_reference` and `rlsd_family`.
import { toEncodedImage } from '../common/images.ts';
import { fail, reqString, type Row } from '../common/rows.ts';
import type { BenchItem, EncodedImage } from '../common/types.ts';

export type QuestionType = 'multi_choice' | 'free_form';
export type AnswerType = 'text' | 'integer' | 'float' | 'list';

export const QUESTION_TYPES: readonly QuestionType[] = ['multi_choice', 'free_form'];
export const ANSWER_TYPES: readonly AnswerType[] = ['text', 'integer', 'float', 'list'];

/** The `metadata` struct of the Hugging Face schema (all optional on mini rows). */
export interface MathVistaMetadata {
  split?: string;
  language?: string;
  img_width?: number;
  img_height?: number;
  source?: string;
  category?: string;
  task?: string;
  context?: string;
  grade?: string;
  skills?: string[];
}

export interface MathVistaItem extends BenchItem {
  pid: string;
  split: string;
  questionType: QuestionType;
  answerType: AnswerType;
  /** Option texts for multi_choice (the gold `answer` is one of them, not a letter); null for free_form. */
  choices: string[] | null;
  unit: string | null;
  /** Decimal places the answer is rounded to (float answers); null otherwise. */
  precision: number | null;
  /** The official prompt (built by the authors' build_query.py; shipped as `query`). Mini rows keep
   *  their mini prompt here (falls back to `question` when null). */
  query: string;
  metadata: MathVistaMetadata;
  /** Mini rows only: the generator family (`rlsd_family`). */
  family?: string;
}

function optString(row: Row, field: string, where: string): string | null {
  const v = row[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') fail(where, `field '${field}' must be a string, got ${typeof v}`);
  return v;
}

function optNumber(v: unknown, field: string, where: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  return fail(where, `field '${field}' must be a number, got ${typeof v}`);
}

function stringList(v: unknown, field: string, where: string): string[] {
  if (!Array.isArray(v) || v.some((c) => typeof c !== 'string')) fail(where, `field '${field}' must be a list of strings`);
  return v as string[];
}

function parseMetadata(v: unknown, where: string): MathVistaMetadata {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, `field 'metadata' must be an object`);
  const m = v as Row;
  const out: MathVistaMetadata = {};
  for (const key of ['split', 'language', 'source', 'category', 'task', 'context', 'grade'] as const) {
    const s = optString(m, key, `${where} metadata`);
    if (s !== null) out[key] = s;
  }
  for (const key of ['img_width', 'img_height'] as const) {
    const n = optNumber(m[key], `metadata.${key}`, where);
    if (n !== null) out[key] = n;
  }
  if (m.skills !== undefined && m.skills !== null) out.skills = stringList(m.skills, 'metadata.skills', where);
  return out;
}

/**
 * Converts one Hugging Face row (or GitHub-layout entry) to an item. `where` names the file and row
 * in error messages. A row with a `decoded_image` column must carry image bytes; a row without one
 * (GitHub layout) gets `imagesMissing: true` unless the loader attaches the image files.
 */
export function itemFromRow(row: Row, split: string, where = 'row'): MathVistaItem {
  const rawPid = row.pid;
  if (rawPid === undefined || rawPid === null) fail(where, `missing field 'pid'`);
  if (typeof rawPid !== 'string' && typeof rawPid !== 'number' && typeof rawPid !== 'bigint') fail(where, `field 'pid' must be a string`);
  const pid = String(rawPid);
  const at = `${where} (pid ${pid})`;
  const isMini = typeof row.rlsd_reference === 'string' || typeof row.rlsd_family === 'string';

  const question = reqString(row, 'question', at);
  const questionType = reqString(row, 'question_type', at);
  if (!QUESTION_TYPES.includes(questionType as QuestionType)) fail(at, `unknown question_type '${questionType}'`);
  const answerType = reqString(row, 'answer_type', at);
  if (!ANSWER_TYPES.includes(answerType as AnswerType)) fail(at, `unknown answer_type '${answerType}'`);

  // The test split ships without answers (the leaderboard scores it).
  const answer = split === 'test' && (row.answer === undefined || row.answer === null) ? '' : reqString(row, 'answer', at);

  if (!('choices' in row)) fail(at, `missing field 'choices'`);
  let choices: string[] | null = null;
  if (row.choices !== null && row.choices !== undefined) choices = stringList(row.choices, 'choices', at);
  if (questionType === 'multi_choice') {
    if (!choices || choices.length === 0) fail(at, `multi_choice item needs a non-empty 'choices' list`);
    if (answer !== '' && !choices.includes(answer)) {
      fail(at, `multi_choice answer ${JSON.stringify(answer)} is not one of the choices (the gold is the option text)`);
    }
  } else if (choices && choices.length === 0) choices = null;

  if (!('precision' in row)) fail(at, `missing field 'precision'`);
  const precision = optNumber(row.precision, 'precision', at);
  if (answerType === 'float' && precision === null) fail(at, `float answer needs a 'precision'`);
  const unit = optString(row, 'unit', at);

  let metadata: MathVistaMetadata = {};
  if (row.metadata === undefined || row.metadata === null) {
    if (!isMini) fail(at, `missing field 'metadata'`);
  } else metadata = parseMetadata(row.metadata, at);

  let query = optString(row, 'query', at);
  if (query === null) {
    if (!isMini) fail(at, `missing field 'query'`);
    query = question;
  }

  let images: EncodedImage[] = [];
  let imagesMissing = false;
  if ('decoded_image' in row) {
    const img = toEncodedImage(row.decoded_image);
    if (!img) fail(at, `field 'decoded_image' has no image bytes`);
    if (!img.path && typeof row.image === 'string') img.path = row.image;
    images = [img];
  } else imagesMissing = true;

  const raw: Row = { ...row };
  delete raw.decoded_image; // the bytes live in `images`

  const item: MathVistaItem = {
    id: pid,
    pid,
    split,
    question,
    images,
    answer,
    raw,
    questionType: questionType as QuestionType,
    answerType: answerType as AnswerType,
    choices,
    unit,
    precision,
    query,
    metadata,
  };
  if (imagesMissing) item.imagesMissing = true;
  if (isMini) {
    if (typeof row.rlsd_reference === 'string') item.reference = row.rlsd_reference;
    if (typeof row.rlsd_family === 'string') item.family = row.rlsd_family;
  }
  return item;
}
