// Flag validation and backend start-up shared by every command.
import { BACKENDS, initBackend, parseBackendName } from './backend.ts';
import type { Argv } from 'yargs';
import { ATTENTION_KERNELS, type AttentionKernel } from './model/ops.ts';
import { UsageError } from './util/errors.ts';
import { checkNumber, type NumberRule } from './util/number-rule.ts';

let rawArgs: readonly string[] = process.argv.slice(2);

/** The command line as typed (main() passes it), so that a refused number is quoted as the user wrote it. */
export function setRawArgs(args: readonly string[]): void {
  rawArgs = args;
}

/** The text given to --flag on the command line (yargs has already turned 'abc' into NaN), or undefined. */
function typedValue(flag: string): string | undefined {
  for (let i = rawArgs.length - 1; i >= 0; i--) {
    const a = rawArgs[i]!;
    if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
    if (a === `--${flag}` && i + 1 < rawArgs.length) return rawArgs[i + 1];
  }
  return undefined;
}

/** Validates a numeric flag: finite, optionally integer, within [min, max] (the rule's check: src/util/number-rule.ts). */
export function num(flag: string, v: unknown, opts: NumberRule = {}): number {
  const { value: x, broken } = checkNumber(v, opts);
  if (broken === 'not-a-number') {
    const typed = typeof v === 'number' && Number.isNaN(v) ? (typedValue(flag) ?? String(v)) : String(v);
    throw new UsageError(`--${flag} must be ${opts.integer ? 'an integer' : 'a number'} (got '${typed}')`);
  }
  if (broken === 'integer') throw new UsageError(`--${flag} must be an integer (got ${x})`);
  if (broken === 'min') throw new UsageError(`--${flag} must be ${opts.minExclusive ? '>' : '≥'} ${opts.min} (got ${x})`);
  if (broken === 'max') throw new UsageError(`--${flag} must be ≤ ${opts.max} (got ${x})`);
  return x;
}

/** Validates a flag that takes one of a few words; the error lists them ('a or b', 'a, b or c'). */
export function choice<T extends string>(flag: string, v: unknown, allowed: readonly T[]): T {
  const hit = allowed.find((a) => a === v);
  if (hit !== undefined) return hit;
  const list = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : String(allowed[0]);
  throw new UsageError(`--${flag} must be ${list} (got '${String(v)}')`);
}

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

/** Initialises --backend with --attention-kernel (or the command's default kernel) and prints what runs. */
export async function setupBackend(argv: { [flag: string]: unknown }, defaultKernel: AttentionKernel = 'conv'): Promise<string> {
  const kernel = argv['attention-kernel'] === undefined ? defaultKernel : choice('attention-kernel', argv['attention-kernel'], ATTENTION_KERNELS);
  const info = await initBackend(parseBackendName(String(argv.backend ?? 'auto')), kernel);
  const desc = `${info.name} (${info.provider}${info.simd !== undefined ? `, simd=${info.simd}, threads=${info.threads}` : ''}, tfjs ${info.tfjsVersion}, attention kernel ${info.attentionKernel})`;
  if (!argv.quiet) process.stderr.write(`rlsd-bench: backend ${desc}\n`);
  return info.name;
}


/** The commands that run the model; only they take --backend and --attention-kernel. */
export const TENSOR_COMMANDS = ['pretrain', 'train', 'eval'] as const;

/**
 * --backend and --attention-kernel, for a command that does tensor work (pretrain, train, eval, the demo and
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
    });
}
