// The worked examples train keeps at its last step, by hand: a batch of six responses to one deep-world problem —
// correct with no credit, correct by luck (two misreadings that sum to the answer), an arithmetic slip, correct, a
// misreading, another misreading — and the rule picks the fourth and the fifth; the records read back into the view
// the pages render.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Program } from '../../benchmarks/mini/deep/program.ts';
import { responseFromRecords } from '../credit/records.ts';
import type { Task } from '../tasks.ts';
import { Tokenizer } from '../tokenizer.ts';
import { readJsonl } from '../util/jsonl.ts';
import { creditExamples, creditExamplesFile, pruneCreditExamples, writeCreditExamples } from './credit-examples.ts';
import type { Rollout } from './rollout.ts';

const program: Program = {
  steps: [
    { kind: 'read', form: 'bar', label: 'red', value: 5 },
    { kind: 'read', form: 'bar', label: 'blue', value: 3 },
    { kind: 'arith', op: 'plus', left: { read: 0 }, right: { read: 1 }, value: 8 },
  ],
  answer: '8',
};
const tok = Tokenizer.default({ fusedOptionMarkers: true, deep: true });
const texts = [
  'the red bar is 5 . the blue bar is 3 . so 5 plus 3 is 8 . {8}',
  'the red bar is 4 . the blue bar is 4 . so 4 plus 4 is 8 . {8}',
  'the red bar is 5 . the blue bar is 3 . so 5 plus 3 is 9 . {9}',
  'the red bar is 5 . the blue bar is 3 . so 5 plus 3 is 8 . {8}',
  'the red bar is 5 . the blue bar is 4 . so 5 plus 4 is 9 . {9}',
  'the red bar is 6 . the blue bar is 3 . so 6 plus 3 is 9 . {9}',
];
const verdicts = Float32Array.from([1, 1, 0, 1, 0, 0]);

function batch(): { ro: Rollout; credit: Float32Array; weight: Float32Array; teacherLp: Float32Array } {
  const ids = texts.map((t) => [...tok.encode(t), tok.eos]);
  const R = Math.max(...ids.map((r) => r.length));
  const task = {
    uid: 'zerobench/7',
    benchmark: 'zerobench',
    item: { answer: '8' },
    program: { program, target: [], reference: [] },
    score: (response: string) => ({ extracted: /\{(\d+)\}/.exec(response)?.[1] ?? null }),
  } as unknown as Task;
  const B = texts.length;
  const ro = { prompts: [task], G: B, groupIds: new Int32Array(B), responses: ids, texts, B, R, oldLogProbs: new Float32Array(B * R).fill(-1) } as unknown as Rollout;
  // Credit: response 0 has none (0 everywhere); the others 0.1·(b+1) + 0.01·t on each token; weight 1 + 0.001·t.
  const credit = new Float32Array(B * R);
  const weight = new Float32Array(B * R);
  const teacherLp = new Float32Array(B * R);
  ids.forEach((r, b) =>
    r.forEach((_, t) => {
      if (b > 0) credit[b * R + t] = 0.1 * (b + 1) + 0.01 * t;
      weight[b * R + t] = 1 + 0.001 * t;
      teacherLp[b * R + t] = -1 + 0.5 * (t % 2);
    }),
  );
  return { ro, credit, weight, teacherLp };
}

