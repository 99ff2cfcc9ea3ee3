// Backend selection at start-up. `auto` prefers native TensorFlow (tfjs-node-gpu, then tfjs-node) when
// they load, else WASM (SIMD), else the pure-JS cpu backend. The backend in use is recorded in every run.
import * as tf from '@tensorflow/tfjs';
import { activeAttentionKernel, type AttentionKernel, setAttentionKernel } from './model/ops.ts';
import { BackendError } from './util/errors.ts';

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  name: string;
  /** The package that provided it (e.g. '@tensorflow/tfjs-backend-wasm'). */
  provider: string;
  simd?: boolean;
  threads?: boolean;
  tfjsVersion: string;
  /** How attention's batched products run (model/ops.ts): 'conv' or 'matmul' on WASM, 'matmul' elsewhere. */
  attentionKernel: AttentionKernel;
}

let current: BackendInfo | null = null;

async function tryNative(): Promise<string | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      if (await tf.setBackend('tensorflow')) return pkg;
    } catch {
      // not installed or libtensorflow missing: fall through
    }
  }
  return null;
}

async function tryWasm(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

export function parseBackendName(s: string): BackendName {
  if ((BACKENDS as readonly string[]).includes(s)) return s as BackendName;
  throw new BackendError(`unknown backend '${s}' (known: ${BACKENDS.join(', ')})`);
}

/** Initialises the requested backend; throws BackendError with one line when it cannot. */
export async function initBackend(requested: BackendName = 'auto', attentionKernel: AttentionKernel = 'conv'): Promise<BackendInfo> {
  setAttentionKernel(attentionKernel);
  let provider = '';
  if (requested === 'tensorflow' || requested === 'auto') {
    const pkg = await tryNative();
    if (pkg) provider = pkg;
    else if (requested === 'tensorflow')
      throw new BackendError(
        "backend 'tensorflow' unavailable: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node loads here (use --backend wasm or cpu)",
      );
  }
  if (!provider && (requested === 'wasm' || requested === 'auto')) {
    if (await tryWasm()) provider = '@tensorflow/tfjs-backend-wasm';
    else if (requested === 'wasm') throw new BackendError("backend 'wasm' failed to initialise (use --backend cpu)");
  }
  if (!provider) {
    if (!(await tf.setBackend('cpu'))) throw new BackendError("backend 'cpu' failed to initialise");
    provider = '@tensorflow/tfjs-backend-cpu';
  }
  await tf.ready();
  const flags = tf.env().getFlags();
  current = {
    name: tf.getBackend(),
    provider,
    tfjsVersion: tf.version.tfjs,
    attentionKernel: activeAttentionKernel(),
    ...(tf.getBackend() === 'wasm'
      ? { simd: Boolean(flags['WASM_HAS_SIMD_SUPPORT']), threads: Boolean(flags['WASM_HAS_MULTITHREAD_SUPPORT']) }
      : {}),
  };
  return current;
}

export function backendInfo(): BackendInfo {
  if (!current) throw new BackendError('backend not initialised (call initBackend first)');
  return current;
}
