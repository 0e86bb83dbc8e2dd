import { ShapeError } from '@deitjs/core';

/**
 * An RGB image in host memory, HWC (row-major, 3 interleaved channels).
 * `Uint8Array` data are 8-bit pixels (0–255, PIL's view); `Float32Array` data are "tensor" values
 * (after ToTensor: 0–1, or normalised).
 */
export interface HostImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width·height·3` elements, HWC. */
  data: Uint8Array | Float32Array;
}

/** An 8-bit RGB image (the PIL stage of a pipeline). */
export interface Uint8Image extends HostImage {
  /** 8-bit pixels, HWC. */
  data: Uint8Array;
}

/** A float RGB image (the tensor stage of a pipeline). */
export interface FloatImage extends HostImage {
  /** Float values, HWC. */
  data: Float32Array;
}

/** One element of a dataset. */
export interface Sample {
  /** The decoded image. */
  image: HostImage;
  /** Class index into the dataset's `classes`. */
  label: number;
}

/** A blank (zero) 8-bit image. */
export function createImage(width: number, height: number, fill?: readonly [number, number, number]): Uint8Image {
  const data = new Uint8Array(width * height * 3);
  if (fill !== undefined && (fill[0] | fill[1] | fill[2]) !== 0) {
    for (let i = 0; i < data.length; i += 3) {
      data[i] = fill[0];
      data[i + 1] = fill[1];
      data[i + 2] = fill[2];
    }
  }
  return { width, height, data };
}

/** Checks that an image's buffer matches its declared size (3 channels, HWC). */
export function assertImage(image: HostImage, argument = 'image'): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ShapeError(argument, `invalid size ${width}×${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new ShapeError(argument, `${width}×${height}×3 image needs ${width * height * 3} values, got ${data.length}`);
  }
}

/**
 * The image as 8-bit pixels; float data are taken as 0–1 tensor values (rounded, clamped), so a
 * float image can enter a PIL-style op.
 */
export function toUint8Image(image: HostImage): Uint8Image {
  if (image.data instanceof Uint8Array) return image as Uint8Image;
  const src = image.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Math.round(src[i]! * 255);
    out[i] = v < 0 ? 0 : Math.min(v, 255);
  }
  return { width: image.width, height: image.height, data: out };
}

/** ToTensor: 8-bit pixels → float 0–1 (float images pass through). */
export function toFloatImage(image: HostImage): FloatImage {
  if (image.data instanceof Float32Array) return image as FloatImage;
  const src = image.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! / 255;
  return { width: image.width, height: image.height, data: out };
}

/** Expands one grey channel to RGB (each pixel's value copied to the three channels). */
export function greyToRgb(grey: Uint8Array, width: number, height: number): Uint8Image {
  const n = width * height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = grey[i]!;
    data[3 * i] = v;
    data[3 * i + 1] = v;
    data[3 * i + 2] = v;
  }
  return { width, height, data };
}

/** A copy of a rectangle of the image (must lie inside it). */
export function crop<T extends HostImage>(image: T, left: number, top: number, width: number, height: number): T {
  if (left < 0 || top < 0 || left + width > image.width || top + height > image.height || width <= 0 || height <= 0) {
    throw new ShapeError('crop', `box (${left}, ${top}, ${width}×${height}) is outside the ${image.width}×${image.height} image`);
  }
  const Ctor = image.data.constructor as new (n: number) => T['data'];
  const out = new Ctor(width * height * 3);
  for (let y = 0; y < height; y++) {
    const s = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(s, s + width * 3), y * width * 3);
  }
  return { width, height, data: out } as T;
}
