import { ConfigError, Rng } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { affineTransform, rotate } from './affine.js';
import type { Uint8Image } from './image.js';
import { adjustBrightness, adjustContrast, adjustSaturation, adjustSharpness, autoContrast, equalize, invert, luma, posterize, solarize, solarizeAdd } from './pil-ops.js';
import { applyRandAugmentOp, IMAGENET_MEAN_UINT8, parseRandAugment, RAND_INCREASING_OPS, randAugment, randAugmentPlan } from './rand-augment.js';

function noise(width: number, height: number, seed: number, lo = 0, hi = 256): Uint8Image {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(lo, hi);
  return { width, height, data };
}

const px = (img: Uint8Image, x: number, y: number): number[] => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('point ops', () => {
  const img = noise(12, 9, 1);

  it('Invert twice is the identity and maps v to 255 − v', () => {
    const once = invert(img);
    for (let i = 0; i < img.data.length; i++) expect(once.data[i]).toBe(255 - img.data[i]!);
    expect(invert(once).data).toEqual(img.data);
  });

  it('Solarize inverts exactly the values at or above the threshold', () => {
    for (const t of [0, 77, 128, 256]) {
      const out = solarize(img, t);
      for (let i = 0; i < img.data.length; i++) expect(out.data[i]).toBe(img.data[i]! < t ? img.data[i] : 255 - img.data[i]!);
    }
    expect(solarize(img, 256).data).toEqual(img.data);
  });

  it('Posterize keeps the top bits: v & mask', () => {
    for (const bits of [0, 1, 4, 7, 8]) {
      const mask = (0xff << (8 - bits)) & 0xff;
      const out = posterize(img, bits);
      for (let i = 0; i < img.data.length; i++) expect(out.data[i]).toBe(img.data[i]! & mask);
    }
  });

  it('SolarizeAdd adds (clamped) below 128 only', () => {
    const out = solarizeAdd(img, 100);
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i]!;
      expect(out.data[i]).toBe(v < 128 ? Math.min(255, v + 100) : v);
    }
  });

  it('AutoContrast stretches each channel to 0…255 and leaves a flat channel alone', () => {
    const low = noise(10, 10, 2, 50, 120);
    for (let i = 2; i < low.data.length; i += 3) low.data[i] = 77;
    const out = autoContrast(low);
    for (const c of [0, 1]) {
      const ch = out.data.filter((_, i) => i % 3 === c);
      expect(Math.min(...ch)).toBe(0);
      expect(Math.max(...ch)).toBe(255);
    }
    expect(out.data.filter((_, i) => i % 3 === 2).every((v) => v === 77)).toBe(true);
  });

  it('Equalize matches the hand-computed PIL lookup for three equal bins', () => {
    // 255 pixels each of 10, 20, 30: step = (765 − 255) // 255 = 2, so 10 → 0, 20 → 128, 30 → 255.
    const data = new Uint8Array(765 * 3);
    for (let i = 0; i < 765; i++) data.fill([10, 20, 30][Math.floor(i / 255)]!, 3 * i, 3 * i + 3);
    const out = equalize({ width: 765, height: 1, data });
    expect(px(out, 0, 0)).toEqual([0, 0, 0]);
    expect(px(out, 300, 0)).toEqual([128, 128, 128]);
    expect(px(out, 600, 0)).toEqual([255, 255, 255]);
  });

  it('Equalize is order-preserving', () => {
    const out = equalize(img);
    for (let i = 0; i < img.data.length; i += 3) {
      for (let j = 0; j < img.data.length; j += 3) if (img.data[i]! < img.data[j]!) expect(out.data[i]!).toBeLessThanOrEqual(out.data[j]!);
    }
  });
});

