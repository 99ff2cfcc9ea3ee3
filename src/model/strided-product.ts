// Attention's batched products and its softmax's gradient in WebAssembly SIMD, over tfjs-backend-wasm's memory, with
// the floats of the WASM kernels the composition runs (composite.ts's attention):
// - as a depthwise convolution (ops.ts channelMatMul, --attention-kernel conv from 12 rows on), XNNPACK sums each output
//   from +0, one product of the shared axis at a time in its order: acc = acc + a·b (checked bit for bit, NaN's sign
//   aside, in the tests);
// - as tfjs's batched matMul (fewer rows, or --attention-kernel matmul), the scalar loop sums blocks of 48 that way and
//   adds each to the output, out = (out + block) + 0 (batch_mat_mul_impl.cc, attention-simd.ts).
// One kernel covers both (`block` = the shared axis's length for the first, 48 for the second): with a single block,
// (0 + acc) + 0 = acc, since a sum from +0 is never −0. Each product reads its operands where they lie, by strides —
// the heads inside a [B·T, H·dh] row, a matrix transposed — so the transposes the composition makes around its
// products are not made.
//
// product(A, B, C, out, nb, nh, I, J, K, block, aB, aH, aI, aK, bB, bH, bK, cB, cH, cI, oB, oH, oI, relu, resume):
//   out[b,h,i,j] = Σ_k A[b,h,i,k]·B[b,h,k,j] (+ C[b,h,i,j] after the sum, when C ≠ 0) for b < nb, h < nh, i < I, j < J;
//   each operand at its pointer (bytes) plus index·stride (elements) per axis, j's stride 1 in B, C and out. Sixteen
//   outputs of two rows at a time (four vectors sharing each broadcast A value, each B vector read once for both rows),
//   then four, then one. With relu ≠ 0, then WASM's Relu (XNNPACK's clamp: the bits as an integer, max 0). With
//   resume = 1 (one block), each sum starts from the value stored in out instead of +0: the same sequential sum,
//   resumed; resume = 2, from C (not added again): XNNPACK's fully connected operator, whose sums start from the bias.
//   A resumed sum is stored as it ends (a −0 kept).
// softmaxGrad(dp, p, out, rows, T): for each row of T, t = dp·p, out = t − (Σ t)·p, the sum a float32 sum from +0 in
//   order (tfjs's softmax gradient in composite.ts: Multiply, Sum, Multiply, Sub).
import {
  add, and, eq, f32, F32, f32Add, i32FromBits, i32x4MaxS, f32Load, f32Mul, f32Store, f32Sub, f32x4Add, f32x4Mul, get, I32, i32, instantiate, loop, ltS, mul, ne, select, set, shl2,
  splat, v128Load, v128Store, v128Zero, V128, type WasmFunction, type WasmMemory, when,
} from './wasm-asm.ts';

/** Vectors of four outputs per step of the wide loop. */
const WIDE = 4;

/** local = value, as an i32 condition */
const is = (l: number, value: number): number[] => [...get(l), ...i32(value), ...eq];

