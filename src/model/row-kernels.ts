// Row-wise kernels in WebAssembly over tfjs-backend-wasm's own memory, each the float32 operations of the WASM
// kernels it replaces, in their order (wasm-asm.ts: the same bits, a NaN's sign aside).
//
// layerNorm(x, y, s, out, g, b, N, d, mOut, veOut): over the rows of [N, d], s = x + y (WASM's Add; with y = 0 no sum is
//   made and s must be x), then composite.ts's layerNormKernels of s (its mean and variance + ε stored at mOut and veOut
//   when they are not 0): Mean (a float32 sum from 0 in order, then ÷ d — Mean.cc),
//   s − mean, Square, Mean, + 1e-5, Rsqrt (1 / √, two roundings — Rsqrt.cc), × r, × g, + b (XNNPACK's element-wise
//   operators, one rounding each).
// allFinite(p, n): 1 if the n floats at p are all finite, else 0.
// gatherRows(table, ids, out, N, d): out[n] = table[ids[n]] + 0 for the N int32 ids at `ids` (rows of d floats): the
//   rows a one-hot product picks out of a finite table (XNNPACK sums each output from +0 in order: the row's value,
//   a −0 as +0).
// scatterAddRows(dy, ids, out, N, d, V): out [V, d] = 0, then out[ids[n]] += dy[n] for n in order: the one-hot
//   product's gradient over a finite ∂y (each row the sum from +0, in order, of the ∂y rows that chose it; the other
//   products are ±0, which change no sum from +0).
// Log-softmax and the cross-entropy gather over rows of V (tfjs's logSoftmax: max, x − max, Exp, Sum, Log, − log;
// its gradient dy − Σdy · exp(value); policy.ts's gather Σ logp · oneHot(target) and its gradient dy · oneHot):
// maxShift(x, shifted, rows, V): m = the row's first value, then each value greater (Max.cc, a finite row), shifted = x − m.
// rowSums(x, out, rows, V): the float32 sum of each row from +0 in order (Sum.cc).
// subRows(x, l, out, rows, V): out = x − l[row].
// logSoftmaxGrad(dy, p, out, rows, V): out = dy − (Σ dy)·p, the sum from +0 in order.
// gatherTargets(logp, targets, out, rows, V): out[r] = Σ_v logp[r,v] · (v = target ? 1 : 0), from +0 in order.
// gatherTargetsGrad(dy, targets, out, rows, V): out[r,v] = dy[r] · (v = target ? 1 : 0).
// columnSums(x, out, N, M): each column's float32 sum from +0 over the rows in order (a bias gradient, 1ᵀ·∂y).
// reluGrad(dy, y, out, n): out = dy · step(y) for n floats (the dense layer's ReLU gradient: WASM's Step — a NaN kept,
//   1 where y > 0, else 0 — then Multiply).
import {
  add, and, eq, f32, F32, f32Gt, f32Ne, f32Neg, f32x4Gt, f32x4Mul, f32x4Ne, splat, v128And, v128Bitselect, f32Add, f32Div, f32Eq, f32FromI32, f32Load, f32Mul, f32Sqrt, f32Store, f32Sub, f32x4Add, f32x4Sub, get, I32, i32, instantiate, lane, loop, mul, set,
  select, shl2, v128Load, v128Store, v128Zero, V128, type WasmFunction, type WasmMemory, when,
} from './wasm-asm.ts';

const i32Load = [0x28, 0x00, 0x00];

/** composite.ts layerNormKernels's ε. */
const EPS = 1e-5;

/**
 * The columns of a row: four at a time (`vector`, c a byte offset, c + 16 ≤ vecBytes), then one (`scalar`). Each
 * float32 operation is the same in a lane as alone; a sum over the row adds a vector's lanes in order.
 */
function columns(c: number, vecBytes: number, rowBytes: number, vector: number[], scalar: number[]): number[] {
  return [...loop(c, i32(0), get(vecBytes), 16, vector), ...loop(c, get(c), get(rowBytes), 4, scalar)];
}

