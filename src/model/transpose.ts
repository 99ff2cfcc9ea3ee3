// Transposes of 4-byte elements inside tfjs-backend-wasm's memory, in WebAssembly: a copy, so the same bits as WASM's
// Transpose kernel (whose loops move one element at a time with an index computation each, and write every element of
// a large 2-D transpose to another cache line). Here the axes are first reduced to the fewest that describe the same
// permutation (size-1 axes dropped, neighbours that stay neighbours merged); then either
// - the last axis stays last: runs of it are copied, four elements per SIMD load (`runs`), or
// - it does not: the two axes that are last in the input and in the output are transposed in 4×4 tiles (four SIMD loads,
//   eight shuffles, four stores: `tile`),
// over every index of the remaining axes. Loads and stores are of integers or whole vectors, so every bit is kept.
import {
  add, and, get, I32, i32, instantiate, loop, mul, set, shl2, v128Load, v128Store, V128, type WasmFunction, type WasmMemory,
} from './wasm-asm.ts';

const i32Load = [0x28, 0x00, 0x00];
const i32Store = [0x36, 0x00, 0x00];
/** i8x16.shuffle of two vectors, by 32-bit lanes (0–3 the first vector's, 4–7 the second's). */
const shuffle32 = (lanes: number[]): number[] => [0xfd, 0x0d, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];

/** One 4-byte element from byte address `from` to byte address `to` (each pushed by the code given). */
const copyOne = (to: number[], from: number[]): number[] => [...to, ...from, ...i32Load, ...i32Store];

/**
 * tile(src, dst, rows, cols, srcStride, dstStride): dst[c·dstStride + r] = src[r·srcStride + c] for r < rows, c < cols
 * (strides in elements, pointers in bytes).
 */
function tileBody(): WasmFunction {
  const [src, dst, rows, cols, ss, ds] = [0, 1, 2, 3, 4, 5];
  // i32 locals 6–13, v128 locals 14–21
  const [r, c, rows4, cols4, ss4, ds4, s, d] = [6, 7, 8, 9, 10, 11, 12, 13];
  const [r0, r1, r2, r3, t0, t1, t2, t3] = [14, 15, 16, 17, 18, 19, 20, 21];
  /** byte address of src[row·ss + col] */
  const srcAt = (row: number[], col: number[]): number[] => [...get(src), ...row, ...get(ss), ...mul, ...col, ...add, ...shl2, ...add];
  const dstAt = (col: number[], row: number[]): number[] => [...get(dst), ...col, ...get(ds), ...mul, ...row, ...add, ...shl2, ...add];
  const rowPlus = (k: number): number[] => [...get(r), ...i32(k), ...add];
  const block = [
    ...srcAt(get(r), get(c)), ...set(s),
    ...get(s), ...v128Load(), ...set(r0),
    ...get(s), ...get(ss4), ...add, ...v128Load(), ...set(r1),
    ...get(s), ...get(ss4), ...add, ...get(ss4), ...add, ...v128Load(), ...set(r2),
    ...get(s), ...get(ss4), ...add, ...get(ss4), ...add, ...get(ss4), ...add, ...v128Load(), ...set(r3),
    ...get(r0), ...get(r1), ...shuffle32([0, 4, 1, 5]), ...set(t0),
    ...get(r0), ...get(r1), ...shuffle32([2, 6, 3, 7]), ...set(t1),
    ...get(r2), ...get(r3), ...shuffle32([0, 4, 1, 5]), ...set(t2),
    ...get(r2), ...get(r3), ...shuffle32([2, 6, 3, 7]), ...set(t3),
    ...dstAt(get(c), get(r)), ...set(d),
    ...get(d), ...get(t0), ...get(t2), ...shuffle32([0, 1, 4, 5]), ...v128Store(),
    ...get(d), ...get(ds4), ...add, ...get(t0), ...get(t2), ...shuffle32([2, 3, 6, 7]), ...v128Store(),
    ...get(d), ...get(ds4), ...add, ...get(ds4), ...add, ...get(t1), ...get(t3), ...shuffle32([0, 1, 4, 5]), ...v128Store(),
    ...get(d), ...get(ds4), ...add, ...get(ds4), ...add, ...get(ds4), ...add, ...get(t1), ...get(t3), ...shuffle32([2, 3, 6, 7]), ...v128Store(),
  ];
  // The columns past the last multiple of 4, for the four rows of a block.
  const edgeColumns = loop(c, get(cols4), get(cols), 1, [0, 1, 2, 3].flatMap((k) => copyOne(dstAt(get(c), rowPlus(k)), srcAt(rowPlus(k), get(c)))));
  const code = [
    ...get(rows), ...i32(-4), ...and, ...set(rows4),
    ...get(cols), ...i32(-4), ...and, ...set(cols4),
    ...get(ss), ...shl2, ...set(ss4),
    ...get(ds), ...shl2, ...set(ds4),
    ...loop(r, i32(0), get(rows4), 4, [...loop(c, i32(0), get(cols4), 4, block), ...edgeColumns]),
    // The rows past the last multiple of 4.
    ...loop(r, get(rows4), get(rows), 1, loop(c, i32(0), get(cols), 1, copyOne(dstAt(get(c), get(r)), srcAt(get(r), get(c))))),
  ];
  return { name: 'tile', params: 6, locals: [[8, I32], [8, V128]], code };
}

