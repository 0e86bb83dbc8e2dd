import { BatchMatMul } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { maxAbsDiff, relL2Error } from '../compare.js';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';
import { ConfigError } from '../errors.js';
import { registerWasmKernels, restoreWasmKernels, wasmKernelThreads, wasmKernelsActive } from './register.js';

type Case = { a: number[]; b: number[]; ta: boolean; tb: boolean };

// Shapes chosen to cover: every transpose combination at rank 3 and 4; a shared rank-2 operand on either
// side (folded and per-slice paths); broadcast batch dims; edge tiles (sizes not multiples of the 4×8
// micro-tile); and one product crossing every cache block (k > 256, m > 128, n > 1024).
const CASES: Case[] = [
  { a: [3, 5, 7], b: [3, 7, 4], ta: false, tb: false },
  { a: [3, 7, 5], b: [3, 7, 4], ta: true, tb: false },
  { a: [3, 5, 7], b: [3, 4, 7], ta: false, tb: true },
  { a: [3, 7, 5], b: [3, 4, 7], ta: true, tb: true },
  { a: [2, 3, 9, 17], b: [2, 3, 17, 11], ta: false, tb: false },
  { a: [2, 3, 17, 9], b: [2, 3, 11, 17], ta: true, tb: true },
  { a: [6, 66, 64], b: [6, 66, 64], ta: false, tb: true },
  { a: [6, 66, 66], b: [6, 66, 64], ta: true, tb: false },
  { a: [4, 13, 6], b: [6, 10], ta: false, tb: false },
  { a: [4, 6, 13], b: [10, 6], ta: true, tb: true },
  { a: [13, 6], b: [4, 6, 10], ta: false, tb: false },
  { a: [1, 5, 7], b: [3, 7, 4], ta: false, tb: false },
  { a: [3, 5, 7], b: [1, 4, 7], ta: false, tb: true },
  { a: [33, 20], b: [20, 19], ta: false, tb: false },
  { a: [20, 33], b: [19, 20], ta: true, tb: true },
  { a: [130, 300], b: [300, 1030], ta: false, tb: false },
  { a: [300, 130], b: [1030, 300], ta: true, tb: true },
];

// tfjs's BatchMatMul gradient itself rejects broadcast batch dims, so gradients are compared where it has them.
const hasGrad = (c: Case) => c.a.slice(0, -2).join() === c.b.slice(0, -2).join();
const label = (c: Case) => `[${c.a}]${c.ta ? 'ᵀ' : ''}·[${c.b}]${c.tb ? 'ᵀ' : ''}`;
const size = (s: number[]) => s.reduce((x, y) => x * y, 1);

function inputs(c: Case, seed: number): [Float32Array, Float32Array] {
  const rng = new Rng(seed);
  return [rng.uniformArray(size(c.a), -1, 1), rng.uniformArray(size(c.b), -1, 1)];
}

function product(c: Case, a: Float32Array, b: Float32Array): { shape: number[]; values: Float32Array } {
  return tf.tidy(() => {
    const y = tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.ta, c.tb);
    return { shape: y.shape, values: y.dataSync() as Float32Array };
  });
}

// d(sum(matMul(a, b) ⊙ w))/d{a, b}: a random cotangent w exercises both backward products.
function gradients(c: Case, a: Float32Array, b: Float32Array, w: Float32Array, outShape: number[]): Float32Array[] {
  return tf.tidy(() => {
    const wt = tf.tensor(w, outShape);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, c.ta, c.tb), wt));
    return tf.grads(f)([tf.tensor(a, c.a), tf.tensor(b, c.b)]).map((g) => g.dataSync() as Float32Array);
  });
}

