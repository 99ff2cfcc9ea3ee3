import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodeScenePng, renderScenePng, sceneKey, scenePixels, scenePixelsFloat, sceneSvg, type Scene } from './scene.ts';
import { draftTask, FAMILY_NAMES } from './generate.ts';

function px(p: Uint8Array, x: number, y: number): number[] {
  const i = (y * 32 + x) * 3;
  return [p[i]!, p[i + 1]!, p[i + 2]!];
}

test('golden pixels: objects are pixel-art shapes in their 8×8 patch', () => {
  const scene: Scene = {
    kind: 'objects',
    objects: [
      { cell: 0, colour: 'red', shape: 'square' },
      { cell: 5, colour: 'blue', shape: 'circle' },
      { cell: 15, colour: 'green', shape: 'triangle' },
    ],
  };
  const p = scenePixels(scene);
  assert.equal(p.length, 32 * 32 * 3);
  assert.deepEqual(px(p, 0, 0), [255, 255, 255]); // 1-pixel margin
  assert.deepEqual(px(p, 1, 1), [220, 32, 32]); // square fills 1..6
  assert.deepEqual(px(p, 6, 6), [220, 32, 32]);
  assert.deepEqual(px(p, 7, 7), [255, 255, 255]);
  // circle in cell 5 (origin 8,8 → box 9..14): corners cut
  assert.deepEqual(px(p, 9, 9), [255, 255, 255]);
  assert.deepEqual(px(p, 10, 9), [32, 80, 224]);
  assert.deepEqual(px(p, 9, 10), [32, 80, 224]);
  // triangle in cell 15 (box 25..30): 2-pixel tip at x 27..28, full base on rows 29..30
  assert.deepEqual(px(p, 26, 25), [255, 255, 255]);
  assert.deepEqual(px(p, 27, 25), [32, 160, 64]);
  assert.deepEqual(px(p, 25, 30), [32, 160, 64]);
  let coloured = 0;
  for (let i = 0; i < p.length; i += 3) if (p[i] !== 255 || p[i + 1] !== 255 || p[i + 2] !== 255) coloured++;
  assert.equal(coloured, 36 + 32 + 24);
});

test('golden pixels: bars rise 4 pixels per unit from the axis; grid rectangles cover 4-pixel cells', () => {
  const bars = scenePixels({ kind: 'bars', bars: [{ column: 1, colour: 'yellow', value: 3 }] });
  assert.deepEqual(px(bars, 9, 31), [64, 64, 64]); // axis
  assert.deepEqual(px(bars, 9, 30), [232, 200, 24]);
  assert.deepEqual(px(bars, 9, 19), [232, 200, 24]); // top row = 31 - 12
  assert.deepEqual(px(bars, 9, 18), [255, 255, 255]);
  assert.deepEqual(px(bars, 20, 19), [226, 226, 226]); // the rule of unit 3 is level with the bar's top
  assert.deepEqual(px(bars, 20, 18), [255, 255, 255]);
  assert.deepEqual(px(bars, 8, 25), [255, 255, 255]); // bar is 6 wide (x 9..14)
  const grid = scenePixels({ kind: 'grid', rect: { x: 2, y: 1, w: 3, h: 2, colour: 'red' } });
  assert.deepEqual(px(grid, 0, 0), [238, 238, 238]);
  assert.deepEqual(px(grid, 4, 0), [210, 210, 210]);
  assert.deepEqual(px(grid, 8, 4), [220, 32, 32]);
  assert.deepEqual(px(grid, 19, 11), [220, 32, 32]);
  assert.deepEqual(px(grid, 20, 11), [210, 210, 210]); // cell (5,2): odd sum → dark
  assert.deepEqual(px(grid, 20, 12), [238, 238, 238]); // cell (5,3): even sum → light
  assert.deepEqual(px(grid, 19, 12), [210, 210, 210]); // (4,3): odd → dark
});

test('SVG rendered by sharp (and the PNG encoded from the raster) equal the JS rasteriser, pixel for pixel, for every family', async () => {
  const scenes: Scene[] = [];
  for (const family of FAMILY_NAMES) for (let i = 0; i < 12; i++) scenes.push(draftTask(family, i % 2 ? 'eval' : 'train', i, 5).scene);
  for (const scene of scenes) {
    for (const png of [await renderScenePng(scene), await encodeScenePng(scene)]) {
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [32, 32, 3]);
      assert.ok(Buffer.from(scenePixels(scene)).equals(data), `pixels differ for ${sceneKey(scene)}`);
    }
  }
  assert.doesNotMatch(sceneSvg(scenes[0]!), /<text|<path|<circle/);
});

