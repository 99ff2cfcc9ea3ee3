// Products on the system's BLAS instead of XNNPACK's, on the wasm backend: `--matmul blas` (docs/design.md §8).
//
// tfjs-backend-wasm computes matMul with XNNPACK compiled to WASM SIMD: 128-bit vectors, no fused multiply-add, so
// 12–30 GFLOP/s here, where a native BLAS reaches 35–160 (PyTorch calls the same library). This swaps WASM's
// BatchMatMul and _FusedMatMul kernels for `cblas_sgemm` through the FFI package koffi, reading and writing the
// tensors where they live in WASM memory (no copy). Everything else stays on WASM.
//
// It is a different kernel, not a faster copy of the same one: BLAS sums each product in another order, so its floats
// differ from XNNPACK's in the last bits and a training run follows another (equally valid) trajectory. It gives the
// same bytes run to run for the same library and core type, which the backend record names. The default is
// 'xnnpack', so that committed checkpoints and baselines keep their numbers.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { BackendError, firstLine } from '../util/errors.ts';
import { type KernelArgs, replaceWasmKernel, type WasmBackend } from '../wasm-kernels.ts';

export const MATMUL_KERNELS = ['xnnpack', 'blas'] as const;
export type MatmulKernel = (typeof MATMUL_KERNELS)[number];

/** The BLAS library in use: the file loaded and what OpenBLAS says of itself (absent for other libraries). */
export interface BlasInfo {
  library: string;
  /** openblas_get_config(): version and build options. */
  config?: string;
  /** openblas_get_corename(): the CPU kernels chosen (they decide the floats; OPENBLAS_CORETYPE overrides). */
  core?: string;
  threads: number;
}

/** The libraries tried in order when RLSD_BLAS_LIBRARY does not name one. */
export const BLAS_LIBRARIES = ['libopenblas.so.0', 'libopenblas.so', 'libopenblas.0.dylib', 'libopenblas.dylib'] as const;

type Sgemm = (order: number, ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number) => void;

interface LoadedBlas {
  sgemm: Sgemm;
  info: BlasInfo;
  setThreads: ((n: number) => void) | null;
  getThreads: (() => number) | null;
}

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

let loaded: LoadedBlas | null = null;
let kernel: MatmulKernel = 'xnnpack';

/**
 * Loads koffi and the BLAS library once and sets its threads; one line saying what is missing when it cannot. The
 * thread count belongs to the library, so to the whole process: the teacher's worker thread passes the main thread's.
 */
export function loadBlas(threads = 1): BlasInfo {
  if (loaded) {
    setBlasThreads(loaded, threads);
    return loaded.info;
  }
  const advice = 'install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread; macOS: brew install openblas) or use --matmul xnnpack';
  let koffi: typeof import('koffi');
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch (e) {
    throw new BackendError(`--matmul blas needs the optional package koffi, which does not load (${firstLine(e)}): npm install koffi, or use --matmul xnnpack`);
  }
  const names = process.env['RLSD_BLAS_LIBRARY'] ? [process.env['RLSD_BLAS_LIBRARY']] : [...BLAS_LIBRARIES];
  const errors: string[] = [];
  for (const name of names) {
    let lib: ReturnType<typeof koffi.load>;
    try {
      lib = koffi.load(name);
    } catch (e) {
      errors.push(`${name}: ${firstLine(e)}`);
      continue;
    }
    let sgemm: Sgemm;
    try {
      sgemm = lib.func('void cblas_sgemm(int, int, int, int, int, int, float, float *, int, float *, int, float, float *, int)') as Sgemm;
    } catch (e) {
      errors.push(`${name}: no cblas_sgemm (${firstLine(e)})`);
      continue;
    }
    const optional = <T>(decl: string): T | null => {
      try {
        return lib.func(decl) as T;
      } catch {
        return null;
      }
    };
    const setThreads = optional<(n: number) => void>('void openblas_set_num_threads(int)');
    const getThreads = optional<() => number>('int openblas_get_num_threads()');
    const config = optional<() => string>('const char *openblas_get_config()');
    const core = optional<() => string>('const char *openblas_get_corename()');
    const info: BlasInfo = { library: name, threads: 1, ...(config ? { config: config() } : {}), ...(core ? { core: core() } : {}) };
    loaded = { sgemm, info, setThreads, getThreads };
    setBlasThreads(loaded, threads);
    return info;
  }
  throw new BackendError(`--matmul blas: no BLAS library loads (${errors.join('; ')}); ${advice}`);
}

