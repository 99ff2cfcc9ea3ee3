import { test } from 'node:test';
import assert from 'node:assert/strict';
import { draftTask, finishTask, FAMILY_NAMES, generateTask, generateTasks, splitOfKey, SUITE_FAMILIES, type MiniTaskDraft } from './generate.ts';
import { sceneKey, scenePixels, type Scene } from './scene.ts';
import { mentionsReference, OPTION_LETTERS, REF_CLOSE, REF_OPEN } from './language.ts';
import { miniTarget, MINI_BENCHMARKS } from './formats.ts';
import type { FamilyName } from './types.ts';

// ---- an independent solver: reads the answer off the scene and the question text ----

function valueOf(scene: Scene, term: string[]): number {
  const colours = ['red', 'green', 'blue', 'yellow'];
  if (scene.kind === 'objects') {
    const colour = term.find((w) => colours.includes(w));
    const shape = term.find((w) => w.endsWith('s'))?.slice(0, -1);
    return scene.objects.filter((o) => (!colour || o.colour === colour) && (!shape || o.shape === shape)).length;
  }
  if (scene.kind === 'bars') return scene.bars.find((b) => b.colour === term[0])!.value;
  throw new Error('no terms on a grid');
}

function evalChain(scene: Scene, words: string[]): number {
  // 'red plus blue minus green' / 'red circles' → left-to-right arithmetic over terms
  let acc = 0;
  let op = 'plus';
  let term: string[] = [];
  const flush = () => {
    const v = valueOf(scene, term);
    acc = op === 'plus' ? acc + v : acc - v;
    term = [];
  };
  for (const w of words) {
    if (w === 'plus' || w === 'minus') {
      flush();
      op = w;
    } else term.push(w);
  }
  flush();
  return acc;
}

/** The gold answer as an integer string, or for multiple choice the option text it must point to. */
function solve(t: MiniTaskDraft): string {
  const q = t.question.split(' ');
  assert.equal(q[q.length - 1], '?');
  const s = t.scene;
  if (q[0] === 'how' && q[1] === 'many') return String(evalChain(s, q.slice(2, -1)));
  if (q[0] === 'which') {
    const extreme = q[3]!;
    const vals = t.options!.map((c) => valueOf(s, [c]));
    const best = extreme === 'most' || extreme === 'tallest' ? Math.max(...vals) : Math.min(...vals);
    return t.options![vals.indexOf(best)]!;
  }
  // 'what is …'
  if (s.kind === 'grid') {
    const { w, h } = s.rect;
    return String({ area: w * h, perimeter: 2 * (w + h), width: w, height: h }[q[3]!]);
  }
  if (q[2] === 'the' && q[3] === 'tallest') return String(Math.max(...(s as Extract<Scene, { kind: 'bars' }>).bars.map((b) => b.value)));
  if (q[2] === 'the') return String(valueOf(s, [q[3]!]));
  return String(evalChain(s, q.slice(2, -1)));
}

function goldText(t: MiniTaskDraft): string {
  if (!t.options) return t.answer;
  const idx = OPTION_LETTERS.indexOf(t.answer as 'A');
  assert.ok(idx >= 0 && idx < t.options.length, `letter ${t.answer} of ${t.options.length} options`);
  return t.options[idx]!;
}

const CONFIGS: Array<[FamilyName, Parameters<typeof draftTask>[4]]> = [
  ['count', {}],
  ['count', { hard: true }],
  ['count', { multipleChoice: true }],
  ['bars', {}],
  ['bars', { hard: true }],
  ['grid', {}],
  ['grid', { hard: true }],
  ['choice', {}],
  ['choice', { hard: true }],
  ['compose', {}],
  ['compose', { hard: true, multipleChoice: false }],
];

test('every answer agrees with an independent solver reading the scene; traces and references carry it', () => {
  for (const [family, opts] of CONFIGS) {
    for (let i = 0; i < 150; i++) {
      const d = draftTask(family, i % 3 === 0 ? 'eval' : 'train', i, 21, opts);
      for (const t of [d, ...(d.substeps ?? [])]) {
        assert.equal(goldText(t), solve(t), `${t.uid}: ${t.question} [${t.options ?? ''}] → ${t.answer}`);
        assert.ok(Number(solve(t)) >= 0 || t.options, `${t.uid}: negative answer`);
        // the trace ends with the deciding value (the winner's name for choice), the reference with the answer
        assert.ok(t.trace.endsWith(` ${solve(t)}`), `${t.uid}: trace '${t.trace}'`);
        assert.ok(t.reference.startsWith(`${REF_OPEN} `) && t.reference.endsWith(` answer ${t.answer} ${REF_CLOSE}`), t.reference);
        if (t.options) {
          assert.equal(new Set(t.options).size, t.options.length);
          assert.ok(t.options.length >= 2 && t.options.length <= 4);
        }
      }
      if (family === 'compose') {
        const steps = d.substeps!;
        assert.ok(steps.length === 2 || steps.length === 3);
        for (const [k, s] of steps.entries()) {
          assert.equal(s.key, d.key);
          assert.equal(s.uid, `${d.uid}-s${k + 1}`);
          assert.equal(s.meta.step, String(k + 1));
          // each step is one reading of the multi-step problem's trace
          assert.ok(d.trace.includes(s.trace.split(' ').slice(-2).join(' ')), `${d.trace} ⊅ ${s.trace}`);
        }
        assert.equal(d.meta.step, 'multi');
        if (opts?.hard) assert.ok(!d.options && steps.every((s) => !s.options));
        else assert.ok(d.options && steps.every((s) => s.options?.length === 4));
      }
    }
  }
});

