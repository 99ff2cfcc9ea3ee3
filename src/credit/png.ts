// The credit view as an image (credit.png), for papers and READMEs: the page's content laid out as SVG in a monospace
// font (so a token's width is its length) and rasterised by sharp (librsvg + fontconfig). Before anything is drawn,
// a probe checks that text renders here at all: without a font the PNG would be coloured boxes with no words, so the
// command refuses instead (RenderError) and writes nothing.
import { RenderError } from '../util/errors.ts';
import { creditScales, darkBackground, divergingColour, RDBU_11, signedNumber } from './colour.ts';
import { sideName } from './html.ts';
import type { CheckpointView, CreditView, ResponseView } from './view.ts';

const FONT = 'DejaVu Sans Mono, Liberation Mono, monospace';
const SIZE = 12;
/** DejaVu Sans Mono's advance width, 1233/2048 em. */
const CHAR = SIZE * 0.602;
const LINE = 20;
const WIDTH = 1600;
const MARGIN = 20;
const GAP = 18;
/** Tallest image librsvg/cairo rasterise (pixels per side), with a margin. */
const MAX_PIXELS = 32_000;
/** The problem's picture, drawn this many units square. */
const PICTURE = 96;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** `text` cut into lines of at most `chars` characters at spaces (a longer word is cut). */
function wrap(text: string, chars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`;
    if (next.length <= chars) line = next;
    else {
      if (line !== '') lines.push(line);
      line = word;
      while (line.length > chars) {
        lines.push(line.slice(0, chars));
        line = line.slice(chars);
      }
    }
  }
  lines.push(line);
  return lines;
}

class Canvas {
  readonly parts: string[] = [];
  y = MARGIN;

  text(x: number, y: number, s: string, opts: { bold?: boolean; colour?: string; size?: number } = {}): void {
    const size = opts.size ?? SIZE;
    this.parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${size}"${opts.bold ? ' font-weight="bold"' : ''}${opts.colour ? ` fill="${opts.colour}"` : ''} xml:space="preserve">${esc(s)}</text>`);
  }

  /** Wrapped text from the left margin (or `x`), advancing y. */
  para(s: string, opts: { bold?: boolean; colour?: string; size?: number; x?: number } = {}): void {
    const size = opts.size ?? SIZE;
    const x = opts.x ?? MARGIN;
    for (const line of wrap(s, Math.floor((WIDTH - MARGIN - x) / (size * 0.602)))) {
      this.y += size + 6;
      this.text(x, this.y, line, opts);
    }
  }
}

/** One response's tokens under one run's credit inside a column; returns the lines used. */
function drawTokens(c: Canvas, r: ResponseView, k: number, scale: number, x0: number, y0: number, width: number): number {
  let x = 0;
  let line = 0;
  const credit = r.sides[k]!.credit;
  for (let t = 0; t < r.tokens.length; t++) {
    const text = r.spans[t] === 'end' ? ' <eos>' : r.tokens[t]!;
    const w = text.length * CHAR;
    if (x > 0 && x + w > width) {
      x = 0;
      line++;
    }
    const px = x0 + x;
    const base = y0 + line * LINE;
    const bg = divergingColour(credit[t]!, scale);
    c.parts.push(`<rect x="${px.toFixed(1)}" y="${(base - 13).toFixed(1)}" width="${w.toFixed(1)}" height="17" fill="${bg}"/>`);
    c.text(px, base, text, { colour: darkBackground(bg) ? '#ffffff' : '#111111', size: r.spans[t] === 'end' ? 10 : SIZE });
    if (r.spans[t] === 'step') c.parts.push(`<line x1="${px.toFixed(1)}" x2="${(px + w).toFixed(1)}" y1="${base + 3}" y2="${base + 3}" stroke="${r.steps[t]! % 2 === 0 ? '#111111' : '#8a8a8a'}" stroke-width="2"/>`);
    if (r.firstWrong[t]) {
      c.parts.push(`<line x1="${px.toFixed(1)}" x2="${(px + w).toFixed(1)}" y1="${base - 14}" y2="${base - 14}" stroke="#000" stroke-width="2"/>`);
      c.parts.push(`<line x1="${px.toFixed(1)}" x2="${(px + w).toFixed(1)}" y1="${base + 5}" y2="${base + 5}" stroke="#000" stroke-width="2"/>`);
      if (!r.firstWrong[t - 1]) c.parts.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${base - 15}" y2="${base + 6}" stroke="#000" stroke-width="2"/>`);
      if (!r.firstWrong[t + 1]) c.parts.push(`<line x1="${(px + w).toFixed(1)}" x2="${(px + w).toFixed(1)}" y1="${base - 15}" y2="${base + 6}" stroke="#000" stroke-width="2"/>`);
    }
    x += w;
  }
  return line + 1;
}