/**
 * Sets the library's threads. OpenBLAS splits a product's output among them, and where a split falls decides which
 * columns its edge kernels compute, whose sums run in another order: so another thread count can give other floats
 * (a [4,2944]·[2944,64] product does; blas.test.ts), while the same count gives the same bytes. A library without
 * openblas_set_num_threads keeps its own setting, recorded as read.
 */
function setBlasThreads(lib: LoadedBlas, threads: number): void {
  lib.setThreads?.(threads);
  lib.info.threads = lib.getThreads ? lib.getThreads() : threads;
  if (lib.setThreads && lib.info.threads !== threads) throw new BackendError(`--matmul blas: ${lib.info.library} runs ${lib.info.threads} threads where --threads asked for ${threads}`);
}

/** Chooses the products' kernel for the wasm backend from now on; 'blas' loads the library first, with `threads`. */
export function setMatmulKernel(k: MatmulKernel, threads = 1): void {
  if (k === 'blas') loadBlas(threads);
  kernel = k;
}

/** The products' kernel in use: 'blas' only on wasm with the library loaded, else 'xnnpack' there; null elsewhere. */
export function activeMatmulKernel(): MatmulKernel | null {
  return tf.getBackend() === 'wasm' ? kernel : null;
}

export function blasInfo(): BlasInfo | null {
  return loaded?.info ?? null;
}

/** 'OpenBLAS 0.3.21, core Prescott' (the library's file name for other libraries). */
export function describeBlas(info: BlasInfo): string {
  return `${/^(OpenBLAS \S+)/.exec(info.config ?? '')?.[1] ?? info.library}${info.core ? `, core ${info.core}` : ''}`;
}

interface ProductShape {
  batchA: number;
  batchB: number;
  batch: number;
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

/** The product's dimensions, or null when BLAS does not take it (the original kernel then runs). */
function productShape(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): ProductShape | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const [ra, rb] = [a.shape.length, b.shape.length];
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return null; // the original kernel reports the mismatch
  const dimsA = a.shape.slice(0, -2);
  const dimsB = b.shape.slice(0, -2);
  const batchA = dimsA.reduce((x, y) => x * y, 1);
  const batchB = dimsB.reduce((x, y) => x * y, 1);
  // Same batch, or one side shared by every batch (as WASM's own kernel); other broadcasts go to it too.
  let outDims: number[] | null = null;
  if (batchA === batchB && dimsA.length === dimsB.length && dimsA.every((d, i) => d === dimsB[i])) outDims = dimsA;
  else if (batchA === 1 && dimsB.length >= dimsA.length) outDims = dimsB;
  else if (batchB === 1 && dimsA.length >= dimsB.length) outDims = dimsA;
  if (outDims === null) return null;
  return { batchA, batchB, batch: Math.max(batchA, batchB), m, n, k, outShape: [...outDims, m, n] };
}

