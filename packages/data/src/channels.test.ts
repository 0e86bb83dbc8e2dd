import { ConfigError, Rng, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MNIST_NORMALIZATION, asGreyRgb, firstChannel } from './channels.js';
import { greyToRgb } from './image.js';
import { DataLoader } from './loader.js';
import { loadMnistDigits } from './mnist.js';
import { mixupBatch } from './mixup.js';
import { createTransform } from './transform-spec.js';

const MEAN = 0.1307;
const STD = 0.3081;

describe('one-channel images', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('keeps grey images as they are and turns colour into PIL luminance (L = (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16)', () => {
    const grey = greyToRgb(Uint8Array.from([0, 17, 255, 128]), 2, 2);
    expect(asGreyRgb(grey)).toBe(grey);
    const red = { width: 1, height: 1, data: Uint8Array.from([255, 0, 0]) };
    // (255·19595 + 32768) >> 16 = 76; pure green → 150, pure blue → 29.
    expect(Array.from(asGreyRgb(red).data)).toEqual([76, 76, 76]);
    expect(Array.from(asGreyRgb({ width: 2, height: 1, data: Uint8Array.from([0, 255, 0, 0, 0, 255]) }).data)).toEqual([150, 150, 150, 29, 29, 29]);
    expect(Array.from(firstChannel({ width: 2, height: 1, data: Float32Array.from([1, 2, 3, 4, 5, 6]) }).data)).toEqual([1, 4]);
  });

  it('a one-channel transform gives width·height values normalised with MNIST mean/std: (v/255 − 0.1307)/0.3081', () => {
    const pixels = [0, 51, 255, 102];
    const image = greyToRgb(Uint8Array.from(pixels), 2, 2);
    const out = createTransform({ kind: 'plain', normalization: MNIST_NORMALIZATION, channels: 1 })(image, new Rng(0));
    expect(out.data).toHaveLength(4);
    for (const [i, v] of out.data.entries()) expect(v).toBeCloseTo((pixels[i]! / 255 - MEAN) / STD, 6);
    // The light training transform (shifts) keeps one channel, equal to the first channel of its three-channel twin.
    const rgb = createTransform({ kind: 'light', shift: 2, normalization: MNIST_NORMALIZATION })(image, new Rng(5));
    const one = createTransform({ kind: 'light', shift: 2, normalization: MNIST_NORMALIZATION, channels: 1 })(image, new Rng(5));
    expect(Array.from(one.data)).toEqual(Array.from(firstChannel(rgb).data));
    expect(() => createTransform({ kind: 'plain', channels: 2 as 1 })).toThrow(ConfigError);
  });

  it('the loader batches one-channel MNIST digits as [B, 32, 32, 1], the digits of the data set', async () => {
    const loader = new DataLoader({
      dataset: { kind: 'mnist', split: 'train', trainPerClass: 2, testPerClass: 1, seed: 0, pad: 2 },
      transform: { kind: 'plain', normalization: MNIST_NORMALIZATION, channels: 1 },
      batchSize: 4,
      shuffle: false,
      dropLast: false,
    });
    const shapes: number[][] = [];
    let first: Float32Array | undefined;
    for await (const b of loader.epoch(0)) {
      shapes.push(b.images.shape);
      first ??= (await b.images.data()) as Float32Array;
      tf.dispose([b.images, b.targets]);
    }
    await loader.close();
    expect(shapes).toEqual([
      [4, 32, 32, 1],
      [4, 32, 32, 1],
      [4, 32, 32, 1],
      [4, 32, 32, 1],
      [4, 32, 32, 1],
    ]);
    // Sample 0 is a digit 0 padded by 2: its border is zero (→ −mean/std), its centre the digit's pixels.
    const background = -MEAN / STD;
    expect(first![0]).toBeCloseTo(background, 6);
    const digit = Array.from(first!.subarray(0, 32 * 32)).filter((v) => Math.abs(v - background) > 1e-6);
    expect(digit.length).toBeGreaterThan(20);
    expect(Math.max(...digit)).toBeCloseTo((1 - MEAN) / STD, 1);
    expect(loadMnistDigits()[0]!.length % (28 * 28)).toBe(0);
  });

  it('Mixup/CutMix mixes one-channel batches', () => {
    const images = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => (i < 16 ? 1 : 0));
    const { lambda, cutmix } = mixupBatch(images, Int32Array.from([0, 1]), { height: 4, width: 4, channels: 1 }, { numClasses: 2, mixupAlpha: 1, cutmixAlpha: 0 }, new Rng(1));
    expect(cutmix).toBe(false);
    // Sample 0 becomes λ·1 + (1 − λ)·0 everywhere, sample 1 the mirror.
    expect(images[0]).toBeCloseTo(lambda, 6);
    expect(images[16]).toBeCloseTo(1 - lambda, 6);
    expect(() => mixupBatch(new Float32Array(2 * 4 * 4), Int32Array.from([0, 1]), { height: 4, width: 4 }, { numClasses: 2 }, new Rng(1))).toThrow(/2×4×4×3 values/);
  });
});
