// ZeroBench (Roberts et al., 2025; Hugging Face `jonathan-roberts1/zerobench`) as a benchmark unit.
//
// Data: `data/zerobench-*.parquet` (100 questions) and `data/zerobench_subquestions-*.parquet` (334
// sub-questions); columns question_id, question_text, question_images_decoded (a list of
// {bytes,path} images), question_answer, question_images, image_attribution. Also accepted: the
// parquet files directly in the given folder, or one parquet file (its split from its name).
// Mini items are rows of the same schema plus `rlsd_reference` and `rlsd_family`.
//
// Prompt: the authors' (dataset card; the same text VLMEvalKit's ZEROBench.build_prompt sends):
//   "{question_text}\n\n\nLet's think step by step and give the final answer in curly braces, like this: {final answer}"
// Mirrors differ in the whitespace around the instruction (VLMEvalKit adds a space and a double
// space, evalscope a line break); the words are the same. lmms-eval's task uses another prompt
// ("Answer with only the final answer.") with a whole-response exact match, not the authors' rule.
//
// Scoring: the authors' loop from the dataset card (identical in inspect_evals' zerobench scorer):
//   formatted = response.strip().lower(); parsed = re.findall(r"\{(.*?)\}", formatted)[-1] or ''
//   correct = parsed[:len(gt)].lower() == gt.strip().lower() and len(parsed) == len(gt.strip())
// Quirks kept: `.` does not cross a newline, the extracted group is NOT stripped ("{ 5 }" fails),
// lengths are in code points, and an answer without braces is ''. VLMEvalKit's ZEROBench.evaluate
// instead tests `gt in parsed` (a substring), which accepts "{15}" for gold "5": not used here.
//
// Aggregates over k samples per question (records with sample 0..k−1): pass@1 (mean per-sample
// accuracy; with one greedy sample this is the paper's pass@1), pass@k (any sample correct) and k/k
// reliability (all samples correct), as in the paper's pass@5 and 5/5 reliability; the
// sub-question split also reports `subquestion_accuracy` (= pass@1 over sub-questions). METRICS.md.
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeImage, toEncodedImage } from '../common/images.ts';
import { listParquet, readParquetRows, requireColumns } from '../common/parquet.ts';
import { asText, placeOf, type Row, type RowPlace } from '../common/rows.ts';
import { type BenchItem, type EncodedImage, type Extraction, type ItemRecord, type LoadOptions, type Metrics } from '../common/types.ts';
import { DataError } from '../../src/util/errors.ts';
import { defineBenchmark } from '../common/module.ts';
import { zerobenchMini } from './mini.ts';

export const ZEROBENCH_SPLITS = ['zerobench', 'zerobench_subquestions'] as const;
export const ZEROBENCH_PROMPT_SUFFIX = "\n\n\nLet's think step by step and give the final answer in curly braces, like this: {final answer}";

const REQUIRED_COLUMNS = ['question_id', 'question_text', 'question_images_decoded', 'question_answer'] as const;

/** 'zerobench_subquestions' (and the mini suite's 'train_subquestions'): items are steps of a main question. */
export function isSubquestionSplit(split: string): boolean {
  return split.endsWith('_subquestions');
}

export interface ZeroBenchItem extends BenchItem {
  split: string;
  /** For sub-questions, the main question they decompose (question_id before the first '_'). */
  mainQuestionId: string;
  mini: boolean;
  family?: string;
}

/** Converts one Hugging Face parquet row to an item. Throws DataError naming file, row and field. */
export function itemFromRow(row: Row, split: string, where: RowPlace = {}): ZeroBenchItem {
  const id = asText(row.question_id);
  if (!id) throw new DataError(`${placeOf(where)}: missing field 'question_id'`);
  const at = placeOf(where, id, 'question_id');
  for (const c of REQUIRED_COLUMNS) if (!(c in row)) throw new DataError(`${at}: missing field '${c}'`);
  const question = asText(row.question_text);
  if (question === null) throw new DataError(`${at}: field 'question_text' is not text`);
  const answer = asText(row.question_answer);
  if (answer === null) throw new DataError(`${at}: field 'question_answer' is not text`);
  const list = row.question_images_decoded;
  if (!Array.isArray(list)) throw new DataError(`${at}: field 'question_images_decoded' is not a list of images`);
  const images: EncodedImage[] = list.map((v, k) => {
    const img = toEncodedImage(v);
    if (!img) throw new DataError(`${at}: field 'question_images_decoded' image ${k + 1} has no bytes`);
    return img;
  });
  const mini = 'rlsd_reference' in row && row.rlsd_reference != null;
  const item: ZeroBenchItem = {
    id,
    question,
    images,
    answer,
    raw: row,
    split,
    mainQuestionId: isSubquestionSplit(split) ? id.split('_')[0]! : id,
    mini,
  };
  if (mini) {
    item.reference = asText(row.rlsd_reference) ?? '';
    const family = asText(row.rlsd_family);
    if (family) item.family = family;
  }
  return item;
}

