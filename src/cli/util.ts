// Flag validation and backend start-up shared by every command.
import { type BackendInfo, initBackend, parseBackendName, resolveTensorSettings, TENSOR_OPTIONS, type TensorSettings } from '../backend.ts';
import type { Argv } from 'yargs';
import { describeBlas } from '../model/blas.ts';
import type { AttentionKernel } from '../model/ops.ts';
import { UsageError } from '../util/errors.ts';
import { flagOptions, readGivenFlags } from './flags.ts';

// The flag checks (flags.ts), for the scripts that import this module for the tensor flags.
export { choice, num, setRawArgs } from './flags.ts';

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

/** The tensor flags of tensorOptions, checked: what initBackend takes (declared in src/backend.ts TENSOR_OPTIONS). */
export type TensorFlags = TensorSettings;

/** The tensor flags given in argv, checked (--backend names an unknown backend in parseBackendName's words). */
export function givenTensorFlags(argv: { [flag: string]: unknown }): Partial<TensorSettings> {
  const backend = argv['backend'];
  return {
    ...readGivenFlags(TENSOR_OPTIONS.filter((o) => o.field !== 'backend'), argv),
    ...(backend !== undefined ? { backend: parseBackendName(String(Array.isArray(backend) ? backend[backend.length - 1] : backend)) } : {}),
  };
}

/**
 * Reads --backend, --attention-kernel (else the command's default kernel; 'matmul' with --matmul blas, whose batched
 * products are BLAS calls too), --threads and --matmul.
 */
export function tensorFlags(argv: { [flag: string]: unknown }, defaultKernel: AttentionKernel = 'conv'): TensorFlags {
  return resolveTensorSettings(givenTensorFlags(argv), defaultKernel);
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
  const options = flagOptions(TENSOR_OPTIONS.map((o) => (o.field === 'attentionKernel' ? { ...o, shownDefault: defaultKernel } : o)));
  // A repeated --backend (before and after the command's name) counts once, its last value.
  options['backend'] = { ...options['backend'], coerce: (v: unknown) => parseBackendName(String(Array.isArray(v) ? v[v.length - 1] : v)) };
  return y.options(options);
}
