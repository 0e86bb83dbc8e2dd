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
 * scalar triple loop (~2.5 GFLOP/s here); attention's q·kᵀ and attn·v and every backward product of a matMul
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
    const batch = outer.reduce((x, y) => x * y, 1);
    const aSize = a.shape.reduce((x, y) => x * y, 1);
    const bSize = b.shape.reduce((x, y) => x * y, 1);
    // Operands are copied into the kernel module's memory (2 GiB at most); beyond 1 GiB keep tfjs's kernel.
    if (4 * (aSize + bSize + batch * m * n) > 2 ** 30) return fallback(args);
    const out = be.makeOutput([...outer, m, n], 'float32');
    if (batch * m * n === 0) return out;

    const bBatch = outerB.reduce((x, y) => x * y, 1);
    // One shared B and no broadcast of A: the batch folds into the rows of a single GEMM.
    const fold = bBatch === 1 && !transposeA && outerA.reduce((x, y) => x * y, 1) === batch;
    const rows = fold ? batch * m : m;
    const blocks = fold || batch === 1 ? splitBlocks(rows, n, k, mod.threads) : [];
    const taskCount = blocks.length > 0 ? blocks.length : batch;
    const [tOff, aOff, bOff, cOff] = mod.regions(20 * taskCount, 4 * aSize, 4 * bSize, 4 * batch * m * n) as [number, number, number, number];
    // Views of tfjs's heap are taken after makeOutput, whose allocation may have grown (replaced) it.
    mod.f32(aOff, aSize).set(be.typedArrayFromHeap(a) as Float32Array);
    mod.f32(bOff, bSize).set(be.typedArrayFromHeap(b) as Float32Array);

    // a(i, p) = a[i·rsa + p·csa] and b(p, j) = b[p·rsb + j·csb] within one slice.
    const [rsa, csa] = transposeA ? [1, m] : [k, 1];
    const [rsb, csb] = transposeB ? [1, k] : [n, 1];
    // Task table rows {a, b, c, rows, cols} in bytes and elements (see gemm_tasks in gemm.c).
    const tasks = mod.i32(tOff, 5 * taskCount);
    if (blocks.length > 0) {
      // One product, cut into row or column blocks for the threads.
      for (const [t, [i0, j0, mi, nj]] of blocks.entries()) tasks.set([aOff + 4 * i0 * rsa, bOff + 4 * j0 * csb, cOff + 4 * (i0 * n + j0), mi, nj], 5 * t);
    } else {
      const idxA = broadcastIndex(outer, outerA);
      const idxB = broadcastIndex(outer, outerB);
      for (let s = 0; s < batch; s++) tasks.set([aOff + 4 * idxA[s]! * m * k, bOff + 4 * idxB[s]! * k * n, cOff + 4 * s * m * n, m, n], 5 * s);
    }
    mod.gemmTasks(tOff, taskCount, k, rsa, csa, rsb, csb, n);
    (be.typedArrayFromHeap(out) as Float32Array).set(mod.f32(cOff, batch * m * n));
    return out;
  };
}

/**
 * Cuts one m×n product into at most `threads` blocks [i0, j0, rows, cols] along its longer side, in
 * multiples of the 4×8 micro-tile; small products (< 2^20 multiply-adds) stay whole.
 */
function splitBlocks(m: number, n: number, k: number, threads: number): [number, number, number, number][] {
  if (threads <= 1 || m * n * k < 2 ** 20) return [[0, 0, m, n]];
  const byCols = n >= m;
  const size = byCols ? n : m;
  const unit = byCols ? 8 : 4;
  const step = Math.ceil(size / threads / unit) * unit;
  const out: [number, number, number, number][] = [];
  for (let s = 0; s < size; s += step) {
    const len = Math.min(step, size - s);
    out.push(byCols ? [0, s, m, len] : [s, 0, len, n]);
  }
  return out;
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