test('float pixels are bytes / 255', () => {
  const scene: Scene = { kind: 'grid', rect: { x: 0, y: 0, w: 1, h: 1, colour: 'blue' } };
  const f = scenePixelsFloat(scene);
  assert.equal(f.length, 3072);
  assert.ok(Math.abs(f[0]! - 32 / 255) < 1e-7 && Math.abs(f[2]! - 224 / 255) < 1e-7);
});

test('scene keys are canonical: object order does not matter, content does', () => {
  const a: Scene = { kind: 'objects', objects: [{ cell: 3, colour: 'red', shape: 'circle' }, { cell: 1, colour: 'blue', shape: 'square' }] };
  const b: Scene = { kind: 'objects', objects: [{ cell: 1, colour: 'blue', shape: 'square' }, { cell: 3, colour: 'red', shape: 'circle' }] };
  assert.equal(sceneKey(a), 'objects|1bs,3rc');
  assert.equal(sceneKey(a), sceneKey(b));
  assert.equal(sceneKey({ kind: 'bars', bars: [{ column: 2, colour: 'green', value: 7 }, { column: 0, colour: 'yellow', value: 1 }] }), 'bars|0y1,2g7');
  assert.equal(sceneKey({ kind: 'grid', rect: { x: 1, y: 2, w: 3, h: 4, colour: 'red' } }), 'grid|x1y2w3h4r');
});

test('raw pixels of 200 scenes, rasterised twice, are the same bytes', () => {
  const scenes = Array.from({ length: 200 }, (_, i) => draftTask(FAMILY_NAMES[i % 5]!, 'train', i, 9).scene);
  for (const s of scenes) assert.deepEqual(scenePixels(s), scenePixels(s));
});

test('perception: seeded noise in both renderers, finer bar units without rules, no checkerboard, faint objects', async () => {
  const crisp: Scene = { kind: 'bars', bars: [{ column: 0, colour: 'red', value: 9 }] };
  const hard: Scene = { ...crisp, perception: { noise: 20, barUnit: 3, barRules: false } };
  const p = scenePixels(hard);
  // The same scene gives the same noise, and the SVG path (sharp) equals the raster path pixel for pixel.
  assert.deepEqual(scenePixels(hard), p);
  const { data } = await sharp(Buffer.from(await renderScenePng(hard))).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual(new Uint8Array(data), p);
  const encoded = await sharp(Buffer.from(await encodeScenePng(hard))).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual(new Uint8Array(encoded.data), p);
  // Every channel within ±20 of the crisp picture at unit 3: the bar's top row is 31 − 27 = 4, row 3 is background.
  const clean = scenePixels({ ...crisp, perception: { noise: 0, barUnit: 3, barRules: false } });
  assert.deepEqual(px(clean, 2, 4), [220, 32, 32]);
  assert.deepEqual(px(clean, 2, 3), [255, 255, 255]);
  assert.deepEqual(px(clean, 20, 28), [255, 255, 255]); // no rule at 31 − 3
  let moved = 0;
  for (let i = 0; i < p.length; i++) {
    assert.ok(Math.abs(p[i]! - clean[i]!) <= 20);
    if (p[i] !== clean[i]) moved++;
  }
  assert.ok(moved > p.length / 2, `${moved} of ${p.length} channels moved`);
  // Perception is part of the key; a faint object is half-way to white and part of the key too.
  assert.notEqual(sceneKey(hard), sceneKey(crisp));
  assert.equal(sceneKey(crisp), 'bars|0r9');
  const faint = scenePixels({ kind: 'objects', objects: [{ cell: 0, colour: 'blue', shape: 'square', faint: true }] });
  assert.deepEqual(px(faint, 1, 1), [144, 168, 240]); // (32 + 255) / 2 rounds to 144, (80 + 255) / 2 to 168
  assert.equal(sceneKey({ kind: 'objects', objects: [{ cell: 0, colour: 'blue', shape: 'square', faint: true }] }), 'objects|0bsf');
  const plain = scenePixels({ kind: 'grid', rect: { x: 0, y: 0, w: 1, h: 1, colour: 'red' }, perception: { noise: 0, gridChecker: false } });
  assert.deepEqual(px(plain, 4, 0), [238, 238, 238]);
});