test('credit examples: the first correct multi-step response with credit and the first misreading, as records', () => {
  const { ro, credit, weight, teacherLp } = batch();
  const R = ro.R;
  const records = creditExamples({
    ro,
    verdicts,
    rewards: verdicts,
    tokenizer: tok,
    teacher: { available: Float32Array.from([1, 1, 1, 1, 0, 1]), logProbs: teacherLp },
    credit,
    weight,
    method: 'rlsd',
    step: 599,
  });
  // Response 0 is correct but has no credit; 1 is correct by luck (its first wrong step a misreading); 2 is an arithmetic
  // slip; 3 is the correct example, 4 the misreading (5 comes after it).
  assert.deepEqual([...new Set(records.map((r) => r.response))], [3, 4]);
  const correct = records.filter((r) => r.response === 3);
  const misread = records.filter((r) => r.response === 4);
  assert.equal(correct.length, ro.responses[3]!.length);
  assert.equal(misread.length, ro.responses[4]!.length);
  assert.ok(records.every((r) => r.step === 599 && r.method === 'rlsd' && r.problem === 'zerobench/7' && r.benchmark === 'zerobench' && r.gold === '8' && r.run === 'a'));
  assert.equal(correct.map((r) => (r.span === 'end' ? '' : r.text)).join(''), texts[3]);
  assert.equal(correct.at(-1)!.span, 'end');
  // The numbers are the step's own: credit, weight, Δ = teacher − rollout log-probs (none where the teacher had no context).
  correct.forEach((r, t) => {
    assert.equal(r.credit, credit[3 * R + t]);
    assert.equal(r.weight, weight[3 * R + t]);
    assert.equal(r.delta, teacherLp[3 * R + t]! - -1);
  });
  assert.ok(misread.every((r) => r.delta === null));
  assert.ok(correct.every((r) => r.correct && r.reward === 1 && r.error === null && r.parsed === true && r.extracted === '8'));
  // Three reasoning steps in the correct one; 'so' is filler.
  assert.deepEqual([...new Set(correct.flatMap((r) => (r.reasoningStep === null ? [] : [r.reasoningStep])))], [0, 1, 2]);
  assert.deepEqual(correct.filter((r) => r.span === 'filler').map((r) => r.text.trim()), ['so']);
  // The misreading: its first wrong step is ' the blue bar is 4 .', tokens 6–11.
  assert.ok(misread.every((r) => !r.correct && r.error?.kind === 'misreading' && r.error.inReasoning && r.error.detail === 'blue is 3, not 4'));
  assert.deepEqual(misread.flatMap((r) => (r.firstWrongStep ? [r.token] : [])), [6, 7, 8, 9, 10, 11]);
  assert.equal(misread.filter((r) => r.firstWrongStep).map((r) => r.text).join(''), ' the blue bar is 4 .');

  // Back from the records: the view the pages render.
  const view = responseFromRecords(misread);
  assert.equal(view.index, 4);
  assert.equal(view.text, texts[4]);
  assert.equal(view.verdict, 0);
  assert.deepEqual(view.error, { kind: 'misreading', detail: 'blue is 3, not 4', inReasoning: true });
  assert.deepEqual(Array.from(view.firstWrong.entries()).filter(([, v]) => v).map(([t]) => t), [6, 7, 8, 9, 10, 11]);
  assert.deepEqual(Array.from(view.sides[0]!.credit), Array.from(credit.subarray(4 * R, 4 * R + misread.length)));
  assert.equal(view.sides[0]!.delta, null);
  assert.deepEqual(Array.from(view.sides[0]!.weight!), Array.from(weight.subarray(4 * R, 4 * R + misread.length)));
  // Reasoning: the 19 tokens before ' {9}'.
  assert.equal(view.reasoning.reduce((a, b) => a + b, 0), 19);
});

test('credit examples: none when no response meets a rule; the file is written (empty) and pruned on resume', () => {
  const { ro, credit, teacherLp } = batch();
  const none = creditExamples({ ro, verdicts: Float32Array.from([1, 1, 1, 1, 1, 1]), rewards: verdicts, tokenizer: tok, teacher: { available: new Float32Array(6), logProbs: teacherLp }, credit: credit.fill(0), weight: null, method: 'grpo', step: 0 });
  assert.deepEqual(none, []);
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-credit-examples-'));
  try {
    writeCreditExamples(dir, 5, none);
    writeCreditExamples(dir, 10, []);
    assert.deepEqual(readJsonl(creditExamplesFile(dir, 5)), []);
    pruneCreditExamples(dir, 7);
    assert.deepEqual(readdirSync(join(dir, 'credit')), ['step_000005.jsonl']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
