// Run by test/backend.test.ts in a fresh process per thread count (the WASM build is chosen once per process):
// starts WASM with `--threads N` (argv[2]) and prints, as JSON, the backend record and the exact bytes of a few
// products the model runs on XNNPACK — matMul, the fused linear layer and its gradients, attention's batched
// product on the depthwise convolution ('conv') and its gradients, a softmax.
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend.ts';
import { bmm, linear } from '../src/model/ops.ts';

const threads = Number(process.argv[2] ?? 1);
const info = await initBackend('wasm', 'conv', threads);
const u = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);
const outputs = tf.tidy(() => {
  const x = u([96, 64], 1) as tf.Tensor2D;
  const w = u([64, 128], 2) as tf.Tensor2D;
  const b = u([128], 3) as tf.Tensor1D;
  const lin = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => linear(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, 'relu').square().sum());
  const qa = u([8, 24, 16], 4) as tf.Tensor3D;
  const kb = u([8, 16, 24], 5) as tf.Tensor3D;
  const att = tf.grads((ai: tf.Tensor, bi: tf.Tensor) => bmm(ai as tf.Tensor3D, bi as tf.Tensor3D).softmax().mul(u([8, 24, 24], 6)).sum());
  return [tf.matMul(u([256, 256], 7), u([256, 256], 8)), ...lin([x, w, b]), bmm(qa, kb), ...att([qa, kb]), tf.softmax(u([64, 300], 9))];
});
const digest = createHash('sha256');
for (const t of outputs) digest.update(Buffer.from((t.dataSync() as Float32Array).buffer));
process.stdout.write(`${JSON.stringify({ backend: info, sha256: digest.digest('hex'), sums: outputs.map((t) => t.sum().dataSync()[0]) })}\n`);
process.exit(0);
