import { ShapeError, roundHalfEven } from '@deitjs/core';
import { crop, toUint8Image, type HostImage, type Uint8Image } from './image.js';
import { type ResizeFilter, resize } from './resize.js';

/** torchvision `Resize(size)` with an int: the shorter side → `size`, the longer scaled and truncated. */
export function resizeShorter(image: HostImage, size: number, filter: ResizeFilter = 'bicubic'): Uint8Image {
  const { width: w, height: h } = image;
  const img = toUint8Image(image);
  if ((w <= h && w === size) || (h <= w && h === size)) return img;
  if (w < h) return resize(img, size, Math.trunc((size * h) / w), filter);
  return resize(img, Math.trunc((size * w) / h), size, filter);
}

/** torchvision `CenterCrop(size)`: the offset rounds half to even, as Python's `round` does. */
export function centerCrop<T extends HostImage>(image: T, height: number, width: number = height): T {
  if (width > image.width || height > image.height) {
    throw new ShapeError('centerCrop', `crop ${width}×${height} is larger than the ${image.width}×${image.height} image`);
  }
  const top = roundHalfEven((image.height - height) / 2);
  const left = roundHalfEven((image.width - width) / 2);
  return crop(image, left, top, width, height);
}

/** The eval resize of the DeiT recipe: shorter side → int(size / cropPct) (bicubic), then centre crop `size`. */
export function evalResizeCrop(image: HostImage, size: number, cropPct = 0.875, filter: ResizeFilter = 'bicubic'): Uint8Image {
  const resized = resizeShorter(image, Math.trunc(size / cropPct), filter);
  return centerCrop(resized, size);
}
