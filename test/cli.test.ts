// The command line as a user meets it: bad input gets one clear line and a non-zero exit; the data → eval →
// score path works end to end on files the CLI writes itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, errorLines, runCli, runCliInProcess, type CliResult } from './fixtures.ts';
import { readJsonl } from '../src/util/jsonl.ts';


const run = (args: string[]): CliResult => runCli(args);

/** A refusal: a non-zero exit and exactly one error line, matching the pattern. */
function assertRefused(r: CliResult, args: string[], pattern: RegExp): void {
  assert.notEqual(r.code, 0, `exit code for ${args.join(' ')}`);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, `exactly one error line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

/** A refusal through the real binary. */
function expectError(args: string[], pattern: RegExp): void {
  assertRefused(run(args), args, pattern);
}

/** A refusal through the same entry in this process (runCliInProcess: the same output and exit code, no start-up). */
async function expectRefusal(args: string[], pattern: RegExp): Promise<void> {
  assertRefused(await runCliInProcess(args), args, pattern);
}

test('methods lists the six methods, one line each', () => {
  const r = run(['methods']);
  assert.equal(r.code, 0);
  const names = r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(names, ['base', 'grpo', 'opsd', 'hybrid', 'rlsd', 'sdpo']);
});

test('bad input: unknown method, backend, benchmark, option; bad flag values', async () => {
  // One refusal per command through the real binary (expectError: train, eval, pretrain), the others in this process.
  expectError(['train', '--method', 'ppo'], /unknown method 'ppo' \(known: base, grpo, opsd, hybrid, rlsd, sdpo\)/);
  expectError(['--backend', 'tpu', 'eval'], /unknown backend 'tpu' \(known: auto, tensorflow, wasm, cpu\)/);
  await expectRefusal(['eval', '--benchmarks', 'mmmu,gsm8k'], /unknown benchmark 'gsm8k' \(known: .*mmmu.*\)/);
  await expectRefusal(['train', '--method', 'rlsd', '--opt', 'lambda=2'], /unknown option 'lambda' for method 'rlsd' \(valid: .*lambdaInit/);
  await expectRefusal(['train', '--method', 'rlsd', '--opt', 'lambdaInit=2'], /lambdaInit/);
  await expectRefusal(['train', '--method', 'grpo', '--steps', 'abc'], /error: --steps must be an integer \(got 'abc'\)$/);
  await expectRefusal(['train', '--method', 'grpo', '--steps', '-3'], /--steps must be ≥ 1 \(got -3\)/);
  await expectRefusal(['train', '--method', 'grpo', '--top-p', '1.5'], /--top-p must be ≤ 1/);
  await expectRefusal(['train', '--method', 'grpo', '--lr-schedule', 'linear'], /--lr-schedule must be constant or cosine \(got 'linear'\)/);
  await expectRefusal(['train', '--method', 'grpo', '--train-mix', 'uniform'], /--train-mix must be balanced or rows \(got 'uniform'\)/);
  await expectRefusal(['train', '--method', 'grpo', '--ppo-mini-batch', '5', '--out', join(tmpdir(), 'rlsd-never')], /--ppo-mini-batch 5 must divide --prompts 16/);
  await expectRefusal(['train', '--method', 'grpo', '--ppo-epochs', '0'], /--ppo-epochs must be ≥ 1 \(got 0\)/);
  await expectRefusal(['train', '--method', 'rlsd', '--teacher-sync', '5'], /--teacher-sync is gone: the self-teacher's regime is a method option, --opt teacher=sync:N/);
  await expectRefusal(['train', '--method', 'grpo', '--eval-schedule', 'sparse'], /--eval-schedule must be dense \(= 5@50,25\), every:N \(N = 0: never\), never, or EVERY@UNTIL,…,EVERY \(e\.g\. 5@50,25: every 5 steps to step 50, then every 25\) \(got "sparse"\)/);
  await expectRefusal(['train', '--method', 'grpo', '--eval-schedule', '5@50,10@40,25'], /--eval-schedule must list its UNTIL steps in increasing order/);
  await expectRefusal(['train', '--method', 'grpo', '--eval-every', '10', '--eval-schedule', 'dense'], /--eval-every 10 and --eval-schedule dense both given: --eval-every N is --eval-schedule every:N, give one/);
  await expectRefusal(['train', '--method', 'grpo', '--eval-every', '-1'], /--eval-every must be ≥ 0 \(got -1\)/);
  expectError(['pretrain', '--out', join(tmpdir(), 'rlsd-never'), '--drill-warmup-fraction', '1'], /--drill-warmup-fraction must be ≤ 0.9/);
  await expectRefusal(['pretrain', '--out', join(tmpdir(), 'rlsd-never'), '--drill-form', 'sideways'], /--drill-form must be question or trace \(got 'sideways'\)/);
  await expectRefusal(['eval', '--samples', '4'], /--samples > 1 needs --temperature > 0/);
  await expectRefusal(['eval', '--attention-kernel', 'fft', '--out', join(tmpdir(), 'rlsd-never')], /--attention-kernel must be conv or matmul \(got 'fft'\)/);
  await expectRefusal(['pretrain', '--out', join(tmpdir(), 'rlsd-never'), '--patch-size', '5'], /--patch-size must divide the image side 32 \(got 5\)/);
  await expectRefusal(['pretrain', '--out', join(tmpdir(), 'rlsd-never'), '--image-attention', 'sideways'], /--image-attention must be causal or bidirectional/);
  await expectRefusal(['pretrain', '--out', join(tmpdir(), 'rlsd-never'), '--ref-fraction', '1.5'], /--ref-fraction must be ≤ 1/);
  await expectRefusal(['pretrain', '--out', join(tmpdir(), 'rlsd-never'), '--habits', 'faint,carrots'], /--habits must be habits from faint, tallest, doubling, carry, last-overlooked, separated by commas \(got 'carrots'\)/);
  await expectRefusal(['pretrain', '--out', join(tmpdir(), 'rlsd-never'), '--lookup-drill', '0.95'], /--lookup-drill must be ≤ 0.9/);
  await expectRefusal(['train', '--method', 'opsd', '--no-std-norm', '--out', join(tmpdir(), 'rlsd-never')], /--std-norm \/ --no-std-norm: method 'opsd' has no group-normalised advantage \(grpo, hybrid, rlsd have\)/);
  await expectRefusal(['train', '--method', 'sdpo', '--opt', 'privileged=answer'], /unknown option 'privileged' for method 'sdpo'/);
  await expectRefusal(['train', '--method', 'grpo', '--opt', 'stdNorm=true', '--no-std-norm', '--out', join(tmpdir(), 'rlsd-never')], /--opt stdNorm=true contradicts --no-std-norm/);
  await expectRefusal(['train', '--method', 'grpo', '--max-new-tokens', '150', '--out', join(tmpdir(), 'rlsd-never')], /--max-new-tokens 150 leaves no room for a prompt: the model has 160 positions, 16 of them image tokens \(at most 141\)/);
  await expectRefusal(['train', '--method', 'grpo', '--max-new-tokens', '130', '--out', join(tmpdir(), 'rlsd-never')], /--max-new-tokens 130 leaves 12 positions for the prompt, too few for \w+ item/);
  await expectRefusal(['eval', '--max-new-tokens', '150', '--out', join(tmpdir(), 'rlsd-never')], /--max-new-tokens 150 leaves no room for a prompt/);
  assert.ok(!existsSync(join(tmpdir(), 'rlsd-never')), 'nothing written by the refused commands');
});

test('bad input: missing and corrupt checkpoints name the file; nothing is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-cli-ck-'));
  // The first through the real binary, the others in this process.
  try {
    const out = join(dir, 'out');
    expectError(['eval', '--checkpoint', join(dir, 'nope'), '--out', out], /nope\/checkpoint\.json: checkpoint not found/);
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'checkpoint.json'), '{"format": "rlsd-bench-checkpoint/1", "model": ');
    await expectRefusal(['eval', '--checkpoint', bad, '--out', out], /bad\/checkpoint\.json: corrupt checkpoint metadata/);
    const trunc = join(dir, 'trunc');
    mkdirSync(trunc);
    writeFileSync(join(trunc, 'checkpoint.json'), readFileSync(join(BASE, 'checkpoint.json')));
    writeFileSync(join(trunc, 'weights.bin'), readFileSync(join(BASE, 'weights.bin')).subarray(0, 1000));
    await expectRefusal(['eval', '--checkpoint', trunc, '--out', out], /trunc\/weights\.bin: truncated/);
    const badTok = join(dir, 'badtok');
    mkdirSync(badTok);
    const meta = JSON.parse(readFileSync(join(BASE, 'checkpoint.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(badTok, 'checkpoint.json'), JSON.stringify({ ...meta, tokenizer: { words: 3 } }));
    writeFileSync(join(badTok, 'weights.bin'), readFileSync(join(BASE, 'weights.bin')));
    await expectRefusal(['eval', '--checkpoint', badTok, '--out', out], /badtok\/checkpoint\.json: field 'tokenizer'/);
    writeFileSync(join(badTok, 'checkpoint.json'), JSON.stringify({ ...meta, tensors: 'all of them' }));
    await expectRefusal(['eval', '--checkpoint', badTok, '--out', out], /badtok\/checkpoint\.json: field 'tensors' must be a list/);
    assert.ok(!existsSync(out), 'no output directory for a failed run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('issue 30 item 23: a missing or corrupt checkpoint is refused before the backend starts (no banner first)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-cli-ck-'));
  try {
    const nope = join(dir, 'nope');
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'checkpoint.json'), '{"format": "rlsd-bench-checkpoint/1", "model": ');
    const cases: [string[], RegExp][] = [
      [['eval', '--checkpoint', nope, '--out', join(dir, 'out')], /nope\/checkpoint\.json: checkpoint not found/],
      [['eval', '--checkpoint', bad, '--out', join(dir, 'out')], /bad\/checkpoint\.json: corrupt checkpoint metadata/],
      [['train', '--method', 'grpo', '--base', nope, '--steps', '2', '--out', join(dir, 'run')], /nope\/checkpoint\.json: checkpoint not found/],
      [['pretrain', '--init', nope, '--steps', '1', '--out', join(dir, 'pre')], /nope\/checkpoint\.json: checkpoint not found/],
      [['serve', '--checkpoint', nope, '--port', '0'], /nope\/checkpoint\.json: checkpoint not found/],
    ];
    // serve's through the real binary, the others in this process (see runCliInProcess).
    for (const [args, pattern] of cases) {
      const argv = ['--backend', 'wasm', ...args];
      const r = args[0] === 'serve' ? runCli(argv, { raw: true }) : await runCliInProcess(argv, { raw: true });
      assert.notEqual(r.code, 0, args.join(' '));
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, 1, `${args.join(' ')}: only the error, no backend banner before it:\n${r.stderr}`);
      assert.match(lines[0]!, /^rlsd-bench: error: /);
      assert.match(lines[0]!, pattern);
    }
    assert.deepEqual(readdirSync(dir).sort(), ['bad'], 'nothing written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pretrain defaults to the matmul attention kernel (the committed base\'s recipe) and records the kernel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-cli-pretrain-'));
  try {
    const tiny = ['pretrain', '--steps', '1', '--batch', '2', '--train-items', '2', '--eval-items', '1', '--eval-every', '0'];
    for (const [flags, kernel] of [[[], 'matmul'], [['--attention-kernel', 'conv'], 'conv']] as const) {
      const out = join(dir, kernel);
      const r = run([...tiny, ...flags, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      const info = JSON.parse(readFileSync(join(out, 'pretrain.json'), 'utf8')) as { backend: { attentionKernel: string } };
      assert.equal(info.backend.attentionKernel, kernel);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train --no-std-norm runs Dr.GRPO: the resolved method config has stdNorm false', () => {
  const out = mkdtempSync(join(tmpdir(), 'rlsd-cli-drgrpo-'));
  try {
    const r = run(['train', '--method', 'grpo', '--no-std-norm', '--steps', '1', '--prompts', '2', '--samples', '2', '--eval-every', '0', '--train-items', '2', '--eval-items', '1', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { config: { methodConfig: { stdNorm: boolean } }; backend: { attentionKernel: string } };
    assert.equal(info.config.methodConfig.stdNorm, false);
    assert.equal(info.backend.attentionKernel, 'conv', 'train defaults to the convolution kernel');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('data mini → eval → score, end to end on parquet files the CLI writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-cli-e2e-'));
  try {
    const data = join(dir, 'mini');
    const w = run(['data', 'mini', '--out', data, '--train', '0', '--eval', '8', '--benchmarks', 'mathvista,wemath']);
    assert.equal(w.code, 0, w.stderr);
    assert.ok(existsSync(join(data, 'mathvista', 'data', 'testmini-00000-of-00001.parquet')));
    const out = join(dir, 'eval');
    const e = run(['eval', '--checkpoint', BASE, '--benchmarks', 'mathvista,wemath', '--data', data, '--out', out]);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /mathvista\s+testmini\s+8\s+accuracy/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { results: { benchmark: string; n: number }[]; provenance: { commit: string }; backend: { name: string } };
    assert.deepEqual(results.results.map((r) => r.benchmark), ['mathvista', 'wemath']);
    assert.equal(results.backend.name, 'wasm');
    assert.equal((results.backend as { attentionKernel?: string }).attentionKernel, 'conv');
    assert.ok(results.provenance.commit.length > 0);
    const samples = readJsonl(join(out, 'mathvista', 'samples.jsonl')).map((l) => l.value as { id: string; response: string; correct: boolean });
    assert.equal(samples.length, 8);
    assert.ok(!readdirSync(join(out, 'mathvista')).some((f) => f.endsWith('.tmp')));

    // Re-score the saved responses: same verdicts without generating again.
    const preds = join(dir, 'preds.jsonl');
    writeFileSync(preds, samples.map((s) => JSON.stringify({ id: s.id, response: s.response })).join('\n') + '\n');
    const scored = join(dir, 'scored.json');
    const s = run(['score', '--benchmark', 'mathvista', '--data', join(data, 'mathvista'), '--predictions', preds, '--out', scored]);
    assert.equal(s.code, 0, s.stderr);
    const rescored = JSON.parse(readFileSync(scored, 'utf8')) as { items: { id: string; correct: boolean }[] };
    assert.deepEqual(rescored.items.map((i) => i.correct), samples.map((x) => x.correct));

    // Bad predictions: an unknown id and a malformed line are reported with their line numbers.
    writeFileSync(preds, `${JSON.stringify({ id: samples[0]!.id, response: 'x' })}\n${JSON.stringify({ id: 'no-such-id', response: 'x' })}\n`);
    await expectRefusal(['score', '--benchmark', 'mathvista', '--data', join(data, 'mathvista'), '--predictions', preds, '--out', join(dir, 'x.json')], /preds\.jsonl line 2: id 'no-such-id' is not in mathvista/);
    writeFileSync(preds, `${JSON.stringify({ id: samples[0]!.id, response: 'x' })}\n{"id": 1, "response"\n`);
    await expectRefusal(['score', '--benchmark', 'mathvista', '--data', join(data, 'mathvista'), '--predictions', preds, '--out', join(dir, 'x.json')], /preds\.jsonl line 2: not valid JSON/);
    assert.ok(!existsSync(join(dir, 'x.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
