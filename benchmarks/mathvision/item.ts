// MathVision items: one Hugging Face parquet row (MathLLMs/MathVision: `id, question, options, image,
// decoded_image, answer, solution, level, subject`) or one line of the authors' GitHub `*.jsonl` (the same
// fields without `decoded_image`; the loader attaches the image file) → a typed item. Shared by the
// loader and the mini-data path; mini rows carry two extra columns, `rlsd_reference` and `rlsd_family`.
import { toEncodedImage } from '../common/images.ts';
import { fail, reqString, type Row } from '../common/rows.ts';
import type { BenchItem, EncodedImage } from '../common/types.ts';

export interface MathVisionItem extends BenchItem {
  split: string;
  /** Option texts ([] for open questions; 5 in the real data). The gold `answer` is then a letter. */
  options: string[];
  /** Difficulty 1–5. */
  level: number;
  /** One of the 16 subjects (e.g. `metric geometry - area`). */
  subject: string;
  solution: string | null;
  /** The row's `image` path (relative to the dataset root), when given. */
  imagePath: string | null;
  /** Mini rows: the question already carries its format hint and is the prompt verbatim. */
  mini: boolean;
  /** Mini rows only: the generator family (`rlsd_family`). */
  family?: string;
}

/** evaluate.py uses `str(answer)`: numbers are accepted and printed as Python would for ints. */
function answerText(row: Row, where: string): string {
  const v = row.answer;
  if (v === undefined) fail(where, `missing field 'answer'`);
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return String(v);
  return fail(where, `field 'answer' must be a string, got ${v === null ? 'null' : typeof v}`);
}

function levelOf(row: Row, where: string): number {
  const v = row.level;
  if (v === undefined) fail(where, `missing field 'level'`);
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) fail(where, `field 'level' must be an integer, got ${JSON.stringify(String(v))}`);
  return n;
}

function optionsOf(row: Row, where: string): string[] {
  const v = row.options;
  if (v === undefined) fail(where, `missing field 'options'`);
  if (v === null) return [];
  if (!Array.isArray(v) || v.some((o) => typeof o !== 'string')) fail(where, `field 'options' must be a list of strings`);
  return v as string[];
}

/**
 * Converts one row to an item. `where` names the file and row in error messages. A row with a
 * `decoded_image` column must carry image bytes; without one (GitHub layout) `images` stays empty
 * and the loader reads the `image` file. Unknown extra fields are kept in `raw`.
 */
export function itemFromRow(row: Row, split: string, where = 'row'): MathVisionItem {
  const rawId = row.id;
  if (rawId === undefined || rawId === null) fail(where, `missing field 'id'`);
  if (typeof rawId !== 'string' && typeof rawId !== 'number' && typeof rawId !== 'bigint') fail(where, `field 'id' must be a string`);
  const id = String(rawId);
  const at = `${where} (id ${id})`;
  const mini = typeof row.rlsd_reference === 'string' || typeof row.rlsd_family === 'string';

  const question = reqString(row, 'question', at);
  const options = optionsOf(row, at);
  const answer = answerText(row, at);
  if (options.length > 0) {
    // evaluate.py indexes options[ord(answer) - ord('A')]: anything else crashes the original
    const index = answer.length === 1 ? answer.charCodeAt(0) - 65 : -1;
    if (index < 0 || index >= options.length) fail(at, `answer '${answer}' is not an option letter (A–${String.fromCharCode(64 + options.length)})`);
  }
  const level = levelOf(row, at);
  const subject = reqString(row, 'subject', at);
  const solution = typeof row.solution === 'string' ? row.solution : null;
  const imagePath = typeof row.image === 'string' ? row.image : null;

  let images: EncodedImage[] = [];
  if ('decoded_image' in row) {
    const img = toEncodedImage(row.decoded_image);
    if (!img) fail(at, `field 'decoded_image' has no image bytes`);
    if (!img.path && imagePath) img.path = imagePath;
    images = [img];
  }

  const raw: Row = { ...row };
  delete raw.decoded_image; // the bytes live in `images`

  const item: MathVisionItem = { id, question, images, answer, raw, split, options, level, subject, solution, imagePath, mini };
  if (mini) {
    if (typeof row.rlsd_reference === 'string') item.reference = row.rlsd_reference;
    if (typeof row.rlsd_family === 'string') item.family = row.rlsd_family;
  }
  return item;
}
