import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from '../../src/tokenizer.ts';
import { answerStatement, MINI_BENCHMARKS, miniSpec, miniTarget } from './formats.ts';
import { draftTask } from './generate.ts';
import { reasoningSpan, thoughtMaskRows } from './thought-span.ts';

const tok = Tokenizer.default();
const strings = (text: string): string[] => tok.encode(text).map((id) => tok.vocab[id]!);
const span = (tokens: string[]): number[] => Array.from(reasoningSpan(tokens));

test('reasoningSpan: golden token masks of the five answer statements', () => {
  // mathvision: ' \boxed{' opens the statement
  assert.deepEqual(strings('i see red 3 so 3 \\boxed{3}'), ['i', ' see', ' red', ' 3', ' so', ' 3', ' \\boxed{', '3', '}']);
  assert.deepEqual(span(strings('i see red 3 so 3 \\boxed{3}')), [1, 1, 1, 1, 1, 1, 0, 0, 0]);
  // mathvista: from 'The' of 'The answer'
  assert.deepEqual(span(strings('i see red 3 The answer is "3".')), [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  // mmmu multiple choice: the lookup '(B)' is reasoning, 'the answer is (B)' is not; 'the image' is not an opener
  const mmmu = strings('in the image red 4 so most is red (B) the answer is (B)');
  assert.deepEqual(mmmu, ['in', ' the', ' image', ' red', ' 4', ' so', ' most', ' is', ' red', ' (', 'B', ')', ' the', ' answer', ' is', ' (', 'B', ')']);
  assert.deepEqual(span(mmmu), [...Array(12).fill(1), ...Array(6).fill(0)]);
  // the same with the fused option markers ' (A)' … ' (D)' as single tokens
  const fused = Tokenizer.default({ fusedOptionMarkers: true });
  const fusedMmmu = fused.encode('in the image red 4 so most is red (B) the answer is (B)').map((id) => fused.vocab[id]!);
  assert.deepEqual(span(fusedMmmu), [...Array(10).fill(1), 0, 0, 0, 0]);
  // wemath: a bare 'Answer'
  assert.deepEqual(span(strings('i see red 2 so most is red (A) Answer: A')), [...Array(11).fill(1), 0, 0, 0]);
  // zerobench: ' {'
  assert.deepEqual(span(strings('i see red 2 {2}')), [1, 1, 1, 1, 0, 0, 0]);
  // the EOS after the statement is outside; padding is not the function's business
  assert.deepEqual(span([...strings('i see red 2 {2}'), '<eos>']), [1, 1, 1, 1, 0, 0, 0, 0]);
});

test('reasoningSpan: no statement → reasoning to the end (an unclosed <thought>); the last statement counts; edge cases', () => {
  assert.deepEqual(span([...strings('i see red 2 so'), '<eos>']), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(span(strings('i see {2} red 2 {3}')), [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(span(strings('i see the answer is 2 so \\boxed{2}')), [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(span([]), []);
  assert.deepEqual(span([' answer', ' 2']), [0, 0], 'a statement at the very start: no reasoning');
  assert.deepEqual(span([' The', ' answer']), [0, 0]);
  assert.deepEqual(span([' the']), [1], "'the' alone opens nothing");
});

test('reasoningSpan of every generated SFT target is exactly its trace (and lookup), under every benchmark format', () => {
  let checked = 0;
  for (const b of MINI_BENCHMARKS) {
    for (const mix of miniSpec(b).mixes['mini-1']) {
      for (let i = 0; i < 25; i++) {
        const d = draftTask(mix.family, 'eval', i, 7, mix.opts);
        for (const t of [d, ...(d.substeps ?? [])]) {
          const target = miniTarget(b, t);
          const statement = answerStatement(b, t.answer);
          assert.ok(target.endsWith(` ${statement}`), target);
          const reasoning = strings(target.slice(0, target.length - statement.length - 1));
          const tokens = strings(target);
          assert.deepEqual(span(tokens), [...Array(reasoning.length).fill(1), ...Array(tokens.length - reasoning.length).fill(0)], `${b}: ${target}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 200, `${checked} targets`);
});

test('thoughtMaskRows: row-major [B,T], 0 beyond each response, cut at T', () => {
  const rows = thoughtMaskRows([strings('i see red 2 {2}'), [' so', ' \\boxed{', '2', '}'], []], 5);
  assert.deepEqual(Array.from(rows), [1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(thoughtMaskRows([strings('i see red 2 so 2 {2}')], 3)), [1, 1, 1]);
  assert.equal(thoughtMaskRows([], 4).length, 0);
});
