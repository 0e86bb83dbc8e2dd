import { initBackend } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { base, data, student } from './test/index.js';
import { Trainer } from './trainer.js';

describe('Trainer options on cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('runs each update at the scheduled LR (deit-epoch lag) and scales the LR by batch·accumulation·world/512', async () => {
    const s = student();
    const lrs: number[][] = [[], [], []];
    const trainer = new Trainer({
      ...base(s, { epochs: 3, train: data({ batches: 4 }) }),
      unscaleLr: false,
      lr: 5e-4,
      batchSize: 8,
      accumulation: 2,
      worldSize: 4,
      warmupEpochs: 2,
      warmupLr: 1e-6,
      minLr: 1e-5,
      hooks: { onStep: (i) => void lrs[i.epoch]!.push(i.lr) },
    });
    // 5e-4 · (8·2) · 4 / 512
    expect(trainer.peakLr).toBeCloseTo(6.25e-5, 15);
    await trainer.run();
    // epochs 0 and 1 at warmupLr; epoch 2 at f(1) = 1e-6 + (6.25e-5 − 1e-6)/2
    expect(lrs).toEqual([
      [1e-6, 1e-6],
      [1e-6, 1e-6],
      [3.175e-5, 3.175e-5],
    ]);
    trainer.dispose();
    s.dispose();
  });
});
