// WebAssembly written out as bytes: enough instructions to write small kernels over tfjs-backend-wasm's own memory by
// hand (attention-simd.ts, row-kernels.ts), with no toolchain and nothing to build. A module imports the memory as
// `env.memory`; every pointer its functions take is a byte address in it.
//
// Float arithmetic in WebAssembly is IEEE 754 binary32, each operation correctly rounded (round to nearest, ties to
// even), with no fused multiply-add and no reassociation: a kernel written here computes exactly the floats of the C
// loop it follows, operation for operation. Loads and stores keep every bit; an operation that makes a NaN may give it
// either sign.

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

// ---- instructions ----
export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
export const i32 = (v: number): number[] => [0x41, ...sleb(v)];
/** f32.const: the float32 nearest `v`. */
export const f32 = (v: number): number[] => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)];
export const add = [0x6a];
export const sub = [0x6b];
export const mul = [0x6c];
export const and = [0x71];
export const shl2 = [...i32(2), 0x74];
export const eqz = [0x45];
export const eq = [0x46];
export const ne = [0x47];
export const geS = [0x4e];
export const ltS = [0x48];
export const select = [0x1b];
export const f32Load = (offset = 0): number[] => [0x2a, 0x00, ...uleb(offset)];
export const f32Store = (offset = 0): number[] => [0x38, 0x00, ...uleb(offset)];
export const f32Add = [0x92];
export const f32Sub = [0x93];
export const f32Mul = [0x94];
export const f32Div = [0x95];
export const f32Sqrt = [0x91];
export const f32Neg = [0x8c];
export const f32Eq = [0x5b];
/** f32.convert_i32_s */
export const f32FromI32 = [0xb2];
/** f32.reinterpret_i32: the float whose bits the integer is. */
export const f32FromBits = [0xbe];
/** i32.reinterpret_f32: the float's bits as an integer. */
export const i32FromBits = [0xbc];
/** v128.load / v128.store at `offset` bytes past the address on the stack. */
export const v128Load = (offset = 0): number[] => [0xfd, 0x00, 0x00, ...uleb(offset)];
export const v128Store = (offset = 0): number[] => [0xfd, 0x0b, 0x00, ...uleb(offset)];
export const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
export const splat = [0xfd, 0x13];
/** f32x4.extract_lane */
export const lane = (i: number): number[] => [0xfd, 0x1f, i];
export const f32x4Add = [0xfd, ...uleb(0xe4)];
export const f32x4Sub = [0xfd, ...uleb(0xe5)];
export const f32x4Mul = [0xfd, ...uleb(0xe6)];
export const f32x4Gt = [0xfd, ...uleb(0x44)];
export const f32x4Ne = [0xfd, ...uleb(0x42)];
export const v128And = [0xfd, ...uleb(0x4e)];
/** v128.bitselect(a, b, mask): a's bits where the mask's are set, b's elsewhere. */
export const v128Bitselect = [0xfd, ...uleb(0x52)];
export const f32Gt = [0x5e];
export const f32Lt = [0x5d];
export const f32Ne = [0x5c];
/** i32x4.max_s */
export const i32x4MaxS = [0xfd, ...uleb(0xb8)];

const END = 0x0b;

/** while (local < limit) { body; local += step } — `local` set to `from` first; `step` a constant or code that pushes it. */
export function loop(local: number, from: number[], limit: number[], step: number | number[], body: number[]): number[] {
  return [
    ...from, ...set(local),
    0x02, 0x40, 0x03, 0x40,
    ...get(local), ...limit, ...geS, 0x0d, 1, // br_if out of the block
    ...body,
    ...get(local), ...(typeof step === 'number' ? i32(step) : step), ...add, ...set(local),
    0x0c, 0, // br to the loop
    END, END,
  ];
}

/** if (condition) { then } — the condition an i32 on the stack, nonzero for true. */
export function when(condition: number[], then: number[]): number[] {
  return [...condition, 0x04, 0x40, ...then, END];
}

/**
 * A function: its parameters (i32 each), its locals as [count, type] groups (numbered after the parameters), its code,
 * and the type of the value it returns (left on the stack), if any.
 */
export interface WasmFunction {
  name: string;
  params: number;
  locals: [number, number][];
  code: number[];
  result?: number;
}

function moduleBytes(functions: readonly WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(new Array(f.params).fill([I32])), ...vec(f.result === undefined ? [] : [[f.result]])]);
  const code = functions.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.code, END];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(code)),
  ]);
}

/** A WebAssembly.Memory (the project's TypeScript libraries do not declare WebAssembly). */
export type WasmMemory = object;

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

/**
 * A module of `functions` over `memory`, its exports as T, made once per memory and kept in `cache`; null where it does
 * not compile (WASM SIMD missing).
 */
export function instantiate<T extends object>(memory: WasmMemory, functions: () => WasmFunction[], cache: WeakMap<WasmMemory, T>): T | null {
  const cached = cache.get(memory);
  if (cached) return cached;
  const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  let made: T;
  try {
    made = new wasm.Instance(new wasm.Module(moduleBytes(functions())), { env: { memory } }).exports as T;
  } catch {
    return null;
  }
  cache.set(memory, made);
  return made;
}