describe('enhance ops', () => {
  const img = noise(10, 8, 3);

  it('factor 1 is the identity for every enhancement', () => {
    for (const f of [adjustBrightness, adjustSaturation, adjustContrast, adjustSharpness]) expect(f(img, 1).data).toEqual(img.data);
  });

  it('Brightness blends with black: floor(v·f) clamped', () => {
    expect(adjustBrightness(img, 0).data.every((v) => v === 0)).toBe(true);
    const half = adjustBrightness(img, 0.5);
    const bright = adjustBrightness(img, 1.9);
    for (let i = 0; i < img.data.length; i++) {
      expect(half.data[i]).toBe(Math.floor(img.data[i]! * 0.5));
      expect(bright.data[i]).toBe(Math.min(255, Math.floor(Math.fround(Math.fround(1.9) * img.data[i]!))));
    }
  });

  it('Color at 0 gives the PIL luma in all three channels', () => {
    const grey = adjustSaturation(img, 0);
    const l = luma(img);
    for (let p = 0; p < l.length; p++) {
      const [r, g, b] = [img.data[3 * p]!, img.data[3 * p + 1]!, img.data[3 * p + 2]!];
      expect(Math.abs(l[p]! - (0.299 * r + 0.587 * g + 0.114 * b))).toBeLessThanOrEqual(0.5 + 1e-3);
      expect(px(grey, p % 10, Math.floor(p / 10))).toEqual([l[p], l[p], l[p]]);
    }
  });

  it('Contrast at 0 gives the rounded mean grey everywhere', () => {
    const l = luma(img);
    const mean = Math.round(l.reduce((a, b) => a + b, 0) / l.length);
    expect(adjustContrast(img, 0).data.every((v) => v === mean)).toBe(true);
  });

  it('Sharpness at 0 is the SMOOTH filter: an impulse of 130 spreads to 50 at the centre and 10 around it', () => {
    const imp: Uint8Image = { width: 5, height: 5, data: new Uint8Array(75) };
    imp.data.fill(130, 36, 39);
    const out = adjustSharpness(imp, 0);
    expect(px(out, 2, 2)).toEqual([50, 50, 50]);
    expect(px(out, 1, 1)).toEqual([10, 10, 10]);
    expect(px(out, 3, 2)).toEqual([10, 10, 10]);
    // factor 2 extrapolates away from the smoothed image: 2·130 − 50 = 210 at the centre.
    expect(px(adjustSharpness(imp, 2), 2, 2)).toEqual([210, 210, 210]);
  });

  it('Sharpness leaves a constant image and the border unchanged', () => {
    const flat: Uint8Image = { width: 6, height: 6, data: new Uint8Array(108).fill(90) };
    expect(adjustSharpness(flat, 1.9).data).toEqual(flat.data);
    const out = adjustSharpness(img, 0);
    for (let x = 0; x < img.width; x++) expect(px(out, x, 0)).toEqual(px(img, x, 0));
  });
});