/** sum = (((sum + v[0]) + v[1]) + v[2]) + v[3]: a vector's lanes added to a sum in order. */
function addLanes(sum: number, v: number): number[] {
  return [0, 1, 2, 3].flatMap((i) => [...get(sum), ...get(v), ...lane(i), ...f32Add, ...set(sum)]);
}

function layerNormBody(): WasmFunction {
  // params: x 0, y 1, s 2, out 3, g 4, b 5, N 6, d 7, mOut 8, veOut 9
  const [x, y, s, out, g, b, N, d, mOut, veOut] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  // i32 locals 10–16, f32 locals 17–20, v128 locals 21–23
  const [r, c, rowBytes, sr, or, xr, vecBytes] = [10, 11, 12, 13, 14, 15, 16];
  const [sum, mean, rs, ve] = [17, 18, 19, 20];
  const [vm, vr, vt] = [21, 22, 23];
  const at = (base: number): number[] => [...get(base), ...get(c), ...add];
  const atRow = (base: number): number[] => [...get(base), ...get(xr), ...add, ...get(c), ...add];
  const centred = [...at(sr), ...f32Load(), ...get(mean), ...f32Sub];
  const centredV = [...at(sr), ...v128Load(), ...get(vm), ...f32x4Sub];
  const perRow = [
    ...get(r), ...get(rowBytes), ...mul, ...set(xr),
    ...get(s), ...get(xr), ...add, ...set(sr),
    ...get(out), ...get(xr), ...add, ...set(or),
    // s = x + y
    ...when(get(y), columns(c, vecBytes, rowBytes,
      [...at(sr), ...atRow(x), ...v128Load(), ...atRow(y), ...v128Load(), ...f32x4Add, ...v128Store()],
      [...at(sr), ...atRow(x), ...f32Load(), ...atRow(y), ...f32Load(), ...f32Add, ...f32Store()],
    )),
    // mean = (Σ s) ÷ d, the sum from +0 in order
    ...f32(0), ...set(sum),
    ...columns(c, vecBytes, rowBytes,
      [...at(sr), ...v128Load(), ...set(vt), ...addLanes(sum, vt)],
      [...get(sum), ...at(sr), ...f32Load(), ...f32Add, ...set(sum)],
    ),
    ...get(sum), ...get(d), ...f32FromI32, ...f32Div, ...set(mean),
    ...get(mean), ...splat, ...set(vm),
    // ve = (Σ (s − mean)²) ÷ d + ε; r = 1 / √ve
    ...f32(0), ...set(sum),
    ...columns(c, vecBytes, rowBytes,
      [...centredV, ...set(vt), ...get(vt), ...get(vt), ...f32x4Mul, ...set(vt), ...addLanes(sum, vt)],
      [...get(sum), ...centred, ...set(rs), ...get(rs), ...get(rs), ...f32Mul, ...f32Add, ...set(sum)],
    ),
    ...get(sum), ...get(d), ...f32FromI32, ...f32Div, ...f32(EPS), ...f32Add, ...set(ve),
    ...f32(1), ...get(ve), ...f32Sqrt, ...f32Div, ...set(rs),
    ...get(rs), ...splat, ...set(vr),
    ...when(get(mOut), [...get(mOut), ...get(r), ...shl2, ...add, ...get(mean), ...f32Store()]),
    ...when(get(veOut), [...get(veOut), ...get(r), ...shl2, ...add, ...get(ve), ...f32Store()]),
    // out = ((s − mean)·r)·g + b
    ...columns(c, vecBytes, rowBytes,
      [...at(or), ...centredV, ...get(vr), ...f32x4Mul, ...at(g), ...v128Load(), ...f32x4Mul, ...at(b), ...v128Load(), ...f32x4Add, ...v128Store()],
      [...at(or), ...centred, ...get(rs), ...f32Mul, ...at(g), ...f32Load(), ...f32Mul, ...at(b), ...f32Load(), ...f32Add, ...f32Store()],
    ),
  ];
  return {
    name: 'layerNorm',
    params: 10,
    locals: [[7, I32], [4, F32], [3, V128]],
    code: [...get(d), ...shl2, ...set(rowBytes), ...get(rowBytes), ...i32(-16), ...and, ...set(vecBytes), ...loop(r, i32(0), get(N), 1, perRow)],
  };
}

