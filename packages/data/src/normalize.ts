import { IMAGENET_NORMALIZATION, type Normalization } from '@deitjs/core';
import type { FloatImage, HostImage } from './image.js';

/** ToTensor + Normalize: 8-bit pixels (or 0–1 floats) → (x/255 − mean) / std per channel, float32 HWC. */
export function normalize(image: HostImage, normalization: Normalization = IMAGENET_NORMALIZATION): FloatImage {
  const src = image.data;
  const out = new Float32Array(src.length);
  const scale = src instanceof Uint8Array ? 1 / 255 : 1;
  const { mean, std } = normalization;
  for (let i = 0; i < src.length; i += 3) {
    out[i] = (src[i]! * scale - mean[0]) / std[0];
    out[i + 1] = (src[i + 1]! * scale - mean[1]) / std[1];
    out[i + 2] = (src[i + 2]! * scale - mean[2]) / std[2];
  }
  return { width: image.width, height: image.height, data: out };
}
