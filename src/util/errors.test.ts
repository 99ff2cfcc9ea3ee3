import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as errors from './errors.ts';
import { exitCodeOf, RlsdBenchError, UsageError } from './errors.ts';

test('errors: every kind is an RlsdBenchError named after its class; usage errors exit 2, the others 1', () => {
  const usage = new Set(['UsageError', 'ContextOverflowError']);
  const kinds = Object.entries(errors).filter(([, v]) => typeof v === 'function' && v !== RlsdBenchError && v.prototype instanceof RlsdBenchError);
  assert.ok(kinds.length >= 9, kinds.map(([k]) => k).join(', '));
  for (const [name, Kind] of kinds) {
    const e = new (Kind as new (m: string) => RlsdBenchError)('m');
    assert.ok(e instanceof Error && e instanceof RlsdBenchError, name);
    assert.equal(e.name, name);
    assert.equal(exitCodeOf(e), usage.has(name) ? 2 : 1, name);
  }
});

test("errors: yargs' refusals are usage errors; anything else is nobody's foreseen error", () => {
  const yargs = Object.assign(new Error('Unknown argument: x'), { name: 'YError' });
  assert.equal(exitCodeOf(yargs), 2);
  assert.equal(exitCodeOf(new TypeError('x')), undefined);
  assert.equal(exitCodeOf('a string'), undefined);
  assert.equal(exitCodeOf(new UsageError('u')), 2);
});