/**
 * layerNormGrad(dy, x, g, m, ve, p15, dxOurs, dd, dxMean, dg, db, N, d): composite.ts's RlsdLayerNormGrad, each float32
 * operation in its order, p15 = ve^1.5 (WASM's Pow, computed before): per row, xc = x − m, r = 1/√ve, xn = xc·r,
 * dxn = dy·g, dxOurs = dxn·r, dr = Σ dxn·xc, dv = −(dr ÷ (p15·2)), dd = ((dv·1) ÷ d)·(xc·2), dm = −Σ dxOurs + −Σ dd,
 * dxMean = (dm·1) ÷ d; over the rows in order, dg = Σ dy·xn, db = Σ dy (each sum from +0 in order).
 */
function layerNormGradBody(): WasmFunction {
  const [dy, x, g, m, ve, p15, dxOurs, dd, dxMean, dg, db, N, d] = Array.from({ length: 13 }, (_, i) => i) as [number, number, number, number, number, number, number, number, number, number, number, number, number];
  const [r, c, rowBytes, row, vecBytes] = [13, 14, 15, 16, 17];
  const [mean, rs, dr, sdx, sdd, dd2, dxm, xc, dxn, xn, dyv, fd] = Array.from({ length: 12 }, (_, i) => 18 + i);
  const [vmean, vrs, vxc, vxn, vdy, vdxn, vt, vdd2] = Array.from({ length: 8 }, (_, i) => 30 + i);
  const at = (base: number): number[] => [...get(base), ...get(row), ...add, ...get(c), ...add];
  const col = (base: number): number[] => [...get(base), ...get(c), ...add];
  const perRow = [
    ...get(r), ...get(rowBytes), ...mul, ...set(row),
    ...get(m), ...get(r), ...shl2, ...add, ...f32Load(), ...set(mean),
    ...f32(1), ...get(ve), ...get(r), ...shl2, ...add, ...f32Load(), ...f32Sqrt, ...f32Div, ...set(rs),
    ...get(mean), ...splat, ...set(vmean),
    ...get(rs), ...splat, ...set(vrs),
    ...f32(0), ...set(dr),
    ...f32(0), ...set(sdx),
    ...columns(c, vecBytes, rowBytes, [
      ...at(x), ...v128Load(), ...get(vmean), ...f32x4Sub, ...set(vxc),
      ...get(vxc), ...get(vrs), ...f32x4Mul, ...set(vxn),
      ...at(dy), ...v128Load(), ...set(vdy),
      ...get(vdy), ...col(g), ...v128Load(), ...f32x4Mul, ...set(vdxn),
      // dxOurs = dxn·r; Σ dxOurs; dr = Σ dxn·xc
      ...get(vdxn), ...get(vrs), ...f32x4Mul, ...set(vt),
      ...at(dxOurs), ...get(vt), ...v128Store(),
      ...addLanes(sdx, vt),
      ...get(vdxn), ...get(vxc), ...f32x4Mul, ...set(vt),
      ...addLanes(dr, vt),
      // the columns' sums over the rows: dg += dy·xn, db += dy
      ...col(dg), ...col(dg), ...v128Load(), ...get(vdy), ...get(vxn), ...f32x4Mul, ...f32x4Add, ...v128Store(),
      ...col(db), ...col(db), ...v128Load(), ...get(vdy), ...f32x4Add, ...v128Store(),
    ], [
      ...at(x), ...f32Load(), ...get(mean), ...f32Sub, ...set(xc),
      ...get(xc), ...get(rs), ...f32Mul, ...set(xn),
      ...at(dy), ...f32Load(), ...set(dyv),
      ...get(dyv), ...col(g), ...f32Load(), ...f32Mul, ...set(dxn),
      ...at(dxOurs), ...get(dxn), ...get(rs), ...f32Mul, ...f32Store(),
      ...get(sdx), ...at(dxOurs), ...f32Load(), ...f32Add, ...set(sdx),
      ...get(dr), ...get(dxn), ...get(xc), ...f32Mul, ...f32Add, ...set(dr),
      ...col(dg), ...col(dg), ...f32Load(), ...get(dyv), ...get(xn), ...f32Mul, ...f32Add, ...f32Store(),
      ...col(db), ...col(db), ...f32Load(), ...get(dyv), ...f32Add, ...f32Store(),
    ]),
    // dd2 = (−(dr ÷ (p15·2))·1) ÷ d
    ...get(dr), ...get(p15), ...get(r), ...shl2, ...add, ...f32Load(), ...f32(2), ...f32Mul, ...f32Div, ...f32Neg, ...f32(1), ...f32Mul, ...get(fd), ...f32Div, ...set(dd2),
    ...get(dd2), ...splat, ...set(vdd2),
    ...f32(0), ...set(sdd),
    ...columns(c, vecBytes, rowBytes, [
      ...get(vdd2), ...at(x), ...v128Load(), ...get(vmean), ...f32x4Sub, ...f32(2), ...splat, ...f32x4Mul, ...f32x4Mul, ...set(vt),
      ...at(dd), ...get(vt), ...v128Store(),
      ...addLanes(sdd, vt),
    ], [
      ...at(dd), ...get(dd2), ...at(x), ...f32Load(), ...get(mean), ...f32Sub, ...f32(2), ...f32Mul, ...f32Mul, ...f32Store(),
      ...get(sdd), ...at(dd), ...f32Load(), ...f32Add, ...set(sdd),
    ]),
    // dm = −Σ dxOurs + −Σ dd; dxMean = (dm·1) ÷ d
    ...get(sdx), ...f32Neg, ...get(sdd), ...f32Neg, ...f32Add, ...f32(1), ...f32Mul, ...get(fd), ...f32Div, ...set(dxm),
    ...get(dxm), ...splat, ...set(vt),
    ...columns(c, vecBytes, rowBytes, [...at(dxMean), ...get(vt), ...v128Store()], [...at(dxMean), ...get(dxm), ...f32Store()]),
  ];
  const code = [
    ...get(d), ...shl2, ...set(rowBytes),
    ...get(rowBytes), ...i32(-16), ...and, ...set(vecBytes),
    ...get(d), ...f32FromI32, ...set(fd),
    ...loop(c, i32(0), get(rowBytes), 4, [...col(dg), ...f32(0), ...f32Store(), ...col(db), ...f32(0), ...f32Store()]),
    ...loop(r, i32(0), get(N), 1, perRow),
  ];
  return { name: 'layerNormGrad', params: 13, locals: [[5, I32], [12, F32], [8, V128]], code };
}

