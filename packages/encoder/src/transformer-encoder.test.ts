import { ConfigError, Rng, maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { describe, expect, it } from 'vitest';
import { TransformerEncoder, dropPathSchedule } from './transformer-encoder.js';

describe('dropPathSchedule', () => {
  it('is linear from 0 at the first block to the rate at the last (timm linspace)', () => {
    const r = dropPathSchedule(0.1, 12);
    expect(r[0]).toBe(0);
    expect(r[11]).toBeCloseTo(0.1, 15);
    expect(r[5]).toBeCloseTo((0.1 * 5) / 11, 15);
    expect(dropPathSchedule(0.3, 1)).toEqual([0]);
  });
});

describeOnBackends('TransformerEncoder', () => {
  it('names blocks 0.., gives them the scheduled rates, and applyAll ends with apply', () => {
    const rng = new Rng(41);
    const enc = new TransformerEncoder({ depth: 3, dim: 8, numHeads: 2, dropPathRate: 0.2 }, rng);
    expect(enc.blocks.map((b) => b.dropPathRate)).toEqual(dropPathSchedule(0.2, 3));
    expect([...enc.stateDict().keys()].filter((k) => k.endsWith('qkv.weight'))).toEqual(['0.attn.qkv.weight', '1.attn.qkv.weight', '2.attn.qkv.weight']);
    // 12 tensors per block: 2·8 + (8·24 + 24) + (8·8 + 8) + 2·8 + (8·32 + 32) + (32·8 + 8) = 872 per block.
    expect(enc.numParams()).toBe(3 * 872);
    const x = tf.tensor3d(Float32Array.from({ length: 2 * 5 * 8 }, () => rng.normal()), [2, 5, 8]);
    const before = tf.memory().numTensors;
    const y = enc.apply(x, { training: false });
    const all = enc.applyAll(x, { training: false });
    expect(all).toHaveLength(3);
    expect(maxAbsDiff(all[2]!.dataSync(), y.dataSync())).toBe(0);
    const manual = tf.tidy(() => enc.blocks[1]!.apply(all[0]!, { training: false }).dataSync());
    expect(maxAbsDiff(manual, all[1]!.dataSync())).toBe(0);
    tf.dispose([y, ...all]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    enc.dispose();
  });

  it('rejects a non-positive depth', () => {
    expect(() => new TransformerEncoder({ depth: 0, dim: 8, numHeads: 2 }, new Rng(0))).toThrow(ConfigError);
  });
});