function productBody(): WasmFunction {
  const [A, B, C, out, nb, nh, I, J, K, block, aB, aH, aI, aK, bB, bH, bK, cB, cH, cI, oB, oH, oI, relu, resume] = Array.from({ length: 25 }, (_, i) => i) as [
    number, number, number, number, number, number, number, number, number, number, number, number,
    number, number, number, number, number, number, number, number, number, number, number, number, number,
  ];
  let next = 25;
  const local = (): number => next++;
  // i32 locals
  const [b, h, i, j, k0, kend, k, aBase, bBase, cBase, oBase, aRow, cRow, oRow, aPtr, bPtr, wideEnd, fourEnd, pairEnd, aStep, cStep, oStep, addC] = Array.from({ length: 23 }, local);
  const nI32 = next - 25;
  // v128 locals: the broadcast A values of two rows, a B vector, and per row four accumulators and four results
  const [s0, s1, bv] = [local(), local(), local()];
  const acc = [Array.from({ length: WIDE }, local), Array.from({ length: WIDE }, local)];
  const res = [Array.from({ length: WIDE }, local), Array.from({ length: WIDE }, local)];
  const splats = [s0, s1];
  const nV128 = next - 25 - nI32;
  const [accS, resS] = [local(), local()];
  /** base + (b·strideB + h·strideH)·4 */
  const batchBase = (base: number, sB: number, sH: number): number[] => [...get(base), ...get(b), ...get(sB), ...mul, ...get(h), ...get(sH), ...mul, ...add, ...shl2, ...add];
  /** The address of row r (0 or 1) of a pair: the row's own plus r steps. */
  const rowAt = (row: number, step: number, r: number): number[] => (r === 0 ? get(row) : [...get(row), ...get(step), ...add]);
  /**
   * Each block of the shared axis for row `aAt` of A: kend = min(k0 + block, K), the pointers at k0, then `inner` for
   * k0 ≤ k < kend.
   */
  const blocks = (aAt: number[], before: number[], inner: number[], after: number[]): number[] =>
    loop(k0, i32(0), get(K), get(block), [
      ...get(k0), ...get(block), ...add, ...get(K), ...get(k0), ...get(block), ...add, ...get(K), ...ltS, ...select, ...set(kend),
      ...before,
      ...aAt, ...get(k0), ...get(aK), ...mul, ...shl2, ...add, ...set(aPtr),
      ...get(bBase), ...get(k0), ...get(bK), ...mul, ...get(j), ...add, ...shl2, ...add, ...set(bPtr),
      ...loop(k, get(k0), get(kend), 1, [
        ...inner,
        ...get(aPtr), ...get(aK), ...shl2, ...add, ...set(aPtr),
        ...get(bPtr), ...get(bK), ...shl2, ...add, ...set(bPtr),
      ]),
      ...after,
    ]);
  /** Outputs j … j + 4·width − 1 of `rows` rows (1, or the pair i, i + 1), each B vector read once for both. */
  const vectors = (width: number, rows: number): number[] => {
    const rs = Array.from({ length: rows }, (_, r) => r);
    const accs = rs.map((r) => acc[r]!.slice(0, width));
    const ress = rs.map((r) => res[r]!.slice(0, width));
    return [
      ...ress.flat().flatMap((x) => [...v128Zero, ...set(x)]),
      ...blocks(
        get(aRow),
        [
          ...accs.flat().flatMap((x) => [...v128Zero, ...set(x)]),
          // resuming a sum: the accumulators start from the partial sums stored in out
          ...when(is(resume, 1), rs.flatMap((r) => accs[r]!.flatMap((x, m) => [...rowAt(oRow, oStep, r), ...get(j), ...shl2, ...add, ...v128Load(16 * m), ...set(x)]))),
          ...when(is(resume, 2), rs.flatMap((r) => accs[r]!.flatMap((x, m) => [...rowAt(cRow, cStep, r), ...get(j), ...shl2, ...add, ...v128Load(16 * m), ...set(x)]))),
        ],
        [
          ...rs.flatMap((r) => [...get(aPtr), ...(r === 0 ? [] : [...get(aStep), ...add]), ...f32Load(), ...splat, ...set(splats[r]!)]),
          ...accs[0]!.flatMap((_, m) => [
            ...get(bPtr), ...v128Load(16 * m), ...set(bv),
            ...rs.flatMap((r) => [...get(accs[r]![m]!), ...get(splats[r]!), ...get(bv), ...f32x4Mul, ...f32x4Add, ...set(accs[r]![m]!)]),
          ]),
        ],
        [
          ...rs.flatMap((r) => ress[r]!.flatMap((x, m) => [...get(x), ...get(accs[r]![m]!), ...f32x4Add, ...v128Zero, ...f32x4Add, ...set(x)])),
          // a resumed sum is stored as it is (XNNPACK's, from the bias: a −0 stays −0)
          ...when(get(resume), rs.flatMap((r) => ress[r]!.flatMap((x, m) => [...get(accs[r]![m]!), ...set(x)]))),
        ],
      ),
      ...when(get(addC), rs.flatMap((r) => ress[r]!.flatMap((x, m) => [...get(x), ...rowAt(cRow, cStep, r), ...get(j), ...shl2, ...add, ...v128Load(16 * m), ...f32x4Add, ...set(x)]))),
      ...when(get(relu), ress.flat().flatMap((x) => [...get(x), ...v128Zero, ...i32x4MaxS, ...set(x)])),
      ...rs.flatMap((r) => ress[r]!.flatMap((x, m) => [...rowAt(oRow, oStep, r), ...get(j), ...shl2, ...add, ...get(x), ...v128Store(16 * m)])),
    ];
  };
  /** Output j of row r of the pair (or of the single row), one lane's operations in scalar floats. */
  const scalar = (r: number): number[] => [
    ...f32(0), ...set(resS),
    ...blocks(
      rowAt(aRow, aStep, r),
      [
        ...f32(0), ...set(accS),
        ...when(is(resume, 1), [...rowAt(oRow, oStep, r), ...get(j), ...shl2, ...add, ...f32Load(), ...set(accS)]),
        ...when(is(resume, 2), [...rowAt(cRow, cStep, r), ...get(j), ...shl2, ...add, ...f32Load(), ...set(accS)]),
      ],
      [...get(accS), ...get(aPtr), ...f32Load(), ...get(bPtr), ...f32Load(), ...f32Mul, ...f32Add, ...set(accS)],
      [...get(resS), ...get(accS), ...f32Add, ...f32(0), ...f32Add, ...set(resS), ...when(get(resume), [...get(accS), ...set(resS)])],
    ),
    ...when(get(addC), [...get(resS), ...rowAt(cRow, cStep, r), ...get(j), ...shl2, ...add, ...f32Load(), ...f32Add, ...set(resS)]),
    // relu as XNNPACK's clamp makes it: the bits as an integer, max 0 (so −0 and a NaN with its sign bit set give +0)
    ...when(get(relu), [...f32(0), ...get(resS), ...get(resS), ...i32FromBits, ...i32(0), ...ltS, ...select, ...set(resS)]),
    ...rowAt(oRow, oStep, r), ...get(j), ...shl2, ...add, ...get(resS), ...f32Store(),
  ];
  const rowsOf = (rows: number): number[] => [
    ...get(aBase), ...get(i), ...get(aI), ...mul, ...shl2, ...add, ...set(aRow),
    ...get(cBase), ...get(i), ...get(cI), ...mul, ...shl2, ...add, ...set(cRow),
    ...get(oBase), ...get(i), ...get(oI), ...mul, ...shl2, ...add, ...set(oRow),
    ...loop(j, i32(0), get(wideEnd), 4 * WIDE, vectors(WIDE, rows)),
    ...loop(j, get(j), get(fourEnd), 4, vectors(1, rows)),
    ...loop(j, get(j), get(J), 1, Array.from({ length: rows }, (_, r) => scalar(r)).flat()),
  ];
  const perBatch = [
    ...batchBase(A, aB, aH), ...set(aBase),
    ...batchBase(B, bB, bH), ...set(bBase),
    ...batchBase(C, cB, cH), ...set(cBase),
    ...batchBase(out, oB, oH), ...set(oBase),
    // rows in pairs, then the last one if I is odd
    ...loop(i, i32(0), get(pairEnd), 2, rowsOf(2)),
    ...loop(i, get(i), get(I), 1, rowsOf(1)),
  ];
  const code = [
    // C is added after the sum unless the sum started from it
    ...get(C), ...i32(0), ...ne, ...get(resume), ...i32(2), ...ne, ...and, ...set(addC),
    // j < wideEnd ⇔ j + 16 ≤ J; j < fourEnd ⇔ j + 4 ≤ J; i < pairEnd ⇔ i + 2 ≤ I
    ...get(J), ...i32(1 - 4 * WIDE), ...add, ...set(wideEnd),
    ...get(J), ...i32(-3), ...add, ...set(fourEnd),
    ...get(I), ...i32(-1), ...add, ...set(pairEnd),
    ...get(aI), ...shl2, ...set(aStep),
    ...get(cI), ...shl2, ...set(cStep),
    ...get(oI), ...shl2, ...set(oStep),
    ...loop(b, i32(0), get(nb), 1, loop(h, i32(0), get(nh), 1, perBatch)),
  ];
  return { name: 'product', params: 25, locals: [[nI32, I32], [nV128, V128], [2, F32]], code };
}

