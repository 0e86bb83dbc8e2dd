import { Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { maxAbsDiff, relL2Error } from '../compare.js';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';

type Pad = 'valid' | 'same' | number;
interface Case {
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 9, 9, 3], k: 3, cout: 4, stride: 1, pad: 1 },
  { x: [2, 10, 10, 3], k: 3, cout: 5, stride: 2, pad: 1 },
  { x: [1, 12, 12, 2], k: 7, cout: 3, stride: 2, pad: 3 },
  { x: [2, 8, 8, 6], k: 1, cout: 4, stride: 2, pad: 'valid' },
  { x: [2, 6, 6, 4], k: 1, cout: 3, stride: 1, pad: 'valid' },
  { x: [1, 9, 8, 3], k: 3, cout: 2, stride: 2, pad: 'same' },
  { x: [2, 7, 7, 2], k: 2, cout: 3, stride: 1, pad: 'valid' },
];

function randomArray(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** dW and dx of Σ conv2d(x, W) ⊙ r on the current backend. */
function convGrads(c: Case, seed: number): { dw: Float32Array; dx: Float32Array } {
  const rng = new Rng(seed);
  const [n, h, w, cin] = c.x;
  const x = tf.tensor4d(randomArray(rng, n * h * w * cin), c.x);
  const wt = tf.tensor4d(randomArray(rng, c.k * c.k * cin * c.cout), [c.k, c.k, cin, c.cout]);
  const outShape = tf.tidy(() => tf.conv2d(x, wt, c.stride, c.pad).shape);
  const r = tf.tensor(randomArray(rng, outShape.reduce((a, b) => a * b, 1)), outShape);
  const before = tf.memory().numTensors;
  // Kernels that run other kernels could leak backend buffers that no tensor counts: check the data ids too.
  const dataIds = tf.engine().backend.numDataIds();
  const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad), r)))([x, wt]);
  const out = { dw: dw!.dataSync() as Float32Array, dx: dx!.dataSync() as Float32Array };
  tf.dispose([dx!, dw!]);
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  tf.dispose([x, wt, r]);
  return out;
}

describe('wasm Conv2DBackpropFilter and Conv2DBackpropInput (registered by initBackend)', () => {
  for (const [i, c] of CASES.entries()) {
    it(`filter and input gradients equal cpu's: x [${c.x}] k ${c.k} stride ${c.stride} pad ${c.pad}`, async () => {
      await initBackend('cpu');
      const ref = convGrads(c, 100 + i);
      await initBackend('wasm');
      const got = convGrads(c, 100 + i);
      const rel = relL2Error(got.dw, ref.dw);
      const relDx = relL2Error(got.dx, ref.dx);
      console.log(
        `conv grad case ${i}: dW rel L2 ${rel.toExponential(2)}, max abs ${maxAbsDiff(got.dw, ref.dw).toExponential(2)}; dx rel L2 ${relDx.toExponential(2)}`,
      );
      expect(rel).toBeLessThan(1e-5);
      expect(relDx).toBeLessThan(1e-5);
    });
  }

  it('matches a float64 hand computation of dW on wasm', async () => {
    await initBackend('wasm');
    // 1 image 4×4×1, 3×3 filter, stride 2, pad 1: dW[i,j] = Σ_{y,x} xpad[2y+i, 2x+j] · r[y,x].
    const xs = Array.from({ length: 16 }, (_, k) => (k % 5) - 1.5);
    const rs = [0.5, -1, 2, 0.25];
    const x = tf.tensor4d(xs, [1, 4, 4, 1]);
    const r = tf.tensor4d(rs, [1, 2, 2, 1]);
    const w = tf.zeros([3, 3, 1, 1]) as tf.Tensor4D;
    const dw = tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, ww as tf.Tensor4D, 2, 1), r)))(w);
    const xpad = (y: number, xx: number): number => (y < 1 || xx < 1 || y > 4 || xx > 4 ? 0 : xs[(y - 1) * 4 + (xx - 1)]!);
    const want: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) want.push(rs.reduce((s, rv, k) => s + xpad(2 * Math.floor(k / 2) + i, 2 * (k % 2) + j) * rv, 0));
    expect(maxAbsDiff(dw.dataSync(), want)).toBeLessThan(1e-6);
    tf.dispose([x, r, w, dw]);
  });

  it('rejects NCHW filter gradients with a ShapeError naming dataFormat', async () => {
    await initBackend('wasm');
    const x = tf.zeros([1, 2, 4, 4]);
    const dy = tf.zeros([1, 3, 4, 4]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [1, 1, 2, 3] };
    expect(() => tf.engine().runKernel(Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap)).toThrow(/dataFormat: the wasm Conv2DBackpropFilter supports NHWC only/);
    tf.dispose([x, dy]);
  });
});
