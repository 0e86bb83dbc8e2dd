// Issue 16: a corrupt image in the middle of an epoch. With `onError: 'skip'` the run trains on, the sample skipped
// and counted; otherwise the run stops with the typed error naming the file (deit-train: exit 2, one line).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, initBackend, tf } from '@deitjs/core';
import { DataLoader, DatasetError } from '@deitjs/data';
import { baseCriterion, distillationLoss } from '@deitjs/losses';
import { createModel } from '@deitjs/models';
import { Trainer } from '@deitjs/trainer';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainIO } from './io.js';
import { main } from './main.js';

const root = mkdtempSync(join(tmpdir(), 'deit-train-corrupt-'));
// Sorted order a0..a5, b0..b5: b2 is the 9th of 12 images, inside the third batch of 4.
const corrupt = join(root, 'train', 'b', 'img2.png');
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const rng = new Rng(3);
  for (const split of ['train', 'val']) {
    for (const [c, cls] of ['a', 'b'].entries()) {
      mkdirSync(join(root, split, cls), { recursive: true });
      for (let i = 0; i < 6; i++) {
        const px = Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.min(255, Math.max(0, 60 + c * 120 + rng.int(-40, 40))));
        await sharp(Buffer.from(px), { raw: { width: 32, height: 32, channels: 3 } })
          .png()
          .toFile(join(root, split, cls, `img${i}.png`));
      }
    }
  }
  writeFileSync(corrupt, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]));
  await initBackend('cpu');
});

function trainOn(onError: 'skip' | 'throw', steps: number[] = []): { trainer: Trainer; loader: DataLoader; dispose: () => Promise<void> } {
  const student = createModel('deit_micro_patch4_32', { numClasses: 2, seed: 1 });
  const loader = new DataLoader({ dataset: { kind: 'image-folder', root: join(root, 'train') }, transform: { kind: 'eval', size: 32 }, batchSize: 4, shuffle: false, onError });
  const trainer = new Trainer({
    student,
    loss: distillationLoss({ base: baseCriterion({ mixup: false, smoothing: 0 }), type: 'none' }),
    train: loader,
    epochs: 1,
    lr: 1e-3,
    unscaleLr: true,
    warmupEpochs: 0,
    progress: false,
    hooks: { onStep: (i) => void steps.push(i.images) },
  });
  return {
    trainer,
    loader,
    dispose: async () => {
      trainer.dispose();
      student.dispose();
      await loader.close();
    },
  };
}

describe('a corrupt image mid-epoch (cpu)', () => {
  it("onError 'skip': the epoch trains on the other 11 images, the bad one counted", async () => {
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const run = trainOn('skip', steps);
    const r = await run.trainer.run();
    expect(r.epochsCompleted).toBe(1);
    expect(run.loader.skipped).toBe(1);
    // Batches of 4, 4, 3: the third lost its corrupt sample.
    expect(steps).toEqual([4, 4, 3]);
    await run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("onError 'throw' (the default): a DatasetError naming the file stops the run", async () => {
    const run = trainOn('throw');
    const err = await run.trainer.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).path).toBe(corrupt);
    await run.dispose();
  });

  it('deit-train on the folder: exit 2, one line naming the file', async () => {
    let out = '';
    let errText = '';
    const io: TrainIO = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (errText += t) }, env: { DEIT_BACKEND: 'cpu' } };
    const args = ['--data', root, '--model', 'deit_micro_patch4_32', '--epochs', '1', '--batch-size', '4', '--input-size', '32'];
    const code = await main([...args, '--aa', 'none', '--reprob', '0', '--mixup', '0', '--cutmix', '0', '--output', join(root, 'run')], io);
    expect(code).toBe(2);
    const errors = errText.split('\n').filter((l) => l.startsWith('deit-train: ') && !/^deit-train: (backend|warning)/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(corrupt);
    expect(out).toBe('');
  });
});
