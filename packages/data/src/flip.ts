import type { Rng } from '@deitjs/core';
import type { HostImage } from './image.js';

/** Mirrors an image left–right (any element type). */
export function flipHorizontal<T extends HostImage>(image: T): T {
  const { width: W, height: H, data } = image;
  const out = new (data.constructor as new (n: number) => T['data'])(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (y * W + x) * 3;
      const o = (y * W + W - 1 - x) * 3;
      out[o] = data[s]!;
      out[o + 1] = data[s + 1]!;
      out[o + 2] = data[s + 2]!;
    }
  }
  return { width: W, height: H, data: out } as T;
}

/** RandomHorizontalFlip: mirrors with probability `p` (default 0.5). */
export function randomHorizontalFlip<T extends HostImage>(image: T, rng: Rng, p = 0.5): T {
  return rng.random() < p ? flipHorizontal(image) : image;
}
