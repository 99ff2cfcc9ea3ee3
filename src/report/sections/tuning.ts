// The tuning table: a sweep's grid rows (`<method>-<key>=<value>`, e.g. grpo-lr=3e-5) side by side per method and
// key, with the value chosen. The choice is the highest seed-mean Avg at the last evaluation — the run as its
// budget leaves it, which is what a default produces; the peak is shown beside it but not used, because on a curve
// that collapses (OPSD with the answer-only context) the peak is the untouched base at step 0. Tuning sweeps
// evaluate on the validation split (`eval-split: validation`), never on the test split the tables report.
// In report.md after the accuracy tables, in tuning.md and tuning.csv, and on the terminal; not on the page. Shown only
// when the sweep has a grid (two or more values of one key for one method).
import { chosenEvaluation, METHOD_LABELS, reportRows } from '../rows.ts';
import { mean } from '../stats.ts';
import type { ReportTableSpec } from '../table-spec.ts';
import { csv, fixed, markdownTable } from '../text.ts';
import type { SweepRecords } from '../types.ts';

export interface TuningValue {
  row: string;
  value: string;
  seeds: number;
  /** Seed-mean Avg (points) at the last evaluation, and at the peak with its (first seed's) step. */
  last: number;
  peak: number;
  peakStep: number | null;
  chosen: boolean;
}

export interface TuningGroup {
  method: string;
  key: string;
  values: TuningValue[];
}

export interface TuningTable {
  splits: string[];
  groups: TuningGroup[];
}

/** `key=value` of an override name, or null for an ablation row named otherwise. */
export function overrideSetting(override: string): { key: string; value: string } | null {
  const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(override);
  return m ? { key: m[1]!, value: m[2]! } : null;
}

/** Groups of at least two done grid rows of one method and one key. */
export function tuningTable(records: SweepRecords): TuningTable {
  const groups = new Map<string, TuningGroup>();
  const splits = new Set<string>();
  for (const r of reportRows(records)) {
    if (r.override === null || r.cells.length === 0) continue;
    const s = overrideSetting(r.override);
    if (!s) continue;
    for (const c of r.cells) if (c.evalSplit) splits.add(c.evalSplit);
    const id = `${r.method}\u0000${s.key}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { method: r.method, key: s.key, values: [] }));
    const last = r.cells.map((c) => chosenEvaluation(c, 'last'));
    const peak = r.cells.map((c) => chosenEvaluation(c, 'peak'));
    g.values.push({
      row: r.row,
      value: s.value,
      seeds: r.cells.length,
      last: 100 * mean(last.map((e) => e?.avg ?? NaN)),
      peak: 100 * mean(peak.map((e) => e?.avg ?? NaN)),
      peakStep: peak[0]?.step ?? null,
      chosen: false,
    });
  }
  const out = [...groups.values()].filter((g) => g.values.length >= 2);
  for (const g of out) {
    g.values.sort((a, b) => Number(a.value) - Number(b.value) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    let best: TuningValue | undefined;
    for (const v of g.values) if (Number.isFinite(v.last) && (best === undefined || v.last > best.last)) best = v;
    if (best) best.chosen = true;
  }
  return { splits: [...splits].sort(), groups: out };
}

export const tuning: ReportTableSpec<TuningTable> = {
  name: 'tuning',
  title: 'Tuning grid',
  after: 'accuracy',
  terminal: true,
  build: tuningTable,
  shown: (t) => t.groups.length > 0,
  markdown(t) {
    const rows = t.groups.flatMap((g) =>
      g.values.map((v) => [METHOD_LABELS[g.method] ?? g.method, g.key, v.chosen ? `**${v.value}**` : v.value, String(v.seeds), fixed(v.last), fixed(v.peak), v.peakStep === null ? '—' : String(v.peakStep)]),
    );
    const split = t.splits.length ? t.splits.join(', ') : 'unrecorded';
    return (
      `${markdownTable(['Method', 'setting', 'value', 'n', 'last Avg', 'peak Avg', 'peak step'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r'])}\n` +
      `Avg accuracy (%, mean over seeds) on the ${split} split, per grid value; bold: the value chosen, the highest Avg at the last evaluation (the peak is shown, not used: a run that only falls peaks at step 0).` +
      (t.splits.includes('test') ? ' Warning: this grid was evaluated on the test split; tune on validation.' : '') +
      '\n'
    );
  },
  csv: (t) =>
    csv(
      ['method', 'setting', 'value', 'row', 'seeds', 'last_avg', 'peak_avg', 'peak_step', 'chosen'],
      t.groups.flatMap((g) => g.values.map((v) => [g.method, g.key, v.value, v.row, String(v.seeds), fixed(v.last, 4), fixed(v.peak, 4), v.peakStep === null ? '' : String(v.peakStep), v.chosen ? '1' : '0'])),
    ),
};
