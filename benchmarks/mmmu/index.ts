// MMMU (Yue et al., CVPR 2024) as a benchmark unit: Hugging Face loader, the authors' prompt, the
// authors' rule-based scorer (eval_utils.ts) and their aggregates (METRICS.md).
//
// Data: the Hugging Face snapshot `MMMU/MMMU`, one folder per subject holding
// `<Subject>/{dev,validation,test}-*.parquet` (columns id, question, options, answer, question_type,
// image_1..image_7 {bytes,path}, …). `options` and list-valued answers are Python-literal strings.
// A folder holding `<split>-*.parquet` directly, `<dir>/data/<split>-*.parquet`, or one parquet file
// are accepted too. Mini items (benchmarks/mini) are rows of the same schema plus `rlsd_reference`
// and `rlsd_family`.
//
// Prompt: the authors' `construct_prompt` (mmmu/utils/data_utils.py) with `configs/llava1.5.yaml`:
//   "{question}\n(A) …\n(B) …\n\nAnswer with the option's letter from the given choices directly."
//   "{question}\nAnswer the question using a single word or phrase."
// (the YAML's blank lines fold to single newlines). Images: the ones the prompt refers to with
// `<image N>`, sorted, as lmms-eval's mmmu_doc_to_visual does — the authors' LLaVA script could only
// pass image_1. Departure: an item whose text names no image it has gets all of its images. A row whose
// text names images it has no field for (validation_Math_7: <image 8>…<image 30>) loads with
// `unresolvedImages` set and is scored from its text, as the authors' scorer never needs images.
//
// Random fallback: the original seeds Python's `random` with 42 when eval_utils is imported and
// draws from that one stream for every unparseable multiple-choice answer, in evaluation order
// (subjects alphabetical, items in file order). Here the stream lives in the benchmark instance,
// is seeded with 42 at creation and again by every `load()` (one load = one evaluation), and can be
// reset with `resetRandom()`. Scoring the same responses in the same order reproduces the authors'
// letters exactly (scripts/verify-mmmu.ts). `extract` draws from the same stream, so call `score`
// (not `extract` and then `score`) once per response to stay in step with the original.
//
// Gold answers that are Python-literal lists ("['24/7', '3.429']") are parsed into lists, as in the
// authors' answer_dict_val.json; lmms-eval passes the raw string instead (a known divergence).
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeImage, toEncodedImage } from '../common/images.ts';
import { listParquet, readParquetRows, requireColumns } from '../common/parquet.ts';
import { asText, isDir, placeOf, type Row, type RowPlace } from '../common/rows.ts';
import { type BenchItem, type Benchmark, type EncodedImage, type Extraction, type ItemRecord, type LoadOptions, type Metrics, type PromptParts } from '../common/types.ts';
import {
  calculateInsLevelAcc,
  domainOf,
  DOMAIN_CAT2SUB_CAT,
  evalMultiChoice,
  evalOpen,
  getMultiChoiceInfo,
  MMMU_SUBJECTS,
  parseMultiChoiceResponse,
  parseOpenResponse,
  subjectFromId,
  type CategoryResult,
  type OpenPred,
} from './eval_utils.ts';
import { PyRandom } from './pyrandom.ts';
import { looksLikePythonList, parsePythonStringList, PyLiteralError, tryParsePythonStringList } from './pyliteral.ts';
import { DataError } from '../../src/util/errors.ts';
import { defineBenchmark } from '../common/module.ts';
import { mmmuMini } from './mini.ts';

export * from './eval_utils.ts';
export { PyRandom } from './pyrandom.ts';
export { parsePythonStringList, tryParsePythonStringList, PyLiteralError } from './pyliteral.ts';

export const MMMU_SPLITS = ['validation', 'dev', 'test'] as const;
/** The seed of the authors' scripts (`random.seed(42)` in eval_utils.py and run_llava.py). */
export const MMMU_RANDOM_SEED = 42;
export const MMMU_IMAGE_SLOTS = 7;

const REQUIRED_COLUMNS = ['id', 'question', 'options', 'answer', 'question_type'] as const;
const MC_INSTRUCTION = "Answer with the option's letter from the given choices directly.";
const OPEN_INSTRUCTION = 'Answer the question using a single word or phrase.';
const IMAGE_TAG = /<image (\d+)>/g;

