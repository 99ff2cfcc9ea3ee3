// docs/cli.md's flag blocks are generated from the commands' own --help: this fails when a flag, default or help
// line changes without `npx tsx scripts/docs-cli.ts`, or when a command has no section block.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CLI_DOC, commandNames, regenerate } from '../scripts/docs-cli.ts';

test('docs/cli.md holds every command\'s --help as the CLI prints it', { timeout: 300_000 }, async () => {
  const doc = readFileSync(CLI_DOC, 'utf8');
  const result = await regenerate(doc);
  assert.deepEqual(result.missing, [], 'commands without a generated block in docs/cli.md');
  assert.deepEqual(result.stale, [], 'stale blocks: run npx tsx scripts/docs-cli.ts');
  assert.equal(result.text, doc);
});

test('commandNames reads the command list of the top-level help', () => {
  const top = 'Commands:\n  rlsd-bench methods [method]   list\n                                wrapped line\n  rlsd-bench train              post-train\n';
  assert.deepEqual(commandNames(top), ['methods', 'train']);
});