function softmaxGradBody(): WasmFunction {
  const [dp, p, out, rows, T] = [0, 1, 2, 3, 4];
  const [r, c, row, rowBytes] = [5, 6, 7, 8];
  const [sum, t] = [9, 10];
  const at = (base: number): number[] => [...get(base), ...get(row), ...add, ...get(c), ...add];
  const product = [...at(dp), ...f32Load(), ...at(p), ...f32Load(), ...f32Mul];
  const perRow = [
    ...get(r), ...get(rowBytes), ...mul, ...set(row),
    ...f32(0), ...set(sum),
    ...loop(c, i32(0), get(rowBytes), 4, [...get(sum), ...product, ...f32Add, ...set(sum)]),
    ...loop(c, i32(0), get(rowBytes), 4, [
      ...product, ...set(t),
      ...at(out), ...get(t), ...get(sum), ...at(p), ...f32Load(), ...f32Mul, ...f32Sub, ...f32Store(),
    ]),
  ];
  return { name: 'softmaxGrad', params: 5, locals: [[4, I32], [2, F32]], code: [...get(T), ...shl2, ...set(rowBytes), ...loop(r, i32(0), get(rows), 1, perRow)] };
}

export interface StridedProducts {
  product(
    A: number, B: number, C: number, out: number, nb: number, nh: number, I: number, J: number, K: number, block: number,
    aB: number, aH: number, aI: number, aK: number, bB: number, bH: number, bK: number, cB: number, cH: number, cI: number, oB: number, oH: number, oI: number,
    relu: number, resume: number,
  ): void;
  softmaxGrad(dp: number, p: number, out: number, rows: number, T: number): void;
}

