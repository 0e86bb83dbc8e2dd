import { Rng, ShapeError, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareWithPlain, tensorsAroundStep } from './custom-grad.test-util.js';
import { residualAdd } from './residual.js';

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`residualAdd (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('equals tf.add in value and gradients of both inputs', () => {
      const rng = new Rng(41);
      const shape = [2, 5, 6];
      const rand = (): tf.Tensor => tf.tensor(Float32Array.from({ length: 60 }, () => rng.normal()), shape);
      const [a, b] = [tf.variable(rand()), tf.variable(rand())];
      const r = rand();
      // A non-linear use of the sum, so the gradients differ from r.
      const errs = compareWithPlain(
        () => tf.square(residualAdd(a, b)),
        () => tf.square(tf.add(a, b)),
        new Map([
          ['x', a],
          ['branch', b],
        ]),
        r,
      );
      console.log(`residualAdd ${backend} vs tf.add: ${[...errs].map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', ')}`);
      for (const [k, e] of errs) expect(e, k).toBe(0);
      const [before, after] = tensorsAroundStep(() => tf.sum(tf.mul(residualAdd(a, b), r)) as tf.Scalar, [a, b]);
      expect(after).toBe(before);
      tf.dispose([a, b, r]);
    });

    it('accumulates correctly when one tensor is both inputs (d(x + x)/dx = 2)', () => {
      const x = tf.variable(tf.tensor2d([[1, -2, 3]]));
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(residualAdd(x, x), tf.tensor2d([[1, 2, 3]]))) as tf.Scalar, [x]);
      expect(Array.from(grads[x.name]!.dataSync())).toEqual([2, 4, 6]);
      tf.dispose([value, x, ...Object.values(grads)]);
    });

    it('rejects a branch of another shape', () => {
      expect(() => tf.tidy(() => residualAdd(tf.zeros([2, 3]), tf.zeros([1, 3])))).toThrow(ShapeError);
    });
  });
}
