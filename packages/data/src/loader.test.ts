import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, initBackend, ShapeError, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from './dataset-error.js';
import type { DatasetSpec } from './dataset-spec.js';
import { DataLoader } from './loader.js';
import { syntheticDataset } from './synthetic.js';
import type { TransformSpec } from './transform-spec.js';

const synth: DatasetSpec = { kind: 'synthetic', numClasses: 4, length: 26, width: 40, height: 30, seed: 3 };
const train: TransformSpec = { kind: 'deit-train', size: 16 };

interface Collected {
  shapes: number[][];
  dtypes: string[];
  images: Float32Array[];
  targets: number[][];
  indices: number[][];
}

async function collect(loader: DataLoader, epoch: number): Promise<Collected> {
  const out: Collected = { shapes: [], dtypes: [], images: [], targets: [], indices: [] };
  for await (const b of loader.epoch(epoch)) {
    out.shapes.push([...b.images.shape, ...b.targets.shape]);
    out.dtypes.push(`${b.images.dtype}/${b.targets.dtype}`);
    out.images.push((await b.images.data()) as Float32Array);
    out.targets.push(Array.from(await b.targets.data()));
    out.indices.push(Array.from(b.indices!));
    tf.dispose([b.images, b.targets]);
  }
  return out;
}

let folder: string;
beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'deitjs-loader-'));
  for (const [ci, cls] of ['a', 'b'].entries()) {
    mkdirSync(join(folder, cls));
    for (let i = 0; i < 5; i++) {
      const img = syntheticDataset({ numClasses: 2, length: 10, width: 48, height: 36, seed: 1 });
      const s = await img.get(2 * i + ci);
      const raw = { raw: { width: 48, height: 36, channels: 3 as const } };
      const pipe = sharp(Buffer.from(s.image.data), raw);
      await (i % 2 === 0 ? pipe.jpeg() : pipe.png()).toFile(join(folder, cls, `img${i}.${i % 2 === 0 ? 'jpg' : 'png'}`));
    }
  }
  writeFileSync(join(folder, 'b', 'img9.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describeOnBackends('DataLoader', () => {
  it('yields NHWC float32 images with int32 labels; dropLast and batchesPerEpoch agree; no tensors leak', async () => {
    const before = tf.memory().numTensors;
    const loader = new DataLoader({ dataset: synth, transform: train, batchSize: 8, seed: 1 });
    expect(loader.batchesPerEpoch()).toBe(4);
    const got = await collect(loader, 0);
    expect(got.shapes).toEqual([
      [8, 16, 16, 3, 8],
      [8, 16, 16, 3, 8],
      [8, 16, 16, 3, 8],
      [2, 16, 16, 3, 2],
    ]);
    expect(new Set(got.dtypes)).toEqual(new Set(['float32/int32']));
    expect(got.indices.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 26 }, (_, i) => i));
    expect(got.targets.flat()).toEqual(got.indices.flat().map((i) => i % 4));
    const all = got.images.flatMap((a) => Array.from(a));
    expect(Math.min(...all)).toBeGreaterThan(-6);
    expect(Math.max(...all)).toBeLessThan(6);
    const dl = new DataLoader({ dataset: synth, transform: train, batchSize: 8, seed: 1, dropLast: true });
    expect(dl.batchesPerEpoch()).toBe(3);
    expect((await collect(dl, 0)).shapes.length).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic per seed; epochs and seeds differ', async () => {
    const mk = (seed: number): DataLoader => new DataLoader({ dataset: synth, transform: train, batchSize: 8, seed });
    const a = await collect(mk(5), 2);
    expect(await collect(mk(5), 2)).toEqual(a);
    expect((await collect(mk(5), 3)).indices).not.toEqual(a.indices);
    expect((await collect(mk(6), 2)).images[0]).not.toEqual(a.images[0]);
    const eval_ = new DataLoader({ dataset: synth, transform: { kind: 'eval', size: 16 }, batchSize: 10, shuffle: false });
    expect((await collect(eval_, 0)).indices[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('Mixup/CutMix gives float32 soft targets [B, classes] whose rows sum to 1', async () => {
    const loader = new DataLoader({ dataset: synth, transform: train, batchSize: 6, seed: 2, dropLast: true, mixup: {} });
    const got = await collect(loader, 0);
    expect(got.shapes[0]).toEqual([6, 16, 16, 3, 6, 4]);
    expect(got.dtypes[0]).toBe('float32/float32');
    for (const t of got.targets) {
      for (let r = 0; r < t.length / 4; r++) expect(t.slice(4 * r, 4 * r + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});

describe('DataLoader with worker threads', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('gives identical batches for 0, 1 and 2 workers (repeated augmentation + Mixup/CutMix)', async () => {
    const results: Collected[] = [];
    for (const numWorkers of [0, 1, 2]) {
      const loader = new DataLoader({
        dataset: synth,
        transform: train,
        batchSize: 6,
        seed: 7,
        numWorkers,
        dropLast: true,
        mixup: {},
        repeatedAugment: { selectMultiple: 1 },
      });
      results.push(await collect(loader, 1));
      await loader.close();
    }
    expect(results[0]!.shapes.length).toBe(4);
    // Each index appears three times in a row of the RA order: copies must still be augmented differently.
    const first = results[0]!;
    expect(first.indices[0]![0]).toBe(first.indices[0]![1]);
    const pix = 16 * 16 * 3;
    expect(first.images[0]!.subarray(0, pix)).not.toEqual(first.images[0]!.subarray(pix, 2 * pix));
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('decodes an ImageFolder in workers; a corrupt file fails naming it, or is skipped and counted', async () => {
    const snapshot = (): string =>
      JSON.stringify(
        readdirSync(folder, { recursive: true })
          .sort()
          .map((f) => [f, statSync(join(folder, String(f))).mtimeMs]),
      );
    const before = snapshot();
    const spec: DatasetSpec = { kind: 'image-folder', root: folder };
    const strict = new DataLoader({ dataset: spec, transform: { kind: 'eval', size: 24 }, batchSize: 4, numWorkers: 2, shuffle: false });
    const err = await collect(strict, 0).catch((e: unknown) => e);
    await strict.close();
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).path).toBe(join(folder, 'b', 'img9.jpg'));

    const warnings: string[] = [];
    const results: Collected[] = [];
    for (const numWorkers of [0, 2]) {
      const lenient = new DataLoader({
        dataset: spec,
        transform: train,
        batchSize: 4,
        numWorkers,
        onError: 'skip',
        onWarning: (m) => warnings.push(m),
      });
      results.push(await collect(lenient, 0));
      expect(lenient.skipped).toBe(1);
      await lenient.close();
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]!.indices.flat().length).toBe(10);
    expect(warnings.length).toBe(2);
    expect(warnings[0]).toMatch(/skipped 1 unreadable sample.*img9\.jpg/);
    expect(snapshot()).toBe(before);
  });
  it('an error while a worker opens the data set reaches the consumer as the typed error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deitjs-loader-init-'));
    try {
      for (const cls of ['a', 'b']) {
        mkdirSync(join(dir, cls));
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(join(dir, cls, 'x.png'));
      }
      const loader = new DataLoader({ dataset: { kind: 'image-folder', root: dir }, transform: { kind: 'plain' }, batchSize: 2, numWorkers: 1 });
      // The folder changes after the main thread opened it: the worker finds class "b" empty.
      rmSync(join(dir, 'b', 'x.png'));
      const err = await collect(loader, 0).catch((e: unknown) => e);
      await loader.close();
      expect(err).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).path).toBe(join(dir, 'b'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DataLoader options', () => {
  it('rejects bad options with typed errors naming them', () => {
    const ds = syntheticDataset({ length: 10 });
    expect(() => new DataLoader({ dataset: ds, transform: train, batchSize: 4, numWorkers: 2 })).toThrow(/numWorkers.*spec/);
    expect(() => new DataLoader({ dataset: synth, transform: train, batchSize: 0 })).toThrow(ConfigError);
    expect(() => new DataLoader({ dataset: synth, transform: train, batchSize: 5, mixup: {} })).toThrow(/even/);
    expect(() => new DataLoader({ dataset: synth, transform: train, batchSize: 100, dropLast: true })).toThrow(/no full batch/);
    expect(() => new DataLoader({ dataset: { ...ds, length: 0 }, transform: train, batchSize: 2 })).toThrow(/empty/);
    expect(() => new DataLoader({ dataset: synth, transform: train, batchSize: 2, onError: 'ignore' as 'skip' })).toThrow(/onError/);
    expect(() => new DataLoader({ dataset: { kind: 'cifar', variant: 'cifar10', root: '/nonexistent' }, transform: train, batchSize: 2 })).toThrow(DatasetError);
  });

  it('a transform whose output size varies fails with a ShapeError naming the sample', async () => {
    const mixed = {
      classes: ['x'],
      length: 2,
      source: (i: number) => `mixed#${i}`,
      get: async (i: number) => ({ image: { width: 4 + i, height: 4, data: new Uint8Array((4 + i) * 4 * 3) }, label: 0 }),
    };
    const loader = new DataLoader({ dataset: mixed, transform: { kind: 'plain' }, batchSize: 2, shuffle: false });
    const err = await collect(loader, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as Error).message).toMatch(/mixed#1 became 5×4×3 but the batch is 4×4×3/);
  });
});