const instances = new WeakMap<WasmMemory, StridedProducts>();

export function stridedProducts(memory: WasmMemory): StridedProducts | null {
  return instantiate(memory, () => [productBody(), softmaxGradBody()], instances);
}

/** An operand of a product: its data's byte address and its strides (elements) along b, h and its two matrix axes. */
export interface Operand {
  at: number;
  b: number;
  h: number;
  /** The stride of the output row's axis (A) or of the shared axis (B). */
  row: number;
  /** The stride of the shared axis (A); 1 for B, C and out. */
  col: number;
}

/**
 * out[b,h,i,j] = Σ_k A[b,h,i,k]·B[b,h,k,j] (+ C) over nb × nh batches of I × J outputs and K shared, summed as the
 * convolution and XNNPACK's 2-D product do (`blocked` false) or as tfjs's batched matMul does (true); with `relu`, then
 * WASM's Relu.
 */
/** No addend: C's pointer 0. */
const NO_C: Operand = { at: 0, b: 0, h: 0, row: 0, col: 1 };

export function stridedProduct(fns: StridedProducts, A: Operand, B: Operand, C: Operand | null, out: Operand, nb: number, nh: number, I: number, J: number, K: number, blocked: boolean, relu = false): void {
  const c = C ?? NO_C;
  fns.product(A.at, B.at, c.at, out.at, nb, nh, I, J, K, blocked ? 48 : Math.max(K, 1), A.b, A.h, A.row, A.col, B.b, B.h, B.row, c.b, c.h, c.row, out.b, out.h, out.row, relu ? 1 : 0, 0);
}

/**
 * The unblocked product (each output summed from +0 in order over k, as the convolution and XNNPACK's 2-D product do)
 * over `chunk` shared indices at a time: each pass resumes its sums from the partial sums the last one stored, so the
 * floats are the one sequential sum's, while a pass's rows of A and B stay in the cache for every output. That is what
 * a long shared axis needs (a weight's gradient sums over the batch's thousands of tokens); C and relu come with the
 * last pass.
 */
export function stridedProductChunked(fns: StridedProducts, A: Operand, B: Operand, C: Operand | null, out: Operand, nb: number, nh: number, I: number, J: number, K: number, chunk: number, relu = false): void {
  if (K <= chunk) return stridedProduct(fns, A, B, C, out, nb, nh, I, J, K, false, relu);
  const c = C ?? NO_C;
  for (let k0 = 0; k0 < K; k0 += chunk) {
    const n = Math.min(chunk, K - k0);
    const last = k0 + n >= K;
    fns.product(
      A.at + 4 * k0 * A.col, B.at + 4 * k0 * B.row, last ? c.at : 0, out.at, nb, nh, I, J, n, n,
      A.b, A.h, A.row, A.col, B.b, B.h, B.row, c.b, c.h, c.row, out.b, out.h, out.row, last && relu ? 1 : 0, k0 > 0 ? 1 : 0,
    );
  }
}

/**
 * act(A·B + bias) as XNNPACK's fully connected operator computes it (tfjs's fused matMul): each sum starts from the
 * bias and adds the products in order; with `relu`, then XNNPACK's clamp.
 */
export function stridedProductFromBias(fns: StridedProducts, A: Operand, B: Operand, bias: Operand, out: Operand, I: number, J: number, K: number, relu = false): void {
  fns.product(A.at, B.at, bias.at, out.at, 1, 1, I, J, K, Math.max(K, 1), 0, 0, A.row, A.col, 0, 0, B.row, 0, 0, bias.row, 0, 0, out.row, relu ? 1 : 0, 2);
}