export type MmmuQuestionType = 'multiple-choice' | 'open';

export interface MmmuItem extends BenchItem {
  split: string;
  /** Subject folder name, e.g. 'Accounting' (from the id, as the official scripts group). */
  subject: string;
  /** 'multiple-choice', or 'open' for the dataset's 'open' and the answer files' 'short-answer'. */
  questionType: MmmuQuestionType;
  /** Option texts, parsed from the Python-literal `options` string ([] for open questions). */
  options: string[];
  /** The gold answer as the official scorer sees it: a string, or a list for list-literal answers. */
  gold: string | string[];
  /** image_1..image_7 (null where empty), original bytes. `images` holds the non-null ones in order. */
  imageSlots: (EncodedImage | null)[];
  /** True for rows of the mini suite (they carry `rlsd_reference`). */
  mini: boolean;
  family?: string;
}

interface MmmuRowPlace extends RowPlace {
  /** Subject to use when the id does not name one (the folder name). */
  subject?: string;
}

/** Text of an `options` value: a Python-literal string (Hugging Face) or an already-parsed list. */
function parseOptions(v: unknown, at: string): string[] {
  if (Array.isArray(v)) {
    if (!v.every((o) => typeof o === 'string')) throw new DataError(`${at}: field 'options' must be a list of strings`);
    return v as string[];
  }
  const text = asText(v);
  if (text === null) throw new DataError(`${at}: field 'options' is missing or not text`);
  try {
    return parsePythonStringList(text);
  } catch (e) {
    const why = e instanceof PyLiteralError ? e.message : String(e);
    throw new DataError(`${at}: field 'options' is not a Python list of strings (${why})`);
  }
}

/** The gold answer as the scorer uses it: list-literal strings become lists. */
export function parseGold(answer: string): string | string[] {
  if (!looksLikePythonList(answer)) return answer;
  return tryParsePythonStringList(answer) ?? answer;
}

/** Converts one Hugging Face parquet row to an item. Throws DataError naming file, row and field. */
export function itemFromRow(row: Row, split: string, where: MmmuRowPlace = {}): MmmuItem {
  const id = asText(row.id);
  if (!id) throw new DataError(`${placeOf(where)}: missing field 'id'`);
  const at = placeOf(where, id);
  for (const c of REQUIRED_COLUMNS) if (!(c in row)) throw new DataError(`${at}: missing field '${c}'`);
  const question = asText(row.question);
  if (question === null) throw new DataError(`${at}: field 'question' is not text`);
  const answer = asText(row.answer);
  if (answer === null) throw new DataError(`${at}: field 'answer' is not text`);
  const rawType = asText(row.question_type);
  let questionType: MmmuQuestionType;
  if (rawType === 'multiple-choice') questionType = 'multiple-choice';
  else if (rawType === 'open' || rawType === 'short-answer') questionType = 'open';
  else throw new DataError(`${at}: unknown question_type '${rawType}' (expected 'multiple-choice' or 'open')`);
  const options = parseOptions(row.options, at);
  if (questionType === 'multiple-choice' && options.length === 0) throw new DataError(`${at}: multiple-choice question with no options`);

  const imageSlots: (EncodedImage | null)[] = [];
  for (let k = 1; k <= MMMU_IMAGE_SLOTS; k++) {
    const v = row[`image_${k}`];
    const img = toEncodedImage(v);
    if (!img && v != null && typeof v === 'object' && 'path' in (v as object) && (v as { path: unknown }).path) {
      throw new DataError(`${at}: field 'image_${k}' has no bytes (path '${String((v as { path: unknown }).path)}')`);
    }
    imageSlots.push(img);
  }
  const mini = 'rlsd_reference' in row && row.rlsd_reference != null;
  // Real rows may name images the schema cannot hold (validation_Math_7's options name <image 7>…<image 30>,
  // the schema has image_1…image_7). The authors' scorer reads only the text, so the row loads; the loader
  // counts such rows and evaluation shows the images that exist.
  const unresolved: number[] = [];
  if (!mini) {
    const text = question + '\n' + options.join('\n');
    for (const m of text.matchAll(IMAGE_TAG)) {
      const k = Number(m[1]);
      if ((k < 1 || k > MMMU_IMAGE_SLOTS || !imageSlots[k - 1]) && !unresolved.includes(k)) unresolved.push(k);
    }
  }
  const fromId = subjectFromId(id);
  const item: MmmuItem = {
    id,
    question,
    images: imageSlots.filter((x): x is EncodedImage => x !== null),
    answer,
    raw: row,
    split,
    subject: fromId || where.subject || 'unknown',
    questionType,
    options,
    gold: parseGold(answer),
    imageSlots,
    mini,
  };
  if (unresolved.length > 0) item.unresolvedImages = unresolved.sort((a, b) => a - b).map((k) => `<image ${k}>`);
  if (mini) {
    item.reference = asText(row.rlsd_reference) ?? '';
    const family = asText(row.rlsd_family);
    if (family) item.family = family;
  }
  return item;
}