function allFiniteBody(): WasmFunction {
  const [p, n] = [0, 1];
  const [i, n4] = [2, 3];
  const [acc, x] = [4, 5];
  const [sum, one] = [6, 7];
  // Σ (x − x): 0 for finite floats, NaN as soon as one is ±Infinity or NaN.
  const code = [
    ...get(n), ...i32(-4), ...and, ...set(n4),
    ...v128Zero, ...set(acc),
    ...loop(i, i32(0), get(n4), 4, [...get(acc), ...get(p), ...get(i), ...shl2, ...add, ...v128Load(), ...set(x), ...get(x), ...get(x), ...f32x4Sub, ...f32x4Add, ...set(acc)]),
    ...f32(0), ...set(sum),
    ...loop(i, get(n4), get(n), 1, [...get(p), ...get(i), ...shl2, ...add, ...f32Load(), ...set(one), ...get(sum), ...get(one), ...get(one), ...f32Sub, ...f32Add, ...set(sum)]),
    ...[0, 1, 2, 3].flatMap((l) => [...get(sum), ...get(acc), ...lane(l), ...f32Add, ...set(sum)]),
    ...get(sum), ...f32(0), ...f32Eq,
  ];
  return { name: 'allFinite', params: 2, locals: [[2, I32], [2, V128], [2, F32]], code, result: I32 };
}

