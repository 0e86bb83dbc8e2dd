import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { relL2Error } from '../compare.js';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';
import { wasmKernelsActive } from './register.js';

type Case = { shape: number[]; axis: number | number[]; keepDims: boolean };

// Leading, middle and multi-axis reductions take deitjs's path; an innermost axis keeps tfjs's.
const CASES: Case[] = [
  { shape: [300, 37], axis: 0, keepDims: false },
  { shape: [300, 37], axis: 0, keepDims: true },
  { shape: [4, 50, 12], axis: [0, 1], keepDims: false },
  { shape: [4, 50, 12], axis: 1, keepDims: true },
  { shape: [3, 4, 5, 6], axis: [1, 2], keepDims: false },
  { shape: [7, 9], axis: -1, keepDims: false },
  { shape: [7, 9], axis: [0, 1], keepDims: false },
];

const values = (c: Case, i: number) => new Rng(i).uniformArray(c.shape.reduce((a, b) => a * b, 1), -1, 1);
const run = (c: Case, i: number) =>
  tf.tidy(() => {
    const y = tf.sum(tf.tensor(values(c, i), c.shape), c.axis, c.keepDims);
    return { shape: y.shape, values: y.dataSync() as Float32Array };
  });

describe('wasm Sum kernel', () => {
  const want: ReturnType<typeof run>[] = [];
  beforeAll(async () => {
    await initBackend('cpu');
    for (const [i, c] of CASES.entries()) want.push(run(c, i));
    await initBackend('wasm');
  });

  it('is active on wasm', () => {
    expect(wasmKernelsActive()).toBe(true);
  });

  for (const [i, c] of CASES.entries()) {
    it(`sum [${c.shape}] over ${JSON.stringify(c.axis)} (keepDims ${c.keepDims}) matches the cpu backend`, () => {
      const y = run(c, i);
      expect(y.shape).toEqual(want[i]!.shape);
      const err = relL2Error(y.values, want[i]!.values);
      console.log(`Sum [${c.shape}] axis ${JSON.stringify(c.axis)}: rel L2 error vs cpu ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-5);
    });
  }

  it('sums int32 with tfjs kernel (keeps the dtype)', () => {
    const y = tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([4, 6]);
    y.dispose();
  });

  it('gives the bias gradient of a broadcast add and leaves numTensors unchanged', () => {
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => {
      const x = tf.ones([5, 3]);
      const b = tf.zeros([3]);
      return tf.grad((bb: tf.Tensor) => tf.sum(tf.mul(tf.add(x, bb), tf.tensor2d([1, 2, 3], [1, 3]))))(b).dataSync();
    });
    expect(Array.from(g)).toEqual([5, 10, 15]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
