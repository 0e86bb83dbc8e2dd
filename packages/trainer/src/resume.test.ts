import { join } from 'node:path';
import { initBackend, maxAbsDiff } from '@deitjs/core';
import { RUN_FILES, readJsonLines } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint.js';
import { removeTempDirs, resumable, snapshot, tempDir } from './test/index.js';
import type { EpochRecord } from './trainer-hooks.js';

afterAll(removeTempDirs);

describe('resume on cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('resumes exactly: interrupted mid-epoch and resumed gives bit-identical weights, EMA and optimiser state', async () => {
    const full = resumable(tempDir());
    await full.trainer.run();
    const want = snapshot(full.s);
    const wantEma = full.trainer.ema!.values();
    const wantOpt = full.trainer.optimizer.state();

    const dir = tempDir();
    const first = resumable(dir, { hooks: { onStep: (i) => (i.update === 4 ? first.trainer.stop() : undefined) } });
    const r1 = await first.trainer.run();
    expect(r1.stopped).toBe(true);
    // 6 batches per epoch, 2 per update: update 4 ends at batch 2 of epoch 1
    expect(readCheckpointState(join(dir, RUN_FILES.last))).toMatchObject({ epoch: 1, batchInEpoch: 2, update: 4 });
    // the interrupted run has moved away from the full run's weights
    expect(maxAbsDiff(snapshot(first.s).get('fc1.weight')!, want.get('fc1.weight')!)).toBeGreaterThan(0);

    const second = resumable(dir, { resume: true });
    const r2 = await second.trainer.run();
    expect(r2).toMatchObject({ stopped: false, epochsCompleted: 3 });
    for (const [k, v] of want) expect(Array.from(snapshot(second.s).get(k)!), k).toEqual(Array.from(v));
    for (const [k, v] of wantEma) expect(Array.from(second.trainer.ema!.values().get(k)!), `ema ${k}`).toEqual(Array.from(v));
    for (const [k, v] of wantOpt) {
      const got = second.trainer.optimizer.state().get(k)!;
      expect(got.step).toBe(v.step);
      expect(Array.from(got.expAvgSq)).toEqual(Array.from(v.expAvgSq));
    }
    // one metrics line per epoch, none duplicated by the resume
    const lines = readJsonLines(join(dir, RUN_FILES.metrics)) as EpochRecord[];
    expect(lines.map((l) => l.epoch)).toEqual([0, 1, 2]);
    expect(lines[2]!.eval!.cls).toBeDefined();
    expect(lines[2]!.eval!.teacherAgreement!.dist).toBeGreaterThanOrEqual(0);
    for (const x of [full, first, second]) {
      x.trainer.dispose();
      x.s.dispose();
      x.t.dispose();
    }
  });
});
