import { ConfigError, IMAGENET_NORMALIZATION, Rng } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { colorJitter } from './color-jitter.js';
import { centerCrop, evalResizeCrop, resizeShorter } from './eval-resize.js';
import { flipHorizontal, randomHorizontalFlip } from './flip.js';
import type { FloatImage, Uint8Image } from './image.js';
import { normalize } from './normalize.js';
import { grayscale, solarize } from './pil-ops.js';
import { pad, randomCrop, randomShift } from './random-crop.js';
import { randomErasing } from './random-erasing.js';
import { randomResizedCrop, randomResizedCropBox } from './random-resized-crop.js';
import { threeAugmentChoice } from './three-augment.js';
import { createTransform } from './transform-spec.js';

function noise(width: number, height: number, seed: number): Uint8Image {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 256);
  return { width, height, data };
}

describe('RandomResizedCrop', () => {
  it('accepted boxes lie inside the image with area and ratio in range (up to rounding)', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 300; i++) {
      const b = randomResizedCropBox(400, 300, rng);
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.top).toBeGreaterThanOrEqual(0);
      expect(b.left + b.width).toBeLessThanOrEqual(400);
      expect(b.top + b.height).toBeLessThanOrEqual(300);
      const area = (b.width * b.height) / (400 * 300);
      expect(area).toBeGreaterThan(0.08 * 0.9);
      expect(b.width / b.height).toBeGreaterThan((3 / 4) * 0.9);
      expect(b.width / b.height).toBeLessThan((4 / 3) * 1.1);
    }
  });

  it('falls back to the centre crop clamped to the ratio range when no try fits', () => {
    // Area fractions above 1 never fit: 100×20 has ratio 5 > 4/3, so h = 20, w = round(20·4/3) = 27.
    expect(randomResizedCropBox(100, 20, new Rng(0), [2, 3])).toEqual({ top: 0, left: 36, height: 20, width: 27 });
    // Ratio 0.2 < 3/4: w = 20, h = round(20 / 0.75) = 27.
    expect(randomResizedCropBox(20, 100, new Rng(0), [2, 3])).toEqual({ top: 36, left: 0, height: 27, width: 20 });
    expect(randomResizedCropBox(50, 50, new Rng(0), [2, 3])).toEqual({ top: 0, left: 0, height: 50, width: 50 });
  });

  it('outputs the requested size, deterministically per seed', () => {
    const img = noise(60, 45, 2);
    const a = randomResizedCrop(img, { size: 24 }, new Rng(5));
    expect([a.width, a.height]).toEqual([24, 24]);
    expect(randomResizedCrop(img, { size: 24 }, new Rng(5)).data).toEqual(a.data);
    expect(randomResizedCrop(img, { size: [10, 20] }, new Rng(5)).width).toBe(20);
    expect(() => randomResizedCrop(img, { size: 24, scale: [0.5, 0.1] }, new Rng(0))).toThrow(ConfigError);
  });
});

