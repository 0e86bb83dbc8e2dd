import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { DATA_SET_KINDS, type DataSetKind, DeitError, type Normalization, quote, writeFileAtomic } from '@deitjs/core';
import { type Json, isBool, isCount, isObject, isPositiveInt, isString, isTriple, oneOf } from './json-checks.js';
import { RUN_FILES } from './run-files.js';
import { type RunPreprocessing, parsePreprocessing, runPreprocessing } from './run-preprocessing.js';

/** The `format` of a run.json this version reads. */
export const RUN_FORMAT = 'deitjs-run/1';

/** How a run read its data (so that evaluation rebuilds the same test set). */
export interface RunDataInfo {
  /** `mnist` or the path given to `--data`. */
  data: string;
  /** The kind of data set. */
  dataSet: DataSetKind;
  /** Seed of the run (and of the MNIST split). */
  seed: number;
  /** MNIST training digits per class. */
  trainPerClass?: number;
  /** MNIST test digits per class. */
  testPerClass?: number;
  /** Zero padding around MNIST digits. */
  pad?: number;
}

/** A run directory's `run.json` as `readRunInfo` returns it: validated, plus the directory it was read from. */
export interface RunInfo {
  /** The run directory. */
  dir: string;
  /** A student (DeiT of `createModel`) or a CNN teacher (of `createConvNet`). */
  kind: 'student' | 'teacher';
  /** Registry name of the architecture. */
  model: string;
  /** Classes of the classifier. */
  numClasses: number;
  /** Input size in pixels. */
  imgSize: number;
  /** Input channels (timm's `in_chans`): 1 for grey data (MNIST), absent for 3 (and in run.json files before it). */
  inChans?: 1;
  /** Whether the model has a distillation head. */
  distilled: boolean;
  /** The data the run trained on. */
  data: RunDataInfo;
  /** The input normalisation the model was trained with. */
  normalization: Normalization;
  /** The full eval preprocessing (derived from `data`, `imgSize` and `normalization` for older run.json files). */
  preprocessing: RunPreprocessing;
  /** The run directory of the teacher this student was distilled from, as recorded. */
  teacherRun?: string;
  /** The registered teacher this student was distilled from, when named. */
  teacher?: string;
}

/** What `run.json` holds, as `writeRunInfo` writes it: the format tag and the run's fields (no directory). */
export type RunDescription = Omit<RunInfo, 'dir'> & { format: typeof RUN_FORMAT };

/** Writes a run directory's `run.json` atomically. */
export function writeRunInfo(dir: string, description: RunDescription): void {
  writeFileAtomic(join(dir, RUN_FILES.info), [`${JSON.stringify(description, null, 2)}\n`]);
}

function fail(file: string, message: string): never {
  throw new DeitError('E_RUN', `${file}: ${message}`);
}

function field<T>(file: string, obj: Json, key: string, what: string, ok: (v: unknown) => v is T, optional?: false): T;
function field<T>(file: string, obj: Json, key: string, what: string, ok: (v: unknown) => v is T, optional: true): T | undefined;
function field<T>(file: string, obj: Json, key: string, what: string, ok: (v: unknown) => v is T, optional = false): T | undefined {
  const v = obj[key];
  if (v === undefined && optional) return undefined;
  if (!ok(v)) fail(file, `"${key}" must be ${what}, got ${v === undefined ? 'nothing' : quote(v)}`);
  return v;
}


/**
 * Reads and validates `run.json` of a run directory (old run directories of the same format read unchanged). A missing directory or file, bad JSON or a bad field
 * throws a DeitError (code `E_RUN`) naming the directory or file and the field.
 */
