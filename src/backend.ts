// Backend selection at start-up. `auto` prefers native TensorFlow (tfjs-node-gpu, then tfjs-node) when
// they load, else WASM (SIMD), else the pure-JS cpu backend. The backend in use is recorded in every run.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { activeMatmulKernel, type BlasInfo, blasInfo, installBlasKernels, MATMUL_KERNELS, type MatmulKernel, setMatmulKernel } from './model/blas.ts';
import { activeAttentionKernel, ATTENTION_KERNELS, type AttentionKernel, setAttentionKernel } from './model/ops.ts';
import { BackendError, firstLine, UsageError } from './util/errors.ts';
import { installWasmKernels } from './wasm-kernels.ts';
import { optionsOf, type FlagOption } from './util/options.ts';

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  name: string;
  /** The package that provided it (e.g. '@tensorflow/tfjs-backend-wasm'). */
  provider: string;
  simd?: boolean;
  /** WASM: whether the multithreaded build runs (only with --threads above 1). */
  threads?: boolean;
  /**
   * WASM: the threads the products compute on — XNNPACK's (1, the single-threaded SIMD build, unless --threads asks
   * for more) or, with --matmul blas, the BLAS library's (the WASM build then stays single-threaded).
   */
  threadCount?: number;
  tfjsVersion: string;
  /** How attention's batched products run (model/ops.ts): 'conv' or 'matmul' on WASM, 'matmul' elsewhere. */
  attentionKernel: AttentionKernel;
  /** WASM: what computes the products (model/blas.ts): XNNPACK (the default) or the system's BLAS (--matmul blas). */
  matmulKernel?: MatmulKernel;
  /** With --matmul blas: the library, its version and the CPU kernels it chose (they decide the floats). */
  blas?: BlasInfo;
}

let current: BackendInfo | null = null;

const requireHere = createRequire(import.meta.url);

/** The native packages `auto` and `tensorflow` try, in order (docs/gpu.md: what the GPU one needs). */
export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** What happened to one native package: not installed, or installed and failing with the loader's first line. */
export interface NativeAttempt {
  pkg: string;
  installed: boolean;
  error?: string;
}