// ---------------------------------------------------------------- scoring

// Python's `.` without DOTALL matches everything but '\n' (JS's `.` also stops at \r, \u2028, \u2029).
const CURLY = /\{([^\n]*?)\}/g;
const PY_WS = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const EDGE_WS = new RegExp(`^${PY_WS}+|${PY_WS}+$`, 'g');

function pyStrip(s: string): string {
  return s.replace(EDGE_WS, '');
}

function codePoints(s: string): string[] {
  return Array.from(s);
}

/** The authors' extraction: content of the last {...} of the stripped, lower-cased response ('' when none). */
export function extractCurly(response: string): { parsed: string; found: boolean } {
  const formatted = pyStrip(response).toLowerCase();
  let last: string | null = null;
  for (const m of formatted.matchAll(CURLY)) last = m[1]!;
  return last === null ? { parsed: '', found: false } : { parsed: last, found: true };
}

/** The authors' verdict: parsed[:len(gt)].lower() == gt.strip().lower() and len(parsed) == len(gt.strip()). */
export function judgeZeroBench(parsed: string, groundTruth: string): boolean {
  const gtStripped = pyStrip(groundTruth);
  const p = codePoints(parsed);
  const head = p.slice(0, codePoints(groundTruth).length).join('').toLowerCase();
  return head === gtStripped.toLowerCase() && p.length === codePoints(gtStripped).length;
}

/** Extraction record for one response. */
export function extractZeroBench(response: string): Extraction {
  const { parsed, found } = extractCurly(response);
  return found ? { extracted: parsed, extractor: 'curly_last' } : { extracted: null, extractor: 'no_braces' };
}

/** Extract + judge one response against a gold answer. */
export function scoreZeroBenchResponse(response: string, groundTruth: string): { extraction: Extraction; correct: boolean } {
  const { parsed } = extractCurly(response);
  return { extraction: extractZeroBench(response), correct: judgeZeroBench(parsed, groundTruth) };
}

// ---------------------------------------------------------------- aggregation

interface Group {
  n: number;
  correct: number;
}

function summarise(groups: Iterable<Group>): { pass1: number; passK: number; kOfK: number; num: number; kMax: number; kMin: number } {
  let num = 0;
  let pass1 = 0;
  let passK = 0;
  let kOfK = 0;
  let kMax = 0;
  let kMin = Infinity;
  for (const g of groups) {
    num++;
    pass1 += g.correct / g.n;
    if (g.correct > 0) passK++;
    if (g.correct === g.n) kOfK++;
    kMax = Math.max(kMax, g.n);
    kMin = Math.min(kMin, g.n);
  }
  const d = num === 0 ? 1 : num;
  return { pass1: pass1 / d, passK: passK / d, kOfK: kOfK / d, num, kMax, kMin: num === 0 ? 0 : kMin };
}

/** pass@1, pass@k and k/k over questions, each question's records being its k samples (METRICS.md). */
export function aggregateZeroBench(records: readonly ItemRecord[]): Metrics {
  const byQuestion = new Map<string, Group>();
  const byFamily = new Map<string, Map<string, Group>>();
  let sub = 0;
  for (const r of records) {
    const split = typeof r.split === 'string' ? r.split : '';
    if (isSubquestionSplit(split)) sub++;
    const key = `${split}\u0000${r.id}`;
    const g = byQuestion.get(key) ?? { n: 0, correct: 0 };
    g.n++;
    if (r.correct) g.correct++;
    byQuestion.set(key, g);
    if (typeof r.family === 'string') {
      const fam = byFamily.get(r.family) ?? new Map<string, Group>();
      fam.set(key, g);
      byFamily.set(r.family, fam);
    }
  }
  const s = summarise(byQuestion.values());
  const metrics: Metrics = {
    'pass@1': s.pass1,
    'pass@k': s.passK,
    'k/k': s.kOfK,
    k: s.kMax,
    num_questions: s.num,
    num_records: records.length,
  };
  if (s.kMin !== s.kMax) metrics.k_min = s.kMin;
  if (sub > 0 && sub === records.length) metrics.subquestion_accuracy = s.pass1;
  if (byFamily.size > 0) {
    const families: Record<string, Metrics> = {};
    for (const [name, groups] of byFamily) {
      const f = summarise(groups.values());
      families[name] = { 'pass@1': f.pass1, 'pass@k': f.passK, 'k/k': f.kOfK, num_questions: f.num };
    }
    metrics.families = families as unknown as Metrics;
  }
  return metrics;
}

