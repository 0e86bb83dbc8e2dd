import { ConfigError, type Rng } from '@deitjs/core';
import { crop, type HostImage } from './image.js';

/** How {@link pad} fills the border. */
export type PadMode = 'constant' | 'reflect';

/** Pads every side by `padding` pixels: a constant value, or a reflection without repeating the edge. */
export function pad<T extends HostImage>(image: T, padding: number, mode: PadMode = 'constant', value = 0): T {
  const { width: W, height: H, data } = image;
  if (mode === 'reflect' && (padding >= W || padding >= H)) {
    throw new ConfigError('padding', `reflect padding ${padding} needs an image larger than ${padding} px (got ${W}×${H})`);
  }
  const PW = W + 2 * padding;
  const PH = H + 2 * padding;
  const out = new (data.constructor as new (n: number) => T['data'])(PW * PH * 3);
  const reflect = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  for (let y = 0; y < PH; y++) {
    for (let x = 0; x < PW; x++) {
      const o = (y * PW + x) * 3;
      let sy = y - padding;
      let sx = x - padding;
      if (sy < 0 || sy >= H || sx < 0 || sx >= W) {
        if (mode === 'constant') {
          out[o] = value;
          out[o + 1] = value;
          out[o + 2] = value;
          continue;
        }
        sy = reflect(sy, H);
        sx = reflect(sx, W);
      }
      const s = (sy * W + sx) * 3;
      out[o] = data[s]!;
      out[o + 1] = data[s + 1]!;
      out[o + 2] = data[s + 2]!;
    }
  }
  return { width: PW, height: PH, data: out } as T;
}

/** torchvision RandomCrop(size, padding, padding_mode): pad, then a uniformly placed `size`×`size` crop. */
export function randomCrop<T extends HostImage>(image: T, size: number, rng: Rng, padding = 0, mode: PadMode = 'constant'): T {
  const padded = padding > 0 ? pad(image, padding, mode) : image;
  if (size > padded.width || size > padded.height) {
    throw new ConfigError('size', `crop ${size} is larger than the padded ${padded.width}×${padded.height} image`);
  }
  const top = rng.int(0, padded.height - size + 1);
  const left = rng.int(0, padded.width - size + 1);
  return crop(padded, left, top, size, size);
}

/**
 * Random shift by up to ±`maxShift` pixels in each direction, the uncovered border filled with `value`:
 * zero padding and a random crop back to the original size (the light augmentation of small digits).
 */
export function randomShift<T extends HostImage>(image: T, maxShift: number, rng: Rng, value = 0): T {
  if (!Number.isInteger(maxShift) || maxShift < 0) throw new ConfigError('shift', `must be a non-negative integer, got ${maxShift}`);
  if (maxShift === 0) return image;
  const padded = pad(image, maxShift, 'constant', value);
  const top = rng.int(0, 2 * maxShift + 1);
  const left = rng.int(0, 2 * maxShift + 1);
  return crop(padded, left, top, image.width, image.height);
}
