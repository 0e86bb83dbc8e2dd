import { existsSync } from 'node:fs';
import { ConfigError, Rng } from '@deitjs/core';
import { type CheckpointParts, type TrainingState, loadCheckpoint } from './checkpoint.js';
import { isTorchCheckpoint, loadDeitCheckpoint } from './deit-resume.js';
import type { RunDirectory } from './run-directory.js';
import { teacherChangeWarning } from './teacher-identity.js';

/** The checkpoint a run resumes from: none, the run directory's `checkpoint-last` (`true`), or the given path. */
export function resumeCheckpoint(resume: boolean | string | undefined, runDir: RunDirectory): string | undefined {
  if (resume === undefined || resume === false) return undefined;
  const file = resume === true ? runDir.file('last')! : resume;
  if (!existsSync(file)) throw new ConfigError('resume', `no checkpoint at ${file}`);
  return file;
}

/**
 * Restores a run from a checkpoint: weights, optimiser and EMA into `parts`, and the state and generator returned
 * exactly as saved, so the resumed run continues bit for bit. The state records `config` (this run's, e.g. a longer
 * `epochs`, not the interrupted one's), and the run directory's metrics of the epochs to re-run are dropped.
 * A deit main.py checkpoint (`.pth`) is taken as far as it goes ({@link loadDeitCheckpoint}); `notes` say what was
 * taken and what was not; `warnings` what the caller should hear about (a resume with another teacher).
 */
export function resumeRun(
  file: string,
  parts: CheckpointParts,
  config: Record<string, unknown>,
  runDir: RunDirectory,
): { state: TrainingState; rng: Rng; notes: string[]; warnings: string[] } {
  if (isTorchCheckpoint(file)) {
    const { state, rng, took, notes } = loadDeitCheckpoint(file, parts, config);
    runDir.dropMetricsFrom(state.epoch);
    return { state, rng, notes: [`deit checkpoint: took ${took.join(', ')}`, ...notes], warnings: [] };
  }
  const state = loadCheckpoint(file, parts);
  const rng = Rng.fromState(state.rng);
  const teacherChange = teacherChangeWarning(state.config ?? {}, config);
  state.config = config;
  runDir.dropMetricsFrom(state.epoch);
  return { state, rng, notes: [], warnings: teacherChange === undefined ? [] : [teacherChange] };
}
