import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@deitjs/core';
import { EXPORT_FORMAT, type ExportableModel, type ExportableTeacher, ORT_PACKAGE, OrtModel, type OrtTeacher, exportOnnx, ortTeacherFor } from '@deitjs/onnx';
import type { FingerprintedTeacher } from '@deitjs/teachers';
import { type ModelChoice, loadModel } from './load-model.js';

/** Where a model runs: TensorFlow.js (the backend of @deitjs/core) or ONNX Runtime (@deitjs/onnx). */
export type Engine = 'tfjs' | 'onnx';

/** Every {@link Engine}, for flag parsing. */
export const ENGINES: readonly Engine[] = ['tfjs', 'onnx'];

/** Environment knobs of the ONNX engine (`process.env` in the apps). */
export interface OnnxEngineEnv {
  /** Folder of on-the-fly exports (default `<os.tmpdir()>/deitjs-onnx`). */
  DEIT_ONNX_CACHE?: string;
  /** The onnxruntime package to import (default `onnxruntime-node`). */
  DEIT_ORT_PACKAGE?: string;
  [key: string]: string | undefined;
}

/** Options of the ONNX engine's loaders. */
export interface OnnxEngineOptions {
  /** Environment knobs (cache folder, onnxruntime package). */
  env?: OnnxEngineEnv;
  /** Threads of ONNX Runtime's intra-op pool (default 0: one per physical core). */
  intraOpThreads?: number;
  /** Called with the file's path before a model is exported into the cache (exports of big models take seconds). */
  onExport?: (file: string) => void;
  /** Where weight-loading notices go. */
  warn?: (message: string) => void;
  /** {@link ortTeacherOf}: the student's image size, to export the teacher for that fixed size (faster on ONNX Runtime). */
  imgSize?: number;
}

/** The folder on-the-fly ONNX exports are cached in: `$DEIT_ONNX_CACHE`, else `deitjs-onnx` in the OS temp folder. */
export function onnxCacheDir(env: OnnxEngineEnv = {}): string {
  return env.DEIT_ONNX_CACHE !== undefined && env.DEIT_ONNX_CACHE !== '' ? env.DEIT_ONNX_CACHE : join(tmpdir(), 'deitjs-onnx');
}

/** The onnxruntime package to load: `$DEIT_ORT_PACKAGE` (e.g. `onnxruntime-web`), else `onnxruntime-node`. */
export function ortPackageName(env: OnnxEngineEnv = {}): string {
  return env.DEIT_ORT_PACKAGE !== undefined && env.DEIT_ORT_PACKAGE !== '' ? env.DEIT_ORT_PACKAGE : ORT_PACKAGE;
}

/** Whether a weights path is already an ONNX model: an `.onnx` file or a folder (an exported transformers.js folder). */
export function isOnnxWeights(path: string): boolean {
  return path.toLowerCase().endsWith('.onnx') || (existsSync(path) && statSync(path).isDirectory());
}

async function hashFile(file: string, salt: string): Promise<string> {
  const h = createHash('sha256').update(`${salt}\n`);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The `.onnx` file of a chosen model: `choice.weights` itself when it is already ONNX (a file or an exported folder),
 * else an export into the cache folder keyed by the SHA-256 of the weights file, the model name, its classes and
 * input size (exported once, reused afterwards; a different exporter version never reuses it). Exporting builds
 * the TF.js model, so the backend must be initialised.
 */
export async function onnxFileFor(choice: ModelChoice, options: OnnxEngineOptions = {}): Promise<string> {
  if (isOnnxWeights(choice.weights)) return choice.weights;
  if (!existsSync(choice.weights)) throw new ConfigError('--weights', `${choice.weights} does not exist`);
  const key = await hashFile(choice.weights, `${choice.name}|${choice.numClasses ?? 'checkpoint'}|${choice.imgSize}|${EXPORT_FORMAT}`);
  const dir = onnxCacheDir(options.env);
  const file = join(dir, `${choice.name}-${key.slice(0, 32)}-${EXPORT_FORMAT}.onnx`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  options.onExport?.(file);
  const loaded = loadModel(choice, options.warn ?? ((m) => console.warn(m)));
  try {
    exportOnnx(loaded.model as ExportableModel, file);
  } finally {
    loaded.model.dispose();
  }
  return file;
}

/** A model on ONNX Runtime as core's Classifier (eval mode only), with what a deitjs model also tells. */
export interface OrtEngineModel {
  /** The classifier (synchronous `apply`, `{cls, dist}` with `returnBoth`). */
  model: OrtModel;
  /** The `.onnx` file it runs. */
  file: string;
}

/** The chosen model on ONNX Runtime (see {@link onnxFileFor}); dispose `model` when done. */
export async function loadOrtModel(choice: ModelChoice, options: OnnxEngineOptions = {}): Promise<OrtEngineModel> {
  const file = await onnxFileFor(choice, options);
  const model = await OrtModel.create(file, { intraOpThreads: options.intraOpThreads, packageName: ortPackageName(options.env) });
  return { model, file };
}

/** A deitjs teacher with what an ONNX export of it needs (what `asTeacher` and `createTeacher` return). */
export type ExportableFingerprintedTeacher = FingerprintedTeacher & Partial<Pick<ExportableTeacher, 'model' | 'inputNormalization' | 'normalization'>>;

/**
 * The same frozen teacher on ONNX Runtime (`ortTeacherFor`): exported once per weights fingerprint into the cache
 * folder, then run in a worker thread. The TF.js teacher is left to the caller (dispose it once this resolves).
 */
export async function ortTeacherOf(teacher: ExportableFingerprintedTeacher, options: OnnxEngineOptions = {}): Promise<OrtTeacher> {
  const { model, inputNormalization, normalization } = teacher;
  if (model === undefined || inputNormalization === undefined || normalization === undefined) {
    throw new ConfigError('--teacher-engine', `teacher ${teacher.name} cannot be exported to ONNX (a DeiT, ResNet or RegNet can)`);
  }
  const exportable: ExportableTeacher = { name: teacher.name, model, inputNormalization, normalization, fingerprint: () => teacher.fingerprint() };
  return ortTeacherFor(exportable, {
    cacheDir: onnxCacheDir(options.env),
    intraOpThreads: options.intraOpThreads,
    packageName: ortPackageName(options.env),
    ...(options.onExport ? { onExport: options.onExport } : {}),
    ...(options.imgSize !== undefined ? { imgSize: options.imgSize } : {}),
  });
}