/** The authors' prompt text (construct_prompt + configs/llava1.5.yaml). */
export function buildMmmuPromptText(question: string, questionType: MmmuQuestionType, options: readonly string[]): string {
  if (questionType === 'multiple-choice') {
    let example = '';
    options.forEach((option, i) => {
      example += `(${String.fromCharCode(65 + i)}) ${option}\n`;
    });
    return `${question}\n${example}\n${MC_INSTRUCTION}`;
  }
  return `${question}\n${OPEN_INSTRUCTION}`;
}

/**
 * Images named by `<image N>` in the prompt, sorted and de-duplicated (lmms-eval mmmu_doc_to_visual); named
 * images the row does not have are skipped. A text that names no image the row has gets all of its images.
 */
export function referencedImages(item: MmmuItem, text: string): EncodedImage[] {
  const slots = [...new Set([...text.matchAll(IMAGE_TAG)].map((m) => Number(m[1])))].sort((a, b) => a - b);
  const named = slots.map((k) => item.imageSlots[k - 1]).filter((x): x is EncodedImage => !!x);
  return named.length > 0 ? named : item.images;
}

// ---------------------------------------------------------------- loading

interface SourceFile {
  file: string;
  subject?: string;
}

/** Finds the parquet files of a split in any supported layout, subjects in the official order. */
export function mmmuFiles(source: string, split: string): SourceFile[] {
  let st;
  try {
    st = statSync(source);
  } catch {
    throw new DataError(`${source}: no such file or directory`);
  }
  if (st.isFile()) {
    if (!source.endsWith('.parquet')) throw new DataError(`${source}: not a parquet file (MMMU is read from its Hugging Face parquet files)`);
    return [{ file: source, subject: basename(dirname(source)) }];
  }
  const prefix = `${split}-`;
  const subjectDirs = readdirSync(source).filter((n) => isDir(join(source, n)) && listParquet(join(source, n), prefix).length > 0);
  if (subjectDirs.length > 0) {
    const known = MMMU_SUBJECTS.filter((s) => subjectDirs.includes(s));
    const others = subjectDirs.filter((s) => !MMMU_SUBJECTS.includes(s)).sort();
    return [...known, ...others].flatMap((subject) => listParquet(join(source, subject), prefix).map((file) => ({ file, subject })));
  }
  const here = listParquet(source, prefix);
  if (here.length > 0) return here.map((file) => ({ file, subject: basename(source) }));
  const inData = listParquet(join(source, 'data'), prefix);
  if (inData.length > 0) return inData.map((file) => ({ file }));
  throw new DataError(`${source}: no parquet files for split '${split}' (expected ${join(source, '<Subject>', `${split}-*.parquet`)})`);
}

async function loadMmmu(source: string, opts: LoadOptions = {}): Promise<MmmuItem[]> {
  const split = opts.split ?? MMMU_SPLITS[0];
  const limit = opts.limit ?? Infinity;
  const items: MmmuItem[] = [];
  for (const { file, subject } of mmmuFiles(source, split)) {
    if (items.length >= limit) break;
    const rows = await readParquetRows(file);
    requireColumns(file, rows, REQUIRED_COLUMNS);
    for (let i = 0; i < rows.length && items.length < limit; i++) {
      const where: MmmuRowPlace = { file, index: i };
      if (subject) where.subject = subject;
      items.push(itemFromRow(rows[i]!, split, where));
    }
  }
  return items;
}

