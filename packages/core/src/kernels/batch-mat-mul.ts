import { ShapeError } from '../errors.js';
import { tf } from '../tf.js';
import type { KernelModule } from './kernel-module.js';
import type { WasmBackendInternals } from './wasm-backend.js';

/** Attributes of the `BatchMatMul` kernel. */
interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * A `BatchMatMul` kernel for the wasm backend that runs every (broadcast) batch slice through deitjs's
 * packed SIMD GEMM. tfjs-backend-wasm sends everything except an untransposed single-slice product to a
 * scalar triple loop (~1 GFLOP/s); attention's q·kᵀ and attn·v and every backward product of a matMul
 * (which carry transposeA or transposeB) land there.
 */
export function makeBatchMatMul(mod: KernelModule, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
    const be = backend as unknown as WasmBackendInternals;
    // Other dtypes keep tfjs's own behaviour (its wasm kernel rejects them).
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if (k !== kb) {
      throw new ShapeError('b', `matMul inner dimensions differ: ${k} vs ${kb} (shapes [${a.shape}] and [${b.shape}], transposeA=${transposeA}, transposeB=${transposeB})`);
    }
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
    const out = be.makeOutput([...outer, m, n], 'float32');
    const batch = outer.reduce((x, y) => x * y, 1);
    if (batch * m * n === 0) return out;

    const aSize = a.shape.reduce((x, y) => x * y, 1);
    const bSize = b.shape.reduce((x, y) => x * y, 1);
    const [aOff, bOff, cOff] = mod.regions(4 * aSize, 4 * bSize, 4 * batch * m * n) as [number, number, number];
    // Views of tfjs's heap are taken after makeOutput, whose allocation may have grown (replaced) it.
    mod.f32(aOff, aSize).set(be.typedArrayFromHeap(a) as Float32Array);
    mod.f32(bOff, bSize).set(be.typedArrayFromHeap(b) as Float32Array);

    // a(i, p) = a[i·rsa + p·csa] and b(p, j) = b[p·rsb + j·csb] within one slice.
    const [rsa, csa] = transposeA ? [1, m] : [k, 1];
    const [rsb, csb] = transposeB ? [1, k] : [n, 1];
    const sliceA = m * k;
    const sliceB = k * n;
    const sliceC = m * n;
    const gemm = mod.exports.gemm;
    const bBatch = outerB.reduce((x, y) => x * y, 1);
    if (bBatch === 1 && !transposeA && outerA.reduce((x, y) => x * y, 1) === batch) {
      // One shared B and no broadcast of A: the batch folds into the rows of a single GEMM.
      gemm(batch * m, n, k, aOff, rsa, csa, bOff, rsb, csb, cOff, n, mod.packA, mod.packB);
    } else {
      const idxA = broadcastIndex(outer, outerA);
      const idxB = broadcastIndex(outer, outerB);
      for (let s = 0; s < batch; s++) {
        gemm(m, n, k, aOff + 4 * idxA[s]! * sliceA, rsa, csa, bOff + 4 * idxB[s]! * sliceB, rsb, csb, cOff + 4 * s * sliceC, n, mod.packA, mod.packB);
      }
    }
    (be.typedArrayFromHeap(out) as Float32Array).set(mod.f32(cOff, batch * sliceC));
    return out;
  };
}

/** For each flat index of `outer`, the flat index of the corresponding slice of `inner` (numpy broadcasting). */
function broadcastIndex(outer: number[], inner: number[]): Int32Array {
  const total = outer.reduce((x, y) => x * y, 1);
  const idx = new Int32Array(total);
  const pad = outer.length - inner.length;
  // Strides of `inner`, zero along broadcast (size-1 or missing) dimensions.
  const strides = new Array<number>(outer.length).fill(0);
  let s = 1;
  for (let d = inner.length - 1; d >= 0; d--) {
    strides[d + pad] = inner[d] === 1 ? 0 : s;
    s *= inner[d]!;
  }
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let at = 0;
    for (let d = outer.length - 1; d >= 0; d--) {
      const size = outer[d]!;
      at += (rem % size) * strides[d]!;
      rem = Math.floor(rem / size);
    }
    idx[flat] = at;
  }
  return idx;
}
