import type { WebRunConfig } from './run-config.js';

/** A grey image, row-major, values 0–255 (a Float32Array so that scaling keeps fractions). */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** MNIST's digit side and the box its digits are scaled into (LeCun et al.: 20×20, centred by mass in 28×28). */
export const DIGIT_SIDE = 28;
const DIGIT_BOX = 20;

/** RGBA pixels (canvas `ImageData`) → grey by luminance (ITU-R 601, as PIL's `L` mode), alpha over black. */
export function rgbaToGrey(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): GreyImage {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const a = rgba[4 * i + 3]! / 255;
    data[i] = a * (0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!);
  }
  return { width, height, data };
}

/** Bilinear sample at a real position (pixel centres at integer + 0.5), zero outside. */
function sample(img: GreyImage, x: number, y: number): number {
  const fx = x - 0.5;
  const fy = y - 0.5;
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const tx = fx - x0;
  const ty = fy - y0;
  const at = (xx: number, yy: number): number => (xx >= 0 && yy >= 0 && xx < img.width && yy < img.height ? img.data[yy * img.width + xx]! : 0);
  return (1 - ty) * ((1 - tx) * at(x0, y0) + tx * at(x0 + 1, y0)) + ty * ((1 - tx) * at(x0, y0 + 1) + tx * at(x0 + 1, y0 + 1));
}

/** Resamples the rectangle `[x, y, w, h]` of `img` to `tw × th`, averaging 4×4 bilinear samples per output pixel. */
function resampleRect(img: GreyImage, x: number, y: number, w: number, h: number, tw: number, th: number): GreyImage {
  const out = new Float32Array(tw * th);
  const ss = 4;
  for (let j = 0; j < th; j++) {
    for (let i = 0; i < tw; i++) {
      let acc = 0;
      for (let sj = 0; sj < ss; sj++) {
        for (let si = 0; si < ss; si++) acc += sample(img, x + ((i + (si + 0.5) / ss) * w) / tw, y + ((j + (sj + 0.5) / ss) * h) / th);
      }
      out[j * tw + i] = acc / (ss * ss);
    }
  }
  return { width: tw, height: th, data: out };
}

/**
 * Any grey picture of one digit → an MNIST-style 28×28 digit (white on black, 0–255 integers): a light background is
 * inverted, the ink's bounding box is scaled to fit 20×20 keeping its aspect, and placed so that its centre of mass is
 * the centre of the 28×28 square, as the MNIST digits were made. An empty picture gives an all-zero digit.
 */
export function toMnistDigit(img: GreyImage): Uint8Array {
  const n = img.width * img.height;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += img.data[i]!;
  mean /= Math.max(1, n);
  const grey = mean > 127 ? { ...img, data: img.data.map((v) => 255 - v) } : img;
  let x0 = img.width;
  let y0 = img.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (grey.data[y * img.width + x]! > 32) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  const out = new Uint8Array(DIGIT_SIDE * DIGIT_SIDE);
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = DIGIT_BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  const box = resampleRect(grey, x0, y0, bw, bh, tw, th);
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let j = 0; j < th; j++) {
    for (let i = 0; i < tw; i++) {
      const v = box.data[j * tw + i]!;
      mass += v;
      cx += v * (i + 0.5);
      cy += v * (j + 0.5);
    }
  }
  const ox = Math.round(DIGIT_SIDE / 2 - cx / mass);
  const oy = Math.round(DIGIT_SIDE / 2 - cy / mass);
  for (let j = 0; j < th; j++) {
    for (let i = 0; i < tw; i++) {
      const x = i + ox;
      const y = j + oy;
      if (x >= 0 && y >= 0 && x < DIGIT_SIDE && y < DIGIT_SIDE) out[y * DIGIT_SIDE + x] = Math.min(255, Math.round(box.data[j * tw + i]!));
    }
  }
  return out;
}

/**
 * A 28×28 digit → the model's input `[imgSize, imgSize, channels]` (NHWC without the batch) as run.json describes it:
 * resized to the run's digit side if that differs, zero-padded, resized to `imgSize` if that differs (bilinear; the
 * main job's 28 + 2·2 = 32 needs no resize), scaled to 0–1, copied to every channel and normalised per channel.
 */
export function modelInput(digit: Uint8Array, run: WebRunConfig, channels: number): Float32Array {
  let img: GreyImage = { width: DIGIT_SIDE, height: DIGIT_SIDE, data: Float32Array.from(digit) };
  const s = run.digit.size;
  if (s !== DIGIT_SIDE) img = resampleRect(img, 0, 0, DIGIT_SIDE, DIGIT_SIDE, s, s);
  const side = s + 2 * run.digit.pad;
  const padded = new Float32Array(side * side);
  for (let y = 0; y < s; y++) padded.set(img.data.subarray(y * s, (y + 1) * s), (y + run.digit.pad) * side + run.digit.pad);
  img = { width: side, height: side, data: padded };
  const n = run.imgSize;
  if (side !== n) img = resampleRect(img, 0, 0, side, side, n, n);
  const out = new Float32Array(n * n * channels);
  const { mean, std } = run.normalization;
  for (let p = 0; p < n * n; p++) {
    for (let c = 0; c < channels; c++) out[p * channels + c] = (img.data[p]! / 255 - mean[c % mean.length]!) / std[c % std.length]!;
  }
  return out;
}
