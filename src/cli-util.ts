// Flag validation and backend start-up shared by every command.
import { BACKENDS, type BackendInfo, type BackendName, initBackend, MAX_WASM_THREADS, parseBackendName } from './backend.ts';
import type { Argv } from 'yargs';
import { describeBlas, MATMUL_KERNELS, type MatmulKernel } from './model/blas.ts';
import { ATTENTION_KERNELS, type AttentionKernel } from './model/ops.ts';
import { UsageError } from './util/errors.ts';
import { choice, num } from './util/flags.ts';

// The flag checks live in the leaf layer, so that the sweep's and the report's command builders use them too.
export { choice, num, setRawArgs } from './util/flags.ts';

/** Parses repeated `--opt key=value` into a record (values stay strings; the method registry coerces). */
export function parseOptions(flag: string, raw: unknown): Record<string, string> {
  const list = raw == null ? [] : Array.isArray(raw) ? raw : [raw];
  const out: Record<string, string> = {};
  for (const item of list) {
    const s = String(item);
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} expects key=value (got '${s}')`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

/** The tensor flags of tensorOptions, checked: what initBackend takes. */
export interface TensorFlags {
  backend: BackendName;
  attentionKernel: AttentionKernel;
  threads: number;
  matmul: MatmulKernel;
}

/**
 * Reads --backend, --attention-kernel (else the command's default kernel; 'matmul' with --matmul blas, whose batched
 * products are BLAS calls too), --threads and --matmul.
 */
export function tensorFlags(argv: { [flag: string]: unknown }, defaultKernel: AttentionKernel = 'conv'): TensorFlags {
  const matmul = argv['matmul'] === undefined ? 'xnnpack' : choice('matmul', argv['matmul'], MATMUL_KERNELS);
  return {
    backend: parseBackendName(String(argv['backend'] ?? 'auto')),
    attentionKernel: argv['attention-kernel'] === undefined ? (matmul === 'blas' ? 'matmul' : defaultKernel) : choice('attention-kernel', argv['attention-kernel'], ATTENTION_KERNELS),
    threads: argv['threads'] === undefined ? 1 : num('threads', argv['threads'], { integer: true, min: 1, max: MAX_WASM_THREADS }),
    matmul,
  };
}

/** Initialises the backend the tensor flags name (tensorFlags) and prints what runs. */
export async function setupBackend(argv: { [flag: string]: unknown }, defaultKernel: AttentionKernel = 'conv'): Promise<string> {
  const f = tensorFlags(argv, defaultKernel);
  const info = await initBackend(f.backend, f.attentionKernel, f.threads, f.matmul);
  const desc = `${info.name} (${info.provider}${info.simd !== undefined ? `, simd=${info.simd}, threads=${info.threadCount}` : ''}, tfjs ${info.tfjsVersion}, attention kernel ${info.attentionKernel}${productsDescription(info)})`;
  if (!argv.quiet) process.stderr.write(`rlsd-bench: backend ${desc}\n`);
  return info.name;
}

/** ', products on OpenBLAS 0.3.21, core Prescott' with --matmul blas; nothing with XNNPACK, the default. */
export function productsDescription(info: BackendInfo): string {
  return info.matmulKernel === 'blas' && info.blas ? `, products on ${describeBlas(info.blas)}` : '';
}

/** The commands that run the model; only they take --backend and --attention-kernel. */
export const TENSOR_COMMANDS = ['pretrain', 'train', 'eval', 'serve', 'credit'] as const;

/**
 * --backend, --attention-kernel, --matmul and --threads, for a command that does tensor work (pretrain, train, eval, the demo and
 * the scripts that run the model). yargs accepts a command's options before its name too, so
 * `rlsd-bench --backend wasm eval …` keeps working.
 */
export function tensorOptions<T>(y: Argv<T>, defaultKernel: AttentionKernel = 'conv') {
  return y
    .option('backend', {
      type: 'string',
      default: 'auto',
      describe: `tensor backend (${BACKENDS.join(' | ')}; auto: tfjs-node-gpu or tfjs-node when they load, else wasm, else cpu)`,
      coerce: (v: unknown) => parseBackendName(String(Array.isArray(v) ? v[v.length - 1] : v)),
    })
    .option('attention-kernel', {
      type: 'string',
      defaultDescription: defaultKernel,
      describe: "WASM only: attention's batched products as a depthwise convolution ('conv', a 1.1–1.5× faster update step) or tfjs's batched matMul ('matmul', the committed base's recipe)",
    })
    .option('matmul', {
      type: 'string',
      default: 'xnnpack',
      describe: "WASM only: what computes the products: XNNPACK in WASM ('xnnpack', the default) or the system's OpenBLAS through koffi ('blas': a 1.6–1.7× faster update step measured here, other float rounding, attention kernel matmul unless given — docs/design.md §8)",
    })
    .option('threads', {
      type: 'number',
      default: 1,
      describe: `WASM only: threads the products compute on; with --matmul blas, OpenBLAS's (the same count gives the same numbers; another count may round differently); else XNNPACK's (1: the single-threaded SIMD build; 2–${MAX_WASM_THREADS}: the multithreaded build, experimental, same numbers in the tests — docs/gpu.md)`,
    });
}
