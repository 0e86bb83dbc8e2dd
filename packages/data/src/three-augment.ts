import type { Rng } from '@deitjs/core';
import { toUint8Image, type HostImage, type Uint8Image } from './image.js';
import { gaussianBlur, grayscale, solarize } from './pil-ops.js';

/**
 * The DeiT-III "3-Augment" choice: exactly one of grayscale (3 channels), solarize (threshold 128) or
 * Gaussian blur (radius U(0.1, 2)), picked uniformly.
 */
export function threeAugmentChoice(image: HostImage, rng: Rng): Uint8Image {
  const img = toUint8Image(image);
  const which = rng.int(0, 3);
  if (which === 0) return grayscale(img);
  if (which === 1) return solarize(img, 128);
  return gaussianBlur(img, rng.uniform(0.1, 2));
}
