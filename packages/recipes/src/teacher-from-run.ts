import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DeitError, IMAGENET_NORMALIZATION, type Normalization } from '@deitjs/core';
import { RUN_FILES, type RunInfo, readRunInfo } from '@deitjs/run';
import type { FingerprintedTeacher } from '@deitjs/teachers';
import { asTeacher, loadModel, runModelChoice } from './load-model.js';

// run.json problems (DeitError E_RUN) become ConfigErrors naming the option that gave the directory.
function readRunOption(dir: string, option: string): RunInfo {
  try {
    return readRunInfo(dir);
  } catch (err) {
    if (err instanceof DeitError && err.code === 'E_RUN') throw new ConfigError(option, err.message);
    throw err;
  }
}

/** Options of {@link teacherFromRun}. */
export interface TeacherFromRunOptions {
  /** The option that gave the directory, named in errors (default `--teacher-run`). */
  option?: string;
  /** Normalisation of the student's images (default ImageNet's); they are mapped to the run's own. */
  studentNormalization?: Normalization;
  /** Where weight-loading notices go (default `console.warn`). */
  warn?: (message: string) => void;
}

/**
 * A frozen teacher loaded from a run directory (a trained convnet or DeiT) for a student of `numClasses` classes:
 * `loadModel` of the run's model, then `asTeacher` with the run's normalisation. Dispose it when done. Problems are
 * ConfigErrors naming the option.
 */
export function teacherFromRun(dir: string, numClasses: number, options: TeacherFromRunOptions = {}): { teacher: FingerprintedTeacher; dispose(): void } {
  const option = options.option ?? '--teacher-run';
  const info = readRunOption(dir, option);
  if (!existsSync(join(dir, RUN_FILES.model))) throw new ConfigError(option, `${dir} has no ${RUN_FILES.model} (did its training finish?)`);
  if (info.numClasses !== numClasses) throw new ConfigError(option, `the teacher has ${info.numClasses} classes, the student ${numClasses}`);
  const loaded = loadModel(runModelChoice(info), options.warn ?? ((m) => console.warn(m)));
  const teacher = asTeacher(loaded, options.studentNormalization ?? IMAGENET_NORMALIZATION);
  return { teacher, dispose: () => teacher.dispose() };
}
