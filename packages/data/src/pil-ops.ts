import type { Uint8Image } from './image.js';

// Point and colour operations on 8-bit images with PIL's semantics (ImageOps, ImageEnhance, Image.blend),
// which is what timm's RandAugment and torchvision's ColorJitter call. Each returns a new image.

function applyLut(image: Uint8Image, lut: Uint8Array | readonly Uint8Array[]): Uint8Image {
  const src = image.data;
  const out = new Uint8Array(src.length);
  if (lut instanceof Uint8Array) {
    for (let i = 0; i < src.length; i++) out[i] = lut[src[i]!]!;
  } else {
    for (let i = 0; i < src.length; i += 3) {
      out[i] = lut[0]![src[i]!]!;
      out[i + 1] = lut[1]![src[i + 1]!]!;
      out[i + 2] = lut[2]![src[i + 2]!]!;
    }
  }
  return { width: image.width, height: image.height, data: out };
}

function channelHistograms(image: Uint8Image): [Float64Array, Float64Array, Float64Array] {
  const h: [Float64Array, Float64Array, Float64Array] = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];
  const d = image.data;
  for (let i = 0; i < d.length; i += 3) {
    h[0][d[i]!]!++;
    h[1][d[i + 1]!]!++;
    h[2][d[i + 2]!]!++;
  }
  return h;
}

/** `ImageOps.invert`: 255 − v. */
export function invert(image: Uint8Image): Uint8Image {
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = 255 - i;
  return applyLut(image, lut);
}

/** `ImageOps.posterize`: keeps the `bits` most significant bits of each channel (0–8). */
export function posterize(image: Uint8Image, bits: number): Uint8Image {
  const mask = ~(2 ** (8 - bits) - 1) & 0xff;
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = i & mask;
  return applyLut(image, lut);
}

/** `ImageOps.solarize`: values at or above `threshold` are inverted. */
export function solarize(image: Uint8Image, threshold = 128): Uint8Image {
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = i < threshold ? i : 255 - i;
  return applyLut(image, lut);
}

/** timm's `solarize_add`: adds `add` (clamped to 255) to values below `threshold`. */
export function solarizeAdd(image: Uint8Image, add: number, threshold = 128): Uint8Image {
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = i < threshold ? Math.min(255, i + add) : i;
  return applyLut(image, lut);
}

/** `ImageOps.autocontrast` (cutoff 0): stretches each channel's [min, max] to [0, 255]. */
export function autoContrast(image: Uint8Image): Uint8Image {
  const luts = channelHistograms(image).map((h) => {
    const lut = new Uint8Array(256);
    let lo = 0;
    while (lo < 256 && h[lo] === 0) lo++;
    let hi = 255;
    while (hi >= 0 && h[hi] === 0) hi--;
    if (hi <= lo) {
      for (let i = 0; i < 256; i++) lut[i] = i;
      return lut;
    }
    const scale = 255 / (hi - lo);
    const offset = -lo * scale;
    for (let i = 0; i < 256; i++) {
      const v = Math.trunc(i * scale + offset);
      lut[i] = v < 0 ? 0 : Math.min(v, 255);
    }
    return lut;
  });
  return applyLut(image, luts);
}

/** `ImageOps.equalize`: per-channel histogram equalisation. */
export function equalize(image: Uint8Image): Uint8Image {
  const luts = channelHistograms(image).map((h) => {
    const lut = new Uint8Array(256);
    const nonzero: number[] = [];
    for (let i = 0; i < 256; i++) if (h[i]! > 0) nonzero.push(h[i]!);
    let step = 0;
    if (nonzero.length > 1) step = Math.floor((nonzero.reduce((a, b) => a + b, 0) - nonzero[nonzero.length - 1]!) / 255);
    if (step === 0) {
      for (let i = 0; i < 256; i++) lut[i] = i;
      return lut;
    }
    let n = Math.floor(step / 2);
    for (let i = 0; i < 256; i++) {
      lut[i] = Math.min(255, Math.floor(n / step));
      n += h[i]!;
    }
    return lut;
  });
  return applyLut(image, luts);
}

/** PIL's RGB → L conversion (ITU-R 601-2 luma in 16-bit fixed point), one value per pixel. */
export function luma(image: Uint8Image): Uint8Array {
  const d = image.data;
  const n = image.width * image.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = (d[3 * i]! * 19595 + d[3 * i + 1]! * 38470 + d[3 * i + 2]! * 7471 + 0x8000) >>> 16;
  }
  return out;
}

