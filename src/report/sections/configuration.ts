// The configuration each row ran with: lr and schedule, teacher regime and privileged context, steps, seeds, backend
// and kernels, commit and wall time, from its runs' run.json; each row links to its run folders. In report.md and on
// the page right after the verdict; no file of its own.
import { reportRows } from '../rows.ts';
import { mean } from '../stats.ts';
import type { HtmlTable, ReportTableSpec } from '../table-spec.ts';
import { markdownTable, runLink, wallText, type Align } from '../text.ts';
import type { SweepRecords } from '../types.ts';

export interface ConfigurationRow {
  row: string;
  label: string;
  /** One text per field, the values of the row's done cells joined when they differ ('—': not recorded). */
  lr: string;
  teacher: string;
  context: string;
  steps: string;
  seeds: string;
  backend: string;
  commit: string;
  /** Mean over seeds of Σ timing_s/step, in seconds (NaN: not logged). */
  wallSeconds: number;
  /** The run folders averaged in the row (absolute), in seed order. */
  runs: { seed: number; dir: string }[];
}

export interface ConfigurationTable {
  rows: ConfigurationRow[];
  caption: string;
}

/** A learning rate as the sweep writes it: 3e-5 rather than 0.00003. */
function lrText(lr: number): string {
  return lr !== 0 && Math.abs(lr) < 1e-3 ? lr.toExponential() : String(lr);
}

/** The distinct values of the cells, joined; — when none is recorded. */
function distinct(values: readonly (string | undefined)[]): string {
  const known = [...new Set(values.filter((v): v is string => v !== undefined))];
  return known.length === 0 ? '—' : known.join(' / ');
}

export function configurationTable(records: SweepRecords): ConfigurationTable {
  const rows: ConfigurationRow[] = [];
  for (const r of reportRows(records)) {
    if (r.cells.length === 0) continue;
    const runs = r.cells.map((c) => c.run ?? {});
    const training = r.method !== 'base';
    const walls = r.cells.map((c) => {
      const t = c.dynamics.map((d) => d.values['timing_s/step']).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      return t.length ? t.reduce((x, y) => x + y, 0) : NaN;
    });
    rows.push({
      row: r.row,
      label: r.label,
      lr: training
        ? distinct(runs.map((d) => (d.lr === undefined ? undefined : `${lrText(d.lr)} (${d.lrSchedule ?? '?'}${d.warmupSteps !== undefined ? `, warmup ${d.warmupSteps}` : ''})`)))
        : '—',
      teacher: distinct(runs.map((d) => (d.teacherRegime === '' ? undefined : d.teacherRegime))),
      context: distinct(runs.map((d) => (d.teacherContext === '' ? undefined : d.teacherContext))),
      steps: distinct(r.cells.map((c) => (c.steps > 0 ? String(c.steps) : undefined))),
      seeds: r.cells.map((c) => c.seed).join(', '),
      backend: distinct(
        runs.map((d) => {
          if (d.backend === undefined) return undefined;
          const kernels = [d.attentionKernel && `attention ${d.attentionKernel}`, d.matmulKernel && `matmul ${d.matmulKernel}${d.threads && d.threads > 1 ? ` ×${d.threads}` : ''}`].filter(Boolean);
          return kernels.length ? `${d.backend} (${kernels.join(', ')})` : d.backend;
        }),
      ),
      commit: distinct(runs.map((d) => d.commit && (d.commit.endsWith('-dirty') ? `${d.commit.slice(0, 12)}-dirty` : d.commit.slice(0, 12)))),
      wallSeconds: mean(walls),
      runs: r.cells.map((c) => ({ seed: c.seed, dir: c.dir })),
    });
  }
  const caption =
    `How each row ran, from its runs' run.json (values that differ between seeds are joined by /; —: not recorded or not applicable). ` +
    `lr: peak learning rate, its schedule and warmup steps; teacher: the self-teacher's weights (live, frozen, sync:N — replaced by the student's every N steps —, ema:RATE); ` +
    `privileged context: what the teacher sees that the student does not; commit: the code's (‑dirty: with uncommitted changes); ` +
    `wall time / seed: the mean over seeds of Σ timing_s/step (steps with their evaluations; start-up and checkpoint writes not counted); runs: the run folders.`;
  return { rows, caption };
}

export const CONFIGURATION_HEADER = ['Method', 'lr (schedule)', 'teacher', 'privileged context', 'steps', 'seeds', 'backend (kernels)', 'commit', 'wall time / seed', 'runs'] as const;

/** A configuration row's text cells, in CONFIGURATION_HEADER order without the runs. */
export function configurationCells(r: ConfigurationRow): string[] {
  return [r.label, r.lr, r.teacher, r.context, r.steps, r.seeds, r.backend, r.commit, wallText(r.wallSeconds)];
}

/** The configuration table on the page; each row links to its run folders, relative to `linkFrom` (the page's folder). */
export function configurationHtmlTable(t: ConfigurationTable, linkFrom?: string): HtmlTable {
  return {
    header: CONFIGURATION_HEADER,
    align: CONFIGURATION_HEADER.map((): 'l' => 'l'),
    rows: t.rows.map((r) => [...configurationCells(r), { links: r.runs.map((x) => ({ text: `seed ${x.seed}`, href: `${runLink(x.dir, linkFrom)}/` })) }]),
    caption: t.caption,
  };
}

export const configuration: ReportTableSpec<ConfigurationTable> = {
  name: 'configuration',
  title: 'Configuration',
  after: 'verdict',
  build: configurationTable,
  markdown(t, ctx) {
    const rows = t.rows.map((r) => [...configurationCells(r), r.runs.map((x) => `[seed ${x.seed}](${runLink(x.dir, ctx.out)})`).join(' ')]);
    const table = rows.length ? markdownTable([...CONFIGURATION_HEADER], rows, CONFIGURATION_HEADER.map((): Align => 'l')) : 'No row with a done cell.\n';
    return `${table}\n${t.caption}\n`;
  },
  html: (t, ctx) => [t.rows.length > 0 ? { kind: 'table', table: configurationHtmlTable(t, ctx.out) } : { kind: 'paragraph', text: 'No row with a done cell.' }],
};
