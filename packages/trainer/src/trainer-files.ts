// The Trainer's file side (its run directory, resuming from a checkpoint) needs Node's file system. trainer.ts, the
// Node module of the Trainer, plugs it in here; a browser bundle of the Trainer has none: a run there keeps no files.
import { ConfigError } from '@deitjs/core';
import type { resumeCheckpoint, resumeRun } from './resume.js';
import type { RunDirectory } from './run-directory.js';

/** The Node-only pieces the Trainer uses for `runDir` and `resume`. */
export interface TrainerFiles {
  RunDirectory: typeof RunDirectory;
  resumeCheckpoint: typeof resumeCheckpoint;
  resumeRun: typeof resumeRun;
}

let provided: TrainerFiles | undefined;

/** Plugs in the file side (trainer.ts does, where Node's modules load). */
export function provideTrainerFiles(files: TrainerFiles): void {
  provided = files;
}

/** The file side, or a ConfigError naming `option` where there is none (a browser bundle). */
export function trainerFiles(option: 'runDir' | 'resume'): TrainerFiles {
  if (provided === undefined) throw new ConfigError(option, 'needs Node (files): in a browser, leave runDir and resume unset');
  return provided;
}

// Without a file side and without a runDir: a run directory that writes nothing, as RunDirectory(undefined) does.
const NO_FILES: RunDirectory = { dir: undefined, file: () => undefined, create() {}, dropMetricsFrom() {}, saveLast() {}, writeEpochEnd() {} };

/** The run directory of `dir` (none: nothing is written). */
export function openRunDirectory(dir: string | undefined): RunDirectory {
  return dir === undefined && provided === undefined ? NO_FILES : new (trainerFiles('runDir').RunDirectory)(dir);
}