function drawCheckpoint(c: Canvas, cp: CheckpointView, scales: readonly number[]): void {
  c.y += 14;
  c.para(`Step ${cp.step}`, { bold: true, size: 16 });
  for (const [k, s] of cp.sides.entries()) {
    const m = s.summary;
    const pct = (x: number, n: number): string => (n === 0 || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)} %`);
    c.para(`${sideName(s, k)}: first wrong step ${pct(m.firstWrongShare, m.firstWrongN)} of |credit| vs chance ${pct(m.firstWrongChance, m.firstWrongN)} (n=${m.firstWrongN}); filler ${pct(m.fillerShare, m.fillerN)} vs its tokens ${pct(m.fillerTokenShare, m.fillerN)} (n=${m.fillerN})`, { colour: '#444444' });
  }
  const S = cp.sides.length;
  const colWidth = (WIDTH - 2 * MARGIN - GAP * (S - 1)) / S;
  for (const p of cp.problems) {
    c.y += 8;
    c.para(`${p.benchmark} · ${p.uid} · gold answer ${p.answer}`, { bold: true });
    if (p.image) {
      const top = c.y + 6;
      c.parts.push(`<image x="${MARGIN}" y="${top}" width="${PICTURE}" height="${PICTURE}" href="${p.image}" style="image-rendering:pixelated"/>`);
      c.para(p.prompt, { colour: '#555555', x: MARGIN + PICTURE + 14 });
      c.y = Math.max(c.y, top + PICTURE);
    } else c.para(p.prompt, { colour: '#555555' });
    for (const r of p.responses) {
      c.y += 4;
      const verdict = `#${r.index + 1} ${r.verdict >= 1 ? 'correct' : 'incorrect'} · reward ${r.verdict}${r.error ? ` · first wrong step: ${r.error.kind} — ${r.error.detail}` : ''}`;
      c.para(verdict, { colour: r.verdict >= 1 ? '#1a6e1a' : '#aa1111' });
      const top = c.y + LINE;
      let lines = 0;
      for (let k = 0; k < S; k++) {
        if (S > 1) c.text(MARGIN + k * (colWidth + GAP), top - 2, sideName(cp.sides[k]!, k), { colour: '#666666', size: 10 });
        lines = Math.max(lines, drawTokens(c, r, k, scales[k]!, MARGIN + k * (colWidth + GAP), top + (S > 1 ? 14 : 0), colWidth));
      }
      c.y = top + (S > 1 ? 14 : 0) + (lines - 1) * LINE + 8;
    }
  }
}

