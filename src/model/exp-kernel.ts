// WASM's Exp kernel (tfjs-backend-wasm: std::exp on each float32, which Emscripten's libc, musl, computes with Arm's
// optimized-routines expf) written out in WebAssembly, the same operations in the same order, so the same bits, in
// about half the time (4.1 ns a float against the kernel's 8–9 in an update step). Checked bit for bit against tf.exp
// on WASM: exp-kernel.test.ts, and once over all 2³² float32 values, NaNs included (0 differences, 132 s).
//
// expf(x), x a float32, in float64 arithmetic (each operation correctly rounded, no fused multiply-add):
//   z = x·32/ln 2; kd = z + 1.5·2⁵², ki = the bits of kd; kd = kd − 1.5·2⁵²  (z rounded to an integer k, ties to even)
//   r = z − kd; s = the float64 whose bits are T[ki mod 32] + ki·2⁴⁷  (2^(k/32))
//   y = ((C0·r + C1)·r² + (C2·r + 1))·s, returned rounded to float32;
// x > 88.72283935546875 (0x1.62e42ep6) gives +∞, x < −103.97207641601562 (0x1.9fe368p6) gives +0, a NaN gives x + x.
import { add, and, f32, F32, f32Add, f32Gt, f32Load, f32Lt, f32Ne, f32Store, get, I32, i32, instantiate, loop, select, set, shl2, type WasmFunction, type WasmMemory } from './wasm-asm.ts';

const F64 = 0x7c;
const I64 = 0x7e;
const f64 = (v: number): number[] => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)];
const i64Small = (v: number): number[] => [0x42, v & 0x7f]; // 0 ≤ v < 64
const f64Add = [0xa0];
const f64Sub = [0xa1];
const f64Mul = [0xa2];
const f64FromF32 = [0xbb];
const f32FromF64 = [0xb6];
const i64FromBits = [0xbd];
const f64FromBits = [0xbf];
const i32FromI64 = [0xa7];
const i64Add = [0x7c];
const i64Shl = [0x86];
const i64Load = [0x29, 0x03, 0x00];
const i32Shl = [0x74];

/** Arm's __exp2f_data.tab: the bits of 2^(i/32) with i·2⁴⁷ subtracted, so that adding ki·2⁴⁷ gives 2^(ki/32). */
const TABLE = [
  0x3ff0000000000000n, 0x3fefd9b0d3158574n, 0x3fefb5586cf9890fn, 0x3fef9301d0125b51n, 0x3fef72b83c7d517bn, 0x3fef54873168b9aan,
  0x3fef387a6e756238n, 0x3fef1e9df51fdee1n, 0x3fef06fe0a31b715n, 0x3feef1a7373aa9cbn, 0x3feedea64c123422n, 0x3feece086061892dn,
  0x3feebfdad5362a27n, 0x3feeb42b569d4f82n, 0x3feeab07dd485429n, 0x3feea47eb03a5585n, 0x3feea09e667f3bcdn, 0x3fee9f75e8ec5f74n,
  0x3feea11473eb0187n, 0x3feea589994cce13n, 0x3feeace5422aa0dbn, 0x3feeb737b0cdc5e5n, 0x3feec49182a3f090n, 0x3feed503b23e255dn,
  0x3feee89f995ad3adn, 0x3feeff76f2fb5e47n, 0x3fef199bdd85529cn, 0x3fef3720dcef9069n, 0x3fef5818dcfba487n, 0x3fef7c97337b9b5fn,
  0x3fefa4afa2a490dan, 0x3fefd0765b6e4540n,
];

/** The table as the 64 float32 words a tensor holds (little-endian), for `expf`'s `table` pointer. */
export const EXP_TABLE_WORDS = new Float32Array(BigUint64Array.from(TABLE).buffer);

const N = 32;
const INV_LN2_N = 1.4426950408889634 * N; // 0x1.71547652b82fep+0 · 32
const SHIFT = 6755399441055744; // 0x1.8p+52
const C0 = 0.05550361559341535 / N / N / N; // 0x1.c6af84b912394p-5 / 32³
const C1 = 0.2402284522445722 / N / N; // 0x1.ebfce50fac4f3p-3 / 32²
const C2 = 0.6931471806916203 / N; // 0x1.62e42ff0c52d6p-1 / 32
const OVERFLOW = 88.72283935546875; // 0x1.62e42ep6
const UNDERFLOW = -103.97207641601562; // -0x1.9fe368p6

function expBody(): WasmFunction {
  // params: x 0, out 1, n 2, table 3; i32 locals i 4, end 5; f32 locals xf 6, yf 7; f64 locals z 8, kd 9, r 10, y 11; i64 ki 12
  const [x, out, n, table, i, end, xf, yf, z, kd, r, y, ki] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  /** yf = cond ? value : yf */
  const override = (value: number[], cond: number[]): number[] => [...value, ...get(yf), ...cond, ...select, ...set(yf)];
  const perFloat = [
    ...get(x), ...get(i), ...add, ...f32Load(), ...set(xf),
    ...f64(INV_LN2_N), ...get(xf), ...f64FromF32, ...f64Mul, ...set(z),
    ...get(z), ...f64(SHIFT), ...f64Add, ...set(kd),
    ...get(kd), ...i64FromBits, ...set(ki),
    ...get(kd), ...f64(SHIFT), ...f64Sub, ...set(kd),
    ...get(z), ...get(kd), ...f64Sub, ...set(r),
    // y = C2·r + 1; y = (C0·r + C1)·r² + y; y = y·s
    ...f64(C2), ...get(r), ...f64Mul, ...f64(1), ...f64Add, ...set(y),
    ...f64(C0), ...get(r), ...f64Mul, ...f64(C1), ...f64Add, ...get(r), ...get(r), ...f64Mul, ...f64Mul, ...get(y), ...f64Add,
    ...get(table), ...get(ki), ...i32FromI64, ...i32(N - 1), ...and, ...i32(3), ...i32Shl, ...add, ...i64Load,
    ...get(ki), ...i64Small(47), ...i64Shl, ...i64Add, ...f64FromBits,
    ...f64Mul, ...f32FromF64, ...set(yf),
    // out of range, or NaN
    ...override(f32(Infinity), [...get(xf), ...f32(OVERFLOW), ...f32Gt]),
    ...override(f32(0), [...get(xf), ...f32(UNDERFLOW), ...f32Lt]),
    ...override([...get(xf), ...get(xf), ...f32Add], [...get(xf), ...get(xf), ...f32Ne]),
    ...get(out), ...get(i), ...add, ...get(yf), ...f32Store(),
  ];
  return {
    name: 'exp',
    params: 4,
    locals: [[2, I32], [2, F32], [4, F64], [1, I64]],
    code: [...get(n), ...shl2, ...set(end), ...loop(i, i32(0), get(end), 4, perFloat)],
  };
}

export interface ExpKernel {
  exp(x: number, out: number, n: number, table: number): void;
}

const instances = new WeakMap<WasmMemory, ExpKernel>();

export function expKernel(memory: WasmMemory): ExpKernel | null {
  return instantiate(memory, () => [expBody()], instances);
}

