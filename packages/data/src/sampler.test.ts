import { ConfigError } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { randomSampler, repeatedAugSampler } from './sampler.js';

describe('samplers', () => {
  it('the random sampler is a permutation, fixed per (seed, epoch), different across epochs', () => {
    const s = randomSampler(50, 3);
    const e0 = s.indices(0);
    expect(Array.from(e0).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(s.indices(0)).toEqual(e0);
    expect(s.indices(1)).not.toEqual(e0);
    expect(randomSampler(50, 4).indices(0)).not.toEqual(e0);
    expect(Array.from(randomSampler(5, 0, false).indices(3))).toEqual([0, 1, 2, 3, 4]);
  });

  it('RASampler, one process: consecutive triples of a permutation, cut to a multiple of 256', () => {
    const s = repeatedAugSampler(600, 1);
    expect(s.length).toBe(512);
    const idx = s.indices(2);
    expect(idx.length).toBe(512);
    const firsts: number[] = [];
    for (let i = 0; i + 2 < 512; i += 3) {
      expect(idx[i + 1]).toBe(idx[i]);
      expect(idx[i + 2]).toBe(idx[i]);
      firsts.push(idx[i]!);
    }
    expect(new Set(firsts).size).toBe(firsts.length);
  });

  it('RASampler, 4 processes: ranks interleave the repeated list, the copies of an index go to different ranks', () => {
    const n = 1030;
    const ranks = [0, 1, 2, 3].map((rank) => repeatedAugSampler(n, 5, { numReplicas: 4, rank }).indices(0));
    // floor(1030 / 256)·256 / 4 = 256 per rank.
    for (const r of ranks) expect(r.length).toBe(256);
    // Rebuild the repeated list position by position: position p of the list is rank p % 4, slot ⌊p/4⌋.
    const list: number[] = [];
    for (let p = 0; p < 1024; p++) list.push(ranks[p % 4]![Math.floor(p / 4)]!);
    for (let p = 0; p + 2 < 1023; p += 3) {
      expect(list[p + 1]).toBe(list[p]);
      expect(list[p + 2]).toBe(list[p]);
    }
  });

  it('RASampler without shuffling repeats 0, 0, 0, 1, 1, 1, …', () => {
    const s = repeatedAugSampler(10, 0, { shuffle: false, selectMultiple: 1 });
    expect(Array.from(s.indices(0))).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
  });

  it('RASampler options are checked, and too small a data set is an error, not an empty epoch', () => {
    expect(() => repeatedAugSampler(100, 0)).toThrow(/selectMultiple/);
    expect(() => repeatedAugSampler(1000, 0, { numReplicas: 2, rank: 2 })).toThrow(ConfigError);
    expect(() => repeatedAugSampler(1000, 0, { repeats: 0 })).toThrow(/repeats/);
  });
});
