import { ConfigError, Rng, ShapeError, initBackend, maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkGradients } from './grad-check.js';
import { Linear } from './linear.js';
import { linearRef, randomizeModule, toMat } from './test/reference.js';

describeOnBackends('Linear', () => {
  it('computes x·Wᵀ + b with a PyTorch [out, in] weight on rank-3 input', () => {
    const rng = new Rng(3);
    const lin = new Linear({ inFeatures: 5, outFeatures: 7 }, rng);
    const sd = randomizeModule(lin, rng);
    expect(sd.get('weight')!.shape).toEqual([7, 5]);
    const xData = Float32Array.from({ length: 2 * 3 * 5 }, () => rng.normal());
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => {
      const y = lin.apply(tf.tensor3d(xData, [2, 3, 5]));
      expect(y.shape).toEqual([2, 3, 7]);
      return y.dataSync();
    });
    expect(tf.memory().numTensors).toBe(before);
    const want = linearRef(toMat(xData, 5), sd.get('weight')!.data, sd.get('bias')!.data, 7);
    expect(maxAbsDiff(got, want.data)).toBeLessThan(1e-5);
    lin.dispose();
  });

  it('round-trips the PyTorch layout exactly and initialises as DeiT (std 0.02, zero bias)', () => {
    const rng = new Rng(4);
    const lin = new Linear({ inFeatures: 64, outFeatures: 48 }, rng);
    const init = lin.stateDict();
    const w = init.get('weight')!.data as Float32Array;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    expect([...(init.get('bias')!.data as Float32Array)].every((v) => v === 0)).toBe(true);
    const sd = randomizeModule(lin, rng);
    const back = lin.stateDict();
    for (const [k, t] of sd) expect(back.get(k)!.data).toEqual(t.data);
    lin.dispose();
  });

  it('rejects a wrong input width and bad config', () => {
    const lin = new Linear({ inFeatures: 3, outFeatures: 2 }, new Rng(0));
    expect(() => tf.tidy(() => lin.apply(tf.zeros([4, 5])))).toThrow(ShapeError);
    expect(() => new Linear({ inFeatures: 0, outFeatures: 2 }, new Rng(0))).toThrow(ConfigError);
    lin.dispose();
  });
});

describe('Linear gradients (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  it('match central finite differences', () => {
    const rng = new Rng(5);
    const lin = new Linear({ inFeatures: 4, outFeatures: 3 }, rng);
    randomizeModule(lin, rng);
    const x = tf.tensor2d(Float32Array.from({ length: 12 }, () => rng.normal()), [3, 4]);
    const r = tf.tensor2d(Float32Array.from({ length: 9 }, () => rng.normal()), [3, 3]);
    const res = checkGradients(() => tf.sum(tf.mul(lin.apply(x), r)), lin.trainableVariables(), { rng });
    for (const c of res) {
      expect(c.failures, c.name).toBe(0);
      expect(c.gradScale).toBeGreaterThan(1e-2);
    }
    tf.dispose([x, r]);
    lin.dispose();
  });
});