function gatherRowsBody(): WasmFunction {
  const [table, ids, out, N, d] = [0, 1, 2, 3, 4];
  const [n, c, src, dst, d4] = [5, 6, 7, 8, 9];
  const perRow = [
    ...get(table), ...get(ids), ...get(n), ...shl2, ...add, ...i32Load, ...get(d), ...mul, ...shl2, ...add, ...set(src),
    ...get(out), ...get(n), ...get(d), ...mul, ...shl2, ...add, ...set(dst),
    ...loop(c, i32(0), get(d4), 4, [...get(dst), ...get(c), ...shl2, ...add, ...get(src), ...get(c), ...shl2, ...add, ...v128Load(), ...v128Zero, ...f32x4Add, ...v128Store()]),
    ...loop(c, get(d4), get(d), 1, [...get(dst), ...get(c), ...shl2, ...add, ...get(src), ...get(c), ...shl2, ...add, ...f32Load(), ...f32(0), ...f32Add, ...f32Store()]),
  ];
  return { name: 'gatherRows', params: 5, locals: [[5, I32]], code: [...get(d), ...i32(-4), ...and, ...set(d4), ...loop(n, i32(0), get(N), 1, perRow)] };
}

function scatterAddRowsBody(): WasmFunction {
  const [dy, ids, out, N, d, V] = [0, 1, 2, 3, 4, 5];
  const [n, c, src, dst, d4, total] = [6, 7, 8, 9, 10, 11];
  const at = (base: number): number[] => [...get(base), ...get(c), ...shl2, ...add];
  const perRow = [
    ...get(dy), ...get(n), ...get(d), ...mul, ...shl2, ...add, ...set(src),
    ...get(out), ...get(ids), ...get(n), ...shl2, ...add, ...i32Load, ...get(d), ...mul, ...shl2, ...add, ...set(dst),
    ...loop(c, i32(0), get(d4), 4, [...at(dst), ...at(dst), ...v128Load(), ...at(src), ...v128Load(), ...f32x4Add, ...v128Store()]),
    ...loop(c, get(d4), get(d), 1, [...at(dst), ...at(dst), ...f32Load(), ...at(src), ...f32Load(), ...f32Add, ...f32Store()]),
  ];
  const code = [
    ...get(d), ...i32(-4), ...and, ...set(d4),
    ...get(V), ...get(d), ...mul, ...set(total),
    ...loop(c, i32(0), get(total), 1, [...get(out), ...get(c), ...shl2, ...add, ...f32(0), ...f32Store()]),
    ...loop(n, i32(0), get(N), 1, perRow),
  ];
  return { name: 'scatterAddRows', params: 6, locals: [[6, I32]], code };
}

/** A function over rows of V floats: params (p0, p1, out, rows, V) or as many pointers as given, then `rows`, `V`. */
function rowsFunction(name: string, pointers: number, perRow: (l: { r: number; v: number; row: number; rowBytes: number; f: number[]; ptr: (i: number) => number }) => number[], extraI32 = 0, f32s = 2): WasmFunction {
  const [rows, V] = [pointers, pointers + 1];
  const [r, v, row, rowBytes] = [pointers + 2, pointers + 3, pointers + 4, pointers + 5];
  const f = Array.from({ length: f32s }, (_, i) => pointers + 6 + extraI32 + i);
  const body = perRow({ r, v, row, rowBytes, f, ptr: (i) => i });
  return {
    name,
    params: pointers + 2,
    locals: [[4 + extraI32, I32], [f32s, F32]],
    code: [...get(V), ...shl2, ...set(rowBytes), ...loop(r, i32(0), get(rows), 1, [...get(r), ...get(rowBytes), ...mul, ...set(row), ...body])],
  };
}

/** The float at byte offset v of row `row` of the tensor at pointer p. */
const el = (p: number, row: number, v: number): number[] => [...get(p), ...get(row), ...add, ...get(v), ...add];

function maxShiftBody(): WasmFunction {
  return rowsFunction('maxShift', 2, ({ v, row, rowBytes, f: [m, x] }) => [
    ...get(0), ...get(row), ...add, ...f32Load(), ...set(m!),
    ...loop(v, i32(0), get(rowBytes), 4, [...el(0, row, v), ...f32Load(), ...set(x!), ...get(x!), ...get(m!), ...get(x!), ...get(m!), ...f32Gt, ...select, ...set(m!)]),
    ...loop(v, i32(0), get(rowBytes), 4, [...el(1, row, v), ...el(0, row, v), ...f32Load(), ...get(m!), ...f32Sub, ...f32Store()]),
  ]);
}

