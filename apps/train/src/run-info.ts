import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Normalization, writeFileAtomic } from '@deitjs/core';
import type { DataInfo } from './data-setup.js';

/** `run.json`: what a run directory holds, so that deit-eval and later runs can rebuild its model and data. */
export interface RunInfo {
  /** Always `deitjs-run/1`. */
  format: 'deitjs-run/1';
  /** A DeiT student, or a convnet trained as a teacher. */
  kind: 'student' | 'teacher';
  /** Registry name (`createModel` for students, `createConvNet` for teachers). */
  model: string;
  /** Output classes. */
  numClasses: number;
  /** Input size in pixels. */
  imgSize: number;
  /** Whether the model has a distillation head. */
  distilled: boolean;
  /** The data the run trained on. */
  data: DataInfo;
  /** Input normalisation. */
  normalization: Normalization;
  /** The teacher's run directory, when distilled from one. */
  teacherRun?: string;
  /** The teacher's name, when distilled from a named teacher. */
  teacher?: string;
}

/** Name of the file inside a run directory. */
export const RUN_INFO_FILE = 'run.json';

/** Writes `run.json` atomically. */
export function writeRunInfo(dir: string, info: RunInfo): void {
  writeFileAtomic(join(dir, RUN_INFO_FILE), [`${JSON.stringify(info, null, 2)}\n`]);
}

/** Reads and checks a run directory's `run.json`; errors name the directory or file. */
export function readRunInfo(dir: string, option = '--teacher-run'): RunInfo {
  const file = join(dir, RUN_INFO_FILE);
  if (!existsSync(dir)) throw new ConfigError(option, `${dir} does not exist`);
  if (!existsSync(file)) throw new ConfigError(option, `${dir} is not a deit-train run directory (no ${RUN_INFO_FILE})`);
  let info: unknown;
  try {
    info = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(option, `${file} is not valid JSON: ${(err as Error).message}`);
  }
  const r = info as Partial<RunInfo>;
  if (r.format !== 'deitjs-run/1' || typeof r.model !== 'string' || typeof r.numClasses !== 'number' || typeof r.imgSize !== 'number') {
    throw new ConfigError(option, `${file} is not a deitjs run description (format deitjs-run/1 with model, numClasses, imgSize)`);
  }
  return r as RunInfo;
}
