// Test fixtures of @deitjs/recipes' own tests (not exported from the package).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FORMAT, type RunDescription, runPreprocessing, writeRunInfo } from '@deitjs/run';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/** run.json of a distilled DeiT student on the default MNIST split; tests override what they need. */
export const STUDENT_RUN: RunDescription = {
  format: RUN_FORMAT,
  kind: 'student',
  model: 'deit_mini_distilled_patch8_32',
  numClasses: 10,
  imgSize: 32,
  distilled: true,
  data: { data: 'mnist', dataSet: 'mnist', seed: 0 },
  normalization: { mean: [...IMAGENET.mean], std: [...IMAGENET.std] },
  preprocessing: runPreprocessing({ data: 'mnist', dataSet: 'mnist', seed: 0 }, 32, { mean: [...IMAGENET.mean], std: [...IMAGENET.std] }),
};

/** Creates `root/name` holding only a run.json of `STUDENT_RUN` with `overrides`; returns the directory. */
export function writeRunDir(root: string, name: string, overrides: Partial<RunDescription> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeRunInfo(dir, { ...STUDENT_RUN, ...overrides });
  return dir;
}