describe('geometric ops', () => {
  const img = noise(16, 16, 4);
  const fill = IMAGENET_MEAN_UINT8;

  it('Rotate 0 (and 360) is the identity; four 90° turns are too', () => {
    expect(rotate(img, 0, fill).data).toEqual(img.data);
    expect(rotate(img, 360, fill).data).toEqual(img.data);
    let r = img;
    for (let i = 0; i < 4; i++) r = rotate(r, 90, fill);
    expect(r.data).toEqual(img.data);
  });

  it('Rotate 90 turns counter-clockwise: the top-right corner goes to the top-left', () => {
    const r = rotate(img, 90, fill);
    expect(px(r, 0, 0)).toEqual(px(img, 15, 0));
    expect(px(r, 0, 15)).toEqual(px(img, 0, 0));
  });

  it('Rotate 30 keeps the centre and fills the corners with the mean colour', () => {
    const flat: Uint8Image = { width: 21, height: 21, data: new Uint8Array(21 * 21 * 3).fill(200) };
    const r = rotate(flat, 30, fill);
    expect(px(r, 10, 10)).toEqual([200, 200, 200]);
    expect(px(r, 0, 0)).toEqual([...fill]);
  });

  it('an integer translation shifts exactly and fills the uncovered border', () => {
    const out = affineTransform(img, [1, 0, 3, 0, 1, 0], fill);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) expect(px(out, x, y)).toEqual(x + 3 < 16 ? px(img, x + 3, y) : [...fill]);
    }
  });

  it('TranslateXRel at m = 5 moves by 0.225·width pixels in a random direction', () => {
    const wide = noise(40, 4, 5);
    for (let s = 0; s < 6; s++) {
      const out = applyRandAugmentOp('TranslateXRel', wide, 5, new Rng(s));
      const shift = px(out, 39, 1)[0] === fill[0] && px(out, 39, 1)[1] === fill[1] ? 9 : -9;
      for (let x = 0; x < 40; x++) {
        const sx = x + shift;
        expect(px(out, x, 1)).toEqual(sx >= 0 && sx < 40 ? px(wide, sx, 1) : [...fill]);
      }
    }
  });

  it('magnitude 0 leaves every geometric op at the identity', () => {
    for (const op of ['Rotate', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel'] as const) {
      expect(applyRandAugmentOp(op, img, 0, new Rng(1)).data).toEqual(img.data);
    }
  });

  it('ShearY offsets column x by ±0.3·(x + ½) px at m = 10: column colours kept, the hand-counted pixels filled', () => {
    const cols: Uint8Image = { width: 16, height: 16, data: new Uint8Array(16 * 16 * 3) };
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) cols.data.fill(10 + 13 * x, (y * 16 + x) * 3, (y * 16 + x) * 3 + 3);
    for (let seed = 0; seed < 4; seed++) {
      const out = applyRandAugmentOp('ShearY', cols, 10, new Rng(seed));
      for (let x = 0; x < 16; x++) {
        const s = 0.3 * (x + 0.5);
        const filled = Array.from({ length: 16 }, (_, y) => px(out, x, y)[0] === fill[0] && px(out, x, y)[1] === fill[1]);
        const plus = filled.every((f, y) => f === y + 0.5 + s >= 16);
        const minus = filled.every((f, y) => f === y + 0.5 - s < 0);
        expect(plus || minus).toBe(true);
        for (let y = 0; y < 16; y++) if (!filled[y]) expect(px(out, x, y)).toEqual([10 + 13 * x, 10 + 13 * x, 10 + 13 * x]);
      }
    }
  });

  it('TranslateYRel at m = 5 moves by 0.225·height pixels in a random direction', () => {
    const tall = noise(3, 40, 8);
    for (let s = 0; s < 6; s++) {
      const out = applyRandAugmentOp('TranslateYRel', tall, 5, new Rng(s));
      const shift = px(out, 1, 39)[0] === fill[0] && px(out, 1, 39)[1] === fill[1] ? 9 : -9;
      for (let y = 0; y < 40; y++) {
        const sy = y + shift;
        expect(px(out, 1, y)).toEqual(sy >= 0 && sy < 40 ? px(tall, 1, sy) : [...fill]);
      }
    }
  });

  it('ShearX offsets row y by ±0.3·(y + ½) px at m = 10: row colours kept, the hand-counted pixels filled', () => {
    const rows: Uint8Image = { width: 16, height: 16, data: new Uint8Array(16 * 16 * 3) };
    for (let y = 0; y < 16; y++) rows.data.fill(10 + 13 * y, y * 48, (y + 1) * 48);
    for (let seed = 0; seed < 4; seed++) {
      const out = applyRandAugmentOp('ShearX', rows, 10, new Rng(seed));
      let sign = 0;
      for (let y = 0; y < 16; y++) {
        const s = 0.3 * (y + 0.5);
        const filled = Array.from({ length: 16 }, (_, x) => px(out, x, y)[0] === fill[0] && px(out, x, y)[1] === fill[1]);
        const plus = Array.from({ length: 16 }, (_, x) => x + 0.5 + s >= 16);
        const minus = Array.from({ length: 16 }, (_, x) => x + 0.5 - s < 0);
        const rowSign = filled.every((f, x) => f === plus[x]) ? 1 : filled.every((f, x) => f === minus[x]) ? -1 : 0;
        expect(rowSign).not.toBe(0);
        if (filled.some(Boolean)) {
          if (sign === 0) sign = rowSign;
          expect(rowSign).toBe(sign);
        }
        for (let x = 0; x < 16; x++) if (!filled[x]) expect(px(out, x, y)).toEqual([10 + 13 * y, 10 + 13 * y, 10 + 13 * y]);
      }
    }
  });
});

