import { assertImage, type Uint8Image } from './image.js';

/** An RGB fill colour (8-bit). */
export type Rgb = readonly [number, number, number];

// PIL's affine transform with its BICUBIC filter (libImaging/Geometry.c), ported for the maths: each
// output pixel centre (x+½, y+½) maps through the inverse matrix to a source point; points outside the
// source take the fill colour; inside, a cubic convolution with a = −1 and edge clamping, truncated to 8 bits.
function cubic(v1: number, v2: number, v3: number, v4: number, d: number): number {
  const p2 = -v1 + v3;
  const p3 = 2 * (v1 - v2) + v3 - v4;
  const p4 = -v1 + v2 - v3 + v4;
  return v2 + d * (p2 + d * (p3 + d * p4));
}

/**
 * PIL `Image.transform(size, AFFINE, matrix, BICUBIC, fillcolor)`: `matrix` = (a, b, c, d, e, f) maps an
 * output point (x, y) to the source point (a·x + b·y + c, d·x + e·y + f).
 */
export function affineTransform(image: Uint8Image, matrix: readonly number[], fill: Rgb): Uint8Image {
  assertImage(image);
  const { width: W, height: H, data: src } = image;
  const [a, b, c, d, e, f] = matrix as [number, number, number, number, number, number];
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      let xin = a * (x + 0.5) + b * (y + 0.5) + c;
      let yin = d * (x + 0.5) + e * (y + 0.5) + f;
      if (!(xin >= 0 && xin < W && yin >= 0 && yin < H)) {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
        continue;
      }
      xin -= 0.5;
      yin -= 0.5;
      const fx = Math.floor(xin);
      const fy = Math.floor(yin);
      const dx = xin - fx;
      const dy = yin - fy;
      const x0 = clampIndex(fx - 1, W) * 3;
      const x1 = clampIndex(fx, W) * 3;
      const x2 = clampIndex(fx + 1, W) * 3;
      const x3 = clampIndex(fx + 2, W) * 3;
      const r0 = clampIndex(fy - 1, H) * W * 3;
      const r1 = clampIndex(fy, H) * W * 3;
      const r2 = clampIndex(fy + 1, H) * W * 3;
      const r3 = clampIndex(fy + 2, H) * W * 3;
      for (let ch = 0; ch < 3; ch++) {
        const v0 = cubic(src[r0 + x0 + ch]!, src[r0 + x1 + ch]!, src[r0 + x2 + ch]!, src[r0 + x3 + ch]!, dx);
        const v1 = cubic(src[r1 + x0 + ch]!, src[r1 + x1 + ch]!, src[r1 + x2 + ch]!, src[r1 + x3 + ch]!, dx);
        const v2 = cubic(src[r2 + x0 + ch]!, src[r2 + x1 + ch]!, src[r2 + x2 + ch]!, src[r2 + x3 + ch]!, dx);
        const v3 = cubic(src[r3 + x0 + ch]!, src[r3 + x1 + ch]!, src[r3 + x2 + ch]!, src[r3 + x3 + ch]!, dx);
        const val = cubic(v0, v1, v2, v3, dy);
        out[o + ch] = val <= 0 ? 0 : val >= 255 ? 255 : Math.trunc(val);
      }
    }
  }
  return { width: W, height: H, data: out };
}

function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** Python's `round(x, 15)`, which PIL applies to the rotation matrix entries. */
function round15(x: number): number {
  return Math.round(x * 1e15) / 1e15;
}

/**
 * PIL `Image.rotate(degrees, BICUBIC, fillcolor=fill)`: counter-clockwise about the centre, same size;
 * 0° and 180° are exact (PIL's transpose fast paths), as are 90°/270° on square images.
 */
export function rotate(image: Uint8Image, degrees: number, fill: Rgb): Uint8Image {
  const angle = ((degrees % 360) + 360) % 360;
  const { width: W, height: H } = image;
  if (angle === 0) return { width: W, height: H, data: image.data.slice() };
  if (angle === 180 || ((angle === 90 || angle === 270) && W === H)) return rotateExact(image, angle);
  const rad = -(angle * Math.PI) / 180;
  const m = [round15(Math.cos(rad)), round15(Math.sin(rad)), 0, round15(-Math.sin(rad)), round15(Math.cos(rad)), 0];
  const cx = W / 2;
  const cy = H / 2;
  m[2] = m[0]! * -cx + m[1]! * -cy + cx;
  m[5] = m[3]! * -cx + m[4]! * -cy + cy;
  return affineTransform(image, m, fill);
}

function rotateExact(image: Uint8Image, angle: number): Uint8Image {
  const { width: W, height: H, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // Source of output (x, y) for a counter-clockwise rotation.
      let sx = W - 1 - x;
      let sy = H - 1 - y;
      if (angle === 90) {
        sx = W - 1 - y;
        sy = x;
      } else if (angle === 270) {
        sx = y;
        sy = H - 1 - x;
      }
      const o = (y * W + x) * 3;
      const s = (sy * W + sx) * 3;
      out[o] = data[s]!;
      out[o + 1] = data[s + 1]!;
      out[o + 2] = data[s + 2]!;
    }
  }
  return { width: W, height: H, data: out };
}