// ---------------------------------------------------------------- loading

interface SourceFile {
  file: string;
  split: string;
}

/** The split a Hugging Face shard name carries ('zerobench_subquestions-00000-of-00001.parquet'). */
function splitOfFile(file: string): string | null {
  const m = /^(.+?)-\d{5}-of-\d{5}\.parquet$/.exec(basename(file));
  return m ? m[1]! : null;
}

/** Finds the parquet files of a split in any supported layout. */
export function zerobenchFiles(source: string, split: string): SourceFile[] {
  let st;
  try {
    st = statSync(source);
  } catch {
    throw new DataError(`${source}: no such file or directory`);
  }
  if (st.isFile()) {
    if (!source.endsWith('.parquet')) throw new DataError(`${source}: not a parquet file (ZeroBench is read from its Hugging Face parquet files)`);
    return [{ file: source, split: splitOfFile(source) ?? split }];
  }
  // `${split}-` keeps 'zerobench' from also matching 'zerobench_subquestions-…'.
  const prefix = `${split}-`;
  for (const dir of [join(source, 'data'), source]) {
    const files = listParquet(dir, prefix);
    if (files.length > 0) return files.map((file) => ({ file, split }));
  }
  throw new DataError(`${source}: no parquet files for split '${split}' (expected ${join(source, 'data', `${split}-*.parquet`)})`);
}

async function loadZeroBench(source: string, opts: LoadOptions = {}): Promise<ZeroBenchItem[]> {
  // Any split name is accepted (the mini suite adds 'train' and 'train_subquestions').
  const split = opts.split ?? ZEROBENCH_SPLITS[0];
  const limit = opts.limit ?? Infinity;
  const items: ZeroBenchItem[] = [];
  for (const { file, split: fileSplit } of zerobenchFiles(source, split)) {
    if (items.length >= limit) break;
    const rows = await readParquetRows(file);
    requireColumns(file, rows, REQUIRED_COLUMNS);
    for (let i = 0; i < rows.length && items.length < limit; i++) items.push(itemFromRow(rows[i]!, fileSplit, { file, index: i }));
  }
  return items;
}

/** Decodes every image with sharp; throws DataError naming the item and image on corrupt bytes. */
export async function validateImages(items: readonly ZeroBenchItem[]): Promise<void> {
  for (const item of items) {
    for (let k = 0; k < item.images.length; k++) await decodeImage(item.images[k]!, undefined, `ZeroBench item ${item.id} image ${k + 1}`);
  }
}

export const zerobench = defineBenchmark<ZeroBenchItem>({
  name: 'zerobench',
  title: 'ZeroBench: 100 hard visual questions (and 334 sub-questions), pass@k over k samples',
  label: 'ZeroBench',
  reportRank: 3,
  splits: ZEROBENCH_SPLITS,
  evaluatedSplit: 'zerobench',
  headline: { metric: 'pass@1' },
  otherMetrics: ['pass@k', 'k/k', 'k', 'num_questions', 'num_records', 'subquestion_accuracy (sub-question split)'],
  layouts: ['Hugging Face jonathan-roberts1/zerobench: <dir>/data/zerobench-*.parquet and zerobench_subquestions-*.parquet (or in <dir>, or one parquet file)'],
  itemFromRow: (row, split) => itemFromRow(row, split),
  mini: zerobenchMini,
  load: loadZeroBench,
  prompt(item) {
    if (item.mini) return { text: item.question, images: item.images };
    return { text: item.question + ZEROBENCH_PROMPT_SUFFIX, images: item.images };
  },
  extract(response) {
    return extractZeroBench(response);
  },
  score(item, response): ItemRecord {
    const { extraction, correct } = scoreZeroBenchResponse(response, item.answer);
    const record: ItemRecord = {
      id: item.id,
      response,
      extracted: extraction.extracted,
      gold: item.answer,
      correct,
      extractor: extraction.extractor,
      split: item.split,
      main_question_id: item.mainQuestionId,
    };
    if (item.family) record.family = item.family;
    return record;
  },
  aggregate: aggregateZeroBench,
});
