import { describe, expect, it } from 'vitest';
import type { Uint8Image } from './image.js';
import { resize } from './resize.js';

function ramp(width: number, height: number, f: (x: number, y: number, c: number) => number): Uint8Image {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { width, height, data };
}

// Float64 reference of a separable antialiased resample (PIL's definition, without its fixed point).
function reference1d(src: number[], outSize: number, kernel: (x: number) => number, support0: number): number[] {
  const scale = src.length / outSize;
  const fs = Math.max(1, scale);
  const out: number[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    let s = 0;
    let ws = 0;
    for (let j = 0; j < src.length; j++) {
      if (Math.abs(j + 0.5 - center) >= support0 * fs) continue;
      const w = kernel((j + 0.5 - center) / fs);
      s += w * src[j]!;
      ws += w;
    }
    out.push(s / ws);
  }
  return out;
}

const cubic = (x: number): number => {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
};

describe('resize (PIL semantics)', () => {
  it('returns an equal copy at the same size', () => {
    const img = ramp(7, 5, (x, y, c) => (x * 31 + y * 17 + c * 5) % 256);
    const out = resize(img, 7, 5);
    expect(out.data).toEqual(img.data);
    expect(out.data).not.toBe(img.data);
  });

  it('keeps a constant image constant when shrinking and enlarging', () => {
    const img = ramp(13, 9, (_x, _y, c) => [37, 128, 250][c]!);
    for (const [w, h] of [[5, 4], [31, 20], [13, 3]] as const) {
      const out = resize(img, w, h);
      for (let i = 0; i < out.data.length; i += 3) expect([out.data[i], out.data[i + 1], out.data[i + 2]]).toEqual([37, 128, 250]);
    }
  });

  it('halves with the hand-computed bilinear weights [1, 3, 3, 1] / 8', () => {
    const row = [0, 80, 160, 240, 40, 120, 200, 8];
    const img = ramp(8, 1, (x) => row[x]!);
    const out = resize(img, 4, 1, 'bilinear');
    // Edge outputs renormalise over the pixels inside the image: weights [3, 3, 1] / 7.
    const expected = [
      (3 * 0 + 3 * 80 + 160) / 7,
      (80 + 3 * 160 + 3 * 240 + 40) / 8,
      (240 + 3 * 40 + 3 * 120 + 200) / 8,
      (120 + 3 * 200 + 3 * 8) / 7,
    ];
    for (let i = 0; i < 4; i++) expect(Math.abs(out.data[3 * i]! - expected[i]!)).toBeLessThanOrEqual(0.5 + 1e-9);
  });

  it('matches a float64 antialiased bicubic reference within one 8-bit step', () => {
    const img = ramp(37, 23, (x, y, c) => Math.round(127.5 + 120 * Math.sin(x * 0.4 + c) * Math.cos(y * 0.3)));
    for (const [w, h] of [[11, 7], [64, 50], [37, 10]] as const) {
      const out = resize(img, w, h);
      let maxErr = 0;
      for (let c = 0; c < 3; c++) {
        // Horizontal pass first, rounded to 8 bits, as PIL does.
        const rows: number[][] = [];
        for (let y = 0; y < img.height; y++) {
          const src = Array.from({ length: img.width }, (_, x) => img.data[(y * img.width + x) * 3 + c]!);
          rows.push(w === img.width ? src : reference1d(src, w, cubic, 2).map((v) => Math.min(255, Math.max(0, Math.round(v)))));
        }
        for (let x = 0; x < w; x++) {
          const col = reference1d(rows.map((r) => r[x]!), h, cubic, 2);
          for (let y = 0; y < h; y++) maxErr = Math.max(maxErr, Math.abs(out.data[(y * w + x) * 3 + c]! - Math.min(255, Math.max(0, col[y]!))));
        }
      }
      console.log(`resize 37x23 -> ${w}x${h}: max |PIL-style - float64 reference| = ${maxErr.toFixed(3)} (tolerance 1)`);
      expect(maxErr).toBeLessThanOrEqual(1);
    }
  });

  it('rejects an invalid output size', () => {
    const img = ramp(4, 4, () => 0);
    expect(() => resize(img, 0, 4)).toThrow(/invalid output size/);
  });
});
