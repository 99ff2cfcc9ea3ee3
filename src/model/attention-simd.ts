// Decoding attention's two batched products, as WASM SIMD over the tfjs WASM module's own memory.
//
// tfjs-backend-wasm multiplies a batch of tiny products (a decoding step's q·kᵀ and probabilities·v, one per sequence
// and head) with a scalar loop (batch_mat_mul_impl.cc, slow_batch_matmul): each output is a float32 sum over the
// shared axis in blocks of 48, `sum += a·b` from 0 within a block (multiply, then add: WASM has no fused multiply-add),
// and `out = (out + sum) + bias` after each block (then clamped to ±Infinity, which changes no number), the output
// starting at 0 and the bias reading 0. These functions
// compute each output by exactly those operations in exactly that order, four outputs at a time in SIMD lanes (a lane's
// operations are its output's own), so every number is the same bit for bit; a NaN may come out with another sign bit
// (the scalar loop's clamp and SIMD's lanes treat NaN differently), and is a NaN all the same for every later operation
// and for sampling. The module is written out here as bytes, with nothing to build.
//
// scores(q, keys, out, mask, B, H, T, capacity, dh): out[b,h,j] = (q[b,h,:]·keys[b,h,:,j] + 0) + mask[b,j] for j < T,
//   keys stored as [B·H, dh, capacity] (a column per token); also writes up to 3 floats past each row's end.
// weighted(p, values, out, n, T, capacity, dh): out[i,:] = Σ_j p[i,j]·values[i,j,:], values as [n, capacity, dh] and
//   dh a multiple of 4.
// Every pointer is a byte address in the module's memory.

/** The shared axis is summed in blocks of this many (batch_mat_mul_impl.cc kBlockSize). */
const BLOCK = 48;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
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

const I32 = 0x7f;
const V128 = 0x7b;
// Instructions.
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32 = (v: number): number[] => [0x41, ...sleb(v)];
const add = [0x6a];
const mul = [0x6c];
const geS = [0x4e];
const ltS = [0x48];
const select = [0x1b];
const shl2 = [...i32(2), 0x74];
const f32Load = [0x2a, 0x00, 0x00];
const v128Load = [0xfd, 0x00, 0x00, 0x00];
const v128Store = [0xfd, 0x0b, 0x00, 0x00];
const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const splat = [0xfd, 0x13];
const f32x4Add = [0xfd, ...uleb(0xe4)];
const f32x4Mul = [0xfd, ...uleb(0xe6)];

const END = 0x0b;

/** while (local < limit) { body; local += step } — `local` set to `from` first. */
function loop(local: number, from: number[], limit: number[], step: number, body: number[]): number[] {
  return [
    ...from, ...set(local),
    0x02, 0x40, 0x03, 0x40,
    ...get(local), ...limit, ...geS, 0x0d, 1, // br_if out of the block
    ...body,
    ...get(local), ...i32(step), ...add, ...set(local),
    0x0c, 0, // br to the loop
    END, END,
  ];
}

/**
 * Sums into lane vector `res` (starting at 0): for each block of 48 along k < kLimit, acc = Σ splat(a[k])·b(k) from
 * 0, then res = (res + acc) + 0. `aAt(k)` and `bAt(k)` push the byte addresses of a[k] and of the four b values.
 */
function blockedSum(locals: { k0: number; kend: number; k: number; acc: number; res: number }, kLimit: number[], aAt: (k: number[]) => number[], bAt: (k: number[]) => number[]): number[] {
  const { k0, kend, k, acc, res } = locals;
  const inner = [
    ...get(acc),
    ...aAt(get(k)), ...f32Load, ...splat,
    ...bAt(get(k)), ...v128Load,
    ...f32x4Mul, ...f32x4Add, ...set(acc),
  ];
  return [
    ...v128Zero, ...set(res),
    ...loop(k0, i32(0), kLimit, BLOCK, [
      // kend = min(k0 + 48, kLimit)
      ...get(k0), ...i32(BLOCK), ...add, ...kLimit, ...get(k0), ...i32(BLOCK), ...add, ...kLimit, ...ltS, ...select, ...set(kend),
      ...v128Zero, ...set(acc),
      ...loop(k, get(k0), get(kend), 1, inner),
      ...get(res), ...get(acc), ...f32x4Add, ...v128Zero, ...f32x4Add, ...set(res),
    ]),
  ];
}

