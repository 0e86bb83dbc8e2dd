import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DeitError, writeSafetensors } from '@deitjs/core';
import { RUN_FILES, appendJsonLine, filterJsonLines } from '@deitjs/run';
import { type CheckpointParts, type TrainingState, saveCheckpoint } from './checkpoint.js';
import type { EpochRecord } from './trainer-hooks.js';

/** The run-directory files the trainer writes (names from `@deitjs/run`'s `RUN_FILES`). */
export type TrainerRunFile = 'model' | 'modelEma' | 'last' | 'best' | 'metrics';

/** A run-directory file that could not be written (full disk, file-size limit, permissions): names the file. */
export class RunFileError extends DeitError {
  /** Path of the file at fault. */
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('E_RUN_FILE', `${file}: ${message}`, options);
    this.file = file;
  }
}

/** Runs a write of `file`; a failure that is not already a typed error becomes a {@link RunFileError} naming it. */
function writing(file: string, write: () => void): void {
  try {
    write();
  } catch (err) {
    if (err instanceof DeitError) throw err;
    throw new RunFileError(file, `write failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Everything the trainer writes into its run directory (all atomic); with no directory, nothing is written. */
export class RunDirectory {
  /** @param dir The run directory, or undefined to write nothing. */
  constructor(readonly dir: string | undefined) {}

  /** Path of one of the run's files, or undefined without a run directory. */
  file(name: TrainerRunFile): string | undefined {
    return this.dir === undefined ? undefined : join(this.dir, RUN_FILES[name]);
  }

  /**
   * Creates the directory (and its parents) if missing, and removes the temp files that a killed process left of
   * its atomic writes (`.<file>.<pid>.<stamp>.tmp`, their process gone): the run's files themselves are whole.
   */
  create(): void {
    if (this.dir === undefined) return;
    mkdirSync(this.dir, { recursive: true });
    const ours = new Set<string>(Object.values(RUN_FILES));
    for (const name of readdirSync(this.dir)) {
      const m = /^\.(.+)\.(\d+)\.[0-9a-z]+\.tmp$/.exec(name);
      if (m && ours.has(m[1]!) && !processAlive(Number(m[2]))) rmSync(join(this.dir, name), { force: true });
    }
  }

  /** Drops the metrics lines of `epoch` and later: after a resume those epochs run again and must not be listed twice. */
  dropMetricsFrom(epoch: number): void {
    const metrics = this.file('metrics');
    if (metrics !== undefined) writing(metrics, () => filterJsonLines(metrics, (r) => (r as { epoch?: number }).epoch! < epoch));
  }

  /** Saves `checkpoint-last` (at stops, and every `checkpointEverySteps` updates). */
  saveLast(parts: CheckpointParts, state: TrainingState): void {
    const file = this.file('last');
    if (file !== undefined) saveCheckpoint(file, parts, state);
  }

  /**
   * An epoch's end: the weights and EMA weights (PyTorch layout), `checkpoint-last`, `checkpoint-best` when the
   * epoch is the best so far, then the epoch's metrics line (last, so a listed epoch always has its checkpoint).
   */
  writeEpochEnd(parts: CheckpointParts, state: TrainingState, record: EpochRecord): void {
    if (this.dir === undefined) return;
    writeSafetensors(this.file('model')!, parts.student.stateDict(), { format: 'pt' });
    if (parts.ema !== undefined) writeSafetensors(this.file('modelEma')!, parts.ema.stateDict(), { format: 'pt' });
    saveCheckpoint(this.file('last')!, parts, state);
    if (record.best) saveCheckpoint(this.file('best')!, parts, state);
    const metrics = this.file('metrics')!;
    writing(metrics, () => appendJsonLine(metrics, record));
  }
}

/** Whether a process with this id runs (signal 0 probes without sending; EPERM means it runs as another user). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
