import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { base } from './base.ts';
import { getMethod, methodLr, methodNames, methodOptionRules, methods, reportOrder, resolveMethodConfig, untunedLrNotice } from './index.ts';
import { DEFAULT_TUNING_SUITE, UNTUNED_LR } from './tuned-lr.ts';
import { DEFAULT_TRAIN } from '../src/train/config.ts';
import { coerceOption, type OptionSpec } from './options.ts';

await tf.setBackend('cpu');

/** The paper's methods, in the registry's order; a new method is registered after them. */
const PAPER_METHODS = ['base', 'grpo', 'opsd', 'hybrid', 'rlsd', 'sdpo'];

test('registry: the paper\'s methods first, then any others; getMethod error lists the known names', () => {
  assert.deepEqual(methodNames.slice(0, PAPER_METHODS.length), PAPER_METHODS);
  assert.equal(methodNames.length, Object.keys(methods).length);
  for (const name of methodNames) assert.equal(getMethod(name).name, name);
  assert.throws(() => getMethod('x'), { message: `unknown method 'x' (known: ${methodNames.join(', ')})` });
  if (methodNames.length === PAPER_METHODS.length) assert.throws(() => getMethod('x'), { message: "unknown method 'x' (known: base, grpo, opsd, hybrid, rlsd, sdpo)" });
  assert.throws(() => getMethod('toString'), /unknown method 'toString'/);
});

test('every option of every method has a default, a help line and a rule, and the defaults pass their rules', () => {
  for (const [name, method] of Object.entries(methods)) {
    const keys = Object.keys(method.defaults).sort();
    assert.deepEqual(Object.keys(method.optionHelp).sort(), keys, `${name} help`);
    assert.deepEqual(Object.keys(methodOptionRules[name]!).sort(), keys, `${name} rules`);
    for (const key of keys) {
      const value = method.defaults[key]!;
      assert.equal(coerceOption(name, key, value, methodOptionRules[name]![key]!), value, `${name}.${key}`);
      assert.ok(method.optionHelp[key]!.length > 10, `${name}.${key} help`);
    }
    assert.equal(typeof method.summary, 'string');
  }
});

test('resolveMethodConfig: defaults, string coercion from the command line, typed values', () => {
  const rlsd = getMethod('rlsd');
  assert.deepEqual(resolveMethodConfig(rlsd, {}), rlsd.defaults);
  const cfg = resolveMethodConfig(rlsd, { lambdaInit: '0.25', lambdaDecaySteps: '60', stdNorm: 'false', lossAgg: 'seq-mean-token-mean', klCoef: 0.01 });
  assert.equal(cfg.lambdaInit, 0.25);
  assert.equal(cfg.lambdaDecaySteps, 60);
  assert.equal(cfg.stdNorm, false);
  assert.equal(cfg.lossAgg, 'seq-mean-token-mean');
  assert.equal(cfg.klCoef, 0.01);
  assert.equal(cfg.teacher, 'sync:10');
  assert.equal(rlsd.defaults['lambdaInit'], 0.5, 'defaults untouched');
  assert.equal(resolveMethodConfig(getMethod('grpo'), { stdNorm: true }).stdNorm, true);
});

test('resolveMethodConfig: one-line errors for unknown options, types and ranges', () => {
  assert.throws(() => resolveMethodConfig(getMethod('grpo'), { lambda: 1 }), {
    message: "unknown option 'lambda' for method 'grpo' (valid: stdNorm, clipLow, clipHigh, dualClipC, lossAgg, klCoef, klType)",
  });
  assert.throws(() => resolveMethodConfig(base, { beta: 1 }), { message: "unknown option 'beta' for method 'base' (valid: none)" });
  const cases: Array<[string, string, string | number | boolean, RegExp]> = [
    ['opsd', 'beta', 2, /option 'beta' of method 'opsd' must be a number in \[0, 1\], got 2/],
    ['opsd', 'beta', 'half', /must be a number in \[0, 1\], got "half"/],
    ['opsd', 'temperature', 0, /option 'temperature' of method 'opsd' must be a number > 0/],
    ['opsd', 'variant', 'full', /must be one of jsd, sampled-token/],
    ['grpo', 'clipLow', -0.1, /option 'clipLow' of method 'grpo' must be a number in \[0, 1\]/],
    ['grpo', 'clipHigh', -1, /must be a number ≥ 0/],
    ['grpo', 'dualClipC', 1, /must be a number > 1/],
    ['grpo', 'stdNorm', 'yes', /must be true or false/],
    ['grpo', 'klType', 'k2', /must be one of k1, k3/],
    ['grpo', 'lossAgg', 'seq-mean', /must be one of token-mean, seq-mean-token-mean, seq-mean-token-sum/],
    ['rlsd', 'lambdaDecaySteps', 2.5, /must be an integer ≥ 0/],
    ['rlsd', 'lambdaInit', 1.5, /must be a number in \[0, 1\]/],
    ['rlsd', 'weightClip', -0.2, /must be a number ≥ 0/],
    ['rlsd', 'negativeOnly', 'maybe', /option 'negativeOnly' of method 'rlsd' must be true or false/],
    ['rlsd', 'teacher', 'sync:0', /^option 'teacher' of method 'rlsd' must be live \| frozen \| sync:N \(N ≥ 1 steps\) \| ema:RATE \(0 < RATE ≤ 1\), got "sync:0"$/],
    ['opsd', 'teacher', 'ema:1.5', /option 'teacher' of method 'opsd' must be live \| frozen .*, got "ema:1.5"/],
    ['sdpo', 'teacher', 'every:10', /option 'teacher' of method 'sdpo' must be live/],
    ['hybrid', 'teacher', 5, /option 'teacher' of method 'hybrid' must be live .*, got 5/],
    ['hybrid', 'opsdWeight', -1, /must be a number ≥ 0/],
    ['sdpo', 'isClip', 'NaN', /must be a number ≥ 0/],
  ];
  for (const [name, key, value, pattern] of cases) {
    assert.throws(() => resolveMethodConfig(getMethod(name), { [key]: value }), (e: Error) => {
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    }, `${name}.${key}=${String(value)}`);
  }
});

