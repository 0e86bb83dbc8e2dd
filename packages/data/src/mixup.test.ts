import { Rng, ShapeError } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { cutmixBox, mixupBatch, mixupTargets } from './mixup.js';

const B = 4;
const H = 10;
const W = 12;
const PIX = H * W * 3;

// Sample i is the constant image i + 1, so every output pixel shows which samples it came from.
function batch(): Float32Array {
  const x = new Float32Array(B * PIX);
  for (let i = 0; i < B; i++) x.fill(i + 1, i * PIX, (i + 1) * PIX);
  return x;
}
const labels = Int32Array.from([0, 2, 1, 2]);

function rowSums(t: Float32Array, k: number): number[] {
  return Array.from({ length: t.length / k }, (_, i) => t.subarray(i * k, (i + 1) * k).reduce((a, b) => a + b, 0));
}

describe('Mixup / CutMix (timm batch mode)', () => {
  it('label-smoothed mixed targets: each row sums to 1 with λ·on + (1−λ)·on on the two labels', () => {
    const t = mixupTargets(labels, 3, 0.7, 0.1);
    for (const s of rowSums(t, 3)) expect(s).toBeCloseTo(1, 6);
    // Sample 0 (label 0) pairs with sample 3 (label 2): off = 0.1/3, on = 0.9 + off.
    const off = 0.1 / 3;
    expect(t[0]).toBeCloseTo(0.7 * (0.9 + off) + 0.3 * off, 6);
    expect(t[2]).toBeCloseTo(0.3 * (0.9 + off) + 0.7 * off, 6);
    expect(t[1]).toBeCloseTo(off, 6);
  });

  it('Mixup: x_i = λ·x_i + (1−λ)·x_{B−1−i} with the returned λ', () => {
    const x = batch();
    const r = mixupBatch(x, labels, { height: H, width: W }, { numClasses: 3, cutmixAlpha: 0 }, new Rng(3));
    expect(r.cutmix).toBe(false);
    expect(r.lambda).toBeGreaterThan(0);
    expect(r.lambda).toBeLessThan(1);
    for (let i = 0; i < B; i++) {
      const want = r.lambda * (i + 1) + (1 - r.lambda) * (B - i);
      expect(x[i * PIX + 17]).toBeCloseTo(want, 5);
    }
    for (const s of rowSums(r.targets, 3)) expect(s).toBeCloseTo(1, 6);
  });

  it('CutMix: the partner fills the box and λ is corrected to 1 − box area / image area', () => {
    let seen = 0;
    for (let s = 0; s < 20; s++) {
      const x = batch();
      const r = mixupBatch(x, labels, { height: H, width: W }, { numClasses: 3, mixupAlpha: 0 }, new Rng(s));
      expect(r.cutmix).toBe(true);
      const [yl, yh, xl, xh] = r.box!;
      const inBox = (yh - yl) * (xh - xl);
      expect(r.lambda).toBeCloseTo(1 - inBox / (H * W), 10);
      for (let i = 0; i < B; i++) {
        let fromPartner = 0;
        for (let p = 0; p < H * W; p++) {
          const v = x[i * PIX + 3 * p]!;
          if (v === B - i) fromPartner++;
          else expect(v).toBe(i + 1);
        }
        expect(fromPartner).toBe(inBox);
      }
      for (const sum of rowSums(r.targets, 3)) expect(sum).toBeCloseTo(1, 6);
      if (inBox > 0) seen++;
    }
    expect(seen).toBeGreaterThan(10);
  });

  it('the CutMix box has sides int(H·√(1−λ)) around a centre, clipped to the image', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 100; i++) {
      const lam = rng.random();
      const [yl, yh, xl, xh] = cutmixBox(H, W, lam, rng);
      expect(yl).toBeGreaterThanOrEqual(0);
      expect(yh).toBeLessThanOrEqual(H);
      expect(xl).toBeGreaterThanOrEqual(0);
      expect(xh).toBeLessThanOrEqual(W);
      const cut = Math.trunc(H * Math.sqrt(1 - lam));
      expect(yh - yl).toBeLessThanOrEqual(2 * Math.floor(cut / 2));
    }
  });

  it('prob 0 leaves the images alone and returns smoothed one-hot targets', () => {
    const x = batch();
    const r = mixupBatch(x, labels, { height: H, width: W }, { numClasses: 3, prob: 0 }, new Rng(0));
    expect(r.lambda).toBe(1);
    expect(x).toEqual(batch());
    expect(Array.from(r.targets.subarray(0, 3)).map((v) => +v.toFixed(6))).toEqual([+(0.9 + 0.1 / 3).toFixed(6), +(0.1 / 3).toFixed(6), +(0.1 / 3).toFixed(6)]);
  });

  it('rejects an odd batch and a mis-sized buffer', () => {
    expect(() => mixupBatch(new Float32Array(3 * PIX), Int32Array.from([0, 1, 2]), { height: H, width: W }, { numClasses: 3 }, new Rng(0))).toThrow(ShapeError);
    expect(() => mixupBatch(new Float32Array(5), labels, { height: H, width: W }, { numClasses: 3 }, new Rng(0))).toThrow(/expected 4×10×12×3/);
  });
});
