// What every run records about where its numbers came from: versions, git commit, host.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs';

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface Provenance {
  rlsdBench: string;
  commit: string;
  node: string;
  tfjs: string;
  platform: string;
  cpu: string;
  cores: number;
  memGiB: number;
  time: string;
  argv: string[];
}

export function provenance(): Provenance {
  return {
    rlsdBench: packageVersion(),
    commit: gitCommit(),
    node: process.version,
    tfjs: tf.version.tfjs,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    time: new Date().toISOString(),
    argv: process.argv.slice(2),
  };
}
