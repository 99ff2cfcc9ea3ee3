// Kernels of tfjs-backend-wasm 4.22 replaced by ones that skip its copies and give the same bytes.
// - Identity, and Cast to the dtype a tensor already has, copy their input; a mean's gradient casts float32 to
//   float32. Tensors are immutable, so these share the data under a reference count, as WASM's Reshape and the cpu
//   backend's Identity do. The engine's own clones of the tensors a gradient will read share it without the call.
// - Slice reads the whole input through `readSync` (a copy of every element, per slice) and then copies each row
//   through a fresh `subarray`; Concat makes a `subarray` per row and input. These copy only the data inside WASM
//   memory: runs of 4-byte elements in one WebAssembly call (model/transpose.ts's `runs`), others row by row
//   (`copyWithin`).
// - Transpose moves one element at a time with an index computation each; model/transpose.ts copies runs and 4×4 tiles
//   in WebAssembly.
import * as tf from '@tensorflow/tfjs';
import { type TransposeWasm, transposeInto, transposeWasm } from './model/transpose.ts';

/** What the project's WASM kernels use of tfjs-backend-wasm's backend: its heap and its tensor bookkeeping. */
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array; HEAPF32: Float32Array; asm?: { memory?: object }; wasmMemory?: object };
  incRef(dataId: object): void;
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

export type KernelArgs = Parameters<tf.KernelFunc>[0];
/** A replacement kernel; it may hand a case it does not take to WASM's own (`original`). */
export type KernelReplacement = (original: tf.KernelFunc, args: KernelArgs) => ReturnType<tf.KernelFunc>;

/**
 * Registers `impl` as WASM's kernel `name`, keeping the original's set-up (it runs when the backend starts, so call
 * this before). False when WASM has no such kernel.
 */
export function replaceWasmKernel(name: string, impl: KernelReplacement): boolean {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return false;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: (args) => impl(original.kernelFunc, args) });
  return true;
}

/** Runs shorter than this are copied element by element (copyWithin's call costs more than a few moves). */
const SHORT_RUN = 8;

/**
 * A heap view whose element is the dtype's size (4 bytes for float32 and int32, 1 for bool); null for strings. Integers,
 * so that a copy keeps every bit (a float read into JavaScript may lose a NaN's payload).
 */
function heapView(backend: WasmBackend, dtype: tf.DataType): { view: Int32Array | Uint8Array; bytes: number } | null {
  const buffer = backend.wasm.HEAPU8.buffer;
  if (dtype === 'float32' || dtype === 'int32') return { view: new Int32Array(buffer), bytes: 4 };
  if (dtype === 'bool') return { view: new Uint8Array(buffer), bytes: 1 };
  return null;
}

/**
 * Copies x[begin : begin+size] into a new output. The trailing axes the slice covers whole are one contiguous run with
 * the first axis it does not; every index of the axes before that is one run to copy.
 */
function sliceCopy(backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo | null {
  if (x.shape.length === 0) return null;
  const out = backend.makeOutput(size, x.dtype);
  const total = size.reduce((a, b) => a * b, 1);
  if (total === 0) return out;
  const heap = heapView(backend, x.dtype); // after makeOutput, which may grow the memory
  if (!heap) {
    (backend as unknown as tf.KernelBackend).disposeData(out.dataId);
    return null;
  }
  const { view, bytes } = heap;
  const rank = x.shape.length;
  const strides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    strides[a] = s;
    s *= x.shape[a]!;
  }
  let j = rank - 1;
  while (j > 0 && size[j] === x.shape[j]) j--;
  const run = size.slice(j).reduce((a, b) => a * b, 1);
  const src0 = backend.getMemoryOffset(x.dataId) / bytes;
  let dst = backend.getMemoryOffset(out.dataId) / bytes;
  const index = new Array<number>(j).fill(0);
  let base = src0;
  for (let a = 0; a <= j; a++) base += begin[a]! * strides[a]!;
  const fns = bytes === 4 ? runsOf(backend) : null;
  // With WebAssembly, one call copies the runs of the last two outer axes; the axes before them (`lead`) are counted
  // here. Without, each run is copied here.
  const lead = fns ? Math.max(0, j - 2) : j;
  const [n1, n2] = [j - 2 >= 0 ? size[j - 2]! : 1, j - 1 >= 0 ? size[j - 1]! : 1];
  const per = fns ? n1 * n2 * run : run;
  for (let n = 0; n < total / per; n++) {
    let src = base;
    for (let a = 0; a < lead; a++) src += index[a]! * strides[a]!;
    if (fns) fns.runs(4 * src, 4 * dst, n1, n2, run, j - 2 >= 0 ? strides[j - 2]! : 0, j - 1 >= 0 ? strides[j - 1]! : 0, n2 * run, run);
    else if (run < SHORT_RUN) for (let i = 0; i < run; i++) view[dst + i] = view[src + i]!;
    else view.copyWithin(dst, src, src + run);
    dst += per;
    for (let a = lead - 1; a >= 0; a--) {
      if (++index[a]! < size[a]!) break;
      index[a] = 0;
    }
  }
  return out;
}

function slice(original: tf.KernelFunc, args: KernelArgs): ReturnType<tf.KernelFunc> {
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.TensorInfo as tf.Tensor, begin, size);
  if (x.dtype === 'string') return original(args);
  return sliceCopy(args.backend as unknown as WasmBackend, x, b, s) ?? original(args);
}

function splitV(original: tf.KernelFunc, args: KernelArgs): ReturnType<tf.KernelFunc> {
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  if (x.dtype === 'string') return original(args);
  const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.TensorInfo as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[ax] = s;
    const piece = sliceCopy(args.backend as unknown as WasmBackend, x, begin.slice(), size);
    if (!piece) throw new Error(`SplitV: cannot slice a ${x.dtype} tensor of shape [${x.shape}]`);
    begin[ax]! += s;
    return piece;
  });
}