test('base: trains nothing, needs nothing, and its loss is a valid zero scalar', () => {
  assert.equal(base.trains, false);
  assert.equal(base.teacherContext(base.defaults), null);
  assert.equal(base.needsFullDistributions(base.defaults), false);
  assert.equal(base.needsReference(base.defaults), false);
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => ({ ...base.loss({} as never, base.defaults) }));
  assert.equal(out.loss.rank, 0);
  assert.equal(out.loss.dataSync()[0], 0);
  assert.deepEqual(out.metrics, {});
  out.loss.dispose();
  assert.equal(tf.memory().numTensors, before);
  for (const name of methodNames.filter((n) => n !== 'base')) assert.equal(getMethod(name).trains, true, name);
});

test("privileged (default answer) reaches the teacher context of opsd, hybrid and rlsd through the option parser; sdpo has no such option", () => {
  for (const name of ['opsd', 'hybrid', 'rlsd']) {
    const method = getMethod(name);
    assert.equal(method.teacherContext(resolveMethodConfig(method, {})), 'answer', name);
    assert.equal(method.teacherContext(resolveMethodConfig(method, { privileged: 'reference' })), 'reference', name);
    assert.throws(() => resolveMethodConfig(method, { privileged: 'hint' }), /privileged/, name);
  }
  assert.throws(() => resolveMethodConfig(getMethod('sdpo'), { privileged: 'answer' }), /unknown option 'privileged' for method 'sdpo'/);
});

test('teacher regimes: each default from its reference, overridable, canonical, read back by teacherRegime', () => {
  const expected: Record<string, string> = { opsd: 'live', hybrid: 'live', rlsd: 'sync:10', sdpo: 'ema:0.05' };
  for (const name of methodNames) {
    const method = getMethod(name);
    const cfg = resolveMethodConfig(method, {});
    if (method.teacherContext(cfg) === null && !(name in expected)) {
      assert.equal(method.teacherRegime, undefined, `${name} has no teacher`);
      assert.throws(() => resolveMethodConfig(method, { teacher: 'live' }), /unknown option 'teacher'/, name);
      continue;
    }
    assert.equal(cfg['teacher'], expected[name], name);
    assert.ok(method.teacherRegime, name);
    for (const [text, regime, canonical] of [
      ['live', { kind: 'live' }, 'live'],
      ['frozen', { kind: 'frozen' }, 'frozen'],
      ['sync:020', { kind: 'sync', every: 20 }, 'sync:20'],
      [' ema:0.1 ', { kind: 'ema', rate: 0.1 }, 'ema:0.1'],
      ['ema:1e-2', { kind: 'ema', rate: 0.01 }, 'ema:0.01'],
    ] as const) {
      const c = resolveMethodConfig(method, { teacher: text });
      assert.equal(c['teacher'], canonical, `${name} ${text}`);
      assert.deepEqual(method.teacherRegime!(c), regime, `${name} ${text}`);
    }
  }
  // a config built by hand with a bad regime fails when the loop reads it, in one line
  assert.throws(() => getMethod('rlsd').teacherRegime!({ ...getMethod('rlsd').defaults, teacher: 'sync' }), {
    message: 'option \'teacher\' of method \'rlsd\' must be live | frozen | sync:N (N ≥ 1 steps) | ema:RATE (0 < RATE ≤ 1), got "sync"',
  });
});

