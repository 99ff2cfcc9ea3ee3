// Decoding attention's two batched products, as WASM SIMD over the tfjs WASM module's own memory.
//
// tfjs-backend-wasm multiplies a batch of tiny products (a decoding step's q·kᵀ and probabilities·v, one per sequence
// and head) with a scalar loop (batch_mat_mul_impl.cc, slow_batch_matmul): each output is a float32 sum over the
// shared axis in blocks of 48, `sum += a·b` from 0 within a block (multiply, then add: WASM has no fused multiply-add),
// and `out = (out + sum) + bias` after each block (then clamped to ±Infinity, which changes no number), the output
// starting at 0 and the bias reading 0. These functions
// compute each output by exactly those operations in exactly that order, in SIMD lanes (a lane's operations are its
// output's own): sixteen outputs at a time, four vectors sharing each broadcast of the other operand, then four at a time
// for the rest. So every number is the same bit for bit; a NaN may come out with another sign bit
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

import {
  add, and, F32, f32FromBits, f32Load, f32Mul, f32Store, f32x4Add, f32x4Mul, get, I32, i32, instantiate, loop, ltS, mul, select, set, shl2, splat, sub,
  v128Load, v128Store, v128Zero, V128, type WasmFunction, type WasmMemory,
} from './wasm-asm.ts';

/** The locals a blocked sum uses: the shared axis's block and index, the pointer into b, the splat, one accumulator and one result per vector. */
interface SumLocals {
  k0: number;
  kend: number;
  k: number;
  ptr: number;
  s: number;
  acc: number[];
  res: number[];
}

/**
 * Sums into the lane vectors `res` (each starting at 0), `res.length` vectors of four outputs side by side: for each
 * block of 48 along k < kLimit, acc = Σ splat(a[k])·b(k) from 0, then res = (res + acc) + 0. `aAt(k)` pushes the byte
 * address of a[k]; `bAt(k0)` the byte address of b's first vector at k0, its m-th vector 16·m bytes further; `bStep`
 * the bytes from one k to the next.
 */
function blockedSum(l: SumLocals, kLimit: number[], aAt: (k: number[]) => number[], bAt: (k0: number[]) => number[], bStep: number[]): number[] {
  const { k0, kend, k, ptr, s, acc, res } = l;
  const inner = [
    ...aAt(get(k)), ...f32Load(), ...splat, ...set(s),
    ...acc.flatMap((a, m) => [...get(a), ...get(s), ...get(ptr), ...v128Load(16 * m), ...f32x4Mul, ...f32x4Add, ...set(a)]),
    ...get(ptr), ...bStep, ...add, ...set(ptr),
  ];
  return [
    ...res.flatMap((r) => [...v128Zero, ...set(r)]),
    ...loop(k0, i32(0), kLimit, BLOCK, [
      // kend = min(k0 + 48, kLimit)
      ...get(k0), ...i32(BLOCK), ...add, ...kLimit, ...get(k0), ...i32(BLOCK), ...add, ...kLimit, ...ltS, ...select, ...set(kend),
      ...acc.flatMap((a) => [...v128Zero, ...set(a)]),
      ...bAt(get(k0)), ...set(ptr),
      ...loop(k, get(k0), get(kend), 1, inner),
      ...res.flatMap((r, m) => [...get(r), ...get(acc[m]!), ...f32x4Add, ...v128Zero, ...f32x4Add, ...set(r)]),
    ]),
  ];
}

/** Vectors per step of the wide loops: 16 outputs share each splat. */
const WIDE = 4;

