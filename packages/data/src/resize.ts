import { ShapeError } from '@deitjs/core';
import { assertImage, type Uint8Image } from './image.js';

/** Resampling filters of {@link resize} (PIL's, with its support sizes). */
export type ResizeFilter = 'bicubic' | 'bilinear';

// Pillow's resample.c, ported for the maths only: separable convolution, horizontal pass first with an
// 8-bit intermediate, the kernel widened by the scale factor when shrinking (antialiasing), and weights in
// 22-bit fixed point. Matching it keeps our crops numerically close to the PIL pipeline timm trains with.
const PRECISION_BITS = 32 - 8 - 2;

function bicubicKernel(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

function bilinearKernel(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

interface Coeffs {
  bounds: Int32Array; // [xmin, count] per output pixel
  weights: Int32Array; // fixed-point weights, ksize per output pixel
  ksize: number;
}

function precompute(inSize: number, in0: number, in1: number, outSize: number, filter: ResizeFilter): Coeffs {
  const support0 = filter === 'bicubic' ? 2 : 1;
  const kernel = filter === 'bicubic' ? bicubicKernel : bilinearKernel;
  const scale = (in1 - in0) / outSize;
  const filterscale = Math.max(scale , 1);
  const support = support0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = kernel((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax && ww !== 0 ? k[x]! / ww : 0;
      weights[xx * ksize + x] = Math.trunc(w * (1 << PRECISION_BITS) + (w < 0 ? -0.5 : 0.5));
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { bounds, weights, ksize };
}

// Sums stay below 2^31 (255 · 2^22 · the kernel's positive mass), so the accumulation runs in int32.
const CLIP_MAX = 255 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

function clip8(v: number): number {
  if (v >= CLIP_MAX) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/**
 * Resizes an 8-bit image like PIL's `Image.resize(size, resample, box)`: bicubic (a = −0.5) or bilinear,
 * antialiased when shrinking. `box` = [left, top, right, bottom] in source pixels (default: the whole image).
 */
export function resize(
  image: Uint8Image,
  width: number,
  height: number,
  filter: ResizeFilter = 'bicubic',
  box: readonly [number, number, number, number] = [0, 0, image.width, image.height],
): Uint8Image {
  assertImage(image);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ShapeError('resize', `invalid output size ${width}×${height}`);
  }
  const [bx0, by0, bx1, by1] = box;
  const needH = width !== image.width || bx0 !== 0 || bx1 !== width;
  const needV = height !== image.height || by0 !== 0 || by1 !== height;
  let src = image;
  let srcTop = 0;
  if (needH) {
    const hc = precompute(image.width, bx0, bx1, width, filter);
    // Only the rows the vertical pass will read need a horizontal pass.
    const vc = needV ? precompute(image.height, by0, by1, height, filter) : undefined;
    const rowFirst = vc ? vc.bounds[0]! : by0;
    const rowLast = vc ? vc.bounds[2 * (height - 1)]! + vc.bounds[2 * (height - 1) + 1]! : by0 + height;
    const rows = rowLast - rowFirst;
    const out = new Uint8Array(rows * width * 3);
    const { bounds, weights, ksize } = hc;
    const inData = image.data;
    for (let y = 0; y < rows; y++) {
      const rowOff = (y + rowFirst) * image.width * 3;
      for (let xx = 0; xx < width; xx++) {
        const xmin = bounds[2 * xx]!;
        const n = bounds[2 * xx + 1]!;
        const wo = xx * ksize;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let p = rowOff + xmin * 3;
        for (let x = 0; x < n; x++, p += 3) {
          const w = weights[wo + x]!;
          s0 = (s0 + inData[p]! * w) | 0;
          s1 = (s1 + inData[p + 1]! * w) | 0;
          s2 = (s2 + inData[p + 2]! * w) | 0;
        }
        const o = (y * width + xx) * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      }
    }
    src = { width, height: rows, data: out };
    srcTop = rowFirst;
    if (!needV) return { width, height, data: out.slice(0, width * height * 3) };
  }
  if (!needV) return { width: image.width, height: image.height, data: image.data.slice() };
  const vc = precompute(image.height, by0, by1, height, filter);
  const out = new Uint8Array(width * height * 3);
  const { bounds, weights, ksize } = vc;
  const inData = src.data;
  const rowStride = src.width * 3;
  for (let yy = 0; yy < height; yy++) {
    const ymin = bounds[2 * yy]! - srcTop;
    const n = bounds[2 * yy + 1]!;
    const wo = yy * ksize;
    for (let x = 0; x < width; x++) {
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      let p = ymin * rowStride + x * 3;
      for (let y = 0; y < n; y++, p += rowStride) {
        const w = weights[wo + y]!;
        s0 = (s0 + inData[p]! * w) | 0;
        s1 = (s1 + inData[p + 1]! * w) | 0;
        s2 = (s2 + inData[p + 2]! * w) | 0;
      }
      const o = (yy * width + x) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width, height, data: out };
}
