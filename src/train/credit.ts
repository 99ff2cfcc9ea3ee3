// The credit/* metrics of a step (docs/design.md §6.3): where the self-teacher's signal and the method's own per-token
// credit fall inside each response's reasoning, held against the deep world's ground truth (benchmarks/mini/deep/
// truth.ts). Only tasks that carry a program (suite mini-2) count; on the first suite the step logs none of them.
//
//   credit/parsed_rate                  responses whose reasoning parsed in the suite's grammar
//   credit/first_wrong_located_rate     incorrect responses whose first wrong step lies in the reasoning span
//   credit/first_wrong_chance           that step's share of the span's tokens: what uniform credit gives
//   credit/first_wrong_share, _top      the method's credit (MethodOutput.credit): share of |c| on the first wrong
//                                       step, and how often its most-credited token lies there
//   credit/first_wrong_uniform          what uniform credit gives over the same responses as first_wrong_share (those
//                                       with credit): the baseline to hold it against (GRPO's share equals it)
//   credit/filler_token_share           filler's share of a correct response's span tokens (uniform credit's share)
//   credit/filler_share                 the method's |c| on filler, correct responses
//   credit/filler_uniform               filler's share of tokens over the same responses as filler_share
//   credit/teacher_auroc                the teacher's Δ summed over the span, correct against incorrect (0.5: chance)
//   credit/teacher_first_wrong_share, credit/teacher_first_wrong_top, credit/teacher_filler_share
//                                       the same for the teacher's own view exp(±Δ) (methods/credit.ts)
// The method's view leaves out responses whose credit is zero everywhere (a group whose rewards are all equal): they
// carry no credit to place.
import { auroc, spanSum, summariseCredit, teacherCredit, type CreditResponse } from '../../methods/credit.ts';
import type { ItemRecord } from '../../benchmarks/common/types.ts';
import { responseTruth, type ResponseTruth } from '../../benchmarks/mini/deep/truth.ts';
import type { Task } from '../tasks.ts';
import type { Tokenizer } from '../tokenizer.ts';
import type { Rollout } from './rollout.ts';
import type { StepMetrics } from './types.ts';

/** A sampled response of a deep-world task held against its program: what every credit view reads of it. */
export interface ResponseWithTruth {
  /** The response's tokens as surface strings; special tokens (EOS) are empty, so their concatenation is its text. */
  tokens: string[];
  /** The benchmark's verdict record (its extracted answer decides the final statement's check). */
  record: ItemRecord;
  truth: ResponseTruth;
}

/** The step-level truth of response `ids` (decoded: `text`) to `task`, which must carry a program (suite mini-2). */
export function responseWithTruth(task: Task, ids: readonly number[], text: string, tokenizer: Tokenizer): ResponseWithTruth {
  if (!task.program) throw new Error(`task ${task.uid} carries no program: step-level truth needs the deep world (suite mini-2)`);
  const special = new Set([tokenizer.eos, tokenizer.pad, tokenizer.bos]);
  const tokens = ids.map((id) => (special.has(id) ? '' : tokenizer.vocab[id]!));
  const record = task.score(text);
  return { tokens, record, truth: responseTruth(tokens, task.program.program, record.extracted) };
}

export interface CreditInputs {
  ro: Rollout;
  /** [B] the verifier's verdicts (not the shuffled control's rewards). */
  verdicts: Float32Array;
  tokenizer: Tokenizer;
  /** The teacher pass: [B] where it had privileged context, and [B·R] its log-probs of the sampled tokens. */
  teacher: { available: Float32Array; logProbs: Float32Array } | null;
  /** [B·R] the method's per-token credit, or null when its loss gives none. */
  credit: Float32Array | null;
}

const rate = (xs: readonly boolean[]): number => (xs.length === 0 ? Number.NaN : xs.filter(Boolean).length / xs.length);

export function creditMetrics({ ro, verdicts, tokenizer, teacher, credit }: CreditInputs): StepMetrics {
  const { R } = ro;
  const methodView: CreditResponse[] = [];
  const teacherView: CreditResponse[] = [];
  const scores: number[] = [];
  const labels: boolean[] = [];
  const parsed: boolean[] = [];
  const located: boolean[] = [];
  const chanceView: CreditResponse[] = [];
  ro.responses.forEach((ids, b) => {
    const task = ro.prompts[ro.groupIds[b]!]!;
    if (!task.program) return;
    const { tokens, truth } = responseWithTruth(task, ids, ro.texts[b]!, tokenizer);
    const correct = verdicts[b]! >= 1;
    parsed.push(truth.parsed);
    if (!correct) located.push(truth.firstWrong !== null);
    const base = { correct, reasoning: truth.reasoning, firstWrong: truth.firstWrong, filler: truth.filler };
    chanceView.push({ ...base, credit: new Float32Array(tokens.length).fill(1) });
    if (credit) {
      const c = credit.subarray(b * R, b * R + tokens.length);
      if (c.some((v) => v !== 0)) methodView.push({ ...base, credit: c });
    }
    if (teacher && teacher.available[b]! > 0) {
      const delta = Float64Array.from({ length: tokens.length }, (_, t) => teacher.logProbs[b * R + t]! - ro.oldLogProbs[b * R + t]!);
      teacherView.push({ ...base, credit: teacherCredit(delta, correct) });
      scores.push(spanSum(delta, truth.reasoning));
      labels.push(correct);
    }
  });
  if (parsed.length === 0) return {};
  const chance = summariseCredit(chanceView);
  const m: StepMetrics = {
    'credit/parsed_rate': rate(parsed),
    'credit/first_wrong_located_rate': rate(located),
    'credit/first_wrong_chance': chance.firstWrongChance,
    'credit/filler_token_share': chance.fillerTokenShare,
  };
  if (credit) {
    const s = summariseCredit(methodView);
    Object.assign(m, {
      'credit/first_wrong_share': s.firstWrongShare,
      'credit/first_wrong_top': s.firstWrongTopRate,
      'credit/first_wrong_uniform': s.firstWrongChance,
      'credit/filler_share': s.fillerShare,
      'credit/filler_uniform': s.fillerTokenShare,
    });
  }
  if (teacher && teacherView.length > 0) {
    const s = summariseCredit(teacherView);
    Object.assign(m, {
      'credit/teacher_auroc': auroc(scores, labels),
      'credit/teacher_first_wrong_share': s.firstWrongShare,
      'credit/teacher_first_wrong_top': s.firstWrongTopRate,
      'credit/teacher_filler_share': s.fillerShare,
    });
  }
  // NaN (no response of a kind this step) is left out: the metrics file holds numbers.
  for (const [k, v] of Object.entries(m)) if (!Number.isFinite(v)) delete m[k];
  return m;
}