/** Decodes every image with sharp; throws DataError naming the item and image slot on corrupt bytes. */
export async function validateImages(items: readonly MmmuItem[]): Promise<void> {
  for (const item of items) {
    for (let k = 0; k < item.imageSlots.length; k++) {
      const img = item.imageSlots[k];
      if (img) await decodeImage(img, undefined, `MMMU item ${item.id} image_${k + 1}`);
    }
  }
}

// ---------------------------------------------------------------- scoring and aggregation

export interface MmmuScoreDetail {
  extraction: Extraction;
  correct: boolean;
  /** Multiple choice: the candidates the rule saw. */
  candidates?: string[];
  /** Open: parse_open_response's prediction list. */
  parsedPred?: OpenPred[];
}

interface Accuracy {
  accuracy: number;
  num: number;
}

function accuracyOf(correct: number, num: number): Accuracy {
  return { accuracy: num === 0 ? 0 : correct / num, num };
}

/** Official aggregates over per-item records (see METRICS.md). Every record is one instance. */
export function aggregateMmmu(records: readonly ItemRecord[]): Metrics {
  const bySubject = new Map<string, { correct: number; num: number }>();
  const byType = new Map<string, { correct: number; num: number }>();
  const byFamily = new Map<string, { correct: number; num: number }>();
  const bump = (m: Map<string, { correct: number; num: number }>, key: string, ok: boolean): void => {
    const e = m.get(key) ?? { correct: 0, num: 0 };
    e.num++;
    if (ok) e.correct++;
    m.set(key, e);
  };
  for (const r of records) {
    const subject = typeof r.subject === 'string' && r.subject ? r.subject : subjectFromId(r.id) || 'unknown';
    bump(bySubject, subject, r.correct);
    if (typeof r.question_type === 'string') bump(byType, r.question_type, r.correct);
    if (typeof r.family === 'string') bump(byFamily, r.family, r.correct);
  }
  // evaluate(): acc per subject; calculate_ins_level_acc: weighted by num_example.
  const evaluation: Record<string, CategoryResult> = {};
  const subjectNames = [...MMMU_SUBJECTS.filter((s) => bySubject.has(s)), ...[...bySubject.keys()].filter((s) => !MMMU_SUBJECTS.includes(s)).sort()];
  const subjects: Record<string, Accuracy> = {};
  for (const s of subjectNames) {
    const e = bySubject.get(s)!;
    evaluation[s] = { acc: e.correct / e.num, num_example: e.num };
    subjects[s] = accuracyOf(e.correct, e.num);
  }
  const domains: Record<string, Accuracy> = {};
  for (const [domain, cats] of Object.entries(DOMAIN_CAT2SUB_CAT)) {
    const inDomain: Record<string, CategoryResult> = {};
    for (const c of cats) if (evaluation[c]) inDomain[c] = evaluation[c];
    const num = Object.values(inDomain).reduce((a, r) => a + r.num_example, 0);
    if (num > 0) domains[domain] = { accuracy: calculateInsLevelAcc(inDomain), num };
  }
  const metrics: Metrics = {
    accuracy: calculateInsLevelAcc(evaluation),
    num: records.length,
    domains: domains as unknown as Metrics,
    subjects: subjects as unknown as Metrics,
    question_types: Object.fromEntries([...byType].map(([k, e]) => [k, accuracyOf(e.correct, e.num)])) as unknown as Metrics,
  };
  if (byFamily.size > 0) metrics.families = Object.fromEntries([...byFamily].map(([k, e]) => [k, accuracyOf(e.correct, e.num)])) as unknown as Metrics;
  return metrics;
}

export interface MmmuOptions {
  /** Seed of the Python-identical random stream (default 42, as the authors). */
  seed?: number;
  /**
   * The official rule answers an unparseable multiple-choice response with a random letter (default
   * true). As an RL reward that pays ~1/n for garbage; false makes such responses wrong instead
   * (extractor 'no_answer'). Not the official metric — evaluation keeps the default.
   */
  randomFallback?: boolean;
}

