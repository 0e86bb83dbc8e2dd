import { join } from 'node:path';
import { initBackend, readSafetensors } from '@deitjs/core';
import { RUN_FILES, readJsonLines } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint.js';
import { base, removeTempDirs, resumable, snapshot, student, tempDir } from './test/index.js';
import { Trainer } from './trainer.js';

afterAll(removeTempDirs);

describe('run directory on cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('writes a run directory: model.safetensors in PyTorch layout, checkpoints, metrics', async () => {
    const dir = tempDir();
    const { s, t, trainer } = resumable(dir, { epochs: 2 });
    await trainer.run();
    const sd = readSafetensors(join(dir, RUN_FILES.model));
    // fc1 is [in 48, out 16] in TF.js; a PyTorch Linear weight is [out, in]
    expect(sd.get('fc1.weight')!.shape).toEqual([16, 48]);
    const reloaded = student({ distilled: true, seed: 123 });
    reloaded.loadStateDict(sd);
    for (const [k, v] of snapshot(s)) expect(Array.from(snapshot(reloaded).get(k)!), k).toEqual(Array.from(v));
    const ema = readSafetensors(join(dir, RUN_FILES.modelEma));
    expect([...ema.keys()]).toEqual([...sd.keys()]);
    const last = readSafetensors(join(dir, RUN_FILES.last));
    expect(last.get('optimizer.exp_avg.fc1.weight')!.shape).toEqual([16, 48]);
    expect(last.has('ema.head_dist.bias')).toBe(true);
    const state = readCheckpointState(join(dir, RUN_FILES.best));
    expect(state.best!.metric).toBe('eval.top1');
    expect(state.config).toMatchObject({ epochs: 2, accumulation: 2, clipGrad: 0.5, distillation: 'tiny-teacher' });
    expect(readJsonLines(join(dir, RUN_FILES.metrics))).toHaveLength(2);
    trainer.dispose();
    s.dispose();
    t.dispose();
    reloaded.dispose();
  });

  it('checkpointEverySteps saves checkpoint-last mid-epoch at update boundaries', async () => {
    const dir = tempDir();
    const seen: Array<[number, number]> = [];
    const { s, t, trainer } = resumable(dir, {
      epochs: 1,
      checkpointEverySteps: 2,
      hooks: {
        onStep: (i) => {
          if (i.update > 1) {
            const st = readCheckpointState(join(dir, RUN_FILES.last));
            seen.push([st.update, st.batchInEpoch]);
          }
        },
      },
    });
    await trainer.run();
    // saved after update 2 (batch 4 of 6); update 3 ends the epoch, which saves at the epoch end (after the hook)
    expect(seen).toEqual([
      [2, 4],
      [2, 4],
    ]);
    expect(readCheckpointState(join(dir, RUN_FILES.last))).toMatchObject({ epoch: 1, batchInEpoch: 0, update: 3 });
    expect(() => new Trainer(base(s, { checkpointEverySteps: 0 }))).toThrow(/checkpointEverySteps/);
    trainer.dispose();
    s.dispose();
    t.dispose();
  });
});
