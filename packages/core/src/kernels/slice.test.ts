import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';
import { wasmKernelsActive } from './register.js';

type SliceCase = { shape: number[]; begin: number[]; size: number[] };
type SplitCase = { shape: number[]; splits: number | number[]; axis: number };

const SLICES: SliceCase[] = [
  { shape: [10], begin: [3], size: [5] },
  { shape: [6, 7], begin: [1, 2], size: [3, 4] },
  { shape: [6, 7], begin: [2, 0], size: [3, -1] },
  { shape: [4, 66, 24], begin: [0, 0, 0], size: [4, 1, 24] },
  { shape: [4, 66, 24], begin: [0, 2, 0], size: [-1, 64, -1] },
  { shape: [3, 9, 5, 8], begin: [1, 3, 1, 2], size: [2, 3, 3, 5] },
  { shape: [2, 3, 4, 5, 6], begin: [1, 0, 1, 2, 3], size: [1, 3, 2, 2, 3] },
  { shape: [5, 5], begin: [0, 0], size: [0, 5] },
];
const SPLITS: SplitCase[] = [
  { shape: [4, 9, 6, 8], splits: 3, axis: 1 },
  { shape: [5, 12], splits: [2, 7, 3], axis: -1 },
  { shape: [6, 4], splits: 2, axis: 0 },
];

function values(shape: number[], seed: number): Float32Array {
  return new Rng(seed).uniformArray(shape.reduce((a, b) => a * b, 1), -1, 1);
}
const runSlice = (c: SliceCase, i: number) => tf.tidy(() => tf.slice(tf.tensor(values(c.shape, i), c.shape), c.begin, c.size).arraySync());
const runSplit = (c: SplitCase, i: number) => tf.tidy(() => tf.split(tf.tensor(values(c.shape, 50 + i), c.shape), c.splits, c.axis).map((t) => t.arraySync()));

describe('wasm Slice and SplitV kernels', () => {
  const want: { slices: unknown[]; splits: unknown[] } = { slices: [], splits: [] };
  beforeAll(async () => {
    await initBackend('cpu');
    want.slices = SLICES.map(runSlice);
    want.splits = SPLITS.map(runSplit);
    await initBackend('wasm');
  });

  it('are active on wasm', () => {
    expect(wasmKernelsActive()).toBe(true);
  });

  // Slicing copies values, so the result must equal the cpu backend's bit for bit.
  for (const [i, c] of SLICES.entries()) {
    it(`slice [${c.shape}] at [${c.begin}] size [${c.size}] equals the cpu backend`, () => {
      expect(runSlice(c, i)).toEqual(want.slices[i]);
    });
  }
  for (const [i, c] of SPLITS.entries()) {
    it(`split [${c.shape}] into ${JSON.stringify(c.splits)} on axis ${c.axis} equals the cpu backend`, () => {
      expect(runSplit(c, i)).toEqual(want.splits[i]);
    });
  }

  it('slices int32 and bool tensors', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const s = tf.slice(x, [0, 1], [2, 2]);
    expect(s.dtype).toBe('int32');
    expect(s.arraySync()).toEqual([[2, 3], [5, 6]]);
    const m = tf.slice(tf.tensor1d([true, false, true], 'bool'), [1], [2]);
    expect(m.dtype).toBe('bool');
    expect(m.arraySync()).toEqual([0, 1]);
    tf.dispose([x, s, m]);
  });

  it('leaves tf.memory().numTensors unchanged and gives slice gradients', () => {
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => {
      const x = tf.tensor(values([3, 4, 5], 7), [3, 4, 5]);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.split(t, [1, 3], 1)[1]!, 2));
      return tf.grad(f)(x).arraySync() as number[][][];
    });
    expect(tf.memory().numTensors).toBe(before);
    for (const plane of g) expect(plane.map((row) => row[0])).toEqual([0, 2, 2, 2]);
  });
});