/** C = A·B (+ C when accumulate) for each batch, on the tensors' WASM memory. */
function gemm(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, out: tf.TensorInfo, s: ProductShape, transposeA: boolean, transposeB: boolean, accumulate: boolean): void {
  const { sgemm } = loaded!;
  const buffer = backend.wasm.HEAPF32.buffer; // after makeOutput, which may have grown the memory
  const [aOff, bOff, cOff] = [backend.getMemoryOffset(a.dataId), backend.getMemoryOffset(b.dataId), backend.getMemoryOffset(out.dataId)];
  const { m, n, k } = s;
  const [lda, ldb] = [transposeA ? m : k, transposeB ? k : n];
  const [ta, tb] = [transposeA ? CBLAS_TRANS : CBLAS_NO_TRANS, transposeB ? CBLAS_TRANS : CBLAS_NO_TRANS];
  for (let i = 0; i < s.batch; i++) {
    const ai = s.batchA === 1 ? 0 : i;
    const bi = s.batchB === 1 ? 0 : i;
    sgemm(
      CBLAS_ROW_MAJOR, ta, tb, m, n, k, 1,
      new Float32Array(buffer, aOff + ai * m * k * 4, m * k), lda,
      new Float32Array(buffer, bOff + bi * k * n * 4, k * n), ldb,
      accumulate ? 1 : 0,
      new Float32Array(buffer, cOff + i * m * n * 4, m * n), n,
    );
  }
}

/** The output of an empty product, or of one with nothing to sum (zeros, as tfjs gives). */
function zeroOutput(backend: WasmBackend, s: ProductShape): tf.TensorInfo {
  const out = backend.makeOutput(s.outShape, 'float32');
  const size = s.batch * s.m * s.n;
  if (size > 0) new Float32Array(backend.wasm.HEAPF32.buffer, backend.getMemoryOffset(out.dataId), size).fill(0);
  return out;
}

function batchMatMul(original: tf.KernelFunc, args: KernelArgs): ReturnType<tf.KernelFunc> {
  if (kernel !== 'blas') return original(args);
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const s = productShape(a, b, transposeA, transposeB);
  if (!s) return original(args);
  const backend = args.backend as unknown as WasmBackend;
  if (s.batch * s.m * s.n === 0 || s.k === 0) return zeroOutput(backend, s);
  const out = backend.makeOutput(s.outShape, 'float32');
  gemm(backend, a, b, out, s, transposeA, transposeB, false);
  return out;
}

/** Bias then product (C starts as the bias rows, then C += A·B), then ReLU; other activations go to WASM's kernel. */
function fusedMatMul(original: tf.KernelFunc, args: KernelArgs): ReturnType<tf.KernelFunc> {
  if (kernel !== 'blas') return original(args);
  const { a, b, bias, preluActivationWeights } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string };
  if (preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return original(args);
  const s = productShape(a, b, transposeA, transposeB);
  if (!s) return original(args);
  const biasSize = bias ? bias.shape.reduce((x, y) => x * y, 1) : 0;
  if (bias && (bias.dtype !== 'float32' || biasSize !== s.n || bias.shape[bias.shape.length - 1] !== s.n)) return original(args);
  const backend = args.backend as unknown as WasmBackend;
  const size = s.batch * s.m * s.n;
  const out = size === 0 || s.k === 0 ? zeroOutput(backend, s) : backend.makeOutput(s.outShape, 'float32');
  if (size === 0) return out;
  const heap = backend.wasm.HEAPF32;
  const cStart = backend.getMemoryOffset(out.dataId) / 4;
  const c = heap.subarray(cStart, cStart + size);
  if (bias) {
    const biasStart = backend.getMemoryOffset(bias.dataId) / 4;
    const row = heap.subarray(biasStart, biasStart + s.n);
    for (let r = 0; r < s.batch * s.m; r++) c.set(row, r * s.n);
  } else if (s.k > 0) c.fill(0);
  if (s.k > 0) gemm(backend, a, b, out, s, transposeA, transposeB, true);
  if (activation === 'relu') for (let i = 0; i < size; i++) if (c[i]! < 0) c[i] = 0; // NaN and -0 stay, as tf.relu
  return out;
}

let installed = false;

/**
 * Wraps WASM's BatchMatMul and _FusedMatMul so that `setMatmulKernel` can route them to BLAS; with 'xnnpack' they call
 * the original kernels (the same numbers). Call before the wasm backend starts, so that the originals' set-up runs.
 */
export function installBlasKernels(): void {
  if (installed) return;
  replaceWasmKernel('BatchMatMul', batchMatMul);
  replaceWasmKernel('_FusedMatMul', fusedMatMul);
  installed = true;
}
