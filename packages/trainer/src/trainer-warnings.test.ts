import { join } from 'node:path';
import { type Teacher, initBackend } from '@deitjs/core';
import { RUN_FILES, readJsonLines } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint.js';
import { base, data, removeTempDirs, student, teacherOf, tempDir } from './test/index.js';
import { Trainer } from './trainer.js';
import type { EpochRecord } from './trainer-hooks.js';
import type { TrainerOptions } from './trainer-options.js';

afterAll(removeTempDirs);

function sink() {
  const chunks: string[] = [];
  return { text: () => chunks.join(''), stream: { isTTY: false, write: (c: string) => chunks.push(c) } };
}

async function warningsOf(extra: Partial<TrainerOptions>): Promise<string[]> {
  const s = student();
  const warnings: string[] = [];
  const trainer = new Trainer(base(s, { train: data({ batches: 2 }), ...extra, hooks: { onWarning: (m) => void warnings.push(m) } }));
  await trainer.run();
  trainer.dispose();
  s.dispose();
  return warnings;
}

describe('Trainer warnings and the best epoch, on cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('warns once when the default 5 warmup epochs cover a 1- or 2-epoch run; not when the run leaves the warmup', async () => {
    for (const epochs of [1, 2]) {
      const w = await warningsOf({ epochs, warmupEpochs: undefined, warmupLr: undefined });
      expect(w).toHaveLength(1);
      expect(w[0]).toMatch(new RegExp(`^warmupEpochs 5 covers all ${epochs} epoch\\(s\\) of the run`));
    }
    expect(await warningsOf({ epochs: 2, warmupEpochs: 2, lrStepping: 'step' })).toHaveLength(1);
    expect(await warningsOf({ epochs: 3, warmupEpochs: 1 })).toEqual([]);
    expect(await warningsOf({ epochs: 2, warmupEpochs: 1, lrStepping: 'step' })).toEqual([]);
  });

  it('without an onWarning hook the warning is a line of the progress output', async () => {
    const s = student();
    const out = sink();
    const trainer = new Trainer(base(s, { epochs: 1, warmupEpochs: 5, train: data({ batches: 2 }), progress: { stream: out.stream } }));
    await trainer.run();
    expect(out.text()).toMatch(/^warning: warmupEpochs 5 covers all 1 epoch\(s\) of the run/m);
    trainer.dispose();
    s.dispose();
  });

  it('the progress display names the best epoch by the number the result, the checkpoint and metrics.jsonl hold', async () => {
    const dir = tempDir();
    const s = student({ seed: 5 });
    const out = sink();
    const records: EpochRecord[] = [];
    const trainer = new Trainer(
      base(s, {
        epochs: 3,
        runDir: dir,
        eval: data({ batches: 2, split: 1 }),
        progress: { stream: out.stream },
        hooks: { onEpochEnd: (r) => void records.push(r) },
      }),
    );
    const result = await trainer.run();
    const best = result.best!;
    expect(best.metric).toBe('eval.top1');
    // The summary line and the epoch line flagged "(best)" both print the result's number.
    const shown = out.text().match(/best eval\.top1 [\d.]+ at epoch (\d+)\n/);
    expect(Number(shown![1])).toBe(best.epoch);
    const flagged = out.text().split('\n').filter((l) => l.endsWith('(best)')).at(-1)!;
    expect(flagged).toMatch(new RegExp(`^epoch ${best.epoch} \\(${best.epoch + 1}/3\\) done in`));
    // The same number in the hooks' records, metrics.jsonl and the checkpoint.
    expect(records.filter((r) => r.best).at(-1)!.epoch).toBe(best.epoch);
    const lines = readJsonLines(join(dir, RUN_FILES.metrics)) as EpochRecord[];
    expect(lines.filter((r) => r.best).at(-1)!.epoch).toBe(best.epoch);
    expect(readCheckpointState(join(dir, RUN_FILES.last)).best).toEqual(best);
    trainer.dispose();
    s.dispose();
  });

  it('a resume with a teacher of other weights warns; the same teacher does not', async () => {
    const t = student({ hidden: 8, seed: 99 });
    const fingerprinted = (fp: string): Teacher & { fingerprint(): string } => ({ ...teacherOf(t), fingerprint: () => fp });
    const run = async (dir: string, teacher: Teacher, resume: boolean, stopAt?: number): Promise<string[]> => {
      const s = student({ distilled: true, seed: 11 });
      const warnings: string[] = [];
      const trainer: Trainer = new Trainer(
        base(s, {
          runDir: dir,
          teacher,
          resume,
          hooks: { onWarning: (m) => void warnings.push(m), onStep: (i) => (i.update === stopAt ? trainer.stop() : undefined) },
        }),
      );
      await trainer.run();
      trainer.dispose();
      s.dispose();
      return warnings;
    };
    const a = 'a'.repeat(64);
    const dir = tempDir();
    expect(await run(dir, fingerprinted(a), false, 3)).toEqual([]);
    expect(readCheckpointState(join(dir, RUN_FILES.last)).config.teacherFingerprint).toBe(a);
    const other = await run(dir, fingerprinted('b'.repeat(64)), true, 5);
    expect(other).toHaveLength(1);
    expect(other[0]).toMatch(/^resuming with another teacher: the checkpoint was distilled from tiny-teacher \(weights fingerprint aaaaaaaaaaaa…\), this run's teacher tiny-teacher has fingerprint bbbbbbbbbbbb…/);
    // The checkpoint now records the new teacher: resuming with it again is quiet, and so is the first teacher's run resumed as it was.
    expect(await run(dir, fingerprinted('b'.repeat(64)), true, 7)).toEqual([]);
    const dir2 = tempDir();
    await run(dir2, fingerprinted(a), false, 3);
    expect(await run(dir2, fingerprinted(a), true)).toEqual([]);
    t.dispose();
  });
});