function scoresBody(): WasmFunction {
  // params: q 0, keys 1, out 2, mask 3, B 4, H 5, T 6, cap 7, dh 8
  const [q, keys, out, mask, B, H, T, cap, dh] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // i32 locals 9–21, v128 locals 22–30
  const [b, h, head, qh, kh, oh, mh, j, k0, kend, k, ptr, wideEnd] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
  const s = 22;
  const acc = [23, 24, 25, 26];
  const res = [27, 28, 29, 30];
  /** Outputs j … j + 4·width − 1 of the head: the sums, then + mask, stored. */
  const outputs = (width: number): number[] => [
    ...blockedSum(
      { k0, kend, k, ptr, s, acc: acc.slice(0, width), res: res.slice(0, width) },
      get(dh),
      (kk) => [...get(qh), ...kk, ...shl2, ...add],
      (kk) => [...get(kh), ...kk, ...get(cap), ...mul, ...get(j), ...add, ...shl2, ...add],
      [...get(cap), ...shl2],
    ),
    // out[j + 4m …] = res_m + mask[j + 4m …]
    ...res.slice(0, width).flatMap((r, m) => [
      ...get(oh), ...get(j), ...shl2, ...add,
      ...get(r), ...get(mh), ...get(j), ...shl2, ...add, ...v128Load(16 * m), ...f32x4Add,
      ...v128Store(16 * m),
    ]),
  ];
  const perHead = [
    // head = b·H + h; qh = q + head·dh·4; kh = keys + head·dh·cap·4; oh = out + head·T·4; mh = mask + b·T·4
    ...get(b), ...get(H), ...mul, ...get(h), ...add, ...set(head),
    ...get(q), ...get(head), ...get(dh), ...mul, ...shl2, ...add, ...set(qh),
    ...get(keys), ...get(head), ...get(dh), ...mul, ...get(cap), ...mul, ...shl2, ...add, ...set(kh),
    ...get(out), ...get(head), ...get(T), ...mul, ...shl2, ...add, ...set(oh),
    ...get(mask), ...get(b), ...get(T), ...mul, ...shl2, ...add, ...set(mh),
    // j = 0; while (j < wideEnd) { 16 outputs; j += 16 } then while (j < T) { 4 outputs; j += 4 }
    ...loop(j, i32(0), get(wideEnd), 4 * WIDE, outputs(WIDE)),
    ...loop(j, get(j), get(T), 4, outputs(1)),
  ];
  const prologue = [
    // wideEnd = ((T + 3) & ~3) − 15: j < wideEnd ⇔ j + 16 ≤ T rounded up to 4, so the 16-output steps read and write
    // no further than the 4-output steps would
    ...get(T), ...i32(3), ...add, ...i32(-4), ...and, ...i32(4 * WIDE - 1), ...sub, ...set(wideEnd),
  ];
  return { name: 'scores', params: 9, locals: [[13, I32], [9, V128]], code: [...prologue, ...loop(b, i32(0), get(B), 1, loop(h, i32(0), get(H), 1, perHead))] };
}

function weightedBody(): WasmFunction {
  // params: p 0, values 1, out 2, n 3, T 4, cap 5, dh 6
  const [p, values, out, n, T, cap, dh] = [0, 1, 2, 3, 4, 5, 6];
  // i32 locals 7–15, v128 locals 16–24
  const [i, ph, vh, oh, c, k0, kend, k, ptr] = [7, 8, 9, 10, 11, 12, 13, 14, 15];
  const s = 16;
  const acc = [17, 18, 19, 20];
  const res = [21, 22, 23, 24];
  /** Outputs c … c + 4·width − 1 of the row. */
  const outputs = (width: number): number[] => [
    ...blockedSum(
      { k0, kend, k, ptr, s, acc: acc.slice(0, width), res: res.slice(0, width) },
      get(T),
      (kk) => [...get(ph), ...kk, ...shl2, ...add],
      (kk) => [...get(vh), ...kk, ...get(dh), ...mul, ...get(c), ...add, ...shl2, ...add],
      [...get(dh), ...shl2],
    ),
    ...res.slice(0, width).flatMap((r, m) => [...get(oh), ...get(c), ...shl2, ...add, ...get(r), ...v128Store(16 * m)]),
  ];
  const perRow = [
    ...get(p), ...get(i), ...get(T), ...mul, ...shl2, ...add, ...set(ph),
    ...get(values), ...get(i), ...get(cap), ...mul, ...get(dh), ...mul, ...shl2, ...add, ...set(vh),
    ...get(out), ...get(i), ...get(dh), ...mul, ...shl2, ...add, ...set(oh),
    // c = 0; while (c + 16 ≤ dh) { 16 outputs } then while (c < dh) { 4 outputs }
    ...loop(c, i32(0), [...get(dh), ...i32(4 * WIDE - 1), ...sub], 4 * WIDE, outputs(WIDE)),
    ...loop(c, get(c), get(dh), 4, outputs(1)),
  ];
  return { name: 'weighted', params: 7, locals: [[9, I32], [9, V128]], code: loop(i, i32(0), get(n), 1, perRow) };
}