function scoresBody(): { params: number; locals: number[][]; code: number[] } {
  // params: q 0, keys 1, out 2, mask 3, B 4, H 5, T 6, cap 7, dh 8
  const [q, keys, out, mask, B, H, T, cap, dh] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // i32 locals 9–19, v128 locals 20–21
  const [b, h, head, qh, kh, oh, mh, j, k0, kend, k] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const [res, acc] = [20, 21];
  const perHead = [
    // head = b·H + h; qh = q + head·dh·4; kh = keys + head·dh·cap·4; oh = out + head·T·4; mh = mask + b·T·4
    ...get(b), ...get(H), ...mul, ...get(h), ...add, ...set(head),
    ...get(q), ...get(head), ...get(dh), ...mul, ...shl2, ...add, ...set(qh),
    ...get(keys), ...get(head), ...get(dh), ...mul, ...get(cap), ...mul, ...shl2, ...add, ...set(kh),
    ...get(out), ...get(head), ...get(T), ...mul, ...shl2, ...add, ...set(oh),
    ...get(mask), ...get(b), ...get(T), ...mul, ...shl2, ...add, ...set(mh),
    ...loop(j, i32(0), get(T), 4, [
      ...blockedSum(
        { k0, kend, k, acc, res },
        get(dh),
        (kk) => [...get(qh), ...kk, ...shl2, ...add],
        (kk) => [...get(kh), ...kk, ...get(cap), ...mul, ...get(j), ...add, ...shl2, ...add],
      ),
      // out[j..j+3] = res + mask[j..j+3]
      ...get(oh), ...get(j), ...shl2, ...add,
      ...get(res), ...get(mh), ...get(j), ...shl2, ...add, ...v128Load, ...f32x4Add,
      ...v128Store,
    ]),
  ];
  const code = loop(b, i32(0), get(B), 1, loop(h, i32(0), get(H), 1, perHead));
  return { params: 9, locals: [[11, I32], [2, V128]], code };
}

function weightedBody(): { params: number; locals: number[][]; code: number[] } {
  // params: p 0, values 1, out 2, n 3, T 4, cap 5, dh 6
  const [p, values, out, n, T, cap, dh] = [0, 1, 2, 3, 4, 5, 6];
  // i32 locals 7–14, v128 locals 15–16
  const [i, ph, vh, oh, c, k0, kend, k] = [7, 8, 9, 10, 11, 12, 13, 14];
  const [res, acc] = [15, 16];
  const perRow = [
    ...get(p), ...get(i), ...get(T), ...mul, ...shl2, ...add, ...set(ph),
    ...get(values), ...get(i), ...get(cap), ...mul, ...get(dh), ...mul, ...shl2, ...add, ...set(vh),
    ...get(out), ...get(i), ...get(dh), ...mul, ...shl2, ...add, ...set(oh),
    ...loop(c, i32(0), get(dh), 4, [
      ...blockedSum(
        { k0, kend, k, acc, res },
        get(T),
        (kk) => [...get(ph), ...kk, ...shl2, ...add],
        (kk) => [...get(vh), ...kk, ...get(dh), ...mul, ...get(c), ...add, ...shl2, ...add],
      ),
      ...get(oh), ...get(c), ...shl2, ...add, ...get(res), ...v128Store,
    ]),
  ];
  return { params: 7, locals: [[8, I32], [2, V128]], code: loop(i, i32(0), get(n), 1, perRow) };
}

function moduleBytes(): Uint8Array {
  const bodies = [scoresBody(), weightedBody()];
  const types = bodies.map((f) => [0x60, ...vec(new Array(f.params).fill([I32])), ...vec([])]);
  const code = bodies.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...uleb(count!), type!])), ...f.code, END];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([uleb(0), uleb(1)])),
    ...section(7, vec([[...name('scores'), 0x00, 0], [...name('weighted'), 0x00, 1]])),
    ...section(10, vec(code)),
  ]);
}

export interface AttentionSimd {
  scores(q: number, keys: number, out: number, mask: number, B: number, H: number, T: number, capacity: number, dh: number): void;
  weighted(p: number, values: number, out: number, n: number, T: number, capacity: number, dh: number): void;
}

/** A WebAssembly.Memory (the project's TypeScript libraries do not declare WebAssembly). */
export type WasmMemory = object;

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

const instances = new WeakMap<WasmMemory, AttentionSimd>();

/** The functions over `memory` (tfjs-backend-wasm's), or null where WASM SIMD does not compile. */
export function attentionSimd(memory: WasmMemory): AttentionSimd | null {
  const cached = instances.get(memory);
  if (cached) return cached;
  const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  let made: AttentionSimd;
  try {
    made = new wasm.Instance(new wasm.Module(moduleBytes()), { env: { memory } }).exports as AttentionSimd;
  } catch {
    return null;
  }
  instances.set(memory, made);
  return made;
}
