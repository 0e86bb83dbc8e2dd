import { ConfigError, type Rng } from '@deitjs/core';
import { toUint8Image, type HostImage, type Uint8Image } from './image.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './pil-ops.js';

/** ColorJitter strengths (torchvision): factors drawn from [max(0, 1−s), 1+s]; hue from [−h, h] (h ≤ 0.5). */
export interface ColorJitterOptions {
  /** Brightness strength. */
  brightness?: number;
  /** Contrast strength. */
  contrast?: number;
  /** Saturation strength. */
  saturation?: number;
  /** Hue strength (fraction of a turn, ≤ 0.5). */
  hue?: number;
}

/**
 * torchvision ColorJitter on PIL images: the four adjustments in a random order, each with a factor drawn
 * uniformly; a strength of 0 skips that adjustment.
 */
export function colorJitter(image: HostImage, options: ColorJitterOptions, rng: Rng): Uint8Image {
  const { brightness = 0, contrast = 0, saturation = 0, hue = 0 } = options;
  for (const [name, v] of Object.entries({ brightness, contrast, saturation, hue })) {
    if (!(v >= 0)) throw new ConfigError(`colorJitter.${name}`, `must be ≥ 0, got ${v}`);
  }
  if (hue > 0.5) throw new ConfigError('colorJitter.hue', `must be ≤ 0.5, got ${hue}`);
  const order = rng.permutation(4);
  const factors = [
    brightness > 0 ? rng.uniform(Math.max(0, 1 - brightness), 1 + brightness) : undefined,
    contrast > 0 ? rng.uniform(Math.max(0, 1 - contrast), 1 + contrast) : undefined,
    saturation > 0 ? rng.uniform(Math.max(0, 1 - saturation), 1 + saturation) : undefined,
    hue > 0 ? rng.uniform(-hue, hue) : undefined,
  ];
  let img = toUint8Image(image);
  for (const i of order) {
    const f = factors[i];
    if (f === undefined) continue;
    if (i === 0) img = adjustBrightness(img, f);
    else if (i === 1) img = adjustContrast(img, f);
    else if (i === 2) img = adjustSaturation(img, f);
    else img = adjustHue(img, f);
  }
  return img;
}
