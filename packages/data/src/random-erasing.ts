import { ConfigError, type Rng, roundHalfEven } from '@deitjs/core';
import type { FloatImage } from './image.js';

/** Options of {@link randomErasing} (timm RandomErasing, pixel mode). */
export interface RandomErasingOptions {
  /** Probability of erasing an image (`--reprob`, DeiT 0.25). */
  probability: number;
  /** Erased area range as a fraction of the image (default [0.02, 1/3]). */
  area?: readonly [number, number];
  /** Minimum aspect ratio; the range is log-uniform in [min, 1/min] (default 0.3). */
  minAspect?: number;
  /** Number of boxes (`--recount`, default 1). */
  count?: number;
}

/**
 * timm RandomErasing in 'pixel' mode on a normalised float image (in place): with probability p, up to
 * `count` boxes (10 tries each) filled with N(0, 1) noise per pixel and channel.
 */
export function randomErasing(image: FloatImage, options: RandomErasingOptions, rng: Rng): FloatImage {
  const { probability, area = [0.02, 1 / 3], minAspect = 0.3, count = 1 } = options;
  if (!(probability >= 0 && probability <= 1)) throw new ConfigError('reprob', `must lie in [0, 1], got ${probability}`);
  if (!Number.isInteger(count) || count < 1) throw new ConfigError('recount', `must be a positive integer, got ${count}`);
  if (rng.random() > probability) return image;
  const { width: W, height: H, data } = image;
  const logAspect = [Math.log(minAspect), Math.log(1 / minAspect)] as const;
  for (let n = 0; n < count; n++) {
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = (rng.uniform(area[0], area[1]) * W * H) / count;
      const aspect = Math.exp(rng.uniform(logAspect[0], logAspect[1]));
      const h = roundHalfEven(Math.sqrt(target * aspect));
      const w = roundHalfEven(Math.sqrt(target / aspect));
      if (w < W && h < H) {
        const top = rng.int(0, H - h + 1);
        const left = rng.int(0, W - w + 1);
        for (let y = top; y < top + h; y++) {
          for (let x = left; x < left + w; x++) {
            const o = (y * W + x) * 3;
            data[o] = rng.normal();
            data[o + 1] = rng.normal();
            data[o + 2] = rng.normal();
          }
        }
        break;
      }
    }
  }
  return image;
}