export interface MmmuBenchmark extends Benchmark<MmmuItem> {
  /** Re-seeds the fallback stream (start of an evaluation pass). */
  resetRandom(seed?: number): void;
  /** Extraction + verdict with the intermediate parse (candidates, open prediction list). */
  scoreDetail(item: MmmuItem, response: string): MmmuScoreDetail;
}

/** A fresh MMMU benchmark instance with its own random stream. */
export function createMmmu(options: MmmuOptions = {}): MmmuBenchmark {
  const seed = options.seed ?? MMMU_RANDOM_SEED;
  const rng = new PyRandom(seed);

  const scoreDetail = (item: MmmuItem, response: string): MmmuScoreDetail => {
    if (item.questionType === 'multiple-choice') {
      const { index2ans, allChoices } = getMultiChoiceInfo(item.options);
      const parsed = parseMultiChoiceResponse(response, allChoices, index2ans, rng);
      if (parsed.rule === 'random_fallback' && options.randomFallback === false) {
        return { extraction: { extracted: null, extractor: 'no_answer' }, correct: false, candidates: [] };
      }
      return {
        extraction: { extracted: parsed.pred, extractor: parsed.rule },
        correct: evalMultiChoice(item.gold, parsed.pred),
        candidates: parsed.candidates,
      };
    }
    const parsed = parseOpenResponse(response);
    return {
      extraction: { extracted: JSON.stringify(parsed.preds), extractor: parsed.rule },
      correct: evalOpen(item.gold, parsed.preds),
      parsedPred: parsed.preds,
    };
  };

  return {
    name: 'mmmu',
    splits: MMMU_SPLITS,
    async load(source, opts) {
      rng.seed(seed);
      return loadMmmu(source, opts);
    },
    prompt(item): PromptParts {
      if (item.mini) return { text: item.question, images: item.images };
      const text = buildMmmuPromptText(item.question, item.questionType, item.options);
      return { text, images: referencedImages(item, text) };
    },
    extract(response, item) {
      return scoreDetail(item, response).extraction;
    },
    score(item, response): ItemRecord {
      const d = scoreDetail(item, response);
      const record: ItemRecord = {
        id: item.id,
        response,
        extracted: d.extraction.extracted,
        gold: typeof item.gold === 'string' ? item.gold : JSON.stringify(item.gold),
        correct: d.correct,
        extractor: d.extraction.extractor,
        subject: item.subject,
        domain: domainOf(item.subject),
        question_type: item.questionType,
      };
      if (d.candidates) record.candidates = d.candidates;
      if (d.parsedPred) record.parsed_pred = d.parsedPred;
      if (item.family) record.family = item.family;
      if (item.unresolvedImages) record.unresolved_images = item.unresolvedImages;
      return record;
    },
    aggregate: aggregateMmmu,
    resetRandom(s = seed) {
      rng.seed(s);
    },
    scoreDetail,
  };
}

/** Its RL reward: the official verdict without the random-choice fallback, which would pay ~1/n for garbage. */
const rewardScorer = createMmmu({ randomFallback: false });

/** The registry's MMMU: the default instance (seed 42, like the authors' module-level `random.seed(42)`). */
export const mmmu = defineBenchmark<MmmuItem>({
  ...createMmmu(),
  title: 'MMMU: college-level multimodal questions over 30 subjects (multiple choice and open)',
  label: 'MMMU',
  reportRank: 0,
  evaluatedSplit: 'validation',
  headline: { metric: 'accuracy' },
  otherMetrics: ['subjects.<Subject>', 'domains.<Domain>', 'question_types.<type>', 'num'],
  layouts: [
    'Hugging Face MMMU/MMMU: <dir>/<Subject>/<split>-*.parquet (one folder per subject)',
    'a folder of <split>-*.parquet, <dir>/data/<split>-*.parquet, or one parquet file',
  ],
  itemFromRow: (row, split) => itemFromRow(row, split),
  mini: mmmuMini,
  reward: (item, response) => (rewardScorer.score(item, response).correct ? 1 : 0),
});
