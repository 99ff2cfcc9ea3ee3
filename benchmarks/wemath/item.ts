// WeMath items: one Hugging Face parquet row (or one entry of the GitHub `testmini.json`, which has the
// same fields with `image_path` as a relative file path instead of an image struct) → a typed item.
// Shared by the loader and the mini-data path; mini rows carry two extra columns, `rlsd_reference`
// (the privileged reference solution) and `rlsd_family`.
//
// Official prompt: the authors' response-generation template (We-Math paper, arXiv 2407.01284, appendix
// "prompt for response generation"; the same text is embedded in VLMEvalKit's WeMath.tsv questions and
// in lmms-eval's wemath `use_requirements` option). It asks for `<Thought process>: … <Answer>: …`, which
// is what the string-matching scorer (score.ts) expects.
import { toEncodedImage } from '../common/images.ts';
import { fail, reqString, type Row } from '../common/rows.ts';
import type { BenchItem, EncodedImage, PromptParts } from '../common/types.ts';

/** The seven `key` values of the official data (the scorer keys on them). */
export const WEMATH_KEYS = ['2steps_1', '2steps_2', '2steps_multi', '3steps_1', '3steps_2', '3steps_3', '3steps_multi'] as const;
export type WeMathKey = (typeof WEMATH_KEYS)[number];

export interface WeMathItem extends BenchItem {
  /** `question number` as a string: unique over the testmini. */
  id: string;
  /** `ID`: the problem group shared by the one-step sub-problems and their composite, e.g. '2steps_17'. */
  group: string;
  key: WeMathKey;
  /** 2 or 3: the number of one-step sub-problems of the item's group. */
  steps: 2 | 3;
  /** '1' | '2' | '3' for a one-step sub-problem, 'multi' for the composite problem. */
  step: string;
  /** `knowledge concept` (composite items list several, separated by ';'). */
  concept: string;
  /** `knowledge concept description` (the knowledge card), '' when absent. */
  conceptDescription: string;
  /** `option`: ONE string as distributed, e.g. 'A. 5π;B. 4π;C. 3π;D. 2π; E. No correct answer'. */
  options: string;
  /** `option` split on ';' (trimmed, empties dropped); informational: some option texts contain ';'. */
  optionList: string[];
  /** Gold option letter. */
  answer: string;
  split: string;
  /** `root2` of knowledge_structure_nodes.json for the item's concept, when the loader found that file. */
  domain?: string;
  /** Mini rows only: the generator family (`rlsd_family`). */
  family?: string;
}

function optString(row: Row, field: string, where: string): string | undefined {
  const v = row[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(where, `field '${field}' must be a string, got ${typeof v}`);
  return v;
}

function questionNumber(row: Row, where: string): string {
  const v = row['question number'];
  if (v === undefined) fail(where, `missing field 'question number'`);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return v.trim();
  return fail(where, `field 'question number' must be an integer, got ${JSON.stringify(v)}`);
}

function parseKey(row: Row, where: string): { key: WeMathKey; steps: 2 | 3; step: string } {
  const key = reqString(row, 'key', where);
  if (!(WEMATH_KEYS as readonly string[]).includes(key)) {
    fail(where, `unknown value of field 'key': ${JSON.stringify(key)} (expected one of ${WEMATH_KEYS.join(', ')})`);
  }
  const [family, step] = key.split('_') as [string, string];
  return { key: key as WeMathKey, steps: family === '2steps' ? 2 : 3, step };
}

/** Splits the one-string `option` field on ';'. */
export function splitOptions(option: string): string[] {
  return option
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Converts one row (Hugging Face schema; or a GitHub `testmini.json` entry) to an item. The image comes
 * from the `image_path` struct ({bytes, path}); when `image_path` is a plain string (GitHub layout) the
 * item gets no images here and the loader reads the file. `where` names the row in error messages.
 */
export function itemFromRow(row: Row, split: string, where = 'row'): WeMathItem {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) fail(where, 'expected an object');
  const id = questionNumber(row, where);
  const group = reqString(row, 'ID', where);
  const { key, steps, step } = parseKey(row, where);
  const question = reqString(row, 'question', where);
  const options = reqString(row, 'option', where);
  const answer = reqString(row, 'answer', where);
  const concept = reqString(row, 'knowledge concept', where);
  const conceptDescription = optString(row, 'knowledge concept description', where) ?? '';
  const rowSplit = optString(row, 'split', where) ?? split;

  const images: EncodedImage[] = [];
  const image = row['image_path'];
  if (image === undefined) fail(where, `missing field 'image_path'`);
  if (typeof image !== 'string') {
    const encoded = toEncodedImage(image);
    if (!encoded) fail(where, `field 'image_path' holds no image bytes`);
    images.push(encoded);
  }

  const item: WeMathItem = {
    id,
    question,
    images,
    answer,
    raw: row,
    group,
    key,
    steps,
    step,
    concept,
    conceptDescription,
    options,
    optionList: splitOptions(options),
    split: rowSplit,
  };
  const reference = optString(row, 'rlsd_reference', where);
  if (reference !== undefined) item.reference = reference;
  const family = optString(row, 'rlsd_family', where);
  if (family !== undefined) item.family = family;
  return item;
}

/** True for rows of the mini suite (they carry the privileged reference column). */
export function isMiniItem(item: WeMathItem): boolean {
  return item.reference !== undefined || item.family !== undefined;
}

/** The authors' response-generation prompt (see the module header). */
export function officialPrompt(question: string, option: string): string {
  return (
    'Now, we require you to solve a multiple-choice math question. ' +
    'Please briefly describe your thought process and provide the final answer(option).\n' +
    `Question: ${question}\n` +
    `Option: ${option}\n` +
    'Regarding the format, please answer following the template below, and be sure to include two <> symbols:\n' +
    '<Thought process>: <<your thought process>> <Answer>: <<your option>>'
  );
}

/** Mini items: their own question text (already in the tiny policy's language, with its format hint). */
export function promptFor(item: WeMathItem): PromptParts {
  if (isMiniItem(item)) return { text: item.question, images: item.images };
  return { text: officialPrompt(item.question, item.options), images: item.images };
}
