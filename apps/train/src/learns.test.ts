import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUIET_IO, quickMnistOptions } from './test/options.js';
import { runTraining } from './train-run.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-learns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a short run on the embedded MNIST digits (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('learns: the training loss falls and test accuracy clearly beats chance (10 %)', async () => {
    const r = await runTraining(
      quickMnistOptions({
        // The CNN learns within a few hundred updates; a ViT this small needs thousands (see the main job).
        model: 'resnet_mnist',
        trainPerClass: 30,
        testPerClass: 20,
        epochs: 8,
        lr: 2e-3,
        evalEvery: 8,
        seed: 3,
        output: join(dir, 'run'),
      }),
      QUIET_IO,
    );
    const epochs = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { trainLoss: number });
    console.log(`MNIST 300 digits, 8 epochs: train loss ${epochs.map((e) => e.trainLoss.toFixed(3)).join(' → ')}; test top-1 ${r.lastEval?.top1}%`);
    expect(epochs.at(-1)!.trainLoss).toBeLessThan(epochs[0]!.trainLoss - 0.15);
    // 200 test digits: at chance (10 %) the standard deviation of top-1 is 2.1 points, so 25 % is ~7σ above it.
    expect(r.lastEval!.count).toBe(200);
    expect(r.lastEval!.top1).toBeGreaterThan(25);
  });
});