describe('RandAugment', () => {
  const img = noise(20, 14, 6);

  it('level mappings of the increasing ops at m = 10 and m = 0', () => {
    const r = new Rng(0);
    expect(applyRandAugmentOp('PosterizeIncreasing', img, 10, r).data.every((v) => v === 0)).toBe(true);
    expect(applyRandAugmentOp('PosterizeIncreasing', img, 0, r).data).toEqual(posterize(img, 4).data);
    expect(applyRandAugmentOp('SolarizeIncreasing', img, 0, r).data).toEqual(img.data);
    expect(applyRandAugmentOp('SolarizeIncreasing', img, 10, r).data).toEqual(invert(img).data);
    expect(applyRandAugmentOp('SolarizeAdd', img, 10, r).data).toEqual(solarizeAdd(img, 110).data);
    for (const op of ['ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing'] as const) {
      expect(applyRandAugmentOp(op, img, 0, r).data).toEqual(img.data);
    }
    // m = 10: the enhance factor is 1 ± 0.9; brightness 0.1 or 1.9.
    const b = applyRandAugmentOp('BrightnessIncreasing', img, 10, new Rng(9));
    const options = [adjustBrightness(img, 0.1).data, adjustBrightness(img, 1.9).data];
    expect(options.some((o) => o.every((v, i) => v === b.data[i]))).toBe(true);
  });

  it('every one of the 15 ops returns a same-size 8-bit image', () => {
    expect(RAND_INCREASING_OPS.length).toBe(15);
    for (const op of RAND_INCREASING_OPS) {
      const out = applyRandAugmentOp(op, img, 9, new Rng(2));
      expect([out.width, out.height, out.data.length, out.data instanceof Uint8Array]).toEqual([20, 14, 20 * 14 * 3, true]);
    }
  });

  it('with p = 0 nothing fires; the same seed gives the same result', () => {
    const cfg = parseRandAugment('rand-m9-mstd0.5-inc1');
    expect(randAugment(img, { ...cfg, prob: 0 }, new Rng(1)).data).toEqual(img.data);
    const a = randAugment(img, cfg, new Rng(11));
    const b = randAugment(img, cfg, new Rng(11));
    expect(a.data).toEqual(b.data);
    let changed = 0;
    for (let s = 0; s < 20; s++) if (!randAugment(img, cfg, new Rng(s)).data.every((v, i) => v === img.data[i])) changed++;
    // Each of two ops fires with p = 0.5: about 3/4 of the images change.
    expect(changed).toBeGreaterThan(8);
    expect(changed).toBeLessThan(20);
  });

  it('draws ops uniformly with replacement, fires each with p, magnitudes N(9, 0.5²) clipped to [0, 10]', () => {
    const cfg = parseRandAugment('rand-m9-mstd0.5-inc1');
    const rng = new Rng(21);
    const counts = new Map<string, number>();
    const mags: number[] = [];
    const N = 4000;
    for (let i = 0; i < N; i++) {
      for (const step of randAugmentPlan(cfg, rng)) {
        counts.set(step.op, (counts.get(step.op) ?? 0) + 1);
        mags.push(step.magnitude);
      }
    }
    // 2 layers × p 0.5: N fired ops expected (binomial sd ≈ 45).
    expect(Math.abs(mags.length - N)).toBeLessThan(200);
    expect(counts.size).toBe(15);
    for (const c of counts.values()) expect(Math.abs(c - N / 15)).toBeLessThan(5 * Math.sqrt(N / 15));
    const mean = mags.reduce((a, b) => a + b, 0) / mags.length;
    const sd = Math.sqrt(mags.reduce((a, b) => a + (b - mean) ** 2, 0) / mags.length);
    console.log(`RandAugment magnitudes: mean ${mean.toFixed(3)} (expect 9), sd ${sd.toFixed(3)} (expect 0.5)`);
    expect(Math.abs(mean - 9)).toBeLessThan(0.05);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.05);
    expect(Math.max(...mags)).toBeLessThanOrEqual(10);
    const clipped = randAugmentPlan({ ...cfg, magnitude: 10, magnitudeStd: 3, prob: 1, numLayers: 50 }, new Rng(1)).map((s) => s.magnitude);
    expect(Math.max(...clipped)).toBe(10);
    expect(clipped.filter((m) => m === 10).length).toBeGreaterThan(10);
    const uniform = randAugmentPlan({ ...cfg, magnitudeStd: Number.POSITIVE_INFINITY, prob: 1, numLayers: 200 }, new Rng(2)).map((s) => s.magnitude);
    expect(Math.min(...uniform)).toBeLessThan(1);
    expect(Math.max(...uniform)).toBeLessThanOrEqual(9);
  });

  it('parses timm option strings and rejects bad ones', () => {
    expect(parseRandAugment('rand-m9-mstd0.5-inc1')).toEqual({ magnitude: 9, numLayers: 2, magnitudeStd: 0.5, magnitudeMax: 10, increasing: true, prob: 0.5 });
    expect(parseRandAugment('rand-m7-n3-mstd101-mmax12-p0.8')).toEqual({
      magnitude: 7,
      numLayers: 3,
      magnitudeStd: Number.POSITIVE_INFINITY,
      magnitudeMax: 12,
      increasing: false,
      prob: 0.8,
    });
    expect(() => parseRandAugment('augmix-m5')).toThrow(ConfigError);
    expect(() => parseRandAugment('rand-m9-q3')).toThrow(/unknown section "q"/);
    expect(() => parseRandAugment('rand-mX')).toThrow(/cannot parse section "mX"/);
  });
});