describe('flip, crop, shift', () => {
  const img = noise(7, 4, 3);
  it('flipping twice is the identity; a flip mirrors columns', () => {
    const f = flipHorizontal(img);
    expect(Array.from(f.data.subarray(0, 3))).toEqual(Array.from(img.data.subarray(18, 21)));
    expect(flipHorizontal(f).data).toEqual(img.data);
    expect(randomHorizontalFlip(img, new Rng(0), 0)).toBe(img);
    expect(randomHorizontalFlip(img, new Rng(0), 1).data).toEqual(f.data);
  });

  it('a random shift is a translation by at most k with zero fill', () => {
    for (let s = 0; s < 10; s++) {
      const out = randomShift(img, 2, new Rng(s));
      let found = false;
      for (let dy = -2; dy <= 2 && !found; dy++) {
        for (let dx = -2; dx <= 2 && !found; dx++) {
          let ok = true;
          for (let y = 0; y < 4 && ok; y++) {
            for (let x = 0; x < 7 && ok; x++) {
              const sx = x + dx;
              const sy = y + dy;
              for (let c = 0; c < 3; c++) {
                const want = sx >= 0 && sx < 7 && sy >= 0 && sy < 4 ? img.data[(sy * 7 + sx) * 3 + c] : 0;
                if (out.data[(y * 7 + x) * 3 + c] !== want) ok = false;
              }
            }
          }
          found = ok;
        }
      }
      expect(found).toBe(true);
    }
  });

  it('reflect padding mirrors without repeating the edge', () => {
    // Rows r = 0..2, columns 1..4: value 10·r + column.
    const data = new Uint8Array(4 * 3 * 3);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) data.fill(10 * r + c + 1, (r * 4 + c) * 3, (r * 4 + c) * 3 + 3);
    const padded = pad({ width: 4, height: 3, data }, 2, 'reflect');
    expect([padded.width, padded.height]).toEqual([8, 7]);
    const row = (y: number): number[] => Array.from({ length: 8 }, (_, x) => padded.data[(y * 8 + x) * 3]!);
    expect(row(2)).toEqual([3, 2, 1, 2, 3, 4, 3, 2]);
    expect(row(0)).toEqual([23, 22, 21, 22, 23, 24, 23, 22]);
    expect(row(6)).toEqual(row(2));
    expect(() => pad({ width: 4, height: 1, data: new Uint8Array(12) }, 2, 'reflect')).toThrow(ConfigError);
    const c = randomCrop({ width: 4, height: 3, data }, 3, new Rng(1), 2, 'reflect');
    expect([c.width, c.height]).toEqual([3, 3]);
  });
});

describe('eval resize and centre crop', () => {
  it('resizes the shorter side and truncates the longer', () => {
    const img = noise(400, 300, 4);
    const r = resizeShorter(img, 256);
    expect([r.width, r.height]).toEqual([341, 256]);
    const t = resizeShorter(noise(300, 401, 5), 256);
    expect([t.width, t.height]).toEqual([256, 342]);
  });

  it('rounds the centre-crop offset half to even', () => {
    // (257 − 224) / 2 = 16.5 → 16; (259 − 224) / 2 = 17.5 → 18.
    const mk = (w: number): Uint8Image => {
      const data = new Uint8Array(w * 3);
      for (let x = 0; x < w; x++) data.fill(x % 256, 3 * x, 3 * x + 3);
      return { width: w, height: 1, data };
    };
    expect(centerCrop(mk(257), 1, 224).data[0]).toBe(16);
    expect(centerCrop(mk(259), 1, 224).data[0]).toBe(18);
    expect(() => centerCrop(mk(100), 1, 224)).toThrow(/larger than/);
  });

  it('eval resize + crop gives size×size (224 → resize 256)', () => {
    const out = evalResizeCrop(noise(300, 400, 6), 224);
    expect([out.width, out.height]).toEqual([224, 224]);
  });
});

describe('normalize and erasing', () => {
  it('normalises with (v/255 − mean) / std', () => {
    const img: Uint8Image = { width: 1, height: 1, data: Uint8Array.from([0, 128, 255]) };
    const out = normalize(img);
    const { mean, std } = IMAGENET_NORMALIZATION;
    expect(out.data[0]).toBeCloseTo((0 - mean[0]) / std[0], 6);
    expect(out.data[1]).toBeCloseTo((128 / 255 - mean[1]) / std[1], 6);
    expect(out.data[2]).toBeCloseTo((1 - mean[2]) / std[2], 6);
  });

  it('erases one rectangle of N(0,1) noise with area in [0.02, 1/3], everything else untouched', () => {
    const W = 40;
    const H = 30;
    for (let s = 0; s < 20; s++) {
      const img: FloatImage = { width: W, height: H, data: new Float32Array(W * H * 3).fill(7) };
      randomErasing(img, { probability: 1 }, new Rng(s));
      const changed: [number, number][] = [];
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (img.data[(y * W + x) * 3] !== 7) changed.push([x, y]);
      const xs = changed.map((p) => p[0]);
      const ys = changed.map((p) => p[1]);
      const bw = Math.max(...xs) - Math.min(...xs) + 1;
      const bh = Math.max(...ys) - Math.min(...ys) + 1;
      expect(changed.length).toBe(bw * bh);
      expect(bw * bh).toBeGreaterThanOrEqual(Math.floor(0.02 * W * H * 0.8));
      expect(bw * bh).toBeLessThanOrEqual(Math.ceil((W * H) / 3 * 1.2));
      const vals = changed.map(([x, y]) => img.data[(y * W + x) * 3]!);
      expect(Math.max(...vals.map(Math.abs))).toBeLessThan(6);
    }
    const keep: FloatImage = { width: 4, height: 4, data: new Float32Array(48).fill(1) };
    randomErasing(keep, { probability: 0 }, new Rng(0));
    expect(keep.data.every((v) => v === 1)).toBe(true);
  });
});

