// The credit/* metrics of a step, by hand: two responses to one deep-world problem, one right and one that misreads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tokenizer } from '../tokenizer.ts';
import type { Program } from '../../benchmarks/mini/deep/program.ts';
import type { Task } from '../tasks.ts';
import { creditMetrics } from './credit.ts';
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
const right = 'the red bar is 5 . the blue bar is 3 . so 5 plus 3 is 8 . {8}';
const wrong = 'the red bar is 5 . the blue bar is 4 . so 5 plus 4 is 9 . {9}';

function rolloutOf(texts: string[]): { ro: Rollout; tokens: string[][] } {
  const ids = texts.map((t) => [...tok.encode(t), tok.eos]);
  const R = Math.max(...ids.map((r) => r.length));
  const task = {
    program: { program, target: [], reference: [] },
    score: (response: string) => ({ extracted: /\{(\d+)\}/.exec(response)?.[1] ?? null }),
  } as unknown as Task;
  const ro = { prompts: [task], groupIds: Int32Array.from(texts.map(() => 0)), responses: ids, texts, B: texts.length, R, oldLogProbs: new Float32Array(texts.length * R).fill(-1) } as unknown as Rollout;
  return { ro, tokens: ids.map((r) => r.map((id) => tok.vocab[id]!)) };
}

test('credit metrics: uniform credit reads the chance level; a teacher that blames the misreading reads above it', () => {
  const { ro, tokens } = rolloutOf([right, wrong]);
  const R = ro.R;
  // The misread step ' the blue bar is 4 .' is tokens 6..11 of the wrong response (' the' … ' .'), of its 19 span tokens.
  const stepTokens = tokens[1]!.map((t, i) => [t, i] as const).slice(6, 12);
  assert.equal(stepTokens.map(([t]) => t).join(''), ' the blue bar is 4 .');
  // Teacher: Δ = −2 on the misread value, −0.5 on the rest of the wrong response, +0.1 on the right response.
  const teacherLp = new Float32Array(2 * R).fill(-1);
  for (let t = 0; t < R; t++) teacherLp[t] = -0.9;
  for (let t = 0; t < tokens[1]!.length; t++) teacherLp[R + t] = -1.5;
  teacherLp[R + 10] = -3; // ' 4'
  // The method's credit: GRPO's A, the same on every token of a response (0 on padding).
  const credit = new Float32Array(2 * R);
  for (let t = 0; t < tokens[0]!.length; t++) credit[t] = 0.7;
  for (let t = 0; t < tokens[1]!.length; t++) credit[R + t] = -0.7;
  const m = creditMetrics({ ro, verdicts: Float32Array.from([1, 0]), tokenizer: tok, teacher: { available: Float32Array.from([1, 1]), logProbs: teacherLp }, credit });
  // Span: the 19 tokens before ' {' (EOS and the statement left out); the step: 6 of them.
  assert.equal(m['credit/first_wrong_chance'], 6 / 19);
  assert.equal(m['credit/first_wrong_share'], 6 / 19);
  assert.equal(m['credit/first_wrong_top'], 6 / 19, 'ties: the marked share of the tied tokens');
  // Teacher view exp(−Δ): e^0.5 on 18 span tokens, e^2 on ' 4' → (5·e^0.5 + e^2) / (18·e^0.5 + e^2).
  const e = Math.exp;
  assert.ok(Math.abs(m['credit/teacher_first_wrong_share']! - (5 * e(0.5) + e(2)) / (18 * e(0.5) + e(2))) < 1e-6);
  assert.equal(m['credit/teacher_first_wrong_top'], 1);
  assert.equal(m['credit/teacher_auroc'], 1);
  assert.equal(m['credit/parsed_rate'], 1);
  assert.equal(m['credit/first_wrong_located_rate'], 1);
  // Filler: 'so' of the right response, 1 of its 19 span tokens; uniform credit gives it that share.
  assert.equal(m['credit/filler_token_share'], 1 / 19);
  assert.equal(m['credit/filler_share'], 1 / 19);
  // No teacher, no program: the teacher's metrics are absent; without programs nothing is logged.
  const noTeacher = creditMetrics({ ro, verdicts: Float32Array.from([1, 0]), tokenizer: tok, teacher: null, credit });
  assert.ok(!('credit/teacher_auroc' in noTeacher) && 'credit/first_wrong_share' in noTeacher);
  const plain = { ...ro, prompts: [{ score: () => ({ extracted: null }) } as unknown as Task] } as Rollout;
  assert.deepEqual(creditMetrics({ ro: plain, verdicts: Float32Array.from([1, 0]), tokenizer: tok, teacher: null, credit }), {});
});

test('credit metrics: the uniform baseline over the responses that carry credit, beside the chance level over all', () => {
  // A third response misreads the first bar after a preamble; its group's credit is 0 everywhere, so the method's view
  // leaves it out: the chance level counts it (6 of its 24 span tokens), the matched baseline does not.
  const preambled = 'looking at the chart , the red bar is 6 . the blue bar is 3 . so 6 plus 3 is 9 . {9}';
  const { ro, tokens } = rolloutOf([right, wrong, preambled]);
  const R = ro.R;
  const credit = new Float32Array(3 * R);
  for (let t = 0; t < tokens[0]!.length; t++) credit[t] = 0.7;
  for (let t = 0; t < tokens[1]!.length; t++) credit[R + t] = -0.7;
  const m = creditMetrics({ ro, verdicts: Float32Array.from([1, 0, 0]), tokenizer: tok, teacher: null, credit });
  assert.equal(m['credit/first_wrong_share'], 6 / 19);
  assert.equal(m['credit/first_wrong_uniform'], 6 / 19, 'GRPO reads its baseline');
  assert.ok(Math.abs(m['credit/first_wrong_chance']! - (6 / 19 + 6 / 24) / 2) < 1e-12, `chance over both: ${m['credit/first_wrong_chance']}`);
  assert.equal(m['credit/filler_uniform'], 1 / 19);
  assert.equal(m['credit/filler_share'], 1 / 19);
});
