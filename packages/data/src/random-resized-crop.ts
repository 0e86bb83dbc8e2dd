import { ConfigError, type Rng, roundHalfEven } from '@deitjs/core';
import { crop, toUint8Image, type HostImage, type Uint8Image } from './image.js';
import { type ResizeFilter, resize } from './resize.js';

/** Options of {@link randomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Output size (square) or [height, width]. */
  size: number | readonly [number, number];
  /** Range of the crop area as a fraction of the image area (default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop aspect ratio w/h (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
  /** Resampling filter (default bicubic). */
  interpolation?: ResizeFilter;
}

/** A crop box in source pixels. */
export interface CropBox {
  /** Top row. */
  top: number;
  /** Left column. */
  left: number;
  /** Height. */
  height: number;
  /** Width. */
  width: number;
}

/**
 * timm's `RandomResizedCropAndInterpolation.get_params`: up to 10 tries of a random area fraction and
 * log-uniform aspect ratio that fit in the image; otherwise the centre crop clamped to the ratio range.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): CropBox {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = rng.uniform(scale[0], scale[1]) * area;
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w <= width && h <= height) {
      // Python's random.randint is inclusive at both ends.
      const top = rng.int(0, height - h + 1);
      const left = rng.int(0, width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) {
    h = roundHalfEven(w / Math.min(ratio[0], ratio[1]));
  } else if (inRatio > Math.max(ratio[0], ratio[1])) {
    w = roundHalfEven(h * Math.max(ratio[0], ratio[1]));
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/** RandomResizedCrop: a random box ({@link randomResizedCropBox}) resized to `size` (PIL bicubic by default). */
export function randomResizedCrop(image: HostImage, options: RandomResizedCropOptions, rng: Rng): Uint8Image {
  const [outH, outW] = typeof options.size === 'number' ? [options.size, options.size] : options.size;
  const scale = options.scale ?? [0.08, 1];
  const ratio = options.ratio ?? [3 / 4, 4 / 3];
  if (!(scale[0] > 0 && scale[0] <= scale[1])) throw new ConfigError('scale', `expected 0 < min ≤ max, got [${scale.join(', ')}]`);
  if (!(ratio[0] > 0 && ratio[1] > 0)) throw new ConfigError('ratio', `expected positive ratios, got [${ratio.join(', ')}]`);
  const box = randomResizedCropBox(image.width, image.height, rng, scale, ratio);
  // torchvision crops first and then resizes, so the filter never reads pixels outside the box.
  const cropped = crop(toUint8Image(image), box.left, box.top, box.width, box.height);
  return resize(cropped, outW, outH, options.interpolation ?? 'bicubic');
}
