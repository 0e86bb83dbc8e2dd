import { tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { stopGradient } from './stop-gradient.js';
import { gradOf } from './test/harness.js';

describeOnBackends('stopGradient', () => {
  it('is the identity forward and blocks the gradient backward', () => {
    const x = tf.tensor1d([1.5, -2, 3]);
    expect(Array.from(stopGradient(x).dataSync())).toEqual([1.5, -2, 3]);
    // d/dx Σ x·stop(x) = stop(x) = x, not 2x.
    const g = gradOf((v: tf.Tensor1D) => tf.sum(tf.mul(v, stopGradient(v))))(x);
    expect(Array.from(g.dataSync())).toEqual([1.5, -2, 3]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      gradOf((v: tf.Tensor1D) => tf.sum(tf.mul(v, stopGradient(v))))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g]);
  });
});
