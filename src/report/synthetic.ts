// A SYNTHETIC sweep folder — made-up numbers in the on-disk layout of the sweep/report contract (sweep.json, per cell
// run.json, metrics.jsonl with evaluation lines and dynamics keys, evals/step_N.jsonl, cell.json) — so the report's
// tests and its speed benchmark (npm run bench:sweep) need no training. Never a result: its provenance says so.
// Every number comes from a fixed hash of (row, seed, step, …): the same options give the same bytes, and each
// method gets a recognisable curve (RLSD highest, GRPO next, …).
import { join } from 'node:path';
import { itemVerdictsFile } from '../train/evaluate.ts';
import { creditExamplesFile } from '../train/credit-examples.ts';
import { ensureDir, writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import type { SweepCell } from '../sweep/cells.ts';
import { REPORT_BENCHMARKS } from './types.ts';

export interface SyntheticSweepOptions {
  /** Training methods (the base row is always added). */
  methods?: string[];
  seeds?: number[];
  steps?: number;
  /** Evaluate every this many steps (and at step 0 and the last step). */
  evalEvery?: number;
  /** Evaluation items per benchmark. */
  items?: number;
  /** Adds an override row (grpo-lr=3e-5), a failed cell and a running cell, which the report must name. */
  extras?: boolean;
  /**
   * Deep-world records: the credit/* metrics on every training line, and the worked examples train keeps at its last
   * step (credit/step_N.jsonl) for every done cell but SDPO's, so the report also shows a row without them.
   */
  credit?: boolean;
}

export interface SyntheticSweep {
  dir: string;
  /** Cell ids by state as the fixture wrote them. */
  done: string[];
  failed: string[];
  running: string[];
  rows: string[];
}

/** A deterministic value in [0, 1) from a key (FNV-1a, then a xorshift mix). */
function hash01(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** The accuracy each method tends to by the end of training (base ≈ 0.30), as in the paper's ordering. */
const GAIN: Record<string, number> = { grpo: 0.12, opsd: 0.06, sdpo: 0.07, hybrid: 0.08, rlsd: 0.17 };
/** How fast each method gets there (RLSD about twice as fast as GRPO, the paper's "200 vs 400 steps"). */
const RATE: Record<string, number> = { grpo: 1, opsd: 1.2, sdpo: 1.1, hybrid: 1, rlsd: 2 };
/** How far each report column's base accuracy sits from 0.30, in column order (so the columns differ); later ones: 0. */
const COLUMN_OFFSET: readonly number[] = [0.1, 0.2, -0.05, -0.2, 0.05];

function accuracy(method: string, override: string | null, seed: number, step: number, steps: number, bench: string): number {
  const base = 0.3 + (COLUMN_OFFSET[(REPORT_BENCHMARKS as readonly string[]).indexOf(bench)] ?? 0);
  if (method === 'base' || step === 0) return base;
  const gain = (GAIN[method] ?? 0.05) * (override ? 0.8 : 1);
  const progress = 1 - Math.exp((-3 * (RATE[method] ?? 1) * step) / Math.max(1, steps));
  const noise = (hash01(`${method}/${override}/${seed}/${step}/${bench}`) - 0.5) * 0.03;
  return Math.min(0.98, Math.max(0.02, base + gain * progress + noise));
}

/** The dynamics keys a method logs, as the train loop does (GRPO has no teacher, only RLSD clips weights, …). */
function dynamics(method: string, seed: number, step: number, steps: number): Record<string, number> {
  const t = step / Math.max(1, steps);
  const n = (k: string): number => hash01(`${method}/${seed}/${step}/${k}`) - 0.5;
  const v: Record<string, number> = {
    'critic/score/mean': 0.3 + 0.3 * (1 - Math.exp(-3 * t)) * (method === 'rlsd' ? 1.2 : 1) + 0.15 * n('r'),
    'actor/entropy': 1.2 * Math.exp(-t) + 0.1 * n('e'),
    'response_length/mean': 40 + 25 * t + 6 * n('l'),
    'timing_s/step': 1 + 0.2 * n('t'),
  };
  if (method === 'opsd' || method === 'hybrid') v['leakage/rate'] = 0.05 + 0.1 * t + 0.03 * n('k');
  if (method === 'rlsd') {
    v['grpo_opsd/stgca_clip_low_ratio'] = 0.02 + 0.01 * n('cl');
    v['grpo_opsd/stgca_clip_high_ratio'] = 0.05 * Math.exp(-2 * t) + 0.01 * n('ch');
    v['rlsd/delta_abs_mean'] = 0.4 * Math.exp(-2 * t) + 0.05 + 0.02 * n('d');
  }
  if (method !== 'grpo') v['perf/teacher_tokens'] = Math.round(2048 + 256 * n('tt'));
  return v;
}

/** The credit/* metrics of a training line (src/train/credit.ts): RLSD's blame on the first wrong step grows, GRPO's is uniform. */
function creditMetrics(method: string, seed: number, step: number, steps: number): Record<string, number> {
  const t = step / Math.max(1, steps);
  const n = (k: string): number => hash01(`${method}/${seed}/${step}/credit/${k}`) - 0.5;
  const uniformWrong = 0.3 + 0.04 * n('uw');
  const uniformFiller = 0.15 + 0.02 * n('uf');
  const lift = method === 'grpo' ? 0 : method === 'rlsd' ? 0.04 + 0.08 * t : 0.02 * n('l');
  const v: Record<string, number> = {
    'credit/first_wrong_chance': uniformWrong + 0.01 * n('c'),
    'credit/first_wrong_uniform': uniformWrong,
    'credit/first_wrong_share': uniformWrong + lift,
    'credit/first_wrong_top': uniformWrong + 2 * lift,
    'credit/filler_token_share': uniformFiller + 0.01 * n('f'),
    'credit/filler_uniform': uniformFiller,
    'credit/filler_share': uniformFiller - lift / 2,
  };
  if (method !== 'grpo') {
    v['credit/teacher_auroc'] = 0.6 + 0.1 * t + 0.04 * n('a');
    v['credit/teacher_first_wrong_share'] = uniformWrong + 0.05 + 0.03 * n('tw');
  }
  return v;
}

/** A made-up response as the worked examples record it: its tokens, the step each belongs to, the first wrong step. */
const EXAMPLE_TOKENS: Record<'correct' | 'misreading', { tokens: string[]; steps: (number | null)[]; wrong: number[]; answer: string }> = {
  correct: {
    tokens: ['the', ' red', ' bar', ' is', ' 5', ' .', ' the', ' blue', ' bar', ' is', ' 3', ' .', ' so', ' 5', ' plus', ' 3', ' is', ' 8', ' .', ' {8}', '<eos>'],
    steps: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, null, 2, 2, 2, 2, 2, 2, null, null],
    wrong: [],
    answer: '8',
  },
  misreading: {
    tokens: ['the', ' red', ' bar', ' is', ' 5', ' .', ' the', ' blue', ' bar', ' is', ' 4', ' .', ' so', ' 5', ' plus', ' 4', ' is', ' 9', ' .', ' {9}', '<eos>'],
    steps: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, null, 2, 2, 2, 2, 2, 2, null, null],
    wrong: [6, 7, 8, 9, 10, 11],
    answer: '9',
  },
};

