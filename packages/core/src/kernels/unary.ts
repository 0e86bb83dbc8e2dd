import type { tf } from '../tf.js';
import type { KernelModule } from './kernel-module.js';
import type { WasmBackendInternals } from './wasm-backend.js';

/** The element-wise float32 functions compiled in kernels-src/unary.c. */
export type UnaryExport = 'exp_f32' | 'erf_f32';

/**
 * An element-wise wasm kernel that runs deitjs's SIMD `fn` over the input (copied into the kernel
 * module's memory and back). tfjs-backend-wasm computes Exp and Erf with a scalar libm call per element;
 * GELU's forward (erf) and backward (exp) run on the largest activation of every block.
 */
export function makeUnary(fn: UnaryExport): (mod: KernelModule, original: tf.KernelFunc) => tf.KernelFunc {
  return (mod, original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const n = x.shape.reduce((a, b) => a * b, 1);
    // Other dtypes, and inputs beyond 1 GiB (the kernel module's memory is 2 GiB at most), keep tfjs's kernel.
    if (x.dtype !== 'float32' || 4 * n > 2 ** 30) return original(args);
    const be = args.backend as unknown as WasmBackendInternals;
    const out = be.makeOutput(x.shape, 'float32');
    if (n === 0) return out;
    const [off] = mod.regions(4 * n) as [number];
    mod.f32(off, n).set(be.typedArrayFromHeap(x) as Float32Array);
    mod.exports[fn](off, off, n);
    (be.typedArrayFromHeap(out) as Float32Array).set(mod.f32(off, n));
    return out;
  };
}
