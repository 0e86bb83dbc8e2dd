import { ConfigError, type Normalization } from '@deitjs/core';
import { type FloatImage, type HostImage, toUint8Image } from './image.js';
import { grayscale } from './pil-ops.js';

/**
 * MNIST's mean and std (of the 60,000 training digits, torchvision's usual 0.1307 / 0.3081), on every channel: one
 * channel uses the first, three copies of the grey channel the same value each.
 */
export const MNIST_NORMALIZATION: Readonly<Normalization> = Object.freeze({ mean: [0.1307, 0.1307, 0.1307] as [number, number, number], std: [0.3081, 0.3081, 0.3081] as [number, number, number] });

/** Input channels of a model and its data: 3 (RGB) or 1 (grey). */
export type InputChannels = 1 | 3;

/** Checks a channel count (`option` is named in the error). */
export function checkChannels(channels: number, option = 'channels'): InputChannels {
  if (channels !== 1 && channels !== 3) throw new ConfigError(option, `must be 1 (grey) or 3 (RGB), got ${channels}`);
  return channels;
}

function isGrey(data: Uint8Array | Float32Array): boolean {
  for (let i = 0; i < data.length; i += 3) if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) return false;
  return true;
}

/**
 * The image with three equal channels: unchanged when it already is grey (MNIST digits expanded from one channel),
 * else PIL's `convert('L')` luminance repeated, so that every RGB transform still applies to it.
 */
export function asGreyRgb(image: HostImage): HostImage {
  return isGrey(image.data) ? image : grayscale(toUint8Image(image));
}

/** The first channel of an HWC float image with three channels (a one-channel HWC image: `width·height` values). */
export function firstChannel(image: FloatImage): FloatImage {
  const n = image.width * image.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = image.data[3 * i]!;
  return { width: image.width, height: image.height, data: out };
}