/** The view as SVG (width 1600, as tall as it needs). */
export function creditSvg(view: CreditView): { svg: string; width: number; height: number } {
  const c = new Canvas();
  const scales = creditScales(view);
  const sides = view.checkpoints[0]?.sides ?? [];
  const s = view.settings;
  c.para(`Where the credit went: ${sides.map((x, k) => sideName(x, k)).join(' vs ')}`, { bold: true, size: 18 });
  c.para(`${s.choice}; G = ${s.samples} at temperature ${s.temperature}, top-p ${s.topP}, sampling seed ${s.seed}. Credit from a forward pass of each method's loss at the checkpoint's weights.`, { colour: '#444444' });
  if (s.comparison) c.para(s.comparison, { colour: '#444444' });
  for (const n of s.notes) c.para(`Note: ${n}.`, { colour: '#444444' });
  c.parts.push(`<defs><linearGradient id="rdbu" x1="0" x2="1" y1="0" y2="0">${RDBU_11.map((col, i) => `<stop offset="${(i / (RDBU_11.length - 1)).toFixed(3)}" stop-color="${col}"/>`).join('')}</linearGradient></defs>`);
  for (const [k, side] of sides.entries()) {
    c.y += 10;
    c.para(`${sideName(side, k)}: ${side.creditMeaning}`);
    c.y += 6;
    c.parts.push(`<rect x="${MARGIN}" y="${c.y}" width="260" height="14" fill="url(#rdbu)" stroke="#999999"/>`);
    c.y += 28;
    c.text(MARGIN, c.y, signedNumber(-scales[k]!), { size: 11 });
    c.text(MARGIN + 126, c.y, '0', { size: 11 });
    c.text(MARGIN + 230, c.y, signedNumber(scales[k]!), { size: 11 });
  }
  c.para('Red: negative credit (the token is pushed down), blue: positive; underlined: a ground-truth reasoning step (alternately black and grey); boxed: the first wrong step as the parser finds it.', { colour: '#444444' });
  for (const cp of view.checkpoints) drawCheckpoint(c, cp, scales);
  const height = Math.ceil(c.y + MARGIN);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}"><rect width="100%" height="100%" fill="#ffffff"/>${c.parts.join('')}</svg>`;
  return { svg, width: WIDTH, height };
}

/** Dark pixels of `text` drawn black on white in the view's font (null when it cannot be drawn at all). */
async function inkOf(text: string): Promise<number | null> {
  const { default: sharp } = await import('sharp');
  const probe = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="30"><rect width="160" height="30" fill="#ffffff"/><text x="4" y="22" font-family="${FONT}" font-size="20" fill="#000000">${text}</text></svg>`;
  try {
    const { data } = await sharp(Buffer.from(probe)).greyscale().raw().toBuffer({ resolveWithObject: true });
    let dark = 0;
    for (const v of data) if (v < 128) dark++;
    return dark;
  } catch {
    return null;
  }
}

/**
 * Whether text renders here. Without a font, librsvg draws every character as the same empty box, so two words of
 * one length leave the same ink; with one, 'WWWW' leaves far more than 'iiii'.
 */
export async function textRenders(): Promise<boolean> {
  const wide = await inkOf('WWWW');
  const narrow = await inkOf('iiii');
  return wide !== null && narrow !== null && narrow > 0 && wide > 1.3 * narrow;
}

/** Refuses (RenderError) where text cannot render: a PNG of boxes without words is no figure. */
export async function assertTextRenders(): Promise<void> {
  if (!(await textRenders()))
    throw new RenderError(`text does not render here: fontconfig finds no font for '${FONT}' (see fc-list), so credit.png would have no words — install fonts-dejavu-core; nothing was written`);
}

/** The view as PNG at 2× (1× when 2× would pass the rasteriser's size limit); throws RenderError when text cannot render. */
export async function creditPng(view: CreditView): Promise<Buffer> {
  await assertTextRenders();
  const { svg, height } = creditSvg(view);
  const scale = height * 2 <= MAX_PIXELS ? 2 : height <= MAX_PIXELS ? 1 : 0;
  if (scale === 0) throw new RenderError(`credit.png would be ${height} pixels tall, more than the ${MAX_PIXELS} the rasteriser draws: give fewer --items or steps — nothing was written`);
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg), { density: 72 * scale, limitInputPixels: false }).png({ compressionLevel: 9 }).toBuffer();
}
