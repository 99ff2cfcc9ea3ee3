// Worked examples of where the credit went, kept by `train` at its last step so that the report can show them
// rebuilt from records (docs/design.md §1.2): from the step's rollout batch, one correct multi-step response and one
// incorrect response whose first wrong step is a misreading, each chosen by the rule below (never by hand), written
// token by token in the credit view's record format (src/credit/records.ts) to credit/step_N.jsonl. Nothing is
// computed for them that the step has not computed already: the credit is the update's (MethodOutput.credit, and
// creditWeight where the method has one), Δ the teacher pass's log-probs against the rollout's, as the credit/*
// metrics read them (src/train/credit.ts). Only deep-world runs (suite mini-2: tasks with a program) write the file.
import { responseRecords, responseView, type CreditRecord } from '../credit/records.ts';
import { pruneStepRecords, stepRecordsFile, writeStepRecords } from '../run-dir.ts';
import type { Tokenizer } from '../tokenizer.ts';
import type { Rollout } from './rollout.ts';

/** The folder of a run that holds the worked examples, one file per step that kept them. */
export const CREDIT_EXAMPLES_DIR = 'credit';

/** credit/step_N.jsonl: the examples of training step N's rollout batch (a line per token). */
export function creditExamplesFile(out: string, step: number): string {
  return stepRecordsFile(out, CREDIT_EXAMPLES_DIR, step);
}

/** The two kinds of worked example and the rule that picks each from a batch, in the words the report prints. */
export const EXAMPLE_RULES = {
  correct:
    'the first response of the batch (prompts in the order drawn, then each prompt\'s samples in order) that the verifier marks correct, whose reasoning parses in full with at least two steps and no wrong one (benchmarks/mini/deep/parse.ts finds none: not a lucky guess), and whose credit is not zero on every token',
  misreading:
    'the first response of the batch that the verifier marks incorrect, whose first wrong step (benchmarks/mini/deep/parse.ts) is a misreading inside its reasoning span, and whose credit is not zero on every token',
} as const;

export type ExampleKind = keyof typeof EXAMPLE_RULES;

export interface ExampleInputs {
  ro: Rollout;
  /** [B] the verifier's verdicts, and the rewards the method saw (permuted under the shuffled-rewards control). */
  verdicts: Float32Array;
  rewards: Float32Array;
  tokenizer: Tokenizer;
  /** The teacher pass: [B] where it had privileged context, and [B·R] its log-probs of the sampled tokens. */
  teacher: { available: Float32Array; logProbs: Float32Array } | null;
  /** [B·R] the method's per-token credit, and its weight (MethodOutput.creditWeight) when it has one. */
  credit: Float32Array;
  weight: Float32Array | null;
  method: string;
  /** The step of the weights that sampled and credited the batch (the training step's number minus one). */
  step: number;
}

/** The batch's worked examples as records, the correct one first; a kind no response meets is left out. */
export function creditExamples(x: ExampleInputs): CreditRecord[] {
  const { ro, verdicts, rewards, tokenizer, teacher, credit, weight } = x;
  const { R, G } = ro;
  const found: Partial<Record<ExampleKind, CreditRecord[]>> = {};
  for (let b = 0; b < ro.B && !(found.correct && found.misreading); b++) {
    const task = ro.prompts[ro.groupIds[b]!]!;
    if (!task.program) continue;
    const kind: ExampleKind = verdicts[b]! >= 1 ? 'correct' : 'misreading';
    if (found[kind]) continue;
    const ids = ro.responses[b]!;
    const n = ids.length;
    const c = credit.slice(b * R, b * R + n);
    if (c.every((v) => v === 0)) continue;
    const delta = teacher && teacher.available[b]! > 0 ? Float64Array.from({ length: n }, (_, t) => teacher.logProbs[b * R + t]! - ro.oldLogProbs[b * R + t]!) : null;
    const view = responseView(task, ids, ro.texts[b]!, tokenizer, b % G, verdicts[b]!, [{ reward: rewards[b]!, delta, weight: weight ? weight.slice(b * R, b * R + n) : null, credit: c }]);
    const steps = Math.max(-1, ...view.steps) + 1;
    const meets = kind === 'correct' ? view.parsed && steps >= 2 && view.error === null : view.error?.kind === 'misreading' && view.error.inReasoning;
    if (meets) found[kind] = responseRecords(view, 0, { step: x.step, method: x.method, problem: task.uid, benchmark: task.benchmark, gold: task.item.answer });
  }
  return [...(found.correct ?? []), ...(found.misreading ?? [])];
}

/** Writes the examples of training step `step` (an empty file when no response met a rule: the run looked, found none). */
export function writeCreditExamples(out: string, step: number, records: readonly CreditRecord[]): void {
  writeStepRecords(out, CREDIT_EXAMPLES_DIR, step, records);
}

/** Removes the examples of steps after `step` (a resume goes on from a checkpoint before them). */
export function pruneCreditExamples(out: string, step: number): void {
  pruneStepRecords(out, CREDIT_EXAMPLES_DIR, step);
}
