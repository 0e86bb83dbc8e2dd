// The short training run of the fault tests (kill -9, file-size limit): the same run in the test process and in
// the child processes that are killed, so their final weights can be compared bit for bit.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILES } from '@deitjs/run';
import type { Trainer } from '../trainer.js';
import type { TrainerOptions } from '../trainer-options.js';
import type { TinyMlp } from './models.js';
import { data, resumable } from './runs.js';

/** Epochs of {@link faultRun}; 6 updates each (12 batches, 2 per update). */
export const FAULT_RUN_EPOCHS = 8;

/**
 * The distilled, dropout, EMA, clipped, accumulating run of the resume tests, 8 epochs of 12 batches, with
 * `checkpoint-last` saved every 2 updates; it resumes from `runDir`'s checkpoint-last when there is one.
 */
export function faultRun(runDir: string, extra: Partial<TrainerOptions> = {}): { s: TinyMlp; t: TinyMlp; trainer: Trainer } {
  const resume = existsSync(join(runDir, RUN_FILES.last));
  return resumable(runDir, { train: data({ batches: 12 }), epochs: FAULT_RUN_EPOCHS, checkpointEverySteps: 2, resume, ...extra });
}

/** The checkpoint files in `dir` (not temp files): `checkpoint-last`, `checkpoint-best`, the weights. */
export function checkpointFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors') && !f.startsWith('.'))
    .map((f) => join(dir, f));
}
