import { Rng } from '@deitjs/core';
import { type FloatImage, type Uint8Image, createTransform, greyToRgb, pad, resize } from '@deitjs/data';
import type { RunImageInput, RunPreprocessing } from '@deitjs/run';

/** Luminance of 8-bit RGB the way PIL's `convert('L')` computes it (ITU-R 601-2, fixed point); grey stays grey. */
function luminance(image: Uint8Image): Uint8Array {
  const n = image.width * image.height;
  const out = new Uint8Array(n);
  const d = image.data;
  for (let i = 0; i < n; i++) out[i] = (d[3 * i]! * 19595 + d[3 * i + 1]! * 38470 + d[3 * i + 2]! * 7471 + 0x8000) >> 16;
  return out;
}

/** An image file's pixels as one of the run's data-set images (MNIST: a grey digit of `size` px, zero-padded). */
export function toRunInput(image: Uint8Image, input: RunImageInput): Uint8Image {
  let img = greyToRgb(luminance(image), image.width, image.height);
  if (img.width !== input.size || img.height !== input.size) img = resize(img, input.size, input.size, 'bicubic');
  return input.pad > 0 ? pad(img, input.pad, 'constant', 0) : img;
}

/**
 * What a model's preprocessing does to a decoded image file (8-bit RGB): the run's image-file step when it has
 * one (MNIST: grey, 28 px, padded as the run's digits), then its eval transform; the normalised HWC float image
 * the model takes, `transform.size` px square.
 */
export function imagePreprocessor(p: RunPreprocessing): (image: Uint8Image) => FloatImage {
  const transform = createTransform(p.transform);
  // The eval transforms draw nothing; the generator only satisfies the transform signature.
  const rng = new Rng(0);
  return (image) => transform(p.input === undefined ? image : toRunInput(image, p.input), rng);
}
