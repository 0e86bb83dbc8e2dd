import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LossFn, initBackend, tf } from '@deitjs/core';
import { RUN_FILES, readJsonLines } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint.js';
import { NonFiniteLossError } from './non-finite-loss-error.js';
import { removeTempDirs, resumable, tempDir, testLoss } from './test/index.js';

afterAll(removeTempDirs);

describe('batch gradients on cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('a NaN loss stops the run with NonFiniteLossError and leaves checkpoint-last untouched', async () => {
    const dir = tempDir();
    let calls = 0;
    // finite for the first epoch (6 batches), NaN on the 9th batch
    const poisoned: LossFn = (out, targets, teacher) =>
      tf.tidy(() => {
        calls += 1;
        const l = testLoss(out, targets, teacher);
        return calls === 9 ? (tf.mul(l, Number.NaN) as tf.Scalar) : l;
      });
    const lastFile = join(dir, RUN_FILES.last);
    let saved: Buffer | undefined;
    const { s, t, trainer } = resumable(dir, {
      loss: poisoned,
      hooks: {
        onEpochEnd: () => {
          saved = readFileSync(lastFile);
        },
      },
    });
    const tensorsBefore = tf.memory().numTensors;
    const err = await trainer.run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(err).toMatchObject({ code: 'E_NONFINITE_LOSS', epoch: 1, batch: 2 });
    expect((err as Error).message).toMatch(/loss is NaN at epoch 1, batch 2/);
    expect(saved).toBeDefined();
    expect(readFileSync(lastFile).equals(saved!)).toBe(true);
    expect(readCheckpointState(lastFile)).toMatchObject({ epoch: 1, batchInEpoch: 0, update: 3 });
    expect(readJsonLines(join(dir, RUN_FILES.metrics))).toHaveLength(1);
    // nothing leaked on the error path except the optimiser and EMA state that training created
    const slots = 2 * s.trainableVariables().size;
    expect(tf.memory().numTensors).toBe(tensorsBefore + slots);
    trainer.dispose();
    s.dispose();
    t.dispose();
  });
});
