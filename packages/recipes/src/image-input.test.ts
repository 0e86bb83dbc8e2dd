import { IMAGENET_NORMALIZATION } from '@deitjs/core';
import { type Uint8Image, loadMnistDigits, mnistDataset } from '@deitjs/data';
import { runPreprocessing } from '@deitjs/run';
import { describe, expect, it } from 'vitest';
import { imagePreprocessor, toRunInput } from './image-input.js';

const MNIST_RUN = { data: 'mnist', dataSet: 'mnist' as const, seed: 0, trainPerClass: 2, testPerClass: 1, pad: 2 };

/** An RGB image whose three channels are the grey values. */
function rgbOf(grey: Uint8Array, w: number, h: number): Uint8Image {
  return { width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, (_, i) => grey[Math.floor(i / 3)]!) };
}

describe('toRunInput / imagePreprocessor', () => {
  it('a 28 px grey digit becomes the data set digit: zero-padded to 32 px, three equal channels', async () => {
    const ds = mnistDataset({ split: 'test', seed: 0, trainPerClass: 2, testPerClass: 1, pad: 2 });
    const { image } = await ds.get(7);
    // The digit's own 28×28 grey pixels: the centre of the padded data-set image.
    const grey = Uint8Array.from({ length: 28 * 28 }, (_, i) => image.data[3 * ((2 + Math.floor(i / 28)) * 32 + 2 + (i % 28))]!);
    const got = toRunInput(rgbOf(grey, 28, 28), { colour: 'grey', size: 28, pad: 2 });
    expect([got.width, got.height]).toEqual([32, 32]);
    expect(Array.from(got.data)).toEqual(Array.from(image.data));
  });

  it('colour becomes PIL luminance; another size is resized to 28 before the padding', () => {
    const red: Uint8Image = { width: 1, height: 1, data: Uint8Array.from([255, 0, 0]) };
    // PIL: L = R·299/1000 + G·587/1000 + B·114/1000 → 76 for pure red.
    expect(Array.from(toRunInput(red, { colour: 'grey', size: 1, pad: 0 }).data)).toEqual([76, 76, 76]);
    const big = rgbOf(new Uint8Array(56 * 56).fill(200), 56, 56);
    const out = toRunInput(big, { colour: 'grey', size: 28, pad: 3 });
    expect([out.width, out.height]).toEqual([34, 34]);
    // A flat image stays flat under the resize; the border is zero.
    expect(out.data[3 * (3 * 34 + 3)]).toBe(200);
    expect(out.data[0]).toBe(0);
  });

  it("imagePreprocessor normalises with the run's statistics after the image-file step", () => {
    const p = runPreprocessing(MNIST_RUN, 32, IMAGENET_NORMALIZATION);
    const digit = loadMnistDigits()[3]!.subarray(0, 28 * 28);
    const out = imagePreprocessor(p)(rgbOf(digit, 28, 28));
    expect([out.width, out.height]).toEqual([32, 32]);
    // Pixel (5, 4) of the padded image is digit pixel (3, 2); channel c: (v/255 − mean_c)/std_c.
    const v = digit[3 * 28 + 2]! / 255;
    for (let c = 0; c < 3; c++) {
      expect(out.data[3 * (5 * 32 + 4) + c]).toBeCloseTo((v - IMAGENET_NORMALIZATION.mean[c]!) / IMAGENET_NORMALIZATION.std[c]!, 5);
    }
    expect(out.data[0]).toBeCloseTo(-IMAGENET_NORMALIZATION.mean[0] / IMAGENET_NORMALIZATION.std[0], 5);
  });
});
