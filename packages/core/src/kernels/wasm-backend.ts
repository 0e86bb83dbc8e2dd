import type { tf } from '../tf.js';

/**
 * The parts of tfjs-backend-wasm's `BackendWasm` that deitjs's kernels use (public members of the class,
 * typed here so core needs no type import from the backend package).
 */
export interface WasmBackendInternals {
  /** Allocates an output tensor on the wasm heap. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A typed-array view of a tensor's bytes on the wasm heap (invalidated when the heap grows). */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}
