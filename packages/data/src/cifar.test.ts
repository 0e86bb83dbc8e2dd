import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR10_CLASSES, CIFAR100_CLASSES, CifarDataset } from './cifar.js';
import { DatasetError } from './dataset-error.js';

let dir: string;

// Record r of a file: labels, then R plane = (r + p) % 256, G plane = 2p % 256, B plane = 255 − r, p = pixel.
function records(n: number, labelBytes: (r: number) => number[]): Buffer {
  const size = labelBytes(0).length + 3072;
  const buf = Buffer.alloc(n * size);
  for (let r = 0; r < n; r++) {
    const o = r * size;
    const lb = labelBytes(r);
    buf.set(lb, o);
    for (let p = 0; p < 1024; p++) {
      buf[o + lb.length + p] = (r + p) % 256;
      buf[o + lb.length + 1024 + p] = (2 * p) % 256;
      buf[o + lb.length + 2048 + p] = 255 - r;
    }
  }
  return buf;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'deitjs-cifar-'));
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), records(3, (r) => [(b + r) % 10]));
  writeFileSync(join(dir, 'test_batch.bin'), records(4, (r) => [r]));
  writeFileSync(join(dir, 'train.bin'), records(5, (r) => [r % 20, 90 + r]));
  writeFileSync(join(dir, 'bad.bin'), Buffer.alloc(3073 * 2 + 5));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CIFAR binary batches', () => {
  it('CIFAR-10: five train files, HWC pixels from the CHW planes, labels from the first byte', async () => {
    const ds = new CifarDataset({ root: dir, variant: 'cifar10' });
    expect(ds.length).toBe(15);
    expect(ds.classes).toEqual(CIFAR10_CLASSES);
    // Index 7 = file 3 (data_batch_3), record 1: label (3 + 1) % 10.
    const s = await ds.get(7);
    expect(s.label).toBe(4);
    const p = 5 * 32 + 9;
    expect(Array.from(s.image.data.subarray(3 * p, 3 * p + 3))).toEqual([(1 + p) % 256, (2 * p) % 256, 254]);
    expect(ds.source(7)).toBe(`${join(dir, 'data_batch_3.bin')} record 1`);
    const test = new CifarDataset({ root: dir, variant: 'cifar10', split: 'test' });
    expect(test.length).toBe(4);
    expect((await test.get(3)).label).toBe(3);
    await expect(test.get(4)).rejects.toThrow(/index: 4 is outside the data set \(length 4\)/);
  });

  it('CIFAR-100: fine labels from the second byte, coarse from the first', async () => {
    const fine = new CifarDataset({ root: dir, variant: 'cifar100' });
    expect(fine.classes).toEqual(CIFAR100_CLASSES);
    expect((await fine.get(2)).label).toBe(92);
    const coarse = new CifarDataset({ root: dir, variant: 'cifar100', labels: 'coarse' });
    expect(coarse.classes.length).toBe(20);
    expect((await coarse.get(2)).label).toBe(2);
  });

  it('a file of the wrong size or the wrong variant is a DatasetError naming it', () => {
    expect(() => new CifarDataset({ files: [join(dir, 'bad.bin')], variant: 'cifar10' })).toThrow(DatasetError);
    expect(() => new CifarDataset({ files: [join(dir, 'bad.bin')], variant: 'cifar10' })).toThrow(/bad\.bin.*not a multiple of the cifar10 record size 3073/);
    // 5 CIFAR-100 records (5·3074 B) are not whole CIFAR-10 records.
    expect(() => new CifarDataset({ files: [join(dir, 'train.bin')], variant: 'cifar10' })).toThrow(/train\.bin/);
    expect(() => new CifarDataset({ root: join(dir, 'nowhere'), variant: 'cifar10' })).toThrow(/data_batch_1\.bin.*ENOENT/);
  });
});
