import { tf } from '../tf.js';
import type { KernelModule } from './kernel-module.js';
import type { WasmBackendInternals } from './wasm-backend.js';

/**
 * `Sum` for the wasm backend when the reduced axes are consecutive and not innermost (bias and
 * LayerNorm parameter gradients: `[T, C] → [C]`). tfjs's wasm Sum first transposes the reduced axes to
 * the end, and its 2-D transpose walks memory with a large stride (~10 ns per element); here rows are
 * accumulated with SIMD in float64 (like the cpu backend), `sum_middle` in reduce.c. Other reductions
 * keep tfjs's kernel.
 */
export function makeSum(mod: KernelModule, original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return original(args);
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const first = axes[0];
    const last = axes[axes.length - 1];
    if (first === undefined || last === undefined || last === x.shape.length - 1 || last - first + 1 !== axes.length) return original(args);
    const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const outer = prod(x.shape.slice(0, first));
    const red = prod(x.shape.slice(first, last + 1));
    const inner = prod(x.shape.slice(last + 1));
    const outShape = keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : x.shape.filter((_, i) => i < first || i > last);
    const size = outer * red * inner;
    // Empty inputs, and inputs beyond 1 GiB (the kernel module's memory is 2 GiB at most): tfjs's kernel.
    if (size === 0 || 4 * size > 2 ** 30) return original(args);
    const be = args.backend as unknown as WasmBackendInternals;
    const out = be.makeOutput(outShape, 'float32');
    const [xOff, yOff, accOff] = mod.regions(4 * size, 4 * outer * inner, 8 * inner) as [number, number, number];
    mod.f32(xOff, size).set(be.typedArrayFromHeap(x) as Float32Array);
    mod.exports.sum_middle(xOff, yOff, accOff, outer, red, inner);
    (be.typedArrayFromHeap(out) as Float32Array).set(mod.f32(yOff, outer * inner));
    return out;
  };
}