/** Grayscale with three output channels (torchvision `Grayscale(3)`: PIL `convert('L')` repeated). */
export function grayscale(image: Uint8Image): Uint8Image {
  const l = luma(image);
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < l.length; i++) {
    out[3 * i] = l[i]!;
    out[3 * i + 1] = l[i]!;
    out[3 * i + 2] = l[i]!;
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * `Image.blend(degenerate, image, factor)` as ImageEnhance uses it: degenerate + factor·(image − degenerate),
 * computed in float32, truncated and clamped to 8 bits. factor 1 returns the image; 0 the degenerate.
 */
export function blend(degenerate: Uint8Array, image: Uint8Image, factor: number): Uint8Image {
  const src = image.data;
  const out = new Uint8Array(src.length);
  const f = Math.fround(factor);
  for (let i = 0; i < src.length; i++) {
    const d = degenerate[i]!;
    const v = Math.fround(d + f * (src[i]! - d));
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return { width: image.width, height: image.height, data: out };
}

/** `ImageEnhance.Brightness(image).enhance(factor)`: blend with black. */
export function adjustBrightness(image: Uint8Image, factor: number): Uint8Image {
  return blend(new Uint8Array(image.data.length), image, factor);
}

/** `ImageEnhance.Color(image).enhance(factor)` (saturation): blend with the image's grayscale. */
export function adjustSaturation(image: Uint8Image, factor: number): Uint8Image {
  return blend(grayscale(image).data, image, factor);
}

/** `ImageEnhance.Contrast(image).enhance(factor)`: blend with the mean grey level (rounded). */
export function adjustContrast(image: Uint8Image, factor: number): Uint8Image {
  const l = luma(image);
  let sum = 0;
  for (let i = 0; i < l.length; i++) sum += l[i]!;
  const mean = Math.trunc(sum / l.length + 0.5);
  return blend(new Uint8Array(image.data.length).fill(mean), image, factor);
}

/** `ImageEnhance.Sharpness(image).enhance(factor)`: blend with the SMOOTH-filtered image (borders kept). */
export function adjustSharpness(image: Uint8Image, factor: number): Uint8Image {
  const { width: W, height: H, data } = image;
  const smooth = data.slice();
  const row = W * 3;
  for (let y = 1; y < H - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      const o = y * row + x * 3;
      for (let c = o; c < o + 3; c++) {
        // PIL's SMOOTH kernel: all ones with 5 in the centre, divided by 13.
        const s =
          data[c - row - 3]! + data[c - row]! + data[c - row + 3]! + data[c - 3]! + 5 * data[c]! + data[c + 3]! + data[c + row - 3]! + data[c + row]! + data[c + row + 3]!;
        const v = s / 13 + 0.5;
        smooth[c] = v >= 255 ? 255 : Math.trunc(v);
      }
    }
  }
  return blend(smooth, image, factor);
}

/**
 * Hue shift by `factor` of a full turn (−0.5…0.5), torchvision `adjust_hue` on PIL: through 8-bit HSV,
 * the hue channel shifted with wrap-around.
 */
export function adjustHue(image: Uint8Image, factor: number): Uint8Image {
  const d = image.data;
  const out = new Uint8Array(d.length);
  const shift = Math.round(factor * 255);
  for (let i = 0; i < d.length; i += 3) {
    const r = d[i]! / 255;
    const g = d[i + 1]! / 255;
    const b = d[i + 2]! / 255;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const v = max;
    const delta = max - min;
    const s = max === 0 ? 0 : delta / max;
    let h = 0;
    if (delta > 0) {
      if (max === r) h = ((g - b) / delta) % 6;
      else if (max === g) h = (b - r) / delta + 2;
      else h = (r - g) / delta + 4;
      h /= 6;
      if (h < 0) h += 1;
    }
    const h8 = (Math.round(h * 255) + shift + 256) % 256;
    const hh = (h8 / 255) * 6;
    const sector = Math.floor(hh) % 6;
    const fr = hh - Math.floor(hh);
    const p = v * (1 - s);
    const q = v * (1 - s * fr);
    const t = v * (1 - s * (1 - fr));
    const rgb = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ][sector]!;
    out[i] = Math.round(rgb[0]! * 255);
    out[i + 1] = Math.round(rgb[1]! * 255);
    out[i + 2] = Math.round(rgb[2]! * 255);
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * Gaussian blur with standard deviation `radius` (PIL `ImageFilter.GaussianBlur(radius)`), as a separable
 * kernel truncated at 3σ with edge clamping; PIL approximates the same Gaussian with repeated box blurs.
 */
export function gaussianBlur(image: Uint8Image, radius: number): Uint8Image {
  const { width: W, height: H, data } = image;
  const r = Math.max(1, Math.ceil(3 * radius));
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    k[i + r] = Math.exp(-(i * i) / (2 * radius * radius));
    sum += k[i + r]!;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  const tmp = new Float32Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) {
          const xi = Math.min(W - 1, Math.max(0, x + i));
          s += data[(y * W + xi) * 3 + c]! * k[i + r]!;
        }
        tmp[(y * W + x) * 3 + c] = s;
      }
    }
  }
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) {
          const yi = Math.min(H - 1, Math.max(0, y + i));
          s += tmp[(yi * W + x) * 3 + c]! * k[i + r]!;
        }
        const v = Math.round(s);
        out[(y * W + x) * 3 + c] = v < 0 ? 0 : Math.min(v, 255);
      }
    }
  }
  return { width: W, height: H, data: out };
}