/** The worked examples of a made-up last batch (src/train/credit-examples.ts's records): GRPO's credit uniform, the others' per token. */
function creditExampleLines(method: string, seed: number, step: number): string[] {
  const lines: string[] = [];
  for (const [k, kind] of (['correct', 'misreading'] as const).entries()) {
    const ex = EXAMPLE_TOKENS[kind];
    const advantage = kind === 'correct' ? 0.8 : -0.6;
    ex.tokens.forEach((text, t) => {
      const span = text === '<eos>' ? 'end' : ex.steps[t] !== null ? 'step' : t === 12 ? 'filler' : 'answer';
      const perToken = method === 'grpo' ? 1 : 0.8 + 0.4 * hash01(`${method}/${seed}/${kind}/${t}`) + (ex.wrong.includes(t) ? 0.3 : 0);
      lines.push(
        JSON.stringify({
          step: step - 1,
          run: 'a',
          method,
          problem: `zerobench/synthetic-${k + 1}`,
          benchmark: 'zerobench',
          response: 2 * k + 1,
          token: t,
          text,
          span,
          reasoningStep: ex.steps[t],
          firstWrongStep: ex.wrong.includes(t),
          delta: method === 'grpo' ? null : Number((hash01(`${method}/${seed}/${kind}/${t}/d`) - 0.5).toFixed(4)),
          weight: method === 'rlsd' ? Number(perToken.toFixed(4)) : null,
          credit: Number((advantage * perToken).toFixed(4)),
          reward: kind === 'correct' ? 1 : 0,
          correct: kind === 'correct',
          gold: '8',
          extracted: ex.answer,
          error: kind === 'correct' ? null : { kind: 'misreading', detail: 'blue is 3, not 4', inReasoning: true },
          parsed: true,
        }),
      );
    });
  }
  return lines;
}

