import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupDrill } from './drill.ts';
import { Rng } from '../../src/util/rng.ts';
import { Tokenizer } from '../../src/tokenizer.ts';
import { OPTION_LETTERS } from './language.ts';

test('lookup drills: the letter names the option holding the asked value, in WeMath or MMMU form', () => {
  const tok = Tokenizer.default();
  const rng = new Rng(7);
  const forms = new Set<string>();
  const letters = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const d = lookupDrill(rng);
    const asked = /^which is (\w+) \?/.exec(d.prompt)![1]!;
    // options as written in the prompt: 'value (L)' pairs
    const options = [...d.prompt.matchAll(/ (\w+) \(([A-D])\)/g)].map((m) => [m[1]!, m[2]!] as const);
    assert.ok(options.length >= 2 && options.length <= 4, d.prompt);
    assert.deepEqual(options.map(([, l]) => l), OPTION_LETTERS.slice(0, options.length));
    assert.equal(options.filter(([v]) => v === asked).length, 1);
    assert.equal(options.find(([v]) => v === asked)![1], d.answer);
    if (d.prompt.endsWith(' Answer:')) {
      assert.equal(d.target, `i see ${asked} (${d.answer}) Answer: ${d.answer}`);
      forms.add('wemath');
    } else {
      assert.ok(d.prompt.endsWith(' the answer is'), d.prompt);
      assert.equal(d.target, `i see ${asked} (${d.answer}) the answer is (${d.answer})`);
      forms.add('mmmu');
    }
    letters.add(d.answer);
    // the mini language encodes it exactly
    assert.equal(tok.decode(tok.encode(d.prompt)), d.prompt);
    assert.equal(tok.decode(tok.encode(d.target)), d.target);
  }
  assert.deepEqual([...forms].sort(), ['mmmu', 'wemath']);
  assert.deepEqual([...letters].sort(), ['A', 'B', 'C', 'D']);
});

test('lookup drills are deterministic for a seed', () => {
  const drills = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 20 }, () => lookupDrill(rng));
  };
  assert.deepEqual(drills(3), drills(3));
});

test('trace-form drills: the question names no value; the trace holds one of the options and the letter follows it', () => {
  const tok = Tokenizer.default();
  const rng = new Rng(11);
  for (let i = 0; i < 300; i++) {
    const d = lookupDrill(rng, 'trace');
    assert.match(d.prompt, /^(how many (red|green|blue|yellow) \?|which colour has the most \?) /);
    const options = [...d.prompt.matchAll(/ (\w+) \(([A-D])\)/g)].map((m) => [m[1]!, m[2]!] as const);
    const chosen = /^i see (?:\w+ |the most is )?(\w+) \(([A-D])\)/.exec(d.target)!;
    assert.ok(chosen, d.target);
    assert.equal(chosen[2], d.answer);
    assert.equal(options.find(([v]) => v === chosen[1])![1], d.answer, `${d.prompt} → ${d.target}`);
    assert.equal(tok.decode(tok.encode(d.prompt)), d.prompt);
    assert.equal(tok.decode(tok.encode(d.target)), d.target);
  }
});