function rowSumsBody(): WasmFunction {
  return rowsFunction('rowSums', 2, ({ r, v, row, rowBytes, f: [sum] }) => [
    ...f32(0), ...set(sum!),
    ...loop(v, i32(0), get(rowBytes), 4, [...get(sum!), ...el(0, row, v), ...f32Load(), ...f32Add, ...set(sum!)]),
    ...get(1), ...get(r), ...shl2, ...add, ...get(sum!), ...f32Store(),
  ]);
}

function subRowsBody(): WasmFunction {
  return rowsFunction('subRows', 3, ({ r, v, row, rowBytes, f: [l] }) => [
    ...get(1), ...get(r), ...shl2, ...add, ...f32Load(), ...set(l!),
    ...loop(v, i32(0), get(rowBytes), 4, [...el(2, row, v), ...el(0, row, v), ...f32Load(), ...get(l!), ...f32Sub, ...f32Store()]),
  ]);
}

function logSoftmaxGradBody(): WasmFunction {
  return rowsFunction('logSoftmaxGrad', 3, ({ v, row, rowBytes, f: [sum] }) => [
    ...f32(0), ...set(sum!),
    ...loop(v, i32(0), get(rowBytes), 4, [...get(sum!), ...el(0, row, v), ...f32Load(), ...f32Add, ...set(sum!)]),
    ...loop(v, i32(0), get(rowBytes), 4, [...el(2, row, v), ...el(0, row, v), ...f32Load(), ...get(sum!), ...el(1, row, v), ...f32Load(), ...f32Mul, ...f32Sub, ...f32Store()]),
  ]);
}

/** (v = the row's target ? 1 : 0), v a byte offset: the target's byte offset compared. */
const hot = (targetBytes: number, v: number): number[] => [...f32(1), ...f32(0), ...get(v), ...get(targetBytes), ...eq, ...select];

function gatherTargetsBody(): WasmFunction {
  return rowsFunction(
    'gatherTargets',
    3,
    ({ r, v, row, rowBytes, f: [sum] }) => [
      ...get(1), ...get(r), ...shl2, ...add, ...i32Load, ...shl2, ...set(rowBytes + 1),
      ...f32(0), ...set(sum!),
      ...loop(v, i32(0), get(rowBytes), 4, [...get(sum!), ...el(0, row, v), ...f32Load(), ...hot(rowBytes + 1, v), ...f32Mul, ...f32Add, ...set(sum!)]),
      ...get(2), ...get(r), ...shl2, ...add, ...get(sum!), ...f32Store(),
    ],
    1,
  );
}

function gatherTargetsGradBody(): WasmFunction {
  return rowsFunction(
    'gatherTargetsGrad',
    3,
    ({ r, v, row, rowBytes, f: [dy] }) => [
      ...get(1), ...get(r), ...shl2, ...add, ...i32Load, ...shl2, ...set(rowBytes + 1),
      ...get(0), ...get(r), ...shl2, ...add, ...f32Load(), ...set(dy!),
      ...loop(v, i32(0), get(rowBytes), 4, [...el(2, row, v), ...get(dy!), ...hot(rowBytes + 1, v), ...f32Mul, ...f32Store()]),
    ],
    1,
  );
}

