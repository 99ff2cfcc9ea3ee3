// resolveTrainConfig: the one place `train`, a sweep cell and the demo get a run's config from — the method's
// recommended learning rate unless --lr is given, what follows from the base's suite, and the rules between settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getMethod, methods } from '../../methods/index.ts';
import { TUNED_LR, UNTUNED_LR } from '../../methods/tuned-lr.ts';
import { PACKAGE_BASE, packagePath } from '../paths.ts';

/** The first suite's base (the committed default, PACKAGE_BASE, is the deep world's). */
const MINI1_BASE = packagePath('results', 'reference', 'base-mini1');
import { SUITE_FINAL_EVAL_ITEMS, SUITE_MAX_NEW_TOKENS } from '../../benchmarks/mini/types.ts';
import { DEFAULT_TRAIN, resolveTrainConfig, TRAIN_OPTIONS } from './config.ts';

const request = { base: MINI1_BASE, out: '/nowhere' };

test('resolveTrainConfig: lr is the method\'s recommended rate with its source, unless given; a method without one trains at UNTUNED_LR with a notice', () => {
  const grpo = resolveTrainConfig({ ...request, method: 'grpo' });
  assert.equal(grpo.config.lr, TUNED_LR.grpo.value);
  assert.equal(grpo.config.lr, 3e-5, "train --method grpo's rate, not train's --lr default");
  assert.equal(grpo.config.lrSource, `method 'grpo': ${TUNED_LR.grpo.source}`);
  assert.equal(grpo.notice, null);
  const given = resolveTrainConfig({ ...request, method: 'grpo', settings: { lr: 1e-4 } });
  assert.deepEqual([given.config.lr, given.config.lrSource], [1e-4, '--lr']);
  const untuned = Object.values(methods).find((m) => m.trains && !m.recommendedLr);
  if (untuned) {
    const r = resolveTrainConfig({ ...request, method: untuned.name });
    assert.equal(r.config.lr, UNTUNED_LR.value);
    assert.match(r.notice!, /declares no tuned learning rate/);
  }
  assert.equal(resolveTrainConfig({ ...request, method: 'base' }).notice, null, 'base trains nothing: no notice');
  // From a deep-world base the rate is the one tuned on its suite; without one, the default suite's, said so.
  const deep = resolveTrainConfig({ ...request, base: PACKAGE_BASE, method: 'grpo' });
  assert.equal(deep.config.suite, 'mini-2');
  const mini2 = getMethod('grpo').recommendedLrBySuite?.['mini-2'];
  if (mini2) assert.deepEqual([deep.config.lr, deep.config.lrSource], [mini2.value, `method 'grpo': ${mini2.source}`]);
  else assert.deepEqual([deep.config.lr, deep.config.lrSource], [TUNED_LR.grpo.value, `method 'grpo': ${TUNED_LR.grpo.source} — tuned on mini-1; none tuned on mini-2 yet`]);
});

test('resolveTrainConfig: every other setting is its declared default, the suite the base\'s (and with it max-new-tokens and the last evaluation\'s size), and the method options are checked', () => {
  const { config } = resolveTrainConfig({ ...request, method: 'rlsd', methodOptions: { teacher: 'sync:10' }, settings: { steps: 7 } });
  for (const o of TRAIN_OPTIONS) if (!['steps', 'lr', 'maxNewTokens', 'finalEvalPerBenchmark'].includes(o.field)) assert.deepEqual(config[o.field], o.default, o.flag);
  assert.equal(config.steps, 7);
  assert.equal(config.suite, 'mini-1', "the first base's suite");
  assert.equal(config.maxNewTokens, SUITE_MAX_NEW_TOKENS['mini-1']);
  // mini-1's final set is the curve's own problems (SUITE_FINAL_EVAL_ITEMS 0): the last evaluation is no larger.
  assert.equal(SUITE_FINAL_EVAL_ITEMS['mini-1'], 0);
  assert.equal(config.finalEvalPerBenchmark, config.evalPerBenchmark);
  assert.deepEqual(config.methodOptions, { teacher: 'sync:10' });
  assert.deepEqual(Object.keys(config), [...Object.keys(DEFAULT_TRAIN), 'lrSource', 'method', 'base', 'out', 'suite'], 'the key order run.json records');
  assert.throws(() => resolveTrainConfig({ ...request, method: 'rlsd', methodOptions: { teacher: 'sync:0' } }), /option 'teacher' of method 'rlsd' must be/);
  assert.throws(() => resolveTrainConfig({ ...request, method: 'grpo', settings: { steps: 0 } }), /--steps must be an integer in \[1, 1000000\] \(got 0\)/);
  assert.ok(getMethod('grpo').trains);
});
