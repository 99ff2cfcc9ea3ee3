// src/progress.ts: a bar on a terminal (cursor hidden while it runs, restored by stopAllProgress however the
// process ends), plain lines off one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, pct, startProgress, stopAllProgress } from '../src/progress.ts';

function fakeStream(isTTY: boolean): { write(s: string): boolean; isTTY: boolean; columns: number; text: () => string; cursorTo(): boolean; clearLine(): boolean; moveCursor(): boolean } {
  let out = '';
  return { isTTY, columns: 100, write: (s: string) => ((out += s), true), text: () => out, cursorTo: () => true, clearLine: () => true, moveCursor: () => true };
}

test('on a terminal: the bar hides the cursor and stopAllProgress restores it', () => {
  const s = fakeStream(true);
  const task = startProgress({ label: 'mmmu', total: 10, unit: 'responses', stream: s as never });
  task.increment(3, 'x');
  assert.ok(s.text().includes('\x1b[?25l'), 'cursor hidden');
  stopAllProgress();
  assert.ok(s.text().includes('\x1b[?25h'), 'cursor shown again');
  task.stop(); // idempotent after stopAllProgress
});

test('off a terminal: a final line with done/total, rate and ETA; quiet prints nothing', () => {
  const s = fakeStream(false);
  const task = startProgress({ label: 'grpo', total: 4, done: 1, unit: 'steps', stream: s as never });
  task.update(4, 'reward 50.00 %');
  task.log('grpo step 4: held-out accuracy 63.92 %');
  task.stop();
  task.stop();
  const lines = s.text().trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /^grpo: 4\/4 steps \(100\.0 %\), \d+\.\d\d steps\/s, ETA 0s, \d+s elapsed \| reward 50\.00 %$/);
  const q = fakeStream(false);
  const quiet = startProgress({ label: 'x', total: 2, quiet: true, stream: q as never });
  quiet.update(2);
  quiet.log('y');
  quiet.stop();
  assert.equal(q.text(), '');
});

test('units: percents with two decimals, durations', () => {
  assert.equal(pct(0.63918), '63.92');
  assert.equal(pct(undefined), '—');
  assert.equal(formatDuration(42.4), '42s');
  assert.equal(formatDuration(185), '3m05s');
  assert.equal(formatDuration(3720), '1h02m');
  assert.equal(formatDuration(NaN), '—');
});