/** Whether a package is installed where the project resolves its dependencies (loading it is another matter). */
export function packageInstalled(pkg: string): boolean {
  try {
    requireHere.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

async function tryNative(attempts: NativeAttempt[]): Promise<string | null> {
  for (const pkg of NATIVE_PACKAGES) {
    if (!packageInstalled(pkg)) {
      attempts.push({ pkg, installed: false });
      continue;
    }
    try {
      await import(pkg);
      if (await tf.setBackend('tensorflow')) return pkg;
      attempts.push({ pkg, installed: true, error: "its 'tensorflow' backend failed to initialise" });
    } catch (e) {
      // installed, but the addon or libtensorflow does not load (missing binding, libtensorflow.so, glibc, …)
      attempts.push({ pkg, installed: true, error: firstLine(e) });
    }
  }
  return null;
}

/**
 * The one-line refusal of `--backend tensorflow`: how to install the GPU package when no native package is
 * installed, else the loader's first error line of each installed one; both point to docs/gpu.md.
 */
export function nativeUnavailableMessage(attempts: readonly NativeAttempt[]): string {
  const failed = attempts.filter((a) => a.installed);
  if (failed.length === 0)
    return (
      "backend 'tensorflow' unavailable: @tensorflow/tfjs-node-gpu is not installed (Linux x86_64 with an NVIDIA GPU, " +
      'CUDA 11.2 and cuDNN 8.1: npm install @tensorflow/tfjs-node-gpu; CPU-only TensorFlow: npm install @tensorflow/tfjs-node; ' +
      'see docs/gpu.md) — or use --backend wasm or cpu'
    );
  const why = failed.map((a) => `${a.pkg} is installed but does not load: ${a.error ?? 'unknown error'}`).join('; ');
  return `backend 'tensorflow' unavailable: ${why} (see docs/gpu.md) — or use --backend wasm or cpu`;
}

/** The most threads the WASM build can compute on: it starts a pool of 8 pthread workers. */
export const MAX_WASM_THREADS = 8;

/** The tfjs-backend-wasm version whose Emscripten glue `prepareNodeThreads` is written against. */
const THREADED_WASM_VERSION = '4.22.0';

/**
 * Makes the multithreaded WASM build start in Node; returns a function that undoes the temporary patches.
 *
 * tfjs-backend-wasm never picks it in Node (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE, tensorflow/tfjs#3830),
 * and forcing the flag fails: its Emscripten glue hands `new Worker` a blob: URL, which Node's worker_threads refuse
 * (ERR_WORKER_PATH), and gives each pthread the factory as a Blob, which the worker then reads as a file. So while the
 * backend starts, worker_threads.Worker takes the worker source the package ships (wasm-out/…-threaded-simd.worker.js,
 * a string) as code (`eval: true`), and the pthread's 'load' message names the factory file instead of the Blob. The
 * glue also caps threads at os.cpus().length / 2 (it assumes two hyperthreads per core), so os.cpus() reports enough
 * cores while it starts. docs/gpu.md § CPU threads.
 */
function prepareNodeThreads(threads: number): () => void {
  const version = (requireHere('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
  if (version !== THREADED_WASM_VERSION)
    throw new BackendError(`--threads relies on @tensorflow/tfjs-backend-wasm ${THREADED_WASM_VERSION}'s internals (found ${version}); use --threads 1`);
  const pkgDir = requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json').replace(/package\.json$/, '');
  const factoryFile = `${pkgDir}wasm-out/tfjs-backend-wasm-threaded-simd.js`;
  const workerSource = (requireHere('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string })
    .wasmWorkerContents.replace(/\n/g, '\\n'); // as the package does before making its Blob
  const wt = requireHere('node:worker_threads') as typeof import('node:worker_threads');
  const os = requireHere('node:os') as typeof import('node:os');
  const [RealWorker, realCpus] = [wt.Worker, os.cpus];
  class PthreadWorker extends RealWorker {
    constructor(file: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      if (typeof file === 'string' && file.startsWith('blob:')) super(workerSource, { ...options, eval: true });
      else super(file, options);
    }
    override postMessage(message: unknown, transfer?: readonly import('node:worker_threads').TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      super.postMessage(m?.cmd === 'load' && typeof m.urlOrBlob !== 'string' ? { ...m, urlOrBlob: factoryFile } : message, transfer);
    }
  }
  (wt as { Worker: unknown }).Worker = PthreadWorker;
  os.cpus = () => {
    const cpus = realCpus();
    return cpus.length >= 2 * threads ? cpus : Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]!);
  };
  return () => {
    (wt as { Worker: unknown }).Worker = RealWorker;
    os.cpus = realCpus;
  };
}

/** Starts WASM; returns the threads XNNPACK computes on, or null when the package or the backend does not load. */
async function tryWasm(threads: number): Promise<number | null> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch {
    return null;
  }
  installWasmKernels();
  installBlasKernels();
  if (threads === 1) return (await tf.setBackend('wasm').catch(() => false)) ? wasm.getThreadsCount() : null;
  // The threaded build: only when asked for, so that the default keeps the single-threaded SIMD build's numbers.
  const restore = prepareNodeThreads(threads);
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm').catch(() => false))) throw new BackendError(`backend 'wasm' failed to start its ${threads} threads (use --threads 1)`);
  } finally {
    restore();
  }
  const got = wasm.getThreadsCount();
  if (got !== threads) throw new BackendError(`backend 'wasm' runs ${got} threads where --threads asked for ${threads} (use --threads 1)`);
  return got;
}

/** The tensor flags' values: what initBackend takes. */
export interface TensorSettings {
  backend: BackendName;
  attentionKernel: AttentionKernel;
  matmul: MatmulKernel;
  threads: number;
}

const tensorOption = optionsOf<TensorSettings>();

/**
 * The tensor flags of every command that runs the model (src/cli/util.ts tensorOptions), declared once; a sweep passes
 * the ones it is given to every cell (src/cli/sweep.ts).
 */
export const TENSOR_OPTIONS: readonly FlagOption<TensorSettings>[] = [
  tensorOption({
    field: 'backend',
    flag: 'backend',
    default: 'auto',
    rule: { kind: 'choice', choices: BACKENDS },
    help: `tensor backend (${BACKENDS.join(' | ')}; auto: tfjs-node-gpu or tfjs-node when they load, else wasm, else cpu)`,
  }),
  tensorOption({
    field: 'attentionKernel',
    flag: 'attention-kernel',
    default: 'conv',
    // The command's own default; with --matmul blas 'matmul' (resolveTensorSettings).
    shownDefault: 'conv',
    rule: { kind: 'choice', choices: ATTENTION_KERNELS },
    help: "WASM only: attention's batched products as a depthwise convolution ('conv', a 1.1–1.5× faster update step) or tfjs's batched matMul ('matmul', the committed base's recipe)",
  }),
  tensorOption({
    field: 'matmul',
    flag: 'matmul',
    default: 'xnnpack',
    rule: { kind: 'choice', choices: MATMUL_KERNELS },
    help: "WASM only: what computes the products: XNNPACK in WASM ('xnnpack', the default) or the system's OpenBLAS through koffi ('blas': a 1.6–1.7× faster update step measured here, other float rounding, attention kernel matmul unless given — docs/design.md §8)",
  }),
  tensorOption({
    field: 'threads',
    flag: 'threads',
    default: 1,
    rule: { kind: 'number', integer: true, min: 1, max: MAX_WASM_THREADS },
    help: `WASM only: threads the products compute on; with --matmul blas, OpenBLAS's (the same count gives the same numbers; another count may round differently); else XNNPACK's (1: the single-threaded SIMD build; 2–${MAX_WASM_THREADS}: the multithreaded build, experimental, same numbers in the tests — docs/gpu.md)`,
  }),
];

/**
 * The tensor settings the flags given resolve to: the declared defaults, and for the attention kernel the command's
 * own (`defaultKernel`), or 'matmul' with --matmul blas, whose batched products are BLAS calls too.
 */
export function resolveTensorSettings(given: Partial<TensorSettings>, defaultKernel: AttentionKernel = 'conv'): TensorSettings {
  const matmul = given.matmul ?? 'xnnpack';
  return { backend: given.backend ?? 'auto', attentionKernel: given.attentionKernel ?? (matmul === 'blas' ? 'matmul' : defaultKernel), matmul, threads: given.threads ?? 1 };
}

export function parseBackendName(s: string): BackendName {
  if ((BACKENDS as readonly string[]).includes(s)) return s as BackendName;
  throw new BackendError(`unknown backend '${s}' (known: ${BACKENDS.join(', ')})`);
}

/**
 * Initialises the requested backend; throws BackendError with one line when it cannot. `threads` (WASM only; default
 * 1, the single-threaded SIMD build) above 1 starts the multithreaded build with that many XNNPACK threads. `matmul`
 * (WASM only) 'blas' computes the products with the system's BLAS instead of XNNPACK (model/blas.ts), and `threads`
 * is then the library's.
 */
export async function initBackend(requested: BackendName = 'auto', attentionKernel: AttentionKernel = 'conv', threads = 1, matmul: MatmulKernel = 'xnnpack'): Promise<BackendInfo> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS)
    throw new UsageError(`--threads must be an integer from 1 to ${MAX_WASM_THREADS} (got ${threads})`);
  if (threads > 1 && (requested === 'tensorflow' || requested === 'cpu'))
    throw new UsageError(`--threads applies to the wasm backend only (got --backend ${requested} --threads ${threads})`);
  if (matmul === 'blas' && (requested === 'tensorflow' || requested === 'cpu'))
    throw new UsageError(`--matmul blas applies to the wasm backend only (got --backend ${requested})`);
  setAttentionKernel(attentionKernel);
  let provider = '';
  if (requested === 'tensorflow' || requested === 'auto') {
    const attempts: NativeAttempt[] = [];
    const pkg = await tryNative(attempts);
    if (pkg) provider = pkg;
    else if (requested === 'tensorflow') throw new BackendError(nativeUnavailableMessage(attempts));
  }
  let threadCount: number | null = null;
  if (!provider && (requested === 'wasm' || requested === 'auto')) {
    // With BLAS, --threads is the library's: the WASM build stays the single-threaded one.
    threadCount = await tryWasm(matmul === 'blas' ? 1 : threads);
    if (threadCount !== null) provider = '@tensorflow/tfjs-backend-wasm';
    else if (requested === 'wasm') throw new BackendError("backend 'wasm' failed to initialise (use --backend cpu)");
  }
  if (!provider) {
    if (!(await tf.setBackend('cpu'))) throw new BackendError("backend 'cpu' failed to initialise");
    provider = '@tensorflow/tfjs-backend-cpu';
  }
  await tf.ready();
  if (tf.getBackend() === 'wasm') setMatmulKernel(matmul, threads);
  else if (matmul === 'blas') throw new UsageError(`--matmul blas applies to the wasm backend only (the backend is ${tf.getBackend()})`);
  const flags = tf.env().getFlags();
  current = {
    name: tf.getBackend(),
    provider,
    tfjsVersion: tf.version.tfjs,
    attentionKernel: activeAttentionKernel(),
    ...(tf.getBackend() === 'wasm'
      ? { simd: Boolean(flags['WASM_HAS_SIMD_SUPPORT']), threads: Boolean(flags['WASM_HAS_MULTITHREAD_SUPPORT']), threadCount: matmul === 'blas' ? threads : (threadCount ?? 1), matmulKernel: activeMatmulKernel() ?? 'xnnpack', ...(activeMatmulKernel() === 'blas' ? { blas: { ...blasInfo()! } } : {}) }
      : {}),
  };
  return current;
}

export function backendInfo(): BackendInfo {
  if (!current) throw new BackendError('backend not initialised (call initBackend first)');
  return current;
}
