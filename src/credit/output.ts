// What `rlsd-bench credit` writes into --out: credit.jsonl (a record per response token), credit.html, credit.png and
// credit.json (the settings and each step's summary). Everything is built in memory first (the PNG, which may be
// refused, before anything is written), then written under temporary names and renamed into place: an error leaves
// no file half-written and none of the set replaced.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ensureDir, jsonText, mapWriteError } from '../util/fs.ts';
import { creditHtml } from './html.ts';
import { creditPng } from './png.ts';
import { responseRecords, type CreditRecord } from './records.ts';
import type { CreditView } from './view.ts';

export const CREDIT_FILES = { jsonl: 'credit.jsonl', html: 'credit.html', png: 'credit.png', json: 'credit.json' } as const;

export type { CreditRecord };

export function creditRecords(view: CreditView): CreditRecord[] {
  const out: CreditRecord[] = [];
  for (const c of view.checkpoints)
    c.sides.forEach((side, k) => {
      for (const p of c.problems)
        for (const r of p.responses) out.push(...responseRecords(r, k, { step: c.step, method: side.method, problem: p.uid, benchmark: p.benchmark, gold: p.answer }));
    });
  return out;
}

/** credit.json: the settings and, per step and run, the method's loss metrics and the credit summary. */
function manifest(view: CreditView): unknown {
  return {
    settings: view.settings,
    files: CREDIT_FILES,
    checkpoints: view.checkpoints.map((c) => ({
      step: c.step,
      responses: c.problems.reduce((n, p) => n + p.responses.length, 0),
      correct: c.problems.reduce((n, p) => n + p.responses.filter((r) => r.verdict >= 1).length, 0),
      runs: c.sides.map((s) => ({ dir: s.dir, method: s.method, creditMeaning: s.creditMeaning, teacherContext: s.teacherContext, regime: s.regime, lossMetrics: s.lossMetrics, summary: s.summary })),
      problems: c.problems.map((p) => p.uid),
    })),
  };
}

/** Writes the view's files into `out`; returns their paths. */
export async function writeCreditFiles(view: CreditView, out: string): Promise<string[]> {
  const png = await creditPng(view);
  const files: [string, string | Uint8Array][] = [
    [CREDIT_FILES.jsonl, creditRecords(view).map((r) => JSON.stringify(r)).join('\n') + '\n'],
    [CREDIT_FILES.html, creditHtml(view)],
    [CREDIT_FILES.png, png],
    [CREDIT_FILES.json, jsonText(manifest(view))],
  ];
  ensureDir(out);
  const staged: [string, string][] = [];
  try {
    for (const [name, data] of files) {
      const tmp = join(out, `.${name}.${process.pid}.tmp`);
      staged.push([tmp, join(out, name)]);
      mapWriteError(out, name, () => writeFileSync(tmp, data));
    }
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw e;
  }
  for (const [tmp, file] of staged) mapWriteError(out, basename(file), () => renameSync(tmp, file));
  return staged.map(([, file]) => file);
}