/** Concatenation: each input's rows copied inside WASM memory (WASM's own makes a `subarray` per row and input). */
function concat(original: tf.KernelFunc, args: KernelArgs): ReturnType<tf.KernelFunc> {
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const size = (t: tf.TensorInfo): number => t.shape.reduce((a, b) => a * b, 1);
  const nonEmpty = inputs.filter((t) => size(t) > 0);
  if (nonEmpty.length < 2 || nonEmpty[0]!.dtype === 'string' || nonEmpty.some((t) => t.dtype !== nonEmpty[0]!.dtype)) return original(args);
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0]!.shape)[0]!;
  tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
  const backend = args.backend as unknown as WasmBackend;
  const out = backend.makeOutput(tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis), nonEmpty[0]!.dtype);
  const { view, bytes } = heapView(backend, out.dtype)!;
  const rows = nonEmpty[0]!.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = nonEmpty.map((t) => size(t) / rows);
  const starts = nonEmpty.map((t) => backend.getMemoryOffset(t.dataId) / bytes);
  let dst = backend.getMemoryOffset(out.dataId) / bytes;
  const fns = bytes === 4 ? runsOf(backend) : null;
  if (fns) {
    // Each input's rows in one WebAssembly call.
    const outInner = inner.reduce((a, b) => a + b, 0);
    nonEmpty.forEach((_, i) => {
      fns.runs(4 * starts[i]!, 4 * dst, rows, 1, inner[i]!, inner[i]!, 0, outInner, 0);
      dst += inner[i]!;
    });
    return out;
  }
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < nonEmpty.length; i++) {
      const n = inner[i]!;
      const src = starts[i]! + r * n;
      if (n < SHORT_RUN) for (let e = 0; e < n; e++) view[dst + e] = view[src + e]!;
      else view.copyWithin(dst, src, src + n);
      dst += n;
    }
  return out;
}

/** model/transpose.ts's kernels over the backend's memory, where it exports it. */
function runsOf(backend: WasmBackend): TransposeWasm | null {
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  return memory ? transposeWasm(memory) : null;
}

/** Transposes of 4-byte elements in WebAssembly (model/transpose.ts); others, and without an exported memory, WASM's own. */
function transpose(original: tf.KernelFunc, args: KernelArgs): ReturnType<tf.KernelFunc> {
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  const perm = (args.attrs as { perm: number[] }).perm;
  const backend = args.backend as unknown as WasmBackend;
  const fns = x.dtype === 'float32' || x.dtype === 'int32' ? runsOf(backend) : null;
  if (!fns) return original(args);
  const out = backend.makeOutput(perm.map((a) => x.shape[a]!), x.dtype);
  transposeInto(fns, backend.getMemoryOffset(x.dataId), backend.getMemoryOffset(out.dataId), x.shape, perm);
  return out;
}

/** The input itself, one more reference to its data. */
function share(backend: WasmBackend, x: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function identity(_original: tf.KernelFunc, args: KernelArgs): ReturnType<tf.KernelFunc> {
  return share(args.backend as unknown as WasmBackend, (args.inputs as { x: tf.TensorInfo }).x);
}

function cast(original: tf.KernelFunc, args: KernelArgs): ReturnType<tf.KernelFunc> {
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  return (args.attrs as { dtype: tf.DataType }).dtype === x.dtype ? share(args.backend as unknown as WasmBackend, x) : original(args);
}

/** What `shareSavedTensors` uses of tfjs's engine (tfjs-core 4.22's Engine). */
interface EngineInternals {
  backendName: string;
  backend: WasmBackend;
  state: { activeScope: { name: string } };
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: unknown): tf.Tensor;
  addTapeNode(kernelName: string, inputs: tf.NamedTensorMap, outputs: tf.Tensor[], gradFunc: (dy: tf.Tensor) => Record<string, () => tf.Tensor>, saved: tf.Tensor[], attrs: object): void;
}

/**
 * While a tape records, tfjs's engine keeps every tensor a gradient will read (a kernel's saved inputs and outputs,
 * customGrad's `save`) as a clone made by a call of the Identity kernel: 505 of an update step's 2,416 kernel calls.
 * On WASM that kernel shares the data (above), so the clone is made here the same way without the call: one more
 * reference to the data and a new tensor over it, with the tape node the engine's clone records (its gradient casts
 * to float32, as tfjs's).
 */
function shareSavedTensors(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  const cloneWithKernel = engine.clone;
  engine.clone = function (this: EngineInternals, x: tf.Tensor): tf.Tensor {
    if (this.backendName !== 'wasm') return cloneWithKernel.call(this, x);
    this.backend.incRef(x.dataId);
    const y = this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
    this.addTapeNode(this.state.activeScope.name, { x }, [y], (dy) => ({ x: () => tf.cast(dy, 'float32') }), [], {});
    return y;
  };
}

let installed: string[] = [];

/** The kernels replaced so far (tests check that theirs are the ones running). */
export function installedWasmKernels(): readonly string[] {
  return installed;
}

/** Replaces WASM's Identity, Cast, Slice, SplitV, Concat and Transpose (call before the wasm backend starts). */
export function installWasmKernels(): void {
  if (installed.length) return;
  for (const [name, impl] of [['Identity', identity], ['Cast', cast], ['Slice', slice], ['SplitV', splitV], ['Concat', concat], ['Transpose', transpose]] as const)
    if (replaceWasmKernel(name, impl)) installed.push(name);
  if (installed.includes('Identity')) shareSavedTensors();
}
