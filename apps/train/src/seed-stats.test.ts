import { describe, expect, it } from 'vitest';
import { parseSeedList } from './options.js';
import { formatSeedStatistics, meanStd, pairedDelta, seedStatistics } from './seed-stats.js';

// Three seeds with hand-computed statistics: soft − baseline = [2, 3, 0] → mean 5/3, sample variance
// ((1/3)² + (4/3)² + (5/3)²)/2 = 7/3, std √(7/3) = 1.527525…, t = (5/3)/(√(7/3)/√3) = 5/√7 = 1.889822…, 2 positive
// (0 is not); hard − baseline = [−1, 1, 0] → mean 0, std 1, t 0, 1 positive.
const SEEDS = [
  { seed: 0, teacher: 97.1, baseline: 80, hard: 79, soft: 82 },
  { seed: 1, teacher: 96.8, baseline: 82, hard: 83, soft: 85 },
  { seed: 2, teacher: 97.5, baseline: 84, hard: 84, soft: 84 },
];

describe('seed statistics', () => {
  it('computes the mean and the sample standard deviation', () => {
    const { mean, std } = meanStd([97.1, 96.8, 97.5]);
    expect(mean).toBeCloseTo(97.133333, 5);
    expect(std).toBeCloseTo(0.351188, 5);
    expect(meanStd([5]).std).toBeNaN();
    expect(meanStd([]).mean).toBeNaN();
  });

  it('gives the paired Δ of each distilled student against the twin: mean, std, t and the positive count', () => {
    const stats = seedStatistics(SEEDS);
    expect(stats.paired.soft.mean).toBeCloseTo(5 / 3, 10);
    expect(stats.paired.soft.std).toBeCloseTo(Math.sqrt(7 / 3), 10);
    expect(stats.paired.soft.t).toBeCloseTo(5 / Math.sqrt(7), 10);
    expect(stats.paired.soft.positive).toBe(2);
    expect(stats.paired.hard).toEqual({ mean: 0, std: 1, t: 0, positive: 1 });
    expect(stats.seeds).toEqual(SEEDS);
  });

  it('serialises in the shape --json prints; undefined statistics of one seed become null', () => {
    const json = JSON.parse(JSON.stringify(seedStatistics(SEEDS.slice(0, 1))));
    expect(Object.keys(json)).toEqual(['seeds', 'paired']);
    expect(Object.keys(json.seeds[0]).sort()).toEqual(['baseline', 'hard', 'seed', 'soft', 'teacher']);
    expect(json.paired.soft).toEqual({ mean: 2, std: null, t: null, positive: 1 });
    expect(() => pairedDelta([1, 2], [1])).toThrow(/differ in length/);
  });

  it('prints one row per seed, mean ± std per stage and the paired lines', () => {
    const text = formatSeedStatistics(seedStatistics(SEEDS));
    expect(text).toMatch(/^2 +97\.50 +84\.00 +84\.00 +84\.00 +\+0\.00 +\+0\.00$/m);
    expect(text).toMatch(/^mean ± std \(3\) +97\.13 ± 0\.35 +82\.00 ± 2\.00 +82\.00 ± 2\.65 +83\.67 ± 1\.53 +\+0\.00 ± 1\.00 +\+1\.67 ± 1\.53$/m);
    expect(text).toContain('soft (τ 3, α 0.5) − baseline (paired, 3 seeds): +1.67 ± 1.53 points, t = 1.89 (2 df), positive on 2 of 3 seeds');
    expect(text).toContain('hard (α 0.5) − baseline (paired, 3 seeds): +0.00 ± 1.00 points, t = 0.00 (2 df), positive on 1 of 3 seeds');
  });

  it('parses --seeds lists and ranges, refusing repeats and junk', () => {
    expect(parseSeedList('0,1,2')).toEqual([0, 1, 2]);
    expect(parseSeedList('3, 0-2')).toEqual([3, 0, 1, 2]);
    expect(() => parseSeedList('1,1')).toThrow(/--seeds: a seed is repeated/);
    expect(() => parseSeedList('a')).toThrow(/--seeds: expected non-negative integers/);
    expect(() => parseSeedList('5-2')).toThrow(/runs backwards/);
  });
});
