// Scenes of the mini tasks and their rendering: 32×32 RGB pictures made only of axis-aligned rectangles
// on integer pixel coordinates (no text, no curves), so that
//   - sharp renders the SVG to the same pixels on every machine (crisp edges, nothing to anti-alias), and
//   - a plain JS rasteriser (scenePixels) produces exactly the same pixels without any PNG round trip.
// The SVG is the specification of the picture (renderScenePng); since the raster is proven identical,
// task PNGs are encoded by sharp from the raster (encodeScenePng), which is much faster.
// Objects sit in the 4×4 grid of 8×8 patches the policy sees (one object per patch); bar charts use one
// patch column per bar; grid tasks draw a checkerboard of 4×4-pixel unit cells.
import { Rng, hashString } from '../../src/util/rng.ts';
import { MINI_IMAGE_SIZE, MINI_PATCH } from './types.ts';

export const COLOURS = ['red', 'green', 'blue', 'yellow'] as const;
export type Colour = (typeof COLOURS)[number];
export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type Shape = (typeof SHAPES)[number];

type Rgb = readonly [number, number, number];

const COLOUR_RGB: Record<Colour, Rgb> = {
  red: [220, 32, 32],
  green: [32, 160, 64],
  blue: [32, 80, 224],
  yellow: [232, 200, 24],
};
const WHITE: Rgb = [255, 255, 255];
const GRID_LIGHT: Rgb = [238, 238, 238];
const GRID_DARK: Rgb = [210, 210, 210];
const BAR_RULE: Rgb = [226, 226, 226];
const AXIS: Rgb = [64, 64, 64];

/** Cells of the 4×4 patch grid, numbered row-major 0..15. */
export const CELLS = (MINI_IMAGE_SIZE / MINI_PATCH) ** 2;
/** Bar heights are counted in units of this many pixels; values 1..BAR_MAX fit above the axis. */
export const BAR_UNIT = 4;
export const BAR_MAX = 7;
/** Grid tasks: unit cells of GRID_UNIT pixels, GRID_CELLS per side. */
export const GRID_UNIT = 4;
export const GRID_CELLS = MINI_IMAGE_SIZE / GRID_UNIT;

export interface SceneObject {
  cell: number;
  colour: Colour;
  shape: Shape;
  /** Drawn half-way to white: harder to see, still counted. */
  faint?: boolean;
}
export interface Bar {
  /** Patch column 0..3. */
  column: number;
  colour: Colour;
  value: number;
}
export interface GridRect {
  x: number;
  y: number;
  w: number;
  h: number;
  colour: Colour;
}

/**
 * How hard a picture is to read (the deep mini world; the first suite's pictures have none and stay crisp). The
 * noise is a pattern seeded by the scene's content, so the same scene is the same picture on every machine.
 */
export interface Perception {
  /** Each channel of each pixel moves by a uniform integer in [−noise, noise], clamped to 0..255. */
  noise: number;
  /** Bars: pixels per unit of value (default BAR_UNIT), and whether light rules mark the units (default true). */
  barUnit?: number;
  barRules?: boolean;
  /** Grid: whether the checkerboard marks the unit cells (default true). */
  gridChecker?: boolean;
}

export type Scene =
  | { kind: 'objects'; objects: SceneObject[]; perception?: Perception }
  | { kind: 'bars'; bars: Bar[]; perception?: Perception }
  | { kind: 'grid'; rect: GridRect; perception?: Perception };

interface PixelRect {
  x: number;
  y: number;
  w: number;
  h: number;
  rgb: Rgb;
}

// Pixel-art shapes inside the 6×6 box of a patch (offset 1): unions of rectangles.
const SHAPE_RECTS: Record<Shape, ReadonlyArray<readonly [number, number, number, number]>> = {
  square: [[0, 0, 6, 6]],
  circle: [
    [1, 0, 4, 1],
    [0, 1, 6, 4],
    [1, 5, 4, 1],
  ],
  triangle: [
    [2, 0, 2, 2],
    [1, 2, 4, 2],
    [0, 4, 6, 2],
  ],
};

/** The scene as painted rectangles, in painting order (later rectangles cover earlier ones). */
function sceneRects(scene: Scene): PixelRect[] {
  const S = MINI_IMAGE_SIZE;
  const rects: PixelRect[] = [{ x: 0, y: 0, w: S, h: S, rgb: WHITE }];
  switch (scene.kind) {
    case 'objects': {
      const perRow = S / MINI_PATCH;
      for (const o of scene.objects) {
        const ox = (o.cell % perRow) * MINI_PATCH + 1;
        const oy = Math.floor(o.cell / perRow) * MINI_PATCH + 1;
        const rgb = o.faint ? faint(COLOUR_RGB[o.colour]) : COLOUR_RGB[o.colour];
        for (const [x, y, w, h] of SHAPE_RECTS[o.shape]) rects.push({ x: ox + x, y: oy + y, w, h, rgb });
      }
      break;
    }
    case 'bars': {
      // Light rules every unit help reading heights; the axis is the bottom pixel row.
      const unit = scene.perception?.barUnit ?? BAR_UNIT;
      if (scene.perception?.barRules ?? true) {
        for (let v = 1; v * unit < S - 1; v++) rects.push({ x: 0, y: S - 1 - v * unit, w: S, h: 1, rgb: BAR_RULE });
      }
      for (const b of scene.bars) {
        const h = b.value * unit;
        rects.push({ x: b.column * MINI_PATCH + 1, y: S - 1 - h, w: MINI_PATCH - 2, h, rgb: COLOUR_RGB[b.colour] });
      }
      rects.push({ x: 0, y: S - 1, w: S, h: 1, rgb: AXIS });
      break;
    }
    case 'grid': {
      for (let gy = 0; gy < ((scene.perception?.gridChecker ?? true) ? GRID_CELLS : 0); gy++) {
        for (let gx = 0; gx < GRID_CELLS; gx++) {
          if ((gx + gy) % 2 === 1) rects.push({ x: gx * GRID_UNIT, y: gy * GRID_UNIT, w: GRID_UNIT, h: GRID_UNIT, rgb: GRID_DARK });
        }
      }
      // Light cells are painted as the background of the grid.
      rects[0] = { ...rects[0]!, rgb: GRID_LIGHT };
      const r = scene.rect;
      rects.push({ x: r.x * GRID_UNIT, y: r.y * GRID_UNIT, w: r.w * GRID_UNIT, h: r.h * GRID_UNIT, rgb: COLOUR_RGB[r.colour] });
      break;
    }
  }
  return rects;
}

