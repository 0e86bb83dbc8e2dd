import { Rng, ShapeError, initBackend, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { describe, expect, it } from 'vitest';
import { embedTokens, initTokenEmbedding } from './prefix-tokens.js';

describeOnBackends('embedTokens', () => {
  it('orders tokens [cls, dist, patches] and adds the position embedding to each', () => {
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const patches = tf.tensor3d([[[1, 1], [2, 2]], [[3, 3], [4, 4]]]); // [2, 2, 2]
      const cls = tf.tensor3d([[[10, 20]]]);
      const dist = tf.tensor3d([[[30, 40]]]);
      const pos = tf.tensor3d([[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]]]);
      const y = embedTokens(patches, [cls, dist], pos);
      expect(y.shape).toEqual([2, 4, 2]);
      return [...y.dataSync()];
    });
    expect(tf.memory().numTensors).toBe(before);
    const want = [10.1, 20.2, 30.3, 40.4, 1.5, 1.6, 2.7, 2.8, 10.1, 20.2, 30.3, 40.4, 3.5, 3.6, 4.7, 4.8];
    out.forEach((v, i) => {
      expect(v).toBeCloseTo(want[i]!, 5);
    });
  });

  it('rejects mis-shaped tokens and position embeddings', () => {
    tf.tidy(() => {
      const patches = tf.zeros([1, 4, 8]) as tf.Tensor3D;
      expect(() => embedTokens(patches, [tf.zeros([1, 1, 7])], tf.zeros([1, 5, 8]))).toThrow(ShapeError);
      expect(() => embedTokens(patches, [tf.zeros([1, 1, 8])], tf.zeros([1, 6, 8]))).toThrow(/pos_embed: expected \[1, 5, 8\]/);
    });
  });

  it('gives token gradients summed over the batch', () => {
    const cls = tf.variable(tf.zeros([1, 1, 2]));
    const pos = tf.variable(tf.zeros([1, 2, 2]));
    const patches = tf.ones([3, 1, 2]) as tf.Tensor3D;
    const w = tf.tensor3d(Array.from({ length: 12 }, (_, i) => i), [3, 2, 2]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(embedTokens(patches, [cls], pos), w)), [cls, pos]);
    // d/dcls = Σ_b w[b, 0, :] = [0+4+8, 1+5+9]; d/dpos = Σ_b w[b] .
    expect([...grads[cls.name]!.dataSync()]).toEqual([12, 15]);
    expect([...grads[pos.name]!.dataSync()]).toEqual([12, 15, 18, 21]);
    tf.dispose([value, cls, pos, patches, w, ...Object.values(grads)]);
  });
});

describe('initTokenEmbedding', () => {
  it('draws N(0, 0.02²) deterministically from the seed', async () => {
    await initBackend('cpu');
    const a = initTokenEmbedding(new Rng(7), 100, 64);
    const b = initTokenEmbedding(new Rng(7), 100, 64);
    const da = Array.from(a.dataSync());
    expect(a.shape).toEqual([1, 100, 64]);
    expect([...da]).toEqual([...b.dataSync()]);
    const mean = da.reduce((s, v) => s + v, 0) / da.length;
    const std = Math.sqrt(da.reduce((s, v) => s + (v - mean) ** 2, 0) / da.length);
    expect(Math.abs(mean)).toBeLessThan(1e-3);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    tf.dispose([a, b]);
  });
});
