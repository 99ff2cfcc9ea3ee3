import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from './tokenizer.ts';
import { draftTask, SUITE_FAMILIES } from '../benchmarks/mini/generate.ts';
import { MINI_BENCHMARKS, answerStatement, miniPrompt, miniSpec, miniTarget, miniTeacherPrompt } from '../benchmarks/mini/formats.ts';
import type { MiniTaskDraft } from '../benchmarks/mini/generate.ts';

const tok = Tokenizer.default();

test('default vocabulary: size, special ids, no duplicates', () => {
  assert.equal(tok.vocabSize, 88);
  assert.deepEqual([tok.pad, tok.bos, tok.eos, tok.sep, tok.unk], [0, 1, 2, 3, 4]);
  assert.deepEqual(tok.vocab.slice(0, 5), ['<pad>', '<bos>', '<eos>', '<sep>', '<unk>']);
  assert.equal(new Set(tok.vocab).size, tok.vocab.length);
  // digits without and with the leading space come right after the specials
  assert.equal(tok.id('0'), 5);
  assert.equal(tok.id(' 9'), 24);
});

test('golden encoding: greedy longest match, leading-space words, digits one by one', () => {
  const text = 'i see red 12 so 3 plus 12 is 15 the answer is (B)';
  const pieces = tok.encode(text).map((id) => tok.vocab[id]);
  assert.deepEqual(pieces, ['i', ' see', ' red', ' 1', '2', ' so', ' 3', ' plus', ' 1', '2', ' is', ' 1', '5', ' the', ' answer', ' is', ' (', 'B', ')']);
  assert.equal(tok.decode(tok.encode(text)), text);
  // plural = word + 's'; ' is' beats ' i' + 's'
  assert.deepEqual(tok.encode('how many circles ?').map((id) => tok.vocab[id]), ['how', ' many', ' circle', 's', ' ?']);
});

test('answer statements of every benchmark encode to the expected pieces', () => {
  const pieces = (s: string) => tok.encode(' ' + s).map((id) => tok.vocab[id]);
  assert.deepEqual(pieces(answerStatement('mmmu', 'C')), [' the', ' answer', ' is', ' (', 'C', ')']);
  assert.deepEqual(pieces(answerStatement('mmmu', '14')), [' the', ' answer', ' is', ' 1', '4']);
  assert.deepEqual(pieces(answerStatement('mathvista', '5')), [' The', ' answer', ' is', ' "', '5', '".']);
  assert.deepEqual(pieces(answerStatement('mathvision', '24')), [' \\boxed{', '2', '4', '}']);
  assert.deepEqual(pieces(answerStatement('wemath', 'D')), [' Answer', ':', ' D']);
  assert.deepEqual(pieces(answerStatement('zerobench', '0')), [' {', '0', '}']);
});

test('round trip over thousands of prompts, targets, references and teacher prompts of every family and benchmark', () => {
  let checked = 0;
  let maxLen = 0;
  const check = (s: string) => {
    const ids = tok.encode(s);
    assert.ok(!ids.includes(tok.unk));
    assert.equal(tok.decode(ids), s);
    maxLen = Math.max(maxLen, ids.length);
    checked++;
  };
  // The first suite's families under the first vocabulary (the deep world's: benchmarks/mini/deep/deep.test.ts).
  for (const family of SUITE_FAMILIES['mini-1']) {
    for (const split of ['train', 'eval'] as const) {
      for (let i = 0; i < 30; i++) {
        for (const opts of [{}, { hard: true, multipleChoice: false }, { multipleChoice: true }]) {
          const d = draftTask(family, split, i, 11, opts);
          const tasks: MiniTaskDraft[] = [d, ...(d.substeps ?? [])];
          for (const t of tasks) {
            check(t.question);
            check(t.trace);
            check(t.reference);
            for (const b of MINI_BENCHMARKS) {
              check(miniPrompt(b, t));
              check(miniTarget(b, t));
              check(miniTeacherPrompt(b, t));
              check(miniTeacherPrompt(b, t, 'answer'));
            }
          }
        }
      }
    }
  }
  assert.ok(checked > 10000, `checked ${checked}`);
  assert.ok(maxLen <= 64, `longest teacher prompt ${maxLen} tokens`);
});

