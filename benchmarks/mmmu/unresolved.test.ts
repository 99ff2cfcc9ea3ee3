// MMMU rows whose text names images the row has no field for (the real validation_Math_7: its options name
// <image 7>…<image 30>, the schema holds image_1…image_7): they load, score from their text, and are prompted
// with the images that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatImageTags, unresolvedImageItems, unresolvedImagesNotice } from '../common/unresolved.ts';
import type { EncodedImage } from '../common/types.ts';
import { createMmmu, itemFromRow } from './index.ts';

const img = (k: number) => ({ bytes: new Uint8Array([k]), path: `image_${k}.png` });

function math7(slots: number[]): Record<string, unknown> {
  const options = ['A', 'B', 'C', 'D'].map((_, i) => [0, 1, 2, 3, 4, 5].map((j) => `<image ${7 + 6 * i + j}>`).join(', '));
  const row: Record<string, unknown> = {
    id: 'validation_Math_7',
    question: 'Match the six example contra dance in sequence, … with the figures <image 1>',
    options: `[${options.map((o) => `'${o}'`).join(', ')}]`,
    answer: 'A',
    question_type: 'multiple-choice',
  };
  for (const k of slots) row[`image_${k}`] = img(k);
  return row;
}

test('a row naming images it has no field for loads, with the missing tags listed', () => {
  const item = itemFromRow(math7([1, 2, 3, 4, 5, 6, 7]), 'validation');
  assert.deepEqual(item.unresolvedImages, Array.from({ length: 23 }, (_, i) => `<image ${8 + i}>`));
  assert.deepEqual(item.options.length, 4);
  // Only the missing ones count: with image_7 absent too it is listed.
  assert.deepEqual(itemFromRow(math7([1]), 'validation').unresolvedImages?.slice(0, 2), ['<image 7>', '<image 8>']);
  assert.equal(itemFromRow({ ...math7([1, 2, 3, 4, 5, 6, 7]), options: "['a', 'b']" }, 'validation').unresolvedImages, undefined);
});

test('prompt: the named images that exist (image_1 and image_7), none invented', () => {
  const bench = createMmmu();
  const item = itemFromRow(math7([1, 2, 3, 4, 5, 6, 7]), 'validation');
  const p = bench.prompt(item);
  assert.deepEqual(p.images.map((i: EncodedImage) => i.path), ['image_1.png', 'image_7.png']);
  // Naming only images it lacks: all the images it has (as a row naming none).
  const only = itemFromRow({ ...math7([2, 3]), question: 'Which?', options: "['<image 9>', '<image 10>']" }, 'validation');
  assert.deepEqual(bench.prompt(only).images.map((i: EncodedImage) => i.path), ['image_2.png', 'image_3.png']);
});

test('score: from the text, as the authors\' eval_utils.py (LLaVA-1.5-13B answered A, Qwen-VL D; gold A)', () => {
  const bench = createMmmu();
  const item = itemFromRow(math7([1, 2, 3, 4, 5, 6, 7]), 'validation');
  const a = bench.score(item, 'A');
  assert.deepEqual([a.extracted, a.extractor, a.correct], ['A', 'letter_spaced', true]);
  assert.deepEqual(a.unresolved_images, item.unresolvedImages);
  const d = bench.score(item, 'D');
  assert.deepEqual([d.extracted, d.correct], ['D', false]);
  // Option text is the image tags themselves: a long response quoting option C's tags picks C.
  const c = bench.score(item, 'The sequence is <image 19>, <image 20>, <image 21>, <image 22>, <image 23>, <image 24>.');
  assert.deepEqual([c.extracted, c.extractor, c.correct], ['C', 'option_text', false]);
});

test('the notice: one line, counted, ranges folded', () => {
  assert.equal(formatImageTags(['<image 8>', '<image 9>', '<image 10>']), '<image 8>…<image 10>');
  assert.equal(formatImageTags(['<image 2>', '<image 3>', '<image 9>']), '<image 2>, <image 3>, <image 9>');
  const item = itemFromRow(math7([1, 2, 3, 4, 5, 6, 7]), 'validation');
  const plain = itemFromRow({ ...math7([1]), id: 'validation_Math_1', options: "['1', '2']" }, 'validation');
  const byId = unresolvedImageItems([plain, item]);
  assert.deepEqual(Object.keys(byId), ['validation_Math_7']);
  assert.equal(
    unresolvedImagesNotice('mmmu', byId),
    'mmmu: 1 item names images it does not have (validation_Math_7: <image 8>…<image 30>); scored from its text, evaluated with the images that exist',
  );
  assert.equal(unresolvedImagesNotice('mmmu', {}), null);
  const many = Object.fromEntries(['a', 'b', 'c', 'd'].map((id) => [id, ['<image 9>']]));
  assert.equal(
    unresolvedImagesNotice('mmmu', many),
    'mmmu: 4 items name images they do not have (a: <image 9>; b: <image 9>; c: <image 9>; … 1 more); scored from their text, evaluated with the images that exist',
  );
});
