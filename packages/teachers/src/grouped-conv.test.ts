import { Rng, relL2Error, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { groupedConv2d } from './grouped-conv.js';

/** Float64 reference: PyTorch grouped conv (symmetric zero padding) on NHWC data, filter [k, k, cin/g, cout]. */
function referenceConv(x: Float32Array, xs: number[], w: Float32Array, k: number, cout: number, stride: number, pad: number, groups: number): Float64Array {
  const [n, h, wd, cin] = xs as [number, number, number, number];
  const gin = cin / groups;
  const gout = cout / groups;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((wd + 2 * pad - k) / stride) + 1;
  const out = new Float64Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let o = 0; o < cout; o++) {
          const g = Math.floor(o / gout);
          let s = 0;
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const iy = y * stride + i - pad;
              const ix = xx * stride + j - pad;
              if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;
              for (let c = 0; c < gin; c++) s += x[((b * h + iy) * wd + ix) * cin + g * gin + c]! * w[((i * k + j) * gin + c) * cout + o]!;
            }
          out[((b * oh + y) * ow + xx) * cout + o] = s;
        }
  return out;
}

const CASES = [
  { xs: [2, 7, 7, 8], k: 3, cout: 8, stride: 1, pad: 1, groups: 2 },
  { xs: [1, 8, 8, 12], k: 3, cout: 12, stride: 2, pad: 1, groups: 3 },
  { xs: [2, 6, 6, 8], k: 3, cout: 16, stride: 2, pad: 1, groups: 4 },
  { xs: [1, 9, 9, 3], k: 7, cout: 4, stride: 2, pad: 3, groups: 1 },
];

describeOnBackends('groupedConv2d', (backend) => {
  for (const c of CASES) {
    it(`matches a float64 PyTorch-semantics reference: x [${c.xs}] k ${c.k} stride ${c.stride} groups ${c.groups}`, () => {
      const rng = new Rng(7);
      const xd = Float32Array.from({ length: c.xs.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const wd = Float32Array.from({ length: c.k * c.k * (c.xs[3]! / c.groups) * c.cout }, () => rng.normal());
      const want = referenceConv(xd, c.xs, wd, c.k, c.cout, c.stride, c.pad, c.groups);
      const x = tf.tensor4d(xd, c.xs as [number, number, number, number]);
      const w = tf.tensor4d(wd, [c.k, c.k, c.xs[3]! / c.groups, c.cout]);
      const before = tf.memory().numTensors;
      for (const strategy of ['split', 'dense'] as const) {
        const y = groupedConv2d(x, w, { stride: c.stride, padding: c.pad, groups: c.groups, strategy });
        const rel = relL2Error(y.dataSync(), want);
        console.log(`${backend} grouped conv ${strategy} x [${c.xs}] g ${c.groups}: rel L2 ${rel.toExponential(2)}`);
        expect(rel).toBeLessThan(1e-6);
        y.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, w]);
    });
  }

  it('split and dense give the same filter and input gradients', () => {
    const rng = new Rng(3);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 6 * 6 * 8 }, () => rng.normal()), [2, 6, 6, 8]);
    const w = tf.tensor4d(Float32Array.from({ length: 9 * 2 * 8 }, () => rng.normal()), [3, 3, 2, 8]);
    const grads = (strategy: 'split' | 'dense') =>
      tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
        tf.sum(tf.square(groupedConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, { stride: 2, padding: 1, groups: 4, strategy, bias: tf.ones([8]), relu: true }))),
      )([x, w]);
    const [dxs, dws] = grads('split');
    const [dxd, dwd] = grads('dense');
    expect(relL2Error(dws!.dataSync(), dwd!.dataSync())).toBeLessThan(1e-5);
    expect(relL2Error(dxs!.dataSync(), dxd!.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, w, dxs!, dws!, dxd!, dwd!]);
  });
});
