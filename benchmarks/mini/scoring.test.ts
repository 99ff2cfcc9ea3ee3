// Cross-check with the benchmark modules: a mini row loads through its benchmark's loader, the
// benchmark's prompt() passes the mini prompt through verbatim, and the SFT target scores correct
// under the benchmark's own scorer (which doubles as the RL reward) while a wrong answer does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBenchmark, MINI_BENCHMARKS, type BenchmarkModule } from '../index.ts';
import { miniTasks, writeMiniSuite } from './build.ts';
import { answerStatement, miniPrompt, miniSpec, miniTarget, type MiniBenchmark } from './formats.ts';
import { MINI_SUITES, type MiniTask } from './types.ts';

const BENCHMARKS: Array<[MiniBenchmark, BenchmarkModule]> = MINI_BENCHMARKS.map((b) => [b, getBenchmark(b)]);
const COUNT = 12;
const SEED = 3;

function wrongAnswer(answer: string): string {
  return /^[A-D]$/.test(answer) ? (answer === 'A' ? 'B' : 'A') : String(Number(answer) + 1);
}

for (const suite of MINI_SUITES) test(`${suite}: rows load through each benchmark, keep their prompt, and their SFT targets score correct`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mini-score-'));
  try {
    const counts = Object.fromEntries(BENCHMARKS.map(([b]) => [b, { train: 0, eval: COUNT }]));
    await writeMiniSuite(dir, { seed: SEED, counts, benchmarks: BENCHMARKS.map(([b]) => b), suite });
    for (const [name, bench] of BENCHMARKS) {
      const split = miniSpec(name).evalSplit;
      const items = await bench.load(join(dir, name), { split });
      const tasks = await miniTasks(name, split, COUNT, SEED, suite);
      const byPrompt = new Map<string, MiniTask>();
      for (const t of tasks.flatMap((t) => [t, ...(t.substeps ?? [])])) byPrompt.set(`${miniPrompt(name, t)}|${t.reference}`, t);
      assert.ok(items.length >= COUNT, `${name}: ${items.length} items`);
      for (const item of items) {
        const prompt = bench.prompt(item);
        assert.equal(prompt.images.length, 1, `${name} ${item.id}: images`);
        const task = byPrompt.get(`${prompt.text}|${item.reference}`);
        assert.ok(task, `${name} ${item.id}: prompt '${prompt.text}' is not a mini prompt`);
        const right = bench.score(item, miniTarget(name, task));
        assert.equal(right.correct, true, `${name} ${item.id}: '${right.response}' → ${right.extracted} (${right.extractor}), gold ${right.gold}`);
        const wrong = bench.score(item, `${task.trace} ${answerStatement(name, wrongAnswer(task.answer))}`);
        assert.equal(wrong.correct, false, `${name} ${item.id}: wrong answer scored correct`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
