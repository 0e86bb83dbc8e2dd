import { tf } from '../tf.js';
import type { WasmBackendInternals } from './wasm-backend.js';

type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * Copies the box `begin + [0, size)` of `x` (row-major `shape`) into `out` as contiguous runs: the
 * trailing dimensions a slice keeps whole, plus the last one it cuts, form one run per outer index.
 */
function copyBox(x: HeapArray, shape: number[], begin: number[], size: number[], out: HeapArray): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  let cut = rank - 1;
  while (cut > 0 && size[cut] === shape[cut] && begin[cut] === 0) cut--;
  const strides = tf.util.computeStrides(shape);
  const stride = (d: number) => (d === rank - 1 ? 1 : strides[d]!);
  const run = size.slice(cut).reduce((a, b) => a * b, 1);
  const outer = size.slice(0, cut).reduce((a, b) => a * b, 1);
  if (run * outer === 0) return;
  const idx = new Array<number>(cut).fill(0);
  let src = begin.reduce((acc, b, d) => acc + b * stride(d), 0);
  for (let o = 0, dst = 0; o < outer; o++, dst += run) {
    if (run >= 16) out.set(x.subarray(src, src + run), dst);
    else for (let i = 0; i < run; i++) out[dst + i] = x[src + i]!;
    // Odometer step over the outer indices, moving `src` by the matching strides.
    for (let d = cut - 1; d >= 0; d--) {
      src += stride(d);
      if (++idx[d]! < size[d]!) break;
      src -= size[d]! * stride(d);
      idx[d] = 0;
    }
  }
}

function sliceInto(be: WasmBackendInternals, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = be.makeOutput(size, x.dtype);
  // Heap views are taken after makeOutput, whose allocation may have grown (replaced) the heap.
  copyBox(be.typedArrayFromHeap(x), x.shape, begin, size, be.typedArrayFromHeap(out));
  return out;
}

/**
 * `Slice` for the wasm backend reading tfjs's heap in place. tfjs's wasm Slice first copies the whole
 * input out of the heap (`readSync`) on every call, so `split` into p parts copies the input p times.
 */
export function makeSlice(_mod: unknown, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    return sliceInto(args.backend as unknown as WasmBackendInternals, x, b, s);
  };
}

/** `SplitV` for the wasm backend: each part is an in-place {@link makeSlice} of the input. */
export function makeSplitV(_mod: unknown, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[ax] = s;
      const part = sliceInto(args.backend as unknown as WasmBackendInternals, x, begin.slice(), size);
      begin[ax]! += s;
      return part;
    });
  };
}