function reluGradBody(): WasmFunction {
  const [dy, y, out, n] = [0, 1, 2, 3];
  const [i, n4] = [4, 5];
  const [yv, step, ones] = [6, 7, 8];
  const [ys, ss] = [9, 10];
  const at = (base: number): number[] => [...get(base), ...get(i), ...shl2, ...add];
  const code = [
    ...get(n), ...i32(-4), ...and, ...set(n4),
    ...f32(1), ...splat, ...set(ones),
    ...loop(i, i32(0), get(n4), 4, [
      ...at(y), ...v128Load(), ...set(yv),
      // step = y > 0 ? 1 : 0, and y itself where y is NaN
      ...get(yv), ...v128Zero, ...f32x4Gt, ...get(ones), ...v128And, ...set(step),
      ...get(yv), ...get(step), ...get(yv), ...get(yv), ...f32x4Ne, ...v128Bitselect, ...set(step),
      ...at(out), ...at(dy), ...v128Load(), ...get(step), ...f32x4Mul, ...v128Store(),
    ]),
    ...loop(i, get(n4), get(n), 1, [
      ...at(y), ...f32Load(), ...set(ys),
      ...f32(1), ...f32(0), ...get(ys), ...f32(0), ...f32Gt, ...select, ...set(ss),
      ...get(ys), ...get(ss), ...get(ys), ...get(ys), ...f32Ne, ...select, ...set(ss),
      ...at(out), ...at(dy), ...f32Load(), ...get(ss), ...f32Mul, ...f32Store(),
    ]),
  ];
  return { name: 'reluGrad', params: 4, locals: [[2, I32], [3, V128], [2, F32]], code };
}

/**
 * columnSums(x, out, N, M): out[j] = Σ_n x[n, j] over the N rows of [N, M], each a float32 sum from +0 in row order —
 * a dense layer's bias gradient 1ᵀ·∂y as XNNPACK's product sums it (1·x = x exactly), the rows read once, in order.
 */
function columnSumsBody(): WasmFunction {
  const [x, out, N, M] = [0, 1, 2, 3];
  const [n, c, rowBytes, vecBytes, row] = [4, 5, 6, 7, 8];
  const at = (base: number): number[] => [...get(base), ...get(c), ...add];
  const code = [
    ...get(M), ...shl2, ...set(rowBytes),
    ...get(rowBytes), ...i32(-16), ...and, ...set(vecBytes),
    ...loop(c, i32(0), get(rowBytes), 4, [...at(out), ...f32(0), ...f32Store()]),
    ...loop(n, i32(0), get(N), 1, [
      ...get(x), ...get(n), ...get(rowBytes), ...mul, ...add, ...set(row),
      ...loop(c, i32(0), get(vecBytes), 16, [...at(out), ...at(out), ...v128Load(), ...at(row), ...v128Load(), ...f32x4Add, ...v128Store()]),
      ...loop(c, get(c), get(rowBytes), 4, [...at(out), ...at(out), ...f32Load(), ...at(row), ...f32Load(), ...f32Add, ...f32Store()]),
    ]),
  ];
  return { name: 'columnSums', params: 4, locals: [[5, I32]], code };
}

export interface RowKernels {
  layerNorm(x: number, y: number, s: number, out: number, g: number, b: number, N: number, d: number, mOut: number, veOut: number): void;
  layerNormGrad(dy: number, x: number, g: number, m: number, ve: number, p15: number, dxOurs: number, dd: number, dxMean: number, dg: number, db: number, N: number, d: number): void;
  allFinite(p: number, n: number): number;
  gatherRows(table: number, ids: number, out: number, N: number, d: number): void;
  scatterAddRows(dy: number, ids: number, out: number, N: number, d: number, V: number): void;
  reluGrad(dy: number, y: number, out: number, n: number): void;
  maxShift(x: number, shifted: number, rows: number, V: number): void;
  rowSums(x: number, out: number, rows: number, V: number): void;
  subRows(x: number, l: number, out: number, rows: number, V: number): void;
  logSoftmaxGrad(dy: number, p: number, out: number, rows: number, V: number): void;
  gatherTargets(logp: number, targets: number, out: number, rows: number, V: number): void;
  gatherTargetsGrad(dy: number, targets: number, out: number, rows: number, V: number): void;
  columnSums(x: number, out: number, N: number, M: number): void;
}

const instances = new WeakMap<WasmMemory, RowKernels>();

/** The kernels over `memory` (tfjs-backend-wasm's), or null where they do not compile. */
export function rowKernels(memory: WasmMemory): RowKernels | null {
  return instantiate(memory, () => [
    layerNormBody(), layerNormGradBody(), allFiniteBody(), gatherRowsBody(), scatterAddRowsBody(), reluGradBody(),
    maxShiftBody(), rowSumsBody(), subRowsBody(), logSoftmaxGradBody(), gatherTargetsBody(), gatherTargetsGradBody(), columnSumsBody(),
  ], instances);
}
