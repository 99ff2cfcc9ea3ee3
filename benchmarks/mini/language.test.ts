import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { answerOnlyReference, chain, letteredOptions, numericOptions, optionsText, readingsText, referenceText } from './language.ts';
import { draftTask } from './generate.ts';
import { miniSpec } from './formats.ts';

test('chain, readings and reference text (golden)', () => {
  assert.deepEqual(chain(3, [['plus', 2], ['minus', 4]]), { text: '3 plus 2 is 5 5 minus 4 is 1', result: 1 });
  assert.deepEqual(chain(4, [['plus', 3], ['times', 2]]), { text: '4 plus 3 is 7 7 times 2 is 14', result: 14 });
  assert.equal(readingsText([['red', 3], ['blue circles', 0]]), 'red 3 blue circles 0');
  assert.equal(referenceText({ readings: [['width', 4], ['height', 3]], combination: '4 times 3 is 12' }, '12'), '[ref] width 4 height 3 hence 4 times 3 is 12 answer 12 [/ref]');
  assert.equal(referenceText({ readings: [['red', 2]] }, 'B'), '[ref] red 2 answer B [/ref]');
  assert.equal(answerOnlyReference('7'), '[ref] answer 7 [/ref]');
  assert.equal(optionsText(['red', '12']), 'red (A) 12 (B)');
});

test('letteredOptions: the gold letter points at the gold text', () => {
  const rng = new Rng(1);
  for (let i = 0; i < 50; i++) {
    const { options, answer } = letteredOptions(rng, ['red', 'green', 'blue'], 'green');
    assert.equal(options['ABCD'.indexOf(answer)], 'green');
  }
  assert.throws(() => letteredOptions(rng, ['red'], 'blue'), /not among options/);
});

test('numericOptions: a cyclic window of the reading range, mapped through the computation', () => {
  const rng = new Rng(3);
  const seen = new Set<string>();
  for (let i = 0; i < 400; i++) {
    // one reading of 7 in 1..7: windows are {4..7}, {5,6,7,1}, {6,7,1,2}, {7,1,2,3}
    const { options, answer } = numericOptions(rng, [7], (r) => r[0]!, [1, 7]);
    assert.equal(options['ABCD'.indexOf(answer)], '7');
    seen.add([...options].map(Number).sort((a, b) => a - b).join(','));
  }
  assert.deepEqual([...seen].sort(), ['1,2,3,7', '1,2,6,7', '1,5,6,7', '4,5,6,7']);
  // area 3×5 with sides in 1..6: every option is a product of a window value and the other side
  for (let i = 0; i < 100; i++) {
    const { options, answer } = numericOptions(rng, [3, 5], (r) => r[0]! * r[1]!, [1, 6]);
    assert.equal(options['ABCD'.indexOf(answer)], '15');
    const vals = options.map(Number);
    assert.ok(vals.every((v) => v % 3 === 0) || vals.every((v) => v % 5 === 0), options.join(','));
  }
  // without a range: four consecutive integers holding the gold at any feasible rank, never negative
  const windows = new Set<string>();
  for (let i = 0; i < 100; i++) windows.add(numericOptions(rng, [1], (r) => r[0]!).options.map(Number).sort((a, b) => a - b).join(','));
  assert.deepEqual([...windows].sort(), ['0,1,2,3', '1,2,3,4']);
});

test('WeMath options are uninformative: a policy blind to the image stays near chance', () => {
  // The best blind policy: for each (question, option set) seen in training, the most frequent gold.
  const mix = miniSpec('wemath').mixes['mini-1'][0]!;
  const key = (q: string, options: readonly string[]) => `${q}|${[...options].sort().join(',')}`;
  const table = new Map<string, Map<string, number>>();
  const gold = (t: { options?: string[]; answer: string }) => t.options!['ABCD'.indexOf(t.answer)]!;
  for (let i = 0; i < 2500; i++) {
    const d = draftTask(mix.family, 'train', i, 8, mix.opts);
    for (const t of [d, ...d.substeps!]) {
      const m = table.get(key(t.question, t.options!)) ?? new Map<string, number>();
      m.set(gold(t), (m.get(gold(t)) ?? 0) + 1);
      table.set(key(t.question, t.options!), m);
    }
  }
  let hits = 0;
  let n = 0;
  for (let i = 0; i < 600; i++) {
    const d = draftTask(mix.family, 'eval', i, 8, mix.opts);
    for (const t of [d, ...d.substeps!]) {
      const m = table.get(key(t.question, t.options!));
      let best = t.options![0]!;
      let count = -1;
      if (m) for (const [v, c] of m) if (c > count) [best, count] = [v, c];
      hits += best === gold(t) ? 1 : 0;
      n++;
    }
  }
  assert.ok(hits / n < 0.32, `blind accuracy ${(hits / n).toFixed(3)} over ${n} items`);
});
