// The official WeMath result tables, formatted as the authors' scripts print them: the row of
// four_dimensional_metrics.py's `update_main_results_df` ('Score (Strict)', 'InsufficientKnowledge (Strict)' …,
// each rate as "{:.2%}" and counts in parentheses) and of accuracy.py's ('One-step(S1)' …, per-domain columns).
// Used by scripts/verify-wemath.ts to compare cell by cell and by reports that want the paper's notation.
import type { Metrics } from '../common/types.ts';

/** Python `format(x, '.2%')`: x*100 in floating point, then correctly rounded (half-even on the exact binary value). */
export function pyPercent(x: number): string {
  if (Number.isNaN(x)) return 'nan%';
  if (!Number.isFinite(x)) return x > 0 ? 'inf%' : '-inf%';
  const v = x * 100;
  const exact = Math.abs(v).toFixed(100); // exact decimal expansion for |v| < 1e21 with ≤ 100 fraction digits
  const [intPart, frac] = exact.split('.') as [string, string];
  const keep = frac.slice(0, 2);
  const rest = frac.slice(2);
  let digits = BigInt(intPart + keep);
  const first = rest.charCodeAt(0) - 48;
  const exactHalf = first === 5 && !/[1-9]/.test(rest.slice(1));
  if (first > 5 || (first === 5 && (!exactHalf || digits % 2n === 1n))) digits += 1n;
  const s = digits.toString().padStart(3, '0');
  const out = `${s.slice(0, -2)}.${s.slice(-2)}`;
  return `${v < 0 && digits !== 0n ? '-' : ''}${out}%`;
}

const num = (m: Metrics, k: string): number => m[k] as number;
const dim = (m: Metrics, k: string): { count: number; rate: number } => m[k] as unknown as { count: number; rate: number };

/** The cells of four_dimensional_metrics.py's table, formatted as the original formats them. */
export function fourDimensionalCells(m: Metrics): Record<string, string> {
  const cell = (k: string) => `${pyPercent(dim(m, k).rate)} (${dim(m, k).count})`;
  return {
    'Score (Strict)': pyPercent(num(m, 'score_strict')),
    'InsufficientKnowledge (Strict)': cell('IK'),
    'InadequateGeneralization (Strict)': cell('IG'),
    'CompleteMastery (Strict)': cell('CM_strict'),
    'RoteMemorization (Strict)': cell('RM_strict'),
    'Score (Loose)': pyPercent(num(m, 'score_loose')),
    'InsufficientKnowledge (Loose)': cell('IK'),
    'InadequateGeneralization (Loose)': cell('IG'),
    'CompleteMastery (Loose)': cell('CM_loose'),
    'RoteMemorization (Loose)': cell('RM_loose'),
  };
}

/** The cells of accuracy.py's table. */
export function accuracyCells(m: Metrics): Record<string, string> {
  const out: Record<string, string> = {
    'One-step(S1)': pyPercent(num(m, 'S1')),
    'Two-step(S2)': pyPercent(num(m, 'S2')),
    'Three-step(S3)': pyPercent(num(m, 'S3')),
  };
  const domains = (m.domains ?? {}) as Record<string, number>;
  for (const [name, acc] of Object.entries(domains)) out[name] = pyPercent(acc);
  return out;
}

