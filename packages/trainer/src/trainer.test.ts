import { join } from 'node:path';
import { CheckpointError, ConfigError, StateDictMismatchError, initBackend, maxAbsDiff, tf } from '@deitjs/core';
import { RUN_FILES } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base, data, removeTempDirs, snapshot, student, teacherOf, tempDir, testLossWithParts } from './test/index.js';
import { Trainer } from './trainer.js';
import type { EpochRecord, StepInfo } from './trainer-hooks.js';
import type { TrainerOptions } from './trainer-options.js';

afterAll(removeTempDirs);

describe('Trainer on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('learns a synthetic task: the loss falls and eval accuracy is far above chance (12.5 %)', async () => {
    const s = student({ classes: 8 });
    const records: EpochRecord[] = [];
    const trainer = new Trainer(
      base(s, {
        train: data({ classes: 8, noise: 1.2, batches: 10, batchSize: 16 }),
        eval: data({ classes: 8, noise: 1.2, batches: 4, batchSize: 16, split: 1 }),
        epochs: 5,
        lr: 1e-2,
        lrStepping: 'epoch',
        warmupEpochs: 0,
        seed: 3,
        hooks: { onEpochEnd: (r) => void records.push(r) },
      }),
    );
    const result = await trainer.run();
    expect(result.stopped).toBe(false);
    expect(result.epochsCompleted).toBe(5);
    const first = records[0]!;
    const last = records.at(-1)!;
    console.log(
      `[wasm] train loss ${first.trainLoss.toFixed(4)} → ${last.trainLoss.toFixed(4)}; ` +
        `eval top-1 ${first.eval!.top1.toFixed(1)} % → ${last.eval!.top1.toFixed(1)} % (chance 12.5 %), eval loss ${last.eval!.loss.toFixed(4)}`,
    );
    expect(last.trainLoss).toBeLessThan(0.5 * first.trainLoss);
    expect(last.eval!.top1).toBeGreaterThan(60);
    expect(last.eval!.top1).toBeGreaterThan(first.eval!.top1);
    expect(last.eval!.count).toBe(64);
    trainer.dispose();
    s.dispose();
  });
});

describe('Trainer on cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('a teacher-output cache of argmax labels trains exactly like the live teacher (hard distillation)', async () => {
    const t = student({ hidden: 8, seed: 99 });
    const train = data({ batches: 3 });
    // the cache: the teacher's argmax per dataset index, computed once
    const cached = new Int32Array(24);
    for await (const b of train.epoch(0)) {
      const arg = tf.tidy(() => tf.argMax(t.apply(b.images, { training: false }) as tf.Tensor2D, 1));
      const v = arg.dataSync();
      b.indices!.forEach((idx, i) => {
        cached[idx] = v[i]!;
      });
      for (const x of [arg, b.images, b.targets]) x.dispose();
    }
    const run = async (opts: Partial<TrainerOptions>) => {
      const s = student({ distilled: true, seed: 8 });
      // one epoch: this synthetic source draws new samples each epoch under the same indices
      const trainer = new Trainer(base(s, { train, epochs: 1, ...opts }));
      await trainer.run();
      const w = snapshot(s);
      trainer.dispose();
      s.dispose();
      return w;
    };
    const live = await run({ teacher: teacherOf(t) });
    const fromCache = await run({ teacherCache: (idx) => tf.tensor1d(Array.from(idx, (i) => cached[i]!), 'int32') });
    const none = await run({});
    for (const [k, v] of live) expect(Array.from(fromCache.get(k)!), k).toEqual(Array.from(v));
    expect(maxAbsDiff(none.get('head_dist.weight')!, live.get('head_dist.weight')!)).toBeGreaterThan(0);
    t.dispose();
  });

  it('keeps tf.memory().numTensors flat over 50 steps (teacher, loss parts, EMA, clipping, accumulation, eval)', async () => {
    const s = student({ distilled: true, dropout: 0.1 });
    const t = student({ hidden: 8, seed: 99 });
    const counts: number[] = [];
    const steps: StepInfo[] = [];
    const records: EpochRecord[] = [];
    const trainer = new Trainer(
      base(s, {
        loss: testLossWithParts,
        train: data({ batches: 25, batchSize: 4 }),
        eval: data({ batches: 2, batchSize: 4, split: 1 }),
        teacher: teacherOf(t),
        epochs: 4,
        emaDecay: 0.99,
        clipGrad: 1,
        accumulation: 2,
        hooks: {
          onStep: (i) => {
            counts.push(tf.memory().numTensors);
            steps.push(i);
          },
          onEpochEnd: (r) => void records.push(r),
        },
      }),
    );
    const before = tf.memory().numTensors;
    await trainer.run();
    // the loss's logged parts: loss = ½·base + ½·distill, per update and per epoch
    for (const i of [steps[0]!, steps.at(-1)!]) expect(i.loss).toBeCloseTo(0.5 * i.parts!.base! + 0.5 * i.parts!.distill!, 5);
    const r = records.at(-1)!;
    expect(r.trainLoss).toBeCloseTo(0.5 * r.trainLossParts!.base! + 0.5 * r.trainLossParts!.distill!, 5);
    // 4 epochs × ceil(25 / 2) updates
    expect(counts).toHaveLength(52);
    expect(new Set(counts).size).toBe(1);
    // the only tensors the run added are the optimiser's moments
    expect(tf.memory().numTensors).toBe(before + 2 * s.trainableVariables().size);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before - s.namedParams().size);
    s.dispose();
    t.dispose();
  });

  it('rejects bad configuration and foreign checkpoints with typed errors', async () => {
    const s = student();
    expect(() => new Trainer({ ...base(s), unscaleLr: false })).toThrow(ConfigError);
    expect(() => new Trainer(base(s, { accumulation: 0 }))).toThrow(/accumulation/);
    expect(() => new Trainer(base(s, { resume: true }))).toThrow(/runDir/);
    const dir = tempDir();
    const t1 = new Trainer(base(s, { runDir: dir, resume: true }));
    await expect(t1.run()).rejects.toThrow(/no checkpoint at/);
    t1.dispose();
    // a plain weights file is not a training checkpoint
    const t2 = new Trainer(base(s, { runDir: dir, epochs: 1 }));
    await t2.run();
    t2.dispose();
    const t3 = new Trainer(base(s, { resume: join(dir, RUN_FILES.model) }));
    await expect(t3.run()).rejects.toThrow(CheckpointError);
    t3.dispose();
    // a checkpoint of another model
    const other = student({ hidden: 5 });
    const t4 = new Trainer(base(other, { resume: join(dir, RUN_FILES.last) }));
    await expect(t4.run()).rejects.toThrow(StateDictMismatchError);
    t4.dispose();
    other.dispose();
    // a teacher cache needs indices
    const noIdx = { batchesPerEpoch: () => 1, epoch: async function* () { yield { images: tf.zeros([2, 4, 4, 3]) as tf.Tensor4D, targets: tf.tensor1d([0, 1], 'int32') }; } };
    const t5 = new Trainer(base(s, { train: noIdx, teacherCache: () => tf.tensor1d([0, 0], 'int32') }));
    await expect(t5.run()).rejects.toThrow(/teacherCache: the batch source gives no sample indices/);
    t5.dispose();
    s.dispose();
  });
});
