import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Policy } from './policy.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { Rng } from './util/rng.ts';
import { numImageTokens, patchDim } from './model/config.ts';

await tf.setBackend('cpu');

test('save → load gives identical parameters and identical outputs; the write is atomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-ck-'));
  try {
    const a = Policy.init(5, { dModel: 32, nLayers: 2, nHeads: 2 });
    for (const v of a.params.values()) v.assign(v.mul(10));
    const path = join(dir, 'ck');
    a.save(path, { note: 'test' });
    assert.deepEqual(readdirSync(dir), ['ck'], 'no temporary files left');
    const { policy: b, info } = Policy.load(path);
    assert.equal(info['note'], 'test');
    assert.deepEqual(b.cfg, a.cfg);
    const rng = new Rng(2);
    const inputs = Array.from({ length: 3 }, () => ({
      patches: new Float32Array(numImageTokens(a.cfg) * patchDim(a.cfg)).map(() => rng.next()),
      context: a.encodeContext('how many red circles ? {}').ids,
    }));
    const opts = { maxNewTokens: 6, greedy: false, temperature: 1, topP: 1 };
    const ga = a.sample(inputs, { ...opts, rng: new Rng(9) }, 2);
    const gb = b.sample(inputs, { ...opts, rng: new Rng(9) }, 2);
    assert.deepEqual(gb.responses, ga.responses);
    assert.deepEqual(Array.from(gb.logProbs[0]!), Array.from(ga.logProbs[0]!));
    const batch = a.groupedBatch(inputs, 2, ga.responses);
    const la = tf.tidy(() => Array.from(a.groupedLogits(batch).dataSync()));
    const lb = tf.tidy(() => Array.from(b.groupedLogits(batch).dataSync()));
    assert.deepEqual(lb, la);
    // Overwriting keeps files that are not part of the checkpoint (logs written beside it).
    writeFileSync(join(path, 'notes.txt'), 'kept');
    b.save(path, { note: 'again' });
    assert.equal(readFileSync(join(path, 'notes.txt'), 'utf8'), 'kept');
    assert.equal(loadCheckpoint(path).meta.info['note'], 'again');
    // Files that belong with the weights are swapped in with them, replacing kept files of the same name.
    const staged = join(dir, 'metrics.staged');
    writeFileSync(staged, 'new curve');
    writeFileSync(join(path, 'record.json'), 'old record');
    b.save(path, { note: 'third' }, undefined, [
      { name: 'record.json', text: 'new record' },
      { name: 'curve.jsonl', moveFrom: staged },
    ]);
    assert.equal(readFileSync(join(path, 'record.json'), 'utf8'), 'new record');
    assert.equal(readFileSync(join(path, 'curve.jsonl'), 'utf8'), 'new curve');
    assert.equal(readFileSync(join(path, 'notes.txt'), 'utf8'), 'kept');
    assert.deepEqual(readdirSync(dir), ['ck'], 'the staged file moved in; no temporary files left');
    assert.throws(() => b.save(path, {}, undefined, [{ name: 'weights.bin', text: '' }]), /extra file 'weights\.bin' would replace part of the checkpoint/);
    assert.deepEqual(readdirSync(dir), ['ck'], 'a refused save writes nothing');
    assert.throws(() => b.save(path, {}, undefined, [{ name: '../escape', text: '' }]), /'\.\.\/escape' is not a plain file name/);
    // A save failing half-way (an extra to move that is not there) puts back what it moved and leaves no temporary files.
    writeFileSync(staged, 'staged again');
    assert.throws(() => b.save(path, { note: 'fourth' }, undefined, [{ name: 'curve.jsonl', moveFrom: staged }, { name: 'more.jsonl', moveFrom: join(dir, 'absent') }]), /ENOENT/);
    assert.deepEqual(readdirSync(dir).sort(), ['ck', 'metrics.staged']);
    assert.equal(readFileSync(staged, 'utf8'), 'staged again');
    assert.equal(loadCheckpoint(path).meta.info['note'], 'third');
    assert.equal(readFileSync(join(path, 'curve.jsonl'), 'utf8'), 'new curve');
    a.dispose();
    b.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupt checkpoints are rejected with the file and field named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlsd-ck-'));
  try {
    const a = Policy.init(1, { dModel: 16, nLayers: 1, nHeads: 2 });
    const path = join(dir, 'ck');
    a.save(path, {});
    a.dispose();
    const meta = JSON.parse(readFileSync(join(path, 'checkpoint.json'), 'utf8')) as Record<string, unknown>;
    const write = (m: unknown): void => writeFileSync(join(path, 'checkpoint.json'), JSON.stringify(m));
    write({ ...meta, format: 'other/9' });
    assert.throws(() => loadCheckpoint(path), /checkpoint\.json: unknown format 'other\/9'/);
    write({ ...meta, tokenizer: undefined });
    assert.throws(() => loadCheckpoint(path), /checkpoint\.json: missing field 'tokenizer'/);
    write({ ...meta, tensors: (meta['tensors'] as { name: string }[]).filter((t) => t.name !== 'lnf_g') });
    assert.throws(() => loadCheckpoint(path), /checkpoint\.json: missing tensor 'lnf_g'/);
    write({ ...meta, model: { ...(meta['model'] as object), nHeads: 3 } });
    assert.throws(() => loadCheckpoint(path), /dModel 16 is not divisible by nHeads 3/);
    // Weights that do not fit the recorded model name the checkpoint, and the failed load leaves no variables behind.
    const model = meta['model'] as { maxPositions: number; dModel: number };
    write({ ...meta, model: { ...model, maxPositions: model.maxPositions + 1 } });
    const tensorsBefore = tf.memory().numTensors;
    assert.throws(() => Policy.load(path), /ck: checkpoint\.json's tensor list and weights\.bin disagree \(tensor '\w+' has \d+ values, expected \d+/);
    assert.equal(tf.memory().numTensors, tensorsBefore);
    write(meta);
    const w = readFileSync(join(path, 'weights.bin'));
    const nan = Buffer.from(w);
    nan.writeFloatLE(NaN, 0);
    writeFileSync(join(path, 'weights.bin'), nan);
    assert.throws(() => loadCheckpoint(path), /weights\.bin: tensor 'tok_emb' holds NaN or infinite values/);
    writeFileSync(join(path, 'weights.bin'), w.subarray(0, 77));
    assert.throws(() => loadCheckpoint(path), /weights\.bin: size 77 is not a multiple of 4 bytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