/** Writes a sweep folder into `dir` (created); see SyntheticSweepOptions. */
export function writeSyntheticSweep(dir: string, opts: SyntheticSweepOptions = {}): SyntheticSweep {
  const methods = opts.methods ?? ['grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd'];
  const seeds = opts.seeds ?? [1, 2];
  const steps = opts.steps ?? 60;
  const evalEvery = opts.evalEvery ?? 10;
  const items = opts.items ?? 20;
  ensureDir(dir);

  type Cell = Pick<SweepCell, 'id' | 'row' | 'method' | 'override' | 'seed' | 'dir' | 'steps' | 'settings' | 'methodOptions'> & { state: 'done' | 'failed' | 'running' };
  const cells: Cell[] = [];
  const add = (method: string, override: string | null, seed: number, state: Cell['state'] = 'done', cellSteps = steps): void => {
    const row = override ? `${method}-${override}` : method;
    cells.push({ id: `${row}/seed-${seed}`, row, method, override, seed, dir: `${row}/seed-${seed}`, steps: cellSteps, settings: { seed, steps: cellSteps }, methodOptions: {}, state });
  };
  add('base', null, seeds[0]!, 'done', 1);
  for (const m of methods) for (const s of seeds) add(m, null, s);
  if (opts.extras) {
    for (const s of seeds) add('grpo', 'lr=3e-5', s);
    add('sdpo', 'teacher=frozen', seeds[0]!, 'failed');
    add('opsd', 'lr=3e-5', seeds[0]!, 'running');
  }

  writeJsonAtomic(join(dir, 'sweep.json'), {
    version: 1,
    name: 'synthetic',
    config: { methods, seeds, steps, evalEvery },
    base: '/nonexistent/base',
    cells: cells.map(({ state: _state, ...c }) => c),
    provenance: { synthetic: 'src/report/synthetic.ts: made-up numbers for tests and benchmarks' },
  });

  for (const c of cells) {
    const cellDir = join(dir, c.dir);
    const cellSteps = c.method === 'base' ? 1 : steps;
    writeJsonAtomic(join(cellDir, 'run.json'), { config: { method: c.method, seed: c.seed, steps: cellSteps, evalSplit: 'test' }, provenance: { synthetic: true } });
    // A failed cell stops early; a running one is cut mid-way.
    const lastStep = c.state === 'done' ? cellSteps : Math.floor(cellSteps / 3);
    const lines: string[] = [];
    for (let step = 0; step <= lastStep; step++) {
      const line: Record<string, number> = { step };
      if (step > 0 && c.method !== 'base') Object.assign(line, dynamics(c.method, c.seed, step, cellSteps));
      if (step > 0 && c.method !== 'base' && opts.credit) Object.assign(line, creditMetrics(c.method, c.seed, step, cellSteps));
      if (step > 0 && c.method === 'base') line['critic/score/mean'] = 0.3;
      const evaluated = c.method === 'base' ? step === 0 : step === 0 || step % evalEvery === 0 || step === cellSteps;
      if (evaluated) {
        const verdicts: { uid: string; benchmark: string; correct: 0 | 1 }[] = [];
        let all = 0;
        let sumBench = 0;
        for (const b of REPORT_BENCHMARKS) {
          const p = accuracy(c.method, c.override, c.seed, step, cellSteps, b);
          let right = 0;
          for (let i = 0; i < items; i++) {
            // Item difficulty is shared across cells, so paired comparisons see the same easy and hard items; step 0
            // is the same base checkpoint in every cell, so its verdicts are the same too.
            const correct: 0 | 1 = hash01(`${b}/${i}`) * 0.6 + hash01(`${step === 0 ? 'base' : c.id}/${step}/${b}/${i}`) * 0.4 < p ? 1 : 0;
            right += correct;
            verdicts.push({ uid: `${b}-${String(i).padStart(3, '0')}`, benchmark: b, correct });
          }
          line[`val-core/${b}/acc/mean@1`] = right / items;
          sumBench += right / items;
          all += right;
        }
        line['val-core/all/acc/mean@1'] = all / (items * REPORT_BENCHMARKS.length);
        line['val-core/avg/acc/mean@1'] = sumBench / REPORT_BENCHMARKS.length;
        line['val-aux/n'] = items * REPORT_BENCHMARKS.length;
        writeFileAtomic(itemVerdictsFile(cellDir, step), verdicts.map((v) => `${JSON.stringify(v)}\n`).join(''));
      }
      lines.push(JSON.stringify(line));
    }
    writeFileAtomic(join(cellDir, 'metrics.jsonl'), lines.join('\n') + '\n');
    if (opts.credit && c.state === 'done' && c.method !== 'base' && c.method !== 'sdpo') writeFileAtomic(creditExamplesFile(cellDir, cellSteps), creditExampleLines(c.method, c.seed, cellSteps).join('\n') + '\n');
    const at = '2025-01-01T00:00:00.000Z';
    const status =
      c.state === 'done'
        ? { state: 'done', startedAt: at, endedAt: at, attempts: 1, executor: 'local', exitCode: 0 }
        : c.state === 'failed'
          ? { state: 'failed', error: 'training stopped: loss is NaN at step 20', exitCode: 1, startedAt: at, endedAt: at, attempts: 1, executor: 'local' }
          : { state: 'running', startedAt: at, attempts: 1, executor: 'local' };
    writeJsonAtomic(join(cellDir, 'cell.json'), status);
  }
  return {
    dir,
    done: cells.filter((c) => c.state === 'done').map((c) => c.id),
    failed: cells.filter((c) => c.state === 'failed').map((c) => c.id),
    running: cells.filter((c) => c.state === 'running').map((c) => c.id),
    rows: [...new Set(cells.map((c) => c.row))],
  };
}