export function readRunInfo(dir: string): RunInfo {
  if (!existsSync(dir)) fail(dir, 'no such run directory');
  if (!statSync(dir).isDirectory()) fail(dir, 'is not a directory (give the run directory deit-train wrote)');
  const file = join(dir, RUN_FILES.info);
  if (!existsSync(file)) fail(file, 'missing: not a deit-train run directory');
  // A FIFO would block the read forever; a directory or device is no run.json either.
  if (!statSync(file).isFile()) fail(file, 'is not a regular file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(file, `is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(parsed)) fail(file, 'must hold a JSON object');
  const format = parsed.format;
  if (format !== RUN_FORMAT) fail(file, `"format" must be "${RUN_FORMAT}", got ${quote(format)}`);
  const data = field(file, parsed, 'data', 'an object', isObject);
  const norm = field(file, parsed, 'normalization', 'an object {mean, std}', isObject);
  const dataFile = `${file} data`;
  const runData: RunDataInfo = {
    data: field(dataFile, data, 'data', '"mnist" or a path', isString),
    dataSet: field(dataFile, data, 'dataSet', DATA_SET_KINDS.join(' | '), oneOf(DATA_SET_KINDS)),
    seed: field(dataFile, data, 'seed', 'a non-negative integer', isCount),
  };
  for (const key of ['trainPerClass', 'testPerClass', 'pad'] as const) {
    const v = field(dataFile, data, key, 'a non-negative integer', isCount, true);
    if (v !== undefined) runData[key] = v;
  }
  const imgSize = field(file, parsed, 'imgSize', 'a positive integer', isPositiveInt);
  const inChans = field(file, parsed, 'inChans', '1 or 3', (v): v is 1 | 3 => v === 1 || v === 3, true);
  const normalization: Normalization = {
    mean: field(`${file} normalization`, norm, 'mean', 'three numbers', isTriple(false)),
    std: field(`${file} normalization`, norm, 'std', 'three positive numbers', isTriple(true)),
  };
  const info: RunInfo = {
    dir,
    kind: field(file, parsed, 'kind', '"student" or "teacher"', oneOf(['student', 'teacher'] as const)),
    model: field(file, parsed, 'model', 'a model name', isString),
    numClasses: field(file, parsed, 'numClasses', 'a positive integer', isPositiveInt),
    imgSize,
    distilled: field(file, parsed, 'distilled', 'true or false', isBool),
    data: runData,
    normalization,
    // Runs written before run.json recorded its preprocessing: the one their data implies (what deit-eval applied).
    preprocessing:
      parsed.preprocessing === undefined
        ? runPreprocessing(runData, imgSize, normalization, undefined, inChans)
        : parsePreprocessing(file, parsed.preprocessing, normalization),
  };
  if (inChans === 1) info.inChans = 1;
  // The eval transform must give the model its channels.
  if ((info.preprocessing.transform.channels ?? 3) !== (inChans ?? 3)) {
    fail(file, `"preprocessing.transform.channels" (${info.preprocessing.transform.channels ?? 'absent: 3'}) must match "inChans" (${inChans ?? 'absent: 3'})`);
  }
  const teacherRun = field(file, parsed, 'teacherRun', 'a directory', isString, true);
  if (teacherRun !== undefined) info.teacherRun = teacherRun;
  const teacher = field(file, parsed, 'teacher', 'a teacher name', isString, true);
  if (teacher !== undefined) info.teacher = teacher;
  if (info.kind === 'teacher' && info.distilled) fail(file, '"distilled" must be false for a teacher run');
  return info;
}

/** The path of a file of the run directory; a DeitError naming it when it is absent. */
export function runFile(info: RunInfo, name: string): string {
  const file = join(info.dir, name);
  if (!existsSync(file)) fail(file, 'missing from the run directory');
  return file;
}

/** The teacher run directory a student's run.json records: as written, else relative to the student's run directory. */
export function teacherRunDir(info: RunInfo): string | undefined {
  const t = info.teacherRun;
  if (t === undefined) return undefined;
  if (isAbsolute(t) || existsSync(t)) return t;
  return resolve(info.dir, t);
}