/**
 * runs(src, dst, n1, n2, L, s1, s2, d1, d2): for i < n1, j < n2, the L elements at src + i·s1 + j·s2 copied to
 * dst + i·d1 + j·d2 (strides in elements, pointers in bytes).
 */
function runsBody(): WasmFunction {
  const [src, dst, n1, n2, L, s1, s2, d1, d2] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i, j, k, L4, s, d] = [9, 10, 11, 12, 13, 14];
  const at = (base: number, a: number, b: number): number[] => [...get(base), ...get(i), ...get(a), ...mul, ...get(j), ...get(b), ...mul, ...add, ...shl2, ...add];
  const run = [
    ...at(src, s1, s2), ...set(s),
    ...at(dst, d1, d2), ...set(d),
    ...loop(k, i32(0), get(L4), 4, [...get(d), ...get(k), ...shl2, ...add, ...get(s), ...get(k), ...shl2, ...add, ...v128Load(), ...v128Store()]),
    ...loop(k, get(L4), get(L), 1, copyOne([...get(d), ...get(k), ...shl2, ...add], [...get(s), ...get(k), ...shl2, ...add])),
  ];
  const code = [...get(L), ...i32(-4), ...and, ...set(L4), ...loop(i, i32(0), get(n1), 1, loop(j, i32(0), get(n2), 1, run))];
  return { name: 'runs', params: 9, locals: [[6, I32]], code };
}

export interface TransposeWasm {
  tile(src: number, dst: number, rows: number, cols: number, srcStride: number, dstStride: number): void;
  runs(src: number, dst: number, n1: number, n2: number, L: number, s1: number, s2: number, d1: number, d2: number): void;
}

const instances = new WeakMap<WasmMemory, TransposeWasm>();

export function transposeWasm(memory: WasmMemory): TransposeWasm | null {
  return instantiate(memory, () => [tileBody(), runsBody()], instances);
}

/** The fewest axes describing the same transpose: size-1 axes dropped, input neighbours that stay neighbours merged. */
export function reduceAxes(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const kept = shape.map((n, a) => (n === 1 ? -1 : a)).filter((a) => a >= 0);
  const rank = new Map(kept.map((a, i) => [a, i]));
  let s = kept.map((a) => shape[a]!);
  let p = perm.filter((a) => rank.has(a)).map((a) => rank.get(a)!);
  for (let j = 0; j + 1 < p.length; ) {
    if (p[j + 1] !== p[j]! + 1) {
      j++;
      continue;
    }
    // Input axes a and a + 1 follow each other in the output too: one axis.
    const a = p[j]!;
    s = [...s.slice(0, a), s[a]! * s[a + 1]!, ...s.slice(a + 2)];
    p = [...p.slice(0, j + 1), ...p.slice(j + 2)].map((x) => (x > a ? x - 1 : x));
  }
  return { shape: s, perm: p };
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1, n = 1; a >= 0; a--) {
    out[a] = n;
    n *= shape[a]!;
  }
  return out;
}

/**
 * Writes the transpose of the 4-byte elements at byte address `src` (shape, perm as tfjs's) to byte address `dst`
 * (which must not overlap it).
 */
export function transposeInto(fns: TransposeWasm, src: number, dst: number, shape: readonly number[], perm: readonly number[]): void {
  const { shape: s, perm: p } = reduceAxes(shape, perm);
  const r = s.length;
  if (s.some((n) => n === 0)) return;
  if (r <= 1) {
    fns.runs(src, dst, 1, 1, r === 0 ? 1 : s[0]!, 0, 0, 0, 0);
    return;
  }
  const inStrides = strides(s);
  const outShape = p.map((a) => s[a]!);
  const outStrides = strides(outShape);
  // Output axis j reads input axis p[j]: its stride in the input and in the output.
  const axes = p.map((a, j) => ({ n: s[a]!, from: inStrides[a]!, to: outStrides[j]! }));
  let inner: (s0: number, d0: number) => void;
  let outer: typeof axes;
  if (p[r - 1] === r - 1) {
    // The last axis stays last: runs of it, over the last two other output axes and every index of the rest.
    const L = s[r - 1]!;
    const [a1, a2] = [axes[r - 3] ?? { n: 1, from: 0, to: 0 }, axes[r - 2]!];
    inner = (s0, d0) => fns.runs(s0, d0, a1.n, a2.n, L, a1.from, a2.from, a1.to, a2.to);
    outer = axes.slice(0, Math.max(0, r - 3));
  } else {
    // Tiles of the output's last axis (input axis p[r−1]) against the input's last axis (output axis j).
    const j = p.indexOf(r - 1);
    const rowsAxis = axes[r - 1]!;
    const colsAxis = axes[j]!;
    inner = (s0, d0) => fns.tile(s0, d0, rowsAxis.n, colsAxis.n, rowsAxis.from, colsAxis.to);
    outer = axes.filter((_, k) => k !== r - 1 && k !== j);
  }
  // Every index of the outer axes (an odometer), with its offsets in elements.
  const index = new Array<number>(outer.length).fill(0);
  let [from, to] = [0, 0];
  for (;;) {
    inner(src + 4 * from, dst + 4 * to);
    let k = outer.length - 1;
    for (; k >= 0; k--) {
      const ax = outer[k]!;
      from += ax.from;
      to += ax.to;
      if (++index[k]! < ax.n) break;
      from -= ax.from * ax.n;
      to -= ax.to * ax.n;
      index[k] = 0;
    }
    if (k < 0) return;
  }
}
