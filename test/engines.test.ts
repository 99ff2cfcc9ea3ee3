// The Node version the project states (package.json engines.node) is one its dependencies accept: every installed
// package's own engines.node range admits the stated minimum, and this Node (CI's) satisfies the stated range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO } from './fixtures.ts';

// npm's own range semantics (semver is installed with sharp).
const semver = createRequire(import.meta.url)('semver') as { satisfies(version: string, range: string): boolean; minVersion(range: string): { version: string } | null };

interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const readJson = (file: string): Manifest => JSON.parse(readFileSync(file, 'utf8')) as Manifest;

const project = readJson(join(REPO, 'package.json'));
const stated = project.engines?.node ?? '';
const minimum = semver.minVersion(stated)?.version ?? '';

test('package.json states a Node range, and this Node satisfies it', () => {
  assert.ok(minimum !== '', `package.json engines.node must be a range with a minimum (got ${JSON.stringify(stated)})`);
  assert.ok(semver.satisfies(process.versions.node, stated), `Node ${process.versions.node} is outside package.json engines.node ${stated}`);
});

test("issue 30 item 21: every direct dependency's engines.node admits the stated minimum Node", () => {
  const names = Object.keys({ ...project.dependencies, ...project.devDependencies, ...project.optionalDependencies });
  const refused: string[] = [];
  let checked = 0;
  for (const name of names) {
    const file = join(REPO, 'node_modules', name, 'package.json');
    if (!existsSync(file)) continue; // an optional dependency this machine did not install
    const range = readJson(file).engines?.node;
    if (range === undefined) continue;
    checked++;
    if (!semver.satisfies(minimum, range)) refused.push(`${name}@${readJson(file).version} needs node ${range}`);
  }
  assert.ok(checked > 0);
  assert.deepEqual(refused, [], `package.json says node ${stated} (minimum ${minimum})`);
});

test('every package of package-lock.json admits the stated minimum Node too', () => {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, Manifest> };
  assert.equal(lock.packages['']?.engines?.node, stated, 'the lock records the same range as package.json');
  const refused = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && p.engines?.node !== undefined && !semver.satisfies(minimum, p.engines.node))
    .map(([path, p]) => `${path}@${p.version} needs node ${p.engines!.node}`);
  assert.deepEqual(refused, [], `package.json says node ${stated} (minimum ${minimum})`);
});