test('sequence budgets per mini benchmark: question ≤ 8, prompt ≤ 30, target ≤ 31 (+ EOS ≤ 32 new tokens), reference ≤ 25 tokens', () => {
  for (const b of MINI_BENCHMARKS) {
    const lengths = { question: [] as number[], prompt: [] as number[], target: [] as number[], reference: [] as number[] };
    for (const mix of miniSpec(b).mixes['mini-1']) {
      for (let i = 0; i < 300; i++) {
        const d = draftTask(mix.family, i % 2 ? 'train' : 'eval', i, 9, mix.opts);
        for (const t of [d, ...(d.substeps ?? [])]) {
          lengths.question.push(tok.encode(t.question).length);
          lengths.prompt.push(tok.encode(miniPrompt(b, t)).length);
          lengths.target.push(tok.encode(miniTarget(b, t)).length);
          lengths.reference.push(tok.encode(t.reference).length);
        }
      }
    }
    const max = (xs: number[]) => Math.max(...xs);
    const mean = (xs: number[]) => xs.reduce((a, c) => a + c, 0) / xs.length;
    assert.ok(max(lengths.question) <= 8, `${b} question ${max(lengths.question)}`);
    assert.ok(max(lengths.prompt) <= 30, `${b} prompt ${max(lengths.prompt)}`);
    assert.ok(max(lengths.target) <= 31, `${b} target ${max(lengths.target)}`);
    assert.ok(max(lengths.reference) <= 25, `${b} reference ${max(lengths.reference)}`);
    assert.ok(mean(lengths.target) <= 19, `${b} mean target ${mean(lengths.target).toFixed(1)}`);
  }
});

test('whitespace round-trips exactly (extra spaces become the bare space token)', () => {
  for (const s of ['  how many red ?', 'i see  red 3 ', ' ', '']) assert.equal(tok.decode(tok.encode(s)), s);
  assert.deepEqual(tok.encode('  red'), [tok.id(' '), tok.id(' red')]);
});

test('strict encoding names the first unencodable fragment and its offset', () => {
  assert.throws(() => tok.encode('how many red balls ?'), { message: 'Tokenizer: cannot encode "balls" at offset 13' });
  assert.throws(() => tok.encode('what is 3,5'), { message: 'Tokenizer: cannot encode ",5" at offset 9' });
  // the failing fragment starts where greedy matching stopped ('Red' has no capitalised token)
  assert.throws(() => tok.encode('Red'), { message: 'Tokenizer: cannot encode "Red" at offset 0' });
});

test('lenient encoding maps each unencodable word (with its leading space) to one UNK', () => {
  const text = 'Please answer the question: how many red?\nOptions: (A) 3';
  const ids = tok.encode(text, { lenient: true });
  const pieces = ids.map((id) => tok.vocab[id]);
  assert.deepEqual(pieces, ['<unk>', ' answer', ' the', '<unk>', ' how', ' many', '<unk>', '<unk>', ' (', 'A', ')', ' 3']);
  assert.equal(tok.countUnknown(text), 4);
  assert.equal(tok.countUnknown('how many red ?'), 0);
  assert.equal(tok.countUnknown(''), 0);
});

test('decode skips PAD and BOS, stops at EOS, shows SEP and UNK', () => {
  const red = tok.id(' red');
  const three = tok.id(' 3');
  assert.equal(tok.decode([tok.bos, tok.id('i'), tok.id(' see'), red, three, tok.eos, red, red]), 'i see red 3');
  assert.equal(tok.decode([tok.pad, tok.pad, tok.id('i'), tok.sep, tok.unk]), 'i<sep><unk>');
  assert.equal(tok.decode(new Int32Array([tok.id('how'), tok.id(' many')])), 'how many');
  assert.throws(() => tok.decode([999]), /out of range/);
});

test('toJSON / fromJSON round trip and validation', () => {
  const json = JSON.parse(JSON.stringify(tok.toJSON()));
  const back = Tokenizer.fromJSON(json);
  assert.deepEqual(back.vocab, tok.vocab);
  assert.deepEqual(back.encode('what is the area ? \\boxed{}'), tok.encode('what is the area ? \\boxed{}'));
  assert.throws(() => Tokenizer.fromJSON({ kind: 'other', version: 1, vocab: [] }), /not a saved rlsd-word-tokenizer/);
  assert.throws(() => new Tokenizer(['<pad>', '<bos>', '<eos>', '<sep>', '<unk>', 'a', 'a']), /duplicate token 'a'/);
  assert.throws(() => new Tokenizer(['<pad>', '<bos>', '<eos>', '<sep>', '<unk>', 'a b']), /whitespace inside a word/);
  assert.throws(() => new Tokenizer(['<bos>', '<pad>', '<eos>', '<sep>', '<unk>']), /vocab\[0\] must be '<pad>'/);
});

test('fused option markers: " (A)" … " (D)" become single tokens appended after the default vocabulary', () => {
  const fused = Tokenizer.default({ fusedOptionMarkers: true });
  assert.deepEqual(fused.vocab.slice(0, tok.vocabSize), tok.vocab, 'the other ids stay');
  assert.deepEqual(fused.vocab.slice(tok.vocabSize), [' (A)', ' (B)', ' (C)', ' (D)']);
  assert.equal(fused.fusedOptionMarkers, true);
  assert.equal(tok.fusedOptionMarkers, false);
  const text = 'how many red ? 3 (A) 4 (B) Answer: i see red 4 (B) Answer: B';
  const ids = fused.encode(text);
  assert.equal(fused.decode(ids), text);
  assert.deepEqual(ids.slice(4, 8).map((i) => fused.vocab[i]), [' 3', ' (A)', ' 4', ' (B)']);
  assert.equal(tok.encode(text).length, ids.length + 6, 'each of the three markers was three tokens');
});
