// Row-wise kernels in WebAssembly over tfjs-backend-wasm's own memory, each the float32 operations of the WASM
// kernels it replaces, in their order (wasm-asm.ts: the same bits, a NaN's sign aside).
//
// layerNorm(x, y, s, out, g, b, N, d): over the rows of [N, d], s = x + y (WASM's Add; with y = 0 no sum is made and s
//   must be x), then composite.ts's layerNormKernels of s: Mean (a float32 sum from 0 in order, then ÷ d — Mean.cc),
//   s − mean, Square, Mean, + 1e-5, Rsqrt (1 / √, two roundings — Rsqrt.cc), × r, × g, + b (XNNPACK's element-wise
//   operators, one rounding each).
import { add, f32, F32, f32Add, f32Div, f32FromI32, f32Load, f32Mul, f32Sqrt, f32Store, f32Sub, get, I32, i32, instantiate, loop, mul, set, shl2, type WasmFunction, type WasmMemory, when } from './wasm-asm.ts';

/** composite.ts layerNormKernels's ε. */
const EPS = 1e-5;

function layerNormBody(): WasmFunction {
  // params: x 0, y 1, s 2, out 3, g 4, b 5, N 6, d 7
  const [x, y, s, out, g, b, N, d] = [0, 1, 2, 3, 4, 5, 6, 7];
  // i32 locals 8–13, f32 locals 14–16
  const [r, c, rowBytes, sr, or, xr] = [8, 9, 10, 11, 12, 13];
  const [sum, mean, rs] = [14, 15, 16];
  const at = (base: number): number[] => [...get(base), ...get(c), ...add];
  /** Σ term(c) over the row, a float32 sum from +0 in order, into `sum`. */
  const rowSum = (term: number[]): number[] => [...f32(0), ...set(sum), ...loop(c, i32(0), get(rowBytes), 4, [...get(sum), ...term, ...f32Add, ...set(sum)])];
  const centred = [...at(sr), ...f32Load(), ...get(mean), ...f32Sub];
  const perRow = [
    ...get(r), ...get(rowBytes), ...mul, ...set(xr),
    ...get(s), ...get(xr), ...add, ...set(sr),
    ...get(out), ...get(xr), ...add, ...set(or),
    // s = x + y
    ...when(get(y), loop(c, i32(0), get(rowBytes), 4, [
      ...at(sr),
      ...get(x), ...get(xr), ...add, ...get(c), ...add, ...f32Load(),
      ...get(y), ...get(xr), ...add, ...get(c), ...add, ...f32Load(),
      ...f32Add, ...f32Store(),
    ])),
    // mean = (Σ s) ÷ d
    ...rowSum([...at(sr), ...f32Load()]),
    ...get(sum), ...get(d), ...f32FromI32, ...f32Div, ...set(mean),
    // r = 1 / √((Σ (s − mean)²) ÷ d + ε)
    ...rowSum([...centred, ...set(rs), ...get(rs), ...get(rs), ...f32Mul]),
    ...f32(1), ...get(sum), ...get(d), ...f32FromI32, ...f32Div, ...f32(EPS), ...f32Add, ...f32Sqrt, ...f32Div, ...set(rs),
    // out = ((s − mean)·r)·g + b
    ...loop(c, i32(0), get(rowBytes), 4, [
      ...at(or),
      ...centred, ...get(rs), ...f32Mul, ...at(g), ...f32Load(), ...f32Mul, ...at(b), ...f32Load(), ...f32Add,
      ...f32Store(),
    ]),
  ];
  return {
    name: 'layerNorm',
    params: 8,
    locals: [[6, I32], [3, F32]],
    code: [...get(d), ...shl2, ...set(rowBytes), ...loop(r, i32(0), get(N), 1, perRow)],
  };
}

export interface RowKernels {
  layerNorm(x: number, y: number, s: number, out: number, g: number, b: number, N: number, d: number): void;
}

const instances = new WeakMap<WasmMemory, RowKernels>();

/** The kernels over `memory` (tfjs-backend-wasm's), or null where they do not compile. */
export function rowKernels(memory: WasmMemory): RowKernels | null {
  return instantiate(memory, () => [layerNormBody()], instances);
}
