// The credit views' colour scale: ColorBrewer's RdBu (Brewer 2002), a diverging scheme ColorBrewer marks safe for
// colour-blind readers, centred on zero — red where a token's log-prob is pushed down (negative credit), blue where
// it is pushed up, near-white at zero. Each run's scale is symmetric, ±(the largest |credit| it shows), so the same
// colour means the same credit across the steps of a series.
import type { CreditView } from './view.ts';

/** RdBu's 11 classes from its red end to its blue end (ColorBrewer 2.0). */
export const RDBU_11 = ['#67001f', '#b2182b', '#d6604d', '#f4a582', '#fddbc7', '#f7f7f7', '#d1e5f0', '#92c5de', '#4393c3', '#2166ac', '#053061'] as const;

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
const hex = (c: readonly number[]): string => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

/** The colour of `value` on the scale ±`max` (values beyond it take the end colours; max ≤ 0 gives the centre). */
export function divergingColour(value: number, max: number): string {
  const x = max > 0 && Number.isFinite(value) ? Math.max(-1, Math.min(1, value / max)) : 0;
  const pos = ((x + 1) / 2) * (RDBU_11.length - 1);
  const i = Math.min(RDBU_11.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = rgb(RDBU_11[i]!);
  const b = rgb(RDBU_11[i + 1]!);
  return hex(a.map((v, k) => v + (b[k]! - v) * f));
}

/** Whether text on `background` reads better in white than in black (WCAG relative luminance below 0.18). */
export function darkBackground(background: string): boolean {
  const lin = rgb(background).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]! < 0.18;
}

/** Each run's scale: the largest |credit| it shows over every step of the view (0 when all its credit is 0). */
export function creditScales(view: CreditView): number[] {
  const sides = view.checkpoints[0]?.sides.length ?? 0;
  return Array.from({ length: sides }, (_, k) => {
    let max = 0;
    for (const c of view.checkpoints) for (const p of c.problems) for (const r of p.responses) for (const v of r.sides[k]!.credit) max = Math.max(max, Math.abs(v));
    return max;
  });
}

/** A number for a label: 3 significant digits, a real minus sign, '+' on positives. */
export function signedNumber(x: number): string {
  if (x === 0) return '0';
  const s = Math.abs(x) >= 1000 || Math.abs(x) < 0.001 ? Math.abs(x).toExponential(2) : Math.abs(x).toPrecision(3);
  return `${x < 0 ? '−' : '+'}${s}`;
}