test('golden item: count family, train split, index 0, seed 1 (pinned: a change means every data set changed)', () => {
  const d = draftTask('count', 'train', 0, 1);
  assert.equal(d.uid, 'count-train-000000');
  // yellow objects in cells 6, 7, 9 → 3 (checked by hand against the key)
  assert.equal(d.key, 'objects|1gc,4rs,6yc,7yt,9yc,11rc,13rs,14rs');
  assert.equal(d.question, 'how many yellow ?');
  assert.equal(d.answer, '3');
  assert.equal(d.trace, 'i see yellow 3');
  assert.equal(d.reference, '[ref] yellow 3 answer 3 [/ref]');
});

test('deterministic: item i depends only on (family, split, index, seed, options)', async () => {
  const a = draftTask('choice', 'eval', 7, 3);
  const b = draftTask('choice', 'eval', 7, 3);
  assert.deepEqual(a, b);
  assert.notDeepEqual(draftTask('choice', 'eval', 7, 4), a);
  const batch = await generateTasks('bars', 'train', 6, 8, {}, 10);
  for (const [j, t] of batch.entries()) {
    const alone = await generateTask('bars', 'train', 10 + j, 8);
    assert.deepEqual(t, alone);
  }
  assert.equal(batch[0]!.uid, 'bars-train-000010');
});

test('split rule: train and eval never share a scene; each key lies in its own hash half', () => {
  for (const family of FAMILY_NAMES) {
    const keys = { train: new Set<string>(), eval: new Set<string>() };
    for (const split of ['train', 'eval'] as const) {
      for (let i = 0; i < 300; i++) {
        const d = draftTask(family, split, i, 2);
        assert.equal(d.key, sceneKey(d.scene));
        assert.equal(splitOfKey(d.key), split);
        keys[split].add(d.key);
      }
    }
    for (const k of keys.train) assert.ok(!keys.eval.has(k), `${family}: ${k} in both splits`);
    // grid scenes (grid, and the deep world's measure) come from a small space (a few thousand), so repeats within a
    // split are expected there
    assert.ok(keys.eval.size > (family === 'grid' || family === 'measure' ? 200 : 280), `${family}: only ${keys.eval.size} distinct eval scenes`);
  }
  // the partition itself is balanced and fixed
  let evalCount = 0;
  for (let i = 0; i < 10000; i++) if (splitOfKey(`probe|${i}`) === 'eval') evalCount++;
  assert.ok(evalCount > 4800 && evalCount < 5200, `eval share ${evalCount}/10000`);
  assert.equal(splitOfKey('grid|x0y0w1h1r'), GOLDEN_SPLIT_OF_GRID);
});

const GOLDEN_SPLIT_OF_GRID = 'eval';

test('mentionsReference: true on references and leaked markers, false on every prompt and target', () => {
  for (const family of FAMILY_NAMES) {
    for (let i = 0; i < 40; i++) {
      const d = draftTask(family, 'train', i, 4);
      assert.ok(mentionsReference(d.reference));
      assert.ok(!mentionsReference(d.question));
      for (const b of MINI_BENCHMARKS) assert.ok(!mentionsReference(miniTarget(b, d)));
    }
  }
  assert.ok(mentionsReference('i see red 3 hence 3'));
  assert.ok(mentionsReference('hence red 3'));
  assert.ok(mentionsReference('i see [/ref] 3'));
  assert.ok(!mentionsReference('i see red 3 so 3 plus 1 is 4 the answer is 4'));
  assert.ok(!mentionsReference('henceforth the answer')); // whole words only
});

test('gold letters are spread over the options (no position bias)', () => {
  const counts: Record<string, number> = { A: 0, B: 0, C: 0, D: 0 };
  for (let i = 0; i < 800; i++) counts[draftTask('compose', 'train', i, 6).answer]!++;
  for (const l of ['A', 'B', 'C', 'D']) assert.ok(counts[l]! > 140, `letter ${l}: ${counts[l]}`);
});

test('response lengths stay short in words (token budgets: src/tokenizer.test.ts)', () => {
  for (const [family, opts] of CONFIGS) {
    for (let i = 0; i < 200; i++) {
      const d = draftTask(family, 'train', i, 13, opts);
      // words ≈ tokens minus extra digit tokens; bound both loosely here, the tokenizer test bounds tokens
      assert.ok(d.trace.split(' ').length <= 22, `${d.uid}: ${d.trace}`);
      assert.ok(d.reference.split(' ').length <= 22, `${d.uid}: ${d.reference}`);
      assert.ok(d.question.split(' ').length <= 10, `${d.uid}: ${d.question}`);
    }
  }
});

test('finishTask renders a PNG and raw pixels of the same scene; substeps share the image', async () => {
  const d = draftTask('compose', 'eval', 3, 1);
  const t = await finishTask(d);
  assert.deepEqual(t.pixels, scenePixels(d.scene));
  assert.deepEqual([...t.image.slice(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  for (const s of t.substeps!) assert.equal(s.image, t.image);
});

test('1000 rendered items (PNG + pixels), 200 of each first-suite family', async () => {
  const perFamily = await Promise.all(SUITE_FAMILIES['mini-1'].map((f) => generateTasks(f, 'train', 200, 77)));
  assert.equal(perFamily.flat().length, 1000);
  assert.ok(perFamily.flat().every((t) => t.image.length > 0), 'every item has its PNG');
});
