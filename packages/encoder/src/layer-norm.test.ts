import { ConfigError, Rng, ShapeError, initBackend, maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkGradients } from './grad-check.js';
import { LayerNorm } from './layer-norm.js';
import { compareWithPlain, tensorsAroundStep } from './test/custom-grad.js';
import { layerNormRef, randomizeModule, toMat } from './test/reference.js';

describeOnBackends('LayerNorm', (backend) => {
  it('matches a float64 reference with eps 1e-6 and biased variance', () => {
    const rng = new Rng(1);
    const ln = new LayerNorm({ dim: 16 });
    const sd = randomizeModule(ln, rng);
    const xData = Float32Array.from({ length: 3 * 5 * 16 }, () => rng.normal(0.3, 2));
    const before = tf.memory().numTensors;
    const x = tf.tensor3d(xData, [3, 5, 16]);
    const y = ln.apply(x);
    const got = y.dataSync();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
    const want = layerNormRef(toMat(xData, 16), sd.get('weight')!.data, sd.get('bias')!.data, 1e-6);
    const err = maxAbsDiff(got, want.data);
    console.log(`LayerNorm ${backend}: max abs diff vs float64 ${err.toExponential(2)}`);
    expect(err).toBeLessThan(2e-5);
  });

  it('uses eps = 1e-6: a row of tiny spread is normalised, not flattened', () => {
    const ln = new LayerNorm({ dim: 2 });
    // Variance 1e-6: with eps 1e-6 the outputs are ±1/√2; with TF's 1e-3 they would be ±0.03.
    const y = tf.tidy(() => ln.apply(tf.tensor2d([[1 - 1e-3, 1 + 1e-3]])).dataSync());
    expect(y[0]).toBeCloseTo(-Math.SQRT1_2, 3);
    expect(y[1]).toBeCloseTo(Math.SQRT1_2, 3);
    ln.dispose();
  });

  it('custom gradient: output and gradients (input, weight, bias) equal the plain composition of ops', () => {
    const rng = new Rng(3);
    const ln = new LayerNorm({ dim: 24 });
    randomizeModule(ln, rng);
    const vars = ln.trainableVariables();
    const [w, b] = [vars.get('weight')!, vars.get('bias')!];
    // The composition autodiff differentiates op by op (the layer's forward before the custom gradient).
    const plain = (t: tf.Tensor): tf.Tensor => {
      const centred = tf.sub(t, tf.mean(t, -1, true));
      const variance = tf.mean(tf.square(centred), -1, true);
      return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-6))), w), b);
    };
    for (const shape of [[2, 5, 24], [7, 24], [24]]) {
      const n = shape.reduce((p, q) => p * q, 1);
      const x = tf.variable(tf.tensor(Float32Array.from({ length: n }, () => rng.normal(0.5, 2)), shape));
      const r = tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
      const errs = compareWithPlain(() => ln.apply(x), () => plain(x), new Map([...vars, ['input', x]]), r);
      console.log(`LayerNorm ${backend} [${shape}] custom vs plain: ${[...errs].map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', ')}`);
      for (const [k, e] of errs) expect(e, k).toBeLessThan(k === 'output' ? 1e-6 : 1e-5);
      const [before, after] = tensorsAroundStep(() => tf.sum(tf.mul(ln.apply(x), r)) as tf.Scalar, [...vars.values(), x]);
      expect(after).toBe(before);
      tf.dispose([x, r]);
    }
    ln.dispose();
  });

  it('rejects a wrong last dimension and bad config with typed errors', () => {
    const ln = new LayerNorm({ dim: 4 });
    expect(() => tf.tidy(() => ln.apply(tf.zeros([2, 5])))).toThrow(ShapeError);
    expect(() => new LayerNorm({ dim: 0 })).toThrow(ConfigError);
    expect(() => new LayerNorm({ dim: 4, eps: 0 })).toThrow(ConfigError);
    ln.dispose();
  });
});

describe('LayerNorm gradients (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  it('match central finite differences for weight, bias and input', () => {
    const rng = new Rng(2);
    const ln = new LayerNorm({ dim: 6 });
    randomizeModule(ln, rng);
    const x = tf.variable(tf.tensor2d(Float32Array.from({ length: 4 * 6 }, () => rng.normal(0, 1.5)), [4, 6]));
    const r = tf.tensor2d(Float32Array.from({ length: 4 * 6 }, () => rng.normal()), [4, 6]);
    const vars = new Map([...ln.trainableVariables(), ['input', x]]);
    const res = checkGradients(() => tf.sum(tf.mul(ln.apply(x), r)), vars, { rng, samples: 24 });
    for (const c of res) {
      console.log(`LayerNorm grad ${c.name}: max abs err ${c.maxAbsErr.toExponential(2)} (scale ${c.gradScale.toFixed(3)})`);
      expect(c.failures, c.name).toBe(0);
      expect(c.gradScale).toBeGreaterThan(1e-2);
    }
    tf.dispose([x, r]);
    ln.dispose();
  });
});
