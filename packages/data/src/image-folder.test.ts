import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from './dataset-error.js';
import { decodeImage } from './decode.js';
import { ImageFolder } from './image-folder.js';

let root: string;

// A w×h image whose red channel is the column, green the row and blue a constant per file.
function pattern(w: number, h: number, blue: number): Buffer {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, blue], (y * w + x) * 3);
  return data;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'deitjs-imagefolder-'));
  mkdirSync(join(root, 'zebra'));
  mkdirSync(join(root, 'Apple'));
  mkdirSync(join(root, 'cat', 'nested'), { recursive: true });
  const raw = { raw: { width: 20, height: 12, channels: 3 as const } };
  await sharp(pattern(20, 12, 50), raw).png().toFile(join(root, 'Apple', 'b.png'));
  await sharp(pattern(20, 12, 60), raw).jpeg({ quality: 95 }).toFile(join(root, 'Apple', 'a.JPG'));
  await sharp(pattern(20, 12, 70), raw).webp({ lossless: true }).toFile(join(root, 'cat', 'c.webp'));
  await sharp(pattern(20, 12, 80), raw).png().toFile(join(root, 'cat', 'nested', 'a.png'));
  await sharp(Buffer.alloc(20 * 12, 200), { raw: { width: 20, height: 12, channels: 1 } }).png().toFile(join(root, 'zebra', 'grey.png'));
  writeFileSync(join(root, 'zebra', 'notes.txt'), 'not an image');
  writeFileSync(join(root, 'zebra', 'broken.jpg'), Buffer.from('this is not a jpeg at all'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ImageFolder', () => {
  it('sorts classes by name (code points, as Python) and files within each class', () => {
    const ds = new ImageFolder(root);
    expect(ds.classes).toEqual(['Apple', 'cat', 'zebra']);
    expect(ds.samples.map((s) => [s.file.slice(root.length + 1), s.label])).toEqual([
      ['Apple/a.JPG', 0],
      ['Apple/b.png', 0],
      ['cat/c.webp', 1],
      ['cat/nested/a.png', 1],
      ['zebra/broken.jpg', 2],
      ['zebra/grey.png', 2],
    ]);
    expect(ds.length).toBe(6);
  });

  it('decodes PNG and WebP exactly, JPEG closely, grey to three equal channels', async () => {
    const ds = new ImageFolder(root);
    const png = await ds.get(1);
    expect([png.image.width, png.image.height, png.label]).toEqual([20, 12, 0]);
    expect(Array.from(png.image.data.subarray((5 * 20 + 7) * 3, (5 * 20 + 7) * 3 + 3))).toEqual([7, 5, 50]);
    const webp = await ds.get(2);
    expect(Array.from(webp.image.data.subarray((11 * 20 + 19) * 3, (11 * 20 + 19) * 3 + 3))).toEqual([19, 11, 70]);
    const jpg = await ds.get(0);
    let maxErr = 0;
    for (let y = 0; y < 12; y++) {
      for (let x = 0; x < 20; x++) {
        const o = (y * 20 + x) * 3;
        maxErr = Math.max(maxErr, Math.abs(jpg.image.data[o]! - x), Math.abs(jpg.image.data[o + 1]! - y), Math.abs(jpg.image.data[o + 2]! - 60));
      }
    }
    console.log(`JPEG q95 decode max abs error vs the encoded pattern: ${maxErr} (tolerance 8)`);
    expect(maxErr).toBeLessThanOrEqual(8);
    const grey = await ds.get(5);
    expect(grey.image.data.every((v) => v === 200)).toBe(true);
  });

  it('a corrupt file raises a DatasetError naming it', async () => {
    const ds = new ImageFolder(root);
    const err = await ds.get(4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).path).toBe(join(root, 'zebra', 'broken.jpg'));
    expect((err as Error).message).toContain('broken.jpg');
    await expect(decodeImage(join(root, 'missing.png'))).rejects.toThrow(/missing\.png: cannot decode image/);
    await expect(ds.get(6)).rejects.toThrow(/index: 6 is outside/);
  });

  it('a class folder without images, a missing root and a root without folders are DatasetErrors', () => {
    const empty = mkdtempSync(join(tmpdir(), 'deitjs-imagefolder-empty-'));
    try {
      expect(() => new ImageFolder(empty)).toThrow(/no class folders/);
      mkdirSync(join(empty, 'dog'));
      writeFileSync(join(empty, 'dog', 'readme.md'), '#');
      expect(() => new ImageFolder(empty)).toThrow(DatasetError);
      expect(() => new ImageFolder(empty)).toThrow(/class folder "dog" has no images/);
      expect(() => new ImageFolder(join(empty, 'missing'))).toThrow(/ENOENT/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('reading never writes into the data folder', async () => {
    const before = JSON.stringify(readdirSync(root, { recursive: true }).sort());
    const ds = new ImageFolder(root);
    for (let i = 0; i < ds.length; i++) await ds.get(i).catch(() => undefined);
    expect(JSON.stringify(readdirSync(root, { recursive: true }).sort())).toBe(before);
  });
});
