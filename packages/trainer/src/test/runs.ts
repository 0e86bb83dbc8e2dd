// Small training runs shared by the trainer's tests: synthetic data, tiny students, quiet options, temp run directories.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '../trainer.js';
import type { TrainerOptions } from '../trainer-options.js';
import { testLoss } from './losses.js';
import { TinyMlp, teacherOf } from './models.js';
import { SyntheticSource } from './sources.js';

const dirs: string[] = [];

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'deit-trainer-'));
  dirs.push(d);
  return d;
}

/** Removes every directory {@link tempDir} made (call from `afterAll`). */
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Synthetic 4-class data: 6 batches of 8 unless overridden. */
export const data = (o: Partial<ConstructorParameters<typeof SyntheticSource>[0]> = {}) =>
  new SyntheticSource({ classes: 4, batches: 6, batchSize: 8, ...o });

/** A tiny MLP student on 4×4×3 images, 4 classes unless overridden. */
export const student = (o: Partial<ConstructorParameters<typeof TinyMlp>[0]> = {}) => new TinyMlp({ inputs: 48, hidden: 16, classes: 4, ...o });

/** Options shared by the small runs: a fixed lr (no scaling), 1 warmup epoch, quiet. */
export function base(s: TinyMlp, extra: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    student: s,
    loss: testLoss,
    train: data(),
    epochs: 3,
    lr: 5e-3,
    unscaleLr: true,
    warmupEpochs: 1,
    warmupLr: 1e-3,
    minLr: 1e-4,
    progress: false,
    ...extra,
  };
}

/** A distilled student with dropout (draws from the trainer's rng), a teacher, EMA, clipping and accumulation. */
export function resumable(runDir: string, extra: Partial<TrainerOptions> = {}): { s: TinyMlp; t: TinyMlp; trainer: Trainer } {
  const s = student({ distilled: true, dropout: 0.25, seed: 11 });
  const t = student({ hidden: 8, seed: 99 });
  const trainer = new Trainer(
    base(s, {
      teacher: teacherOf(t),
      eval: data({ batches: 2, split: 1 }),
      train: data({ batches: 6 }),
      epochs: 3,
      seed: 5,
      emaDecay: 0.9,
      clipGrad: 0.5,
      accumulation: 2,
      runDir,
      ...extra,
    }),
  );
  return { s, t, trainer };
}
