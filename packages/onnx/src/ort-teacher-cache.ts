import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Normalization } from '@deitjs/core';
import { type ExportableModel, exportOnnx } from './export.js';
import { OrtTeacher, type OrtTeacherOptions } from './ort-teacher.js';

/** Version of the exported graphs: part of every cached file name, so an exporter change never reuses old files. */
export const EXPORT_FORMAT = 'deitjs-onnx-1';

/** What {@link ortTeacherFor} needs of a deitjs teacher (a `ConvNetTeacher` of @deitjs/teachers has all of it). */
export interface ExportableTeacher {
  /** Name for logs. */
  readonly name: string;
  /** The network to export (a ResNet, RegNet or DeiT). */
  readonly model: ExportableModel;
  /** Normalisation of the images the teacher receives (the student's). */
  readonly inputNormalization: Normalization;
  /** Normalisation the network expects. */
  readonly normalization: Normalization;
  /** SHA-256 of the weights and the input mapping. */
  fingerprint(): string;
}

/** Options of {@link ortTeacherFor}. */
export interface OrtTeacherForOptions extends Pick<OrtTeacherOptions, 'intraOpThreads' | 'packageName'> {
  /** Folder of the exported `.onnx` files, one per teacher fingerprint (created if missing). */
  cacheDir: string;
  /** Called with the file's path when the teacher is exported (not when a cached export is reused). */
  onExport?: (file: string) => void;
  /**
   * Export a CNN teacher for this fixed input size (the student's; default any size). ONNX Runtime can then prove
   * that a block's residual branches have equal shapes and fuse its Add and ReLU into the last convolution (with
   * symbolic height and width it cannot, behind a RegNetY's squeeze-excitation); the teacher refuses other sizes.
   */
  imgSize?: number;
}

/** The cached export's path for a teacher fingerprint (and fixed input size, when the export has one). */
export function ortTeacherFile(cacheDir: string, fingerprint: string, imgSize?: number): string {
  return join(cacheDir, `teacher-${fingerprint.slice(0, 32)}${imgSize === undefined ? '' : `-${imgSize}px`}-${EXPORT_FORMAT}.onnx`);
}

/**
 * The same teacher on ONNX Runtime: its network exported once per fingerprint into `cacheDir` (atomically; an existing
 * export of the same weights is reused), run in a worker thread with the teacher's name and input mapping. Its
 * fingerprint derives from the source teacher's and the engine, so the teacher-output cache keeps the engines apart.
 */
export async function ortTeacherFor(teacher: ExportableTeacher, options: OrtTeacherForOptions): Promise<OrtTeacher> {
  const { imgSize } = options;
  if (imgSize !== undefined && !(Number.isInteger(imgSize) && imgSize > 0)) throw new ConfigError('imgSize', `must be a positive integer, got ${imgSize}`);
  const source = teacher.fingerprint();
  const file = ortTeacherFile(options.cacheDir, source, imgSize);
  if (!existsSync(file)) {
    mkdirSync(options.cacheDir, { recursive: true });
    exportOnnx(teacher.model, file, imgSize === undefined ? {} : { imgSize });
    options.onExport?.(file);
  }
  return OrtTeacher.create(file, {
    intraOpThreads: options.intraOpThreads,
    packageName: options.packageName,
    name: teacher.name,
    inputNormalization: teacher.inputNormalization,
    normalization: teacher.normalization,
    fingerprint: createHash('sha256').update(`${source}|${EXPORT_FORMAT}|onnxruntime`).digest('hex'),
  });
}
