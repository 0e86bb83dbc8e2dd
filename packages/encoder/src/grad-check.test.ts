import { Rng, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkGradients } from './grad-check.js';

describe('checkGradients (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('passes a correct gradient, flags a wrong one, and restores the variables', () => {
    const w = tf.variable(tf.tensor1d([0.3, -0.7, 1.1]));
    const sinLoss = (): tf.Scalar => tf.sum(tf.sin(w));
    const good = checkGradients(sinLoss, new Map([['w', w]]), { rng: new Rng(0) });
    expect(good[0]!.failures).toBe(0);
    expect([...w.dataSync()]).toEqual([...new Float32Array([0.3, -0.7, 1.1])]);
    // sin with a deliberately wrong gradient (sin instead of cos).
    const wrongSin = tf.customGrad((...args) => {
      const x = args[0] as tf.Tensor;
      return { value: tf.sin(x), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.mul(dy as tf.Tensor, tf.sin(x)) };
    });
    const bad = checkGradients(() => tf.sum(wrongSin(w)), new Map([['w', w]]), { rng: new Rng(0) });
    expect(bad[0]!.failures).toBeGreaterThan(0);
    w.dispose();
  });
});
