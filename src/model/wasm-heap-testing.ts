// What the WASM kernels' tests read of the backend: its memory, a tensor's byte offset in WASM memory, and float32 values as
// bits with every NaN canonical (a WebAssembly operation may give a NaN either sign).
import * as tf from '@tensorflow/tfjs';

interface Heap {
  wasm: { asm: { memory: object } };
  getMemoryOffset(dataId: object): number;
}

/** The WASM backend's memory, which the kernels are instantiated over. */
export function wasmMemory(): object {
  return (tf.backend() as unknown as Heap).wasm.asm.memory;
}

/** The byte offset of a tensor's data in the WASM backend's memory. */
export function wasmOffset(t: tf.Tensor): number {
  return (tf.backend() as unknown as Heap).getMemoryOffset(t.dataId);
}

/** The bits of float32 values, every NaN as the canonical one. */
export function canonicalBits(v: Float32Array | ArrayLike<number>): number[] {
  return Array.from(new Int32Array(Float32Array.from(v, (x) => (Number.isNaN(x) ? NaN : x)).buffer));
}