describe('wasm BatchMatMul kernel', () => {
  // References from the cpu backend (tfjs's plain-JS kernels), computed once.
  const refs: { shape: number[]; values: Float32Array; grads: Float32Array[]; w: Float32Array }[] = [];

  beforeAll(async () => {
    await initBackend('cpu');
    CASES.forEach((c, i) => {
      const [a, b] = inputs(c, i);
      const y = product(c, a, b);
      const w = new Rng(1000 + i).uniformArray(y.values.length, -1, 1);
      refs.push({ ...y, w, grads: hasGrad(c) ? gradients(c, a, b, w, y.shape) : [] });
    });
    await initBackend('wasm');
  });

  afterAll(async () => {
    await registerWasmKernels();
  });

  it('is registered by initBackend("wasm")', () => {
    expect(wasmKernelsActive()).toBe(true);
  });

  for (const [i, c] of CASES.entries()) {
    it(`matches the cpu backend for ${label(c)}`, () => {
      const [a, b] = inputs(c, i);
      const y = product(c, a, b);
      const ref = refs[i]!;
      expect(y.shape).toEqual(ref.shape);
      const err = relL2Error(y.values, ref.values);
      console.log(`BatchMatMul ${label(c)}: rel L2 error vs cpu ${err.toExponential(2)}, max abs ${maxAbsDiff(y.values, ref.values).toExponential(2)}`);
      expect(err).toBeLessThan(1e-5);
    });

    if (!hasGrad(c)) continue;
    it(`gives the cpu backend's gradients for ${label(c)}`, () => {
      const [a, b] = inputs(c, i);
      const ref = refs[i]!;
      const g = gradients(c, a, b, ref.w, ref.shape);
      for (const k of [0, 1]) {
        const err = relL2Error(g[k]!, ref.grads[k]!);
        expect(err, `${k === 0 ? 'da' : 'db'} rel L2 error ${err}`).toBeLessThan(1e-5);
      }
    });
  }

  it('broadcasts batch dims the numpy way ([2,1] with [1,3]), against a float64 loop', () => {
    const c: Case = { a: [2, 1, 5, 7], b: [1, 3, 7, 4], ta: false, tb: false };
    const [a, b] = inputs(c, 99);
    const y = product(c, a, b);
    expect(y.shape).toEqual([2, 3, 5, 4]);
    const want = new Float64Array(2 * 3 * 5 * 4);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let r = 0; r < 5; r++)
          for (let col = 0; col < 4; col++) {
            let s = 0;
            for (let p = 0; p < 7; p++) s += a[i * 35 + r * 7 + p]! * b[j * 28 + p * 4 + col]!;
            want[((i * 3 + j) * 5 + r) * 4 + col] = s;
          }
    expect(relL2Error(y.values, want)).toBeLessThan(1e-6);
  });

  it('handles empty products: k = 0 gives zeros, m = 0 gives an empty tensor', () => {
    const zeros = product({ a: [2, 3, 0], b: [2, 0, 4], ta: false, tb: false }, new Float32Array(0), new Float32Array(0));
    expect(zeros.shape).toEqual([2, 3, 4]);
    expect(Array.from(zeros.values)).toEqual(new Array(24).fill(0));
    const empty = product({ a: [2, 0, 3], b: [2, 3, 4], ta: false, tb: false }, new Float32Array(0), new Float32Array(24));
    expect(empty.shape).toEqual([2, 0, 4]);
  });

  it('propagates NaN and Infinity like a plain product', () => {
    const y = product({ a: [1, 2, 2], b: [1, 2, 2], ta: false, tb: false }, new Float32Array([Number.NaN, 0, 1, 1]), new Float32Array([1, 2, Number.POSITIVE_INFINITY, 1]));
    expect(Number.isNaN(y.values[0]!)).toBe(true);
    expect(Number.isNaN(y.values[1]!)).toBe(true);
    expect(y.values[2]).toBe(Number.POSITIVE_INFINITY);
    expect(y.values[3]).toBe(3);
  });

  it('leaves tf.memory().numTensors unchanged across a product and its gradients', () => {
    const c = CASES[6]!;
    const [a, b] = inputs(c, 6);
    const before = tf.memory().numTensors;
    product(c, a, b);
    gradients(c, a, b, refs[6]!.w, refs[6]!.shape);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps int32 products on tfjs kernel (which rejects them on wasm)', () => {
    expect(() => tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]], [1, 2], 'int32'), tf.tensor2d([[3], [4]], [2, 1], 'int32')))).toThrow(/float32|not yet supported/);
  });

  it('can be swapped out and back: restoreWasmKernels puts tfjs kernel back, with the same results', async () => {
    const c = CASES[2]!;
    const [a, b] = inputs(c, 2);
    restoreWasmKernels();
    expect(wasmKernelsActive()).toBe(false);
    const theirs = product(c, a, b);
    await registerWasmKernels();
    expect(wasmKernelsActive()).toBe(true);
    const ours = product(c, a, b);
    expect(relL2Error(ours.values, theirs.values)).toBeLessThan(1e-5);
  });

  it('gives bit-identical products on 1, 2 and 3 threads (row, column and batch splits)', async () => {
    const cases: Case[] = [
      { a: [300, 64], b: [64, 1030], ta: false, tb: false },
      { a: [64, 1030], b: [300, 64], ta: true, tb: true },
      { a: [2, 400, 96], b: [96, 70], ta: false, tb: false },
      { a: [12, 66, 64], b: [12, 66, 64], ta: false, tb: true },
    ];
    const results: Float32Array[][] = [];
    for (const threads of [1, 2, 3]) {
      await registerWasmKernels({ threads });
      expect(await wasmKernelThreads()).toBe(threads);
      results.push(cases.map((c, i) => product(c, ...inputs(c, 200 + i)).values));
    }
    await registerWasmKernels();
    for (const r of results.slice(1)) for (const [i, v] of r.entries()) expect(Array.from(v)).toEqual(Array.from(results[0]![i]!));
  });

  it('rejects mismatched inner dimensions with a ShapeError naming b (when called past the op checks)', () => {
    const a = tf.ones([2, 3, 4]);
    const b = tf.ones([2, 5, 6]);
    expect(() => tf.engine().runKernel(BatchMatMul, { a, b }, { transposeA: false, transposeB: false })).toThrow(/b: matMul inner dimensions differ: 4 vs 5/);
    tf.dispose([a, b]);
  });

  it('rejects a bad thread count, naming the option', async () => {
    await expect(registerWasmKernels({ threads: 0 })).rejects.toThrow(ConfigError);
    const saved = process.env.DEIT_WASM_THREADS;
    process.env.DEIT_WASM_THREADS = 'many';
    try {
      await expect(registerWasmKernels()).rejects.toThrow(/DEIT_WASM_THREADS/);
    } finally {
      if (saved === undefined) delete process.env.DEIT_WASM_THREADS;
      else process.env.DEIT_WASM_THREADS = saved;
    }
  });
});
