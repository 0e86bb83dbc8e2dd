import { describe, expect, it } from 'vitest';
import { DIGIT_SIDE, modelInput, rgbaToGrey, toMnistDigit } from './preprocess.js';
import type { WebRunConfig } from './run-config.js';

const run = (over: Partial<WebRunConfig> = {}): WebRunConfig => ({
  kind: 'student',
  model: 'deit_mini_distilled_patch8_32',
  numClasses: 10,
  imgSize: 32,
  distilled: true,
  normalization: { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 1] },
  digit: { size: 28, pad: 2 },
  ...over,
});

/** A grey picture with one filled rectangle. */
function rect(w: number, h: number, x0: number, y0: number, rw: number, rh: number, ink = 255, bg = 0): { width: number; height: number; data: Float32Array } {
  const data = new Float32Array(w * h).fill(bg);
  for (let y = y0; y < y0 + rh; y++) for (let x = x0; x < x0 + rw; x++) data[y * w + x] = ink;
  return { width: w, height: h, data };
}

function centreOfMass(d: Uint8Array): [number, number] {
  let m = 0;
  let cx = 0;
  let cy = 0;
  d.forEach((v, i) => {
    m += v;
    cx += v * ((i % DIGIT_SIDE) + 0.5);
    cy += v * (Math.floor(i / DIGIT_SIDE) + 0.5);
  });
  return [cx / m, cy / m];
}

describe('toMnistDigit', () => {
  it('scales the ink to a 20-pixel box centred by mass, as MNIST digits are', () => {
    // A 40×100 bar in the corner of a 280×280 pad: 100 px tall → 20 px tall, 8 px wide.
    const d = toMnistDigit(rect(280, 280, 10, 10, 40, 100));
    const rows = new Set<number>();
    const cols = new Set<number>();
    d.forEach((v, i) => {
      if (v > 128) {
        rows.add(Math.floor(i / DIGIT_SIDE));
        cols.add(i % DIGIT_SIDE);
      }
    });
    expect(rows.size).toBe(20);
    expect(cols.size).toBe(8);
    const [cx, cy] = centreOfMass(d);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
  });

  it('inverts dark ink on light paper, and gives zeros for an empty picture', () => {
    const dark = toMnistDigit(rect(100, 100, 30, 20, 20, 60, 0, 255));
    const light = toMnistDigit(rect(100, 100, 30, 20, 20, 60, 255, 0));
    expect(Array.from(dark)).toEqual(Array.from(light));
    expect(toMnistDigit(rect(50, 50, 0, 0, 0, 0)).every((v) => v === 0)).toBe(true);
  });

  it('reads luminance from RGBA with alpha over black', () => {
    const g = rgbaToGrey(new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 200, 200, 200, 0]), 4, 1);
    expect(Array.from(g.data).map((v) => Math.round(v * 1000) / 1000)).toEqual([76.245, 149.685, 29.07, 0]);
  });
});

describe('modelInput', () => {
  it('pads the 28 px digit by the run\'s padding and normalises each channel by its mean and std', () => {
    const digit = new Uint8Array(784);
    digit[0] = 255; // top-left pixel of the digit → (2, 2) of the padded 32 px input
    digit[27 * 28 + 27] = 51;
    const x = modelInput(digit, run(), 3);
    expect(x.length).toBe(32 * 32 * 3);
    const at = (y: number, xx: number): number[] => Array.from(x.subarray((y * 32 + xx) * 3, (y * 32 + xx) * 3 + 3));
    expect(at(2, 2)).toEqual([1, 3, 1]); // (1 − 0.5)/0.5, (1 − 0.25)/0.25, (1 − 0)/1
    expect(at(29, 29).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([-0.6, -0.2, 0.2]); // 51/255 = 0.2
    expect(at(0, 0)).toEqual([-1, -1, 0]); // padding is zero before normalisation
  });

  it('fills one channel for a grey model', () => {
    const x = modelInput(new Uint8Array(784).fill(255), run({ normalization: { mean: [0.1307], std: [0.3081] } }), 1);
    expect(x.length).toBe(32 * 32);
    expect(x[2 * 32 + 2]).toBeCloseTo((1 - 0.1307) / 0.3081, 5);
    expect(x[0]).toBeCloseTo(-0.1307 / 0.3081, 5);
  });
});