describe('colour transforms', () => {
  const img = noise(9, 6, 7);
  it('ColorJitter with zero strengths is the identity; brightness alone scales', () => {
    expect(colorJitter(img, {}, new Rng(0)).data).toEqual(img.data);
    const out = colorJitter(img, { brightness: 0.4 }, new Rng(3));
    const ratios = Array.from(img.data)
      .map((v, i) => (v > 100 ? out.data[i]! / v : Number.NaN))
      .filter((r) => !Number.isNaN(r));
    expect(Math.max(...ratios) - Math.min(...ratios)).toBeLessThan(0.02);
    expect(() => colorJitter(img, { hue: 0.7 }, new Rng(0))).toThrow(ConfigError);
  });

  it('3-Augment picks exactly one of grayscale, solarize and blur', () => {
    const kinds = new Set<string>();
    for (let s = 0; s < 30; s++) {
      const out = threeAugmentChoice(img, new Rng(s));
      if (out.data.every((v, i) => v === grayscale(img).data[i])) kinds.add('gray');
      else if (out.data.every((v, i) => v === solarize(img, 128).data[i])) kinds.add('solarize');
      else kinds.add('blur');
    }
    expect([...kinds].sort()).toEqual(['blur', 'gray', 'solarize']);
  });
});

describe('createTransform', () => {
  const img = noise(80, 60, 8);
  for (const spec of [
    { kind: 'deit-train', size: 32 },
    { kind: 'deit-train', size: 32, autoAugment: null, colorJitter: 0.4 },
    { kind: 'deit-train', size: 32, autoAugment: 'none', reprob: 0 },
    { kind: 'three-augment', size: 32 },
    { kind: 'three-augment', size: 32, src: true },
    { kind: 'eval', size: 32 },
    { kind: 'light', size: 32, shift: 3 },
    { kind: 'plain', size: 32 },
  ] as const) {
    it(`${JSON.stringify(spec)}: 32×32 normalised float32, deterministic per generator`, () => {
      const t = createTransform(spec);
      const a = t(img, new Rng(4));
      expect([a.width, a.height, a.data.length, a.data instanceof Float32Array]).toEqual([32, 32, 32 * 32 * 3, true]);
      // Normalised 8-bit values lie in [−2.12, 2.64]; erased pixels are N(0, 1).
      expect(Math.min(...a.data)).toBeGreaterThan(-6);
      expect(Math.max(...a.data)).toBeLessThan(6);
      expect(t(img, new Rng(4)).data).toEqual(a.data);
    });
  }

  it('rejects bad options with the option named', () => {
    expect(() => createTransform({ kind: 'deit-train', size: 0 })).toThrow(/size/);
    expect(() => createTransform({ kind: 'deit-train', autoAugment: 'rand-z1' })).toThrow(ConfigError);
    expect(() => createTransform({ kind: 'eval', cropPct: 1.5 })).toThrow(/cropPct/);
    expect(() => createTransform({ kind: 'nope' } as never)).toThrow(/transform.kind/);
  });
});