/** An object's colour half-way to white. */
function faint(rgb: Rgb): Rgb {
  return [Math.round((rgb[0] + 255) / 2), Math.round((rgb[1] + 255) / 2), Math.round((rgb[2] + 255) / 2)];
}

/** Canonical text of the scene's content (the image parameters); equal scenes give equal keys. */
export function sceneKey(scene: Scene): string {
  const p = scene.perception;
  return p === undefined ? contentKey(scene) : `${contentKey(scene)}|noise${p.noise},unit${p.barUnit ?? BAR_UNIT},rules${p.barRules ?? true},checker${p.gridChecker ?? true}`;
}

function contentKey(scene: Scene): string {
  switch (scene.kind) {
    case 'objects': {
      const parts = [...scene.objects].sort((a, b) => a.cell - b.cell).map((o) => `${o.cell}${o.colour[0]}${o.shape[0]}${o.faint ? 'f' : ''}`);
      return `objects|${parts.join(',')}`;
    }
    case 'bars': {
      const parts = [...scene.bars].sort((a, b) => a.column - b.column).map((b) => `${b.column}${b.colour[0]}${b.value}`);
      return `bars|${parts.join(',')}`;
    }
    case 'grid': {
      const r = scene.rect;
      return `grid|x${r.x}y${r.y}w${r.w}h${r.h}${r.colour[0]}`;
    }
  }
}

function hex(rgb: Rgb): string {
  return '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
}

/** The scene as an SVG document (rectangles only, crisp edges). */
export function sceneSvg(scene: Scene): string {
  const S = MINI_IMAGE_SIZE;
  const body = sceneRects(scene)
    .map((r) => `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="${hex(r.rgb)}"/>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${S}" height="${S}" viewBox="0 0 ${S} ${S}" shape-rendering="crispEdges">${body}</svg>`;
}

/** Adds the scene's noise pattern to its raw pixels, in place (nothing without a perception setting). */
function addNoise(pixels: Uint8Array, scene: Scene): Uint8Array {
  const amplitude = scene.perception?.noise ?? 0;
  if (amplitude <= 0) return pixels;
  const rng = new Rng(hashString(`rlsd-mini-noise|${contentKey(scene)}`));
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.max(0, Math.min(255, pixels[i]! + rng.int(-amplitude, amplitude)));
  return pixels;
}

/** Raw interleaved RGB pixels (MINI_IMAGE_SIZE² × 3 bytes, row-major), rasterised in JS. Same pixels as the PNG. */
export function scenePixels(scene: Scene): Uint8Array {
  return addNoise(rasterise(scene), scene);
}

function rasterise(scene: Scene): Uint8Array {
  const S = MINI_IMAGE_SIZE;
  const out = new Uint8Array(S * S * 3);
  for (const r of sceneRects(scene)) {
    for (let y = r.y; y < r.y + r.h; y++) {
      let p = (y * S + r.x) * 3;
      for (let x = 0; x < r.w; x++, p += 3) {
        out[p] = r.rgb[0];
        out[p + 1] = r.rgb[1];
        out[p + 2] = r.rgb[2];
      }
    }
  }
  return out;
}

/** Pixels scaled to [0, 1] as Float32 (the policy's input format). */
export function scenePixelsFloat(scene: Scene): Float32Array {
  const px = scenePixels(scene);
  const out = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) out[i] = px[i]! / 255;
  return out;
}

/** PNG bytes rendered from the scene's SVG by sharp (RGB, no alpha, no metadata), noise added: the reference renderer. */
export async function renderScenePng(scene: Scene): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  const S = MINI_IMAGE_SIZE;
  if ((scene.perception?.noise ?? 0) <= 0) {
    const buf = await sharp(Buffer.from(sceneSvg(scene))).removeAlpha().png().toBuffer();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const raw = await sharp(Buffer.from(sceneSvg(scene))).removeAlpha().raw().toBuffer();
  const pixels = addNoise(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength).slice(), scene);
  const buf = await sharp(pixels, { raw: { width: S, height: S, channels: 3 } }).png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * PNG bytes encoded by sharp from the JS raster. Same pixels as renderScenePng (tested for every family)
 * but about 7× faster, as it skips SVG parsing; the generators use this one.
 */
export async function encodeScenePng(scene: Scene): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  const S = MINI_IMAGE_SIZE;
  const buf = await sharp(scenePixels(scene), { raw: { width: S, height: S, channels: 3 } }).png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