test('options are declared once: defaults, help and rules are the declarations; every default and lr has a source', () => {
  for (const [name, method] of Object.entries(methods)) {
    const specs = method.options as Record<string, OptionSpec>;
    assert.deepEqual(Object.keys(method.defaults), Object.keys(specs), name);
    for (const [key, spec] of Object.entries(specs)) {
      assert.equal(method.defaults[key], spec.default, `${name}.${key} default`);
      assert.equal((method.optionHelp as Record<string, string>)[key], spec.help, `${name}.${key} help`);
      assert.equal(methodOptionRules[name]![key], spec.rule, `${name}.${key} rule`);
      assert.ok(spec.source.length > 10, `${name}.${key} source`);
    }
    const lr = methodLr(method);
    assert.ok(lr.value > 0 && lr.value < 1e-2, `${name} lr`);
    assert.ok(lr.source.length > 10, `${name} lr source`);
    assert.equal(typeof method.needsThoughtMask(method.defaults), 'boolean', name);
  }
  assert.equal(getMethod('rlsd').recommendedLr!.value, 1e-4);
  for (const name of ['grpo', 'opsd', 'hybrid', 'rlsd', 'sdpo']) assert.match(getMethod(name).recommendedLr!.source, /^tuning grid \(sweep --preset tuning, validation/, name);
  assert.equal(getMethod('sdpo').options['isClip']!.default, 2);
  assert.match(getMethod('sdpo').options['teacher']!.source, /lasgroup\/SDPO .*actor\.yaml .*teacher_update_rate: 0\.05/);
  assert.match(getMethod('rlsd').options['teacher']!.source, /rlsd_teacher_sync_interval=20/);
  assert.match(getMethod('opsd').options['teacher']!.source, /opsd_config\.py freeze_teacher_model=False/);
  for (const name of ['opsd', 'hybrid', 'rlsd']) assert.match(getMethod(name).options['privileged']!.source, /trajectory_key=answer/, name);
});

test('each method declares how the report shows it: a label, and no two methods share a label, a rank or a colour', () => {
  const all = Object.values(methods);
  for (const m of all) assert.ok(m.label.length > 0, m.name);
  const distinct = (values: unknown[]): boolean => new Set(values).size === values.length;
  assert.ok(distinct(all.map((m) => m.label)), 'labels');
  assert.ok(distinct(all.filter((m) => m.reportRank !== undefined).map((m) => m.reportRank)), 'ranks');
  assert.ok(distinct(all.filter((m) => m.colour !== undefined).map((m) => m.colour!.toLowerCase())), 'colours');
  assert.deepEqual(reportOrder.filter((m) => PAPER_METHODS.includes(m)), ['base', 'grpo', 'opsd', 'sdpo', 'hybrid', 'rlsd']);
  assert.deepEqual([...reportOrder].sort(), [...methodNames].sort());
});

test('a method without a tuned rate trains at the stated default, with a one-line notice', () => {
  assert.equal(UNTUNED_LR.value, DEFAULT_TRAIN.lr);
  for (const name of PAPER_METHODS) assert.equal(untunedLrNotice(getMethod(name)), null, name);
  const { recommendedLr: _, ...untuned } = getMethod('grpo');
  const fresh = { ...untuned, name: 'fresh' };
  assert.deepEqual(methodLr(fresh), { ...UNTUNED_LR, tuned: false });
  assert.equal(untunedLrNotice(fresh), `method 'fresh' declares no tuned learning rate: training at --lr 1e-4 (${UNTUNED_LR.source})`);
  assert.deepEqual(methodLr(getMethod('rlsd')), { ...getMethod('rlsd').recommendedLr!, tuned: true });
});

test("a method's rate follows the run's mini suite: its own tuned rate there, else the default suite's, said so", () => {
  const grpo = getMethod('grpo');
  const tuned = { ...grpo, recommendedLrBySuite: { 'mini-2': { value: 2e-5, source: 'mini-2 grid' } } };
  assert.deepEqual(methodLr(tuned, 'mini-2'), { value: 2e-5, source: 'mini-2 grid', tuned: true });
  assert.deepEqual(methodLr(tuned, DEFAULT_TUNING_SUITE), { ...grpo.recommendedLr!, tuned: true });
  assert.deepEqual(methodLr(tuned), { ...grpo.recommendedLr!, tuned: true }, 'no suite: the recommendation');
  const elsewhere = methodLr(grpo, 'mini-9');
  assert.equal(elsewhere.value, grpo.recommendedLr!.value);
  assert.equal(elsewhere.source, `${grpo.recommendedLr!.source} — tuned on ${DEFAULT_TUNING_SUITE}; none tuned on mini-9 yet`);
  const { recommendedLr: _, recommendedLrBySuite: __, ...untuned } = grpo;
  assert.deepEqual(methodLr({ ...untuned, name: 'fresh' }, 'mini-2'), { ...UNTUNED_LR, tuned: false });
});
