import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('is deterministic by seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('restores exactly from its state', () => {
    const a = new Rng(7);
    for (let i = 0; i < 10; i++) a.normal();
    const b = Rng.fromState(a.state());
    expect(Array.from({ length: 20 }, () => b.random())).toEqual(Array.from({ length: 20 }, () => a.random()));
  });

  it('draws uniforms in [0,1) with mean 1/2 and variance 1/12', () => {
    const r = new Rng(1);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.random();
      expect(u >= 0 && u < 1).toBe(true);
      s += u;
      s2 += u * u;
    }
    const mean = s / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('draws normals with the requested mean and std', () => {
    const r = new Rng(2);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal(3, 2);
      s += x;
      s2 += x * x;
    }
    const mean = s / n;
    expect(Math.abs(mean - 3)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(s2 / n - mean * mean) - 2)).toBeLessThan(0.03);
  });

  it('draws Beta(a,b) with mean a/(a+b)', () => {
    const r = new Rng(3);
    for (const [a, b] of [[0.8, 0.8], [1, 1], [2, 5]] as const) {
      let s = 0;
      const n = 50_000;
      for (let i = 0; i < n; i++) s += r.beta(a, b);
      expect(Math.abs(s / n - a / (a + b))).toBeLessThan(0.01);
    }
  });

  it('truncates normals to the bounds and permutes every index once', () => {
    const r = new Rng(4);
    const t = r.truncNormalArray(10_000, 1, -0.5, 0.5);
    expect(Math.max(...t)).toBeLessThanOrEqual(0.5);
    expect(Math.min(...t)).toBeGreaterThanOrEqual(-0.5);
    const p = Array.from(r.permutation(100)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
