import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeMethod, formatLr, formatMethods } from './describe.ts';
import { getMethod, methodNames, methods } from './index.ts';

test('formatLr writes rates as on the command line', () => {
  assert.equal(formatLr(1e-4), '1e-4');
  assert.equal(formatLr(3e-5), '3e-5');
  assert.equal(formatLr(2.5e-4), '2.5e-4');
  assert.equal(formatLr(0.001), '1e-3');
  assert.equal(formatLr(1), '1e0');
});

test('describeMethod: each method\'s teacher regime, privileged context and lr at its defaults, with sources', () => {
  const setup = Object.fromEntries(['base', 'grpo', 'opsd', 'hybrid', 'rlsd', 'sdpo'].map((n) => {
    const c = describeMethod(getMethod(n));
    return [n, [c.teacher?.value ?? null, c.context?.value ?? null, c.lr.value]];
  }));
  assert.deepEqual(setup, {
    base: [null, null, 3e-5],
    grpo: [null, null, 3e-5],
    opsd: ['live', 'answer', 1e-4],
    hybrid: ['live', 'answer', 3e-5],
    rlsd: ['sync:10', 'answer', 1e-4],
    sdpo: ['ema:0.05', 'group_success', 3e-5],
  });
  const rlsd = describeMethod(getMethod('rlsd'));
  assert.match(rlsd.teacher!.source, /rlsd_train\.sh: freeze_teacher_model=True, rlsd_teacher_sync_interval=20/);
  assert.match(rlsd.context!.source, /data\.trajectory_key=answer/);
  assert.match(describeMethod(getMethod('sdpo')).context!.source, /lasgroup\/SDPO .*successful response/);
  assert.deepEqual(rlsd.options.map((o) => o.key), Object.keys(getMethod('rlsd').defaults));
});

test('formatMethods: one line per method; verbose adds the setup block and two lines per option', () => {
  const all = methodNames.map((n) => methods[n]!);
  const plain = formatMethods(all, false).trimEnd().split('\n');
  assert.deepEqual(plain.map((l) => l.split(/\s+/)[0]), [...methodNames]);
  assert.equal(plain[4], "rlsd    RLSD: GRPO whose token advantages are re-weighted by the self-teacher's evidence ratio");
  const verbose = formatMethods([getMethod('sdpo')], true).trimEnd().split('\n');
  assert.equal(verbose[0], 'sdpo  SDPO: self-distillation towards a teacher that sees a successful response of the same group');
  assert.match(verbose[1]!, /^ {6}teacher regime {6}ema:0\.05 {7}lasgroup\/SDPO verl\/trainer\/config\/actor\/actor\.yaml self_distillation\.teacher_regularization: ema, teacher_update_rate: 0\.05$/);
  assert.match(verbose[2]!, /^ {6}privileged context {2}group_success {2}lasgroup\/SDPO/);
  assert.match(verbose[3]!, /^ {6}learning rate {7}3e-5 {11}tuning grid \(sweep --preset tuning, validation, 150 steps, 1 seed/);
  // The rate tuned on another suite, under the one tuned on the default suite.
  assert.match(verbose[4]!, /^ {8}on mini-2 {9}3e-5 {11}mini-2 tuning grid \(/);
  assert.equal(verbose[5], '      options (--opt key=value):');
  assert.equal(verbose.length, 6 + 2 * Object.keys(getMethod('sdpo').defaults).length);
  assert.match(verbose[6]!, /^ {8}variant=jsd +jsd \(generalised JSD/);
  assert.match(verbose[7]!, /^ {8} +default: lasgroup\/SDPO .*full_logit_distillation: True$/);
  const base = formatMethods([getMethod('base')], true).trimEnd().split('\n');
  assert.deepEqual(base.slice(1).map((l) => l.trim().replace(/\s+/g, ' ')), [
    'teacher regime none no self-teacher',
    'privileged context none no self-teacher',
    'learning rate 3e-5 unused: base makes no update',
    'options: none',
  ]);
});

test('issue 30 item 22: a default taken from the paper, not the released script, says both values', () => {
  const rlsd = getMethod('rlsd').options;
  assert.equal(rlsd['teacher']!.default, 'sync:10');
  assert.match(rlsd['teacher']!.source, /^paper: 10; released script: 20 \(iie-ycx\/RLSD examples\/visual_rl\/rlsd_train\.sh: freeze_teacher_model=True, rlsd_teacher_sync_interval=20\)$/);
  assert.equal(rlsd['lambdaDecaySteps']!.default, 50);
  assert.match(rlsd['lambdaDecaySteps']!.source, /^paper: 50; released script: 60 \(iie-ycx\/RLSD examples\/visual_rl\/rlsd_train\.sh: opsd\.rlsd_lambda_decay_steps=60\)$/);
  // The setup block prints the same source beside the value it is for.
  const verbose = formatMethods([getMethod('rlsd')], true);
  assert.match(verbose, /^\s+teacher regime\s+sync:10\s+paper: 10; released script: 20 \(/m);
  assert.match(verbose, /^\s+default: paper: 50; released script: 60 \(/m);
});
