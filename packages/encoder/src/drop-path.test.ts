import { ConfigError, Rng, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { dropPath } from './drop-path.js';

describeOnBackends('dropPath', () => {
  it('zeroes or scales whole samples by 1/keep, one draw per sample from the rng', () => {
    const [b, n, d] = [64, 3, 4];
    const rate = 0.25;
    const data = new Rng(7).uniformArray(b * n * d, 0.5, 1.5);
    const x = tf.tensor3d(data, [b, n, d]);
    const xs = x.dataSync();
    const before = tf.memory().numTensors;
    const y = dropPath(x, rate, true, new Rng(99));
    const ys = y.dataSync();
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The expected mask, drawn independently from a generator with the same seed.
    const ref = new Rng(99);
    let kept = 0;
    for (let s = 0; s < b; s++) {
      const keep = ref.random() < 1 - rate;
      if (keep) kept++;
      for (let i = s * n * d; i < (s + 1) * n * d; i++) {
        expect(ys[i]).toBeCloseTo(keep ? xs[i]! / (1 - rate) : 0, 5);
      }
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(b);
    x.dispose();
  });

  it('keeps about 1 − rate of the samples and preserves the mean', () => {
    const b = 4000;
    const x = tf.ones([b, 2]);
    const y = dropPath(x, 0.3, true, new Rng(5));
    const ys = y.dataSync();
    let kept = 0;
    let sum = 0;
    for (let s = 0; s < b; s++) {
      if (ys[2 * s]! > 0) kept++;
      sum += ys[2 * s]!;
    }
    expect(kept / b).toBeGreaterThan(0.67);
    expect(kept / b).toBeLessThan(0.73);
    expect(sum / b).toBeGreaterThan(0.95);
    expect(sum / b).toBeLessThan(1.05);
    tf.dispose([x, y]);
  });

  it('is the identity in eval mode or at rate 0, and needs an rng while training', () => {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    for (const y of [dropPath(x, 0.5, false), dropPath(x, 0, true)]) {
      expect([...y.dataSync()]).toEqual([1, 2, 3, 4]);
      y.dispose();
    }
    expect(() => dropPath(x, 0.1, true)).toThrow(ConfigError);
    expect(() => dropPath(x, 1, true, new Rng(0))).toThrow(ConfigError);
    expect(() => dropPath(x, -0.1, false)).toThrow(ConfigError);
    x.dispose();
  });
});
