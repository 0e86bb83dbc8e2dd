import { Rng, ShapeError, initBackend, maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { geluParts } from './gelu.js';
import { checkGradients } from './grad-check.js';
import { Mlp } from './mlp.js';
import { compareWithPlain, tensorsAroundStep } from './test/custom-grad.js';
import { mlpRef, randomizeModule, toMat } from './test/reference.js';

describeOnBackends('Mlp', (backend) => {
  it('is fc2(gelu(fc1 x)) against a float64 reference', () => {
    const rng = new Rng(21);
    const mlp = new Mlp({ dim: 6, hiddenDim: 24 }, rng);
    expect([...mlp.stateDict().keys()]).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const sd = randomizeModule(mlp, rng, 0.4);
    const xData = Float32Array.from({ length: 2 * 4 * 6 }, () => rng.normal());
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => mlp.apply(tf.tensor3d(xData, [2, 4, 6])).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    const want = mlpRef(toMat(xData, 6), 24, {
      fc1W: sd.get('fc1.weight')!.data,
      fc1B: sd.get('fc1.bias')!.data,
      fc2W: sd.get('fc2.weight')!.data,
      fc2B: sd.get('fc2.bias')!.data,
    });
    const err = maxAbsDiff(got, want.data);
    console.log(`Mlp ${backend}: max abs diff vs float64 ${err.toExponential(2)}`);
    expect(err).toBeLessThan(2e-5);
    mlp.dispose();
  });

  it('custom gradient: output and gradients (input, fc1, fc2) equal the plain fc1 → GELU → fc2 composition', () => {
    const rng = new Rng(23);
    const mlp = new Mlp({ dim: 8, hiddenDim: 32 }, rng);
    randomizeModule(mlp, rng, 0.4);
    const vars = mlp.trainableVariables();
    for (const shape of [[2, 5, 8], [6, 8]]) {
      const n = shape.reduce((p, q) => p * q, 1);
      const x = tf.variable(tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape));
      const r = tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
      const plain = (): tf.Tensor => mlp.fc2.apply(geluParts(mlp.fc1.apply(x)).y);
      const errs = compareWithPlain(() => mlp.apply(x), plain, new Map([...vars, ['input', x]]), r);
      console.log(`Mlp ${backend} [${shape}] custom vs plain: ${[...errs].map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', ')}`);
      for (const [k, e] of errs) expect(e, k).toBeLessThan(k === 'output' ? 1e-6 : 1e-5);
      const [before, after] = tensorsAroundStep(() => tf.sum(tf.mul(mlp.apply(x), r)) as tf.Scalar, [...vars.values(), x]);
      expect(after).toBe(before);
      tf.dispose([x, r]);
    }
    expect(() => tf.tidy(() => mlp.apply(tf.zeros([2, 7])))).toThrow(ShapeError);
    mlp.dispose();
  });
});

describe('Mlp gradients (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  it('match central finite differences', () => {
    const rng = new Rng(22);
    const mlp = new Mlp({ dim: 3, hiddenDim: 5 }, rng);
    randomizeModule(mlp, rng, 0.6);
    const x = tf.tensor2d(Float32Array.from({ length: 4 * 3 }, () => rng.normal()), [4, 3]);
    const r = tf.tensor2d(Float32Array.from({ length: 4 * 3 }, () => rng.normal()), [4, 3]);
    const res = checkGradients(() => tf.sum(tf.mul(mlp.apply(x), r)), mlp.trainableVariables(), { rng, samples: 15 });
    for (const c of res) {
      console.log(`Mlp grad ${c.name}: max abs err ${c.maxAbsErr.toExponential(2)} (scale ${c.gradScale.toFixed(3)})`);
      expect(c.failures, c.name).toBe(0);
      expect(c.gradScale).toBeGreaterThan(1e-2);
    }
    tf.dispose([x, r]);
    mlp.dispose();
  });
});