/**
 * The new token's query, keys and values out of the fused projection qkv [B, 3·d] (d = H·dh): q [B·H, dh] scaled
 * (one float32 product each, the bits of `scale` given as an integer), its keys written as column t of keys
 * [B·H, dh, capacity], its values as row t of values [B·H, capacity, dh].
 */
function writeTokenBody(): WasmFunction {
  // params: qkv 0, q 1, keys 2, values 3, B 4, H 5, t 6, cap 7, dh 8, scaleBits 9
  const [qkv, q, keys, values, B, H, t, cap, dh, scaleBits] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  // i32 locals 10–16, f32 local 17
  const [b, h, c, row, head, d4, src] = [10, 11, 12, 13, 14, 15, 16];
  const scale = 17;
  const perHead = [
    // row = qkv + (b·3·H·dh + h·dh)·4; head = b·H + h
    ...get(b), ...i32(3), ...mul, ...get(H), ...mul, ...get(h), ...add, ...get(dh), ...mul, ...shl2, ...get(qkv), ...add, ...set(row),
    ...get(b), ...get(H), ...mul, ...get(h), ...add, ...set(head),
    ...loop(c, i32(0), get(dh), 1, [
      // src = row + c·4
      ...get(row), ...get(c), ...shl2, ...add, ...set(src),
      // q[head·dh + c] = qkv[src] · scale
      ...get(head), ...get(dh), ...mul, ...get(c), ...add, ...shl2, ...get(q), ...add,
      ...get(src), ...f32Load(), ...get(scale), ...f32Mul, ...f32Store(),
      // keys[(head·dh + c)·cap + t] = qkv[src + d]
      ...get(head), ...get(dh), ...mul, ...get(c), ...add, ...get(cap), ...mul, ...get(t), ...add, ...shl2, ...get(keys), ...add,
      ...get(src), ...get(d4), ...add, ...f32Load(), ...f32Store(),
      // values[(head·cap + t)·dh + c] = qkv[src + 2d]
      ...get(head), ...get(cap), ...mul, ...get(t), ...add, ...get(dh), ...mul, ...get(c), ...add, ...shl2, ...get(values), ...add,
      ...get(src), ...get(d4), ...add, ...get(d4), ...add, ...f32Load(), ...f32Store(),
    ]),
  ];
  return {
    name: 'writeToken',
    params: 10,
    locals: [[7, I32], [1, F32]],
    code: [
      ...get(scaleBits), ...f32FromBits, ...set(scale),
      // d4 = H·dh·4: the bytes from a query to its key, and from the key to the value
      ...get(H), ...get(dh), ...mul, ...shl2, ...set(d4),
      ...loop(b, i32(0), get(B), 1, loop(h, i32(0), get(H), 1, perHead)),
    ],
  };
}

export interface AttentionSimd {
  scores(q: number, keys: number, out: number, mask: number, B: number, H: number, T: number, capacity: number, dh: number): void;
  weighted(p: number, values: number, out: number, n: number, T: number, capacity: number, dh: number): void;
  writeToken(qkv: number, q: number, keys: number, values: number, B: number, H: number, t: number, capacity: number, dh: number, scaleBits: number): void;
}

const instances = new WeakMap<WasmMemory, AttentionSimd>();

/** The functions over `memory` (tfjs-backend-wasm's), or null where WASM SIMD does not compile. */
export function attentionSimd(memory: WasmMemory): AttentionSimd | null {
  return instantiate(memory, () => [scoresBody(), weightedBody(), writeTokenBody()], instances);
}
