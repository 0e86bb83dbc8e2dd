import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { mnistDataset } from '@deitjs/data';
import { evalData, loadModel, runModelChoice } from '@deitjs/recipes';
import { readRunInfo } from '@deitjs/run';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test/io.js';
import { TINY_MNIST, makeRun } from '../test/run.js';
import type { PredictImagesReport } from './predict.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-eval-predict-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = 'deit_micro_distilled_patch4_32';
/** Test digits of the run's split written as image files: classes 0, 4 and 9. */
const DIGITS = [0, 13, 29];

async function predictJson(args: string[]): Promise<PredictImagesReport> {
  const io = captureIO();
  const code = await main(['predict', ...args, '--json'], io);
  expect(code, io.err()).toBe(0);
  return JSON.parse(io.out()) as PredictImagesReport;
}

/** Softmax in float64 of one row of logits. */
function softmax(row: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(row));
  const e = Array.from(row, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * The logits `accuracy --run` computes for the run's test digits: its model choice, evalData with the run's
 * preprocessing and the eval-mode model, as the command builds them.
 */
async function accuracyLogits(runDir: string): Promise<Float32Array[]> {
  const choice = runModelChoice(readRunInfo(runDir));
  const ed = evalData({ data: 'mnist', split: 'test', imgSize: choice.imgSize, normalization: choice.normalization, batchSize: 64, run: choice.run!.data, preprocessing: choice.preprocessing });
  const { model } = loadModel(choice, () => undefined);
  const rows: Float32Array[] = [];
  for await (const { images, targets } of ed.loader.epoch(0)) {
    const logits = model.apply(images, { training: false }) as tf.Tensor2D;
    const data = logits.dataSync() as Float32Array;
    for (let i = 0; i < logits.shape[0]; i++) rows.push(data.slice(i * 10, (i + 1) * 10));
    tf.dispose([images, targets, logits]);
  }
  model.dispose();
  return rows;
}

let files: string[] = [];
beforeAll(async () => {
  // The digits as a user would have them: 28×28 grey PNGs, unpadded (the run pads them by 2 px like its data).
  const ds = mnistDataset({ split: 'test', seed: TINY_MNIST.seed, trainPerClass: TINY_MNIST.trainPerClass, testPerClass: TINY_MNIST.testPerClass, pad: 0 });
  files = await Promise.all(
    DIGITS.map(async (i) => {
      const { image, label } = await ds.get(i);
      const grey = Uint8Array.from({ length: 28 * 28 }, (_, p) => image.data[3 * p]!);
      const file = join(dir, `digit-${i}-${label}.png`);
      await sharp(grey, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
      return file;
    }),
  );
});

describeOnBackends('deit-eval predict --run: the run preprocessing travels with it', (backend) => {
  it('predict --run --images on a test digit file agrees with the logits accuracy --run computes for that digit', async () => {
    const run = makeRun(join(dir, `run-${backend}`), MODEL, { data: TINY_MNIST, inputDependent: true });
    const want = await accuracyLogits(run);
    expect(want).toHaveLength(30);
    const before = tf.memory().numTensors;
    const report = await predictJson(['--backend', backend, '--run', run, '--images', ...files]);
    expect(tf.memory().numTensors).toBe(before);
    expect(report).toMatchObject({ model: MODEL, run, imgSize: 32, cropPct: 1, preprocessing: 'grey 28 px digit, zero-padded 2 px, 32 px' });
    let worst = 0;
    for (const [n, image] of report.images.entries()) {
      const probs = softmax(want[DIGITS[n]!]!);
      const order = probs.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      expect(image.top.map((c) => c.index), image.file).toEqual(order.slice(0, 5).map(([, i]) => i));
      for (const c of image.top) worst = Math.max(worst, Math.abs(c.probability - probs[c.index]!));
    }
    console.log(`[${backend}] predict --run --images vs accuracy --run logits: max |Δ probability| ${worst.toExponential(2)} over ${files.length} digits`);
    expect(worst).toBeLessThanOrEqual(1e-5);
    // The ImageNet eval transform (--model --weights: resize to 36, crop 32, no padding) sees other pixels.
    const imagenet = await predictJson(['--backend', backend, '--model', MODEL, '--weights', join(run, 'model.safetensors'), '--images', ...files]);
    const moved = imagenet.images.map((im, n) => Math.abs(im.top[0]!.probability - report.images[n]!.top[0]!.probability));
    console.log(`[${backend}] the ImageNet eval transform instead: top-1 probability moves by up to ${Math.max(...moved).toFixed(4)}`);
    expect(Math.max(...moved)).toBeGreaterThan(1e-3);
  });

  it('a one-channel run (inChans 1, MNIST statistics) predicts digit files as accuracy --run computes them', async () => {
    const normalization = { mean: [0.1307, 0.1307, 0.1307], std: [0.3081, 0.3081, 0.3081] } as const;
    const run = makeRun(join(dir, `grey-${backend}`), MODEL, { data: TINY_MNIST, inputDependent: true, inChans: 1, normalization: { mean: [...normalization.mean], std: [...normalization.std] } });
    const want = await accuracyLogits(run);
    const report = await predictJson(['--backend', backend, '--run', run, '--images', ...files]);
    for (const [n, image] of report.images.entries()) {
      const probs = softmax(want[DIGITS[n]!]!);
      for (const c of image.top) expect(Math.abs(c.probability - probs[c.index]!), image.file).toBeLessThanOrEqual(1e-5);
    }
  });

  it('an older run.json without preprocessing predicts the same (derived from its MNIST data)', async () => {
    const current = makeRun(join(dir, `new-${backend}`), MODEL, { data: TINY_MNIST, inputDependent: true });
    const old = makeRun(join(dir, `old-${backend}`), MODEL, { data: TINY_MNIST, inputDependent: true, preprocessing: null });
    const a = await predictJson(['--backend', backend, '--run', current, '--images', ...files]);
    const b = await predictJson(['--backend', backend, '--run', old, '--images', ...files]);
    expect(b.images.map((i) => i.top)).toEqual(a.images.map((i) => i.top));
    expect(b.preprocessing).toBe(a.preprocessing);
  });
});
