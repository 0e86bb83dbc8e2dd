import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DeitError, type Teacher } from '@deitjs/core';
import { createModel } from '@deitjs/models';
import { RUN_FILES, type RunInfo, readRunInfo } from '@deitjs/run';
import { createTeacher, teacherFromClassifier } from '@deitjs/teachers';

// run.json problems (DeitError E_RUN) become ConfigErrors naming the option that gave the directory.
function readRunOption(dir: string, option: string): RunInfo {
  try {
    return readRunInfo(dir);
  } catch (err) {
    if (err instanceof DeitError && err.code === 'E_RUN') throw new ConfigError(option, err.message);
    throw err;
  }
}

/**
 * A frozen teacher loaded from a run directory (a trained convnet or DeiT) for a student of `numClasses` classes;
 * dispose it when done. Problems are ConfigErrors naming `option`.
 */
export function teacherFromRun(dir: string, numClasses: number, option = '--teacher-run'): { teacher: Teacher; dispose(): void } {
  const info = readRunOption(dir, option);
  const weights = join(dir, RUN_FILES.model);
  if (!existsSync(weights)) throw new ConfigError(option, `${dir} has no ${RUN_FILES.model} (did its training finish?)`);
  if (info.numClasses !== numClasses) throw new ConfigError(option, `the teacher has ${info.numClasses} classes, the student ${numClasses}`);
  if (info.kind === 'teacher') {
    const t = createTeacher(info.model, { weights, numClasses });
    return { teacher: t, dispose: () => t.model.dispose() };
  }
  const m = createModel(info.model, { weights, numClasses, imgSize: info.imgSize, dropPathRate: 0 });
  return { teacher: teacherFromClassifier(m, { name: info.model }), dispose: () => m.dispose() };
}
