import { Rng, ShapeError, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { dropPath } from './drop-path.js';
import { residualAdd, residualDropPath } from './residual.js';
import { compareWithPlain, tensorsAroundStep } from './test/custom-grad.js';

describeOnBackends('residualAdd', (backend) => {
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

  it('residualDropPath equals x + dropPath(branch) (same rng draws) in value and gradients, training or not', () => {
    const rng = new Rng(42);
    const shape = [16, 3, 4];
    const rand = (): tf.Tensor => tf.tensor(Float32Array.from({ length: 192 }, () => rng.normal()), shape);
    const [a, b] = [tf.variable(rand()), tf.variable(rand())];
    const r = rand();
    for (const training of [true, false]) {
      const errs = compareWithPlain(
        () => tf.square(residualDropPath(a, b, 0.3, training, new Rng(8))),
        () => tf.square(tf.add(a, dropPath(b, 0.3, training, new Rng(8)))),
        new Map([
          ['x', a],
          ['branch', b],
        ]),
        r,
      );
      console.log(`residualDropPath ${backend} training=${training}: ${[...errs].map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', ')}`);
      for (const [k, e] of errs) expect(e, k).toBe(0);
      const [before, after] = tensorsAroundStep(() => tf.sum(tf.mul(residualDropPath(a, b, 0.3, training, new Rng(8)), r)) as tf.Scalar, [a, b]);
      expect(after).toBe(before);
    }
    // Some samples' branches were dropped, others kept (scaled): the branch gradient is not uniform.
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(residualDropPath(a, t, 0.3, true, new Rng(8))))(b).dataSync());
    const values = new Set(Array.from(g, (v) => v.toFixed(4)));
    expect(values).toEqual(new Set(['0.0000', (1 / 0.7).toFixed(4)]));
    tf.dispose([a, b, r]);
  });

  it('rejects a branch of another shape', () => {
    expect(() => tf.tidy(() => residualAdd(tf.zeros([2, 3]), tf.zeros([1, 3])))).toThrow(ShapeError);
    expect(() => tf.tidy(() => residualDropPath(tf.zeros([2, 3]), tf.zeros([2, 4]), 0.1, true, new Rng(0)))).toThrow(ShapeError);
  });
});
