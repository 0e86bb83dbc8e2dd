import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  CheckpointError,
  ConfigError,
  type HostTensor,
  ShapeError,
  type StateDict,
  type Teacher,
  readSafetensors,
  readSafetensorsHeader,
  tf,
  writeSafetensors,
} from '@deitjs/core';

/** The cache file format written in the safetensors metadata; a file of another format is rebuilt. */
export const TEACHER_CACHE_FORMAT = 'deitjs-teacher-cache/1';

/**
 * A fixed view of a dataset: the same image for a sample every time it is asked for (eval transform, no
 * augmentation). This is what makes per-sample teacher outputs cacheable.
 */
export interface FixedViewDataset {
  /** Caller-chosen identity of the data *and* the view, e.g. `mnist-train-n1000/pad32-imagenet-norm`. */
  id: string;
  /** Number of samples. */
  length: number;
  /** NHWC images of the samples `indices`, in that order, normalised as the teacher's `predict` expects. */
  images(indices: Int32Array): tf.Tensor4D | Promise<tf.Tensor4D>;
}

/** Options of {@link buildTeacherCache} and {@link loadOrBuildTeacherCache}. */
export interface TeacherCacheOptions {
  /** Logits kept per sample, largest first (default 5; 1 keeps the argmax and its logit). */
  topK?: number;
  /** Samples per teacher forward pass (default 64). */
  batchSize?: number;
  /** Samples whose pixels enter the dataset fingerprint (default 16, evenly spaced, first and last included). */
  hashSamples?: number;
  /** The teacher's weights hash; default `teacher.fingerprint()` (see FingerprintedTeacher). */
  teacherFingerprint?: string;
}

/** What {@link loadOrBuildTeacherCache} did. */
export interface TeacherCacheResult {
  cache: TeacherOutputCache;
  /** Whether the file was valid and reused (no teacher forward pass ran). */
  reused: boolean;
  /** Why the file was (re)built: `no cache file`, `teacher changed`, `dataset changed`, ... */
  reason?: string;
}

/** Evenly spaced sample indices, first and last included. */
function hashSampleIndices(length: number, count: number): Int32Array {
  const k = Math.min(length, Math.max(1, count));
  if (k === 1) return Int32Array.from([0]);
  return Int32Array.from({ length: k }, (_, i) => Math.round((i * (length - 1)) / (k - 1)));
}

/**
 * SHA-256 of a dataset's identity: its id, its length and the pixels of a sample of its images (a cheap
 * content check that catches a different or re-ordered file under the same id; a change confined to
 * un-sampled images goes unnoticed — change the id for those).
 */
export async function datasetFingerprint(dataset: FixedViewDataset, hashSamples = 16): Promise<string> {
  if (!Number.isInteger(dataset.length) || dataset.length < 1) throw new ConfigError('dataset.length', `must be a positive integer, got ${dataset.length}`);
  const h = createHash('sha256');
  h.update(`${dataset.id}\n${dataset.length}\n`);
  const idx = hashSampleIndices(dataset.length, hashSamples);
  const images = await dataset.images(idx);
  try {
    h.update(`${images.shape.join(',')}\n`);
    const data = await images.data();
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } finally {
    images.dispose();
  }
  return h.digest('hex');
}

function teacherFingerprintOf(teacher: Teacher, options: TeacherCacheOptions): string {
  if (options.teacherFingerprint !== undefined) return options.teacherFingerprint;
  const fp = (teacher as Partial<{ fingerprint(): string }>).fingerprint;
  if (typeof fp !== 'function') {
    throw new ConfigError('teacherFingerprint', `teacher ${teacher.name} cannot hash its weights; pass options.teacherFingerprint`);
  }
  return fp.call(teacher);
}

function checkTopK(topK: number, numClasses: number): void {
  if (!Number.isInteger(topK) || topK < 1 || topK > numClasses) throw new ConfigError('topK', `must be an integer in 1..${numClasses}, got ${topK}`);
}

/**
 * Teacher outputs of every sample of a fixed dataset view: the top-k logits and their classes. Built once
 * (one teacher pass over the data), stored as safetensors with both fingerprints in the metadata, and reused
 * across epochs and runs while neither the dataset nor the teacher changes.
 */
export class TeacherOutputCache {
  /** Number of samples. */
  readonly numSamples: number;
  /** Teacher classes. */
  readonly numClasses: number;
  /** Logits kept per sample. */
  readonly topK: number;
  /** Fingerprint of the dataset view the outputs belong to. */
  readonly datasetFingerprint: string;
  /** Fingerprint of the teacher that produced them. */
  readonly teacherFingerprint: string;
  /** Classes `[numSamples · topK]`, row-major, largest logit first. */
  readonly classes: Int32Array;
  /** Logits `[numSamples · topK]` matching {@link classes}. */
  readonly values: Float32Array;

  constructor(init: {
    numClasses: number;
    topK: number;
    datasetFingerprint: string;
    teacherFingerprint: string;
    classes: Int32Array;
    values: Float32Array;
  }) {
    checkTopK(init.topK, init.numClasses);
    if (init.classes.length !== init.values.length || init.classes.length % init.topK !== 0) {
      throw new ConfigError('cache', `classes (${init.classes.length}) and values (${init.values.length}) must both hold numSamples × ${init.topK}`);
    }
    this.numClasses = init.numClasses;
    this.topK = init.topK;
    this.numSamples = init.classes.length / init.topK;
    this.datasetFingerprint = init.datasetFingerprint;
    this.teacherFingerprint = init.teacherFingerprint;
    this.classes = init.classes;
    this.values = init.values;
  }

  private checkIndices(indices: Int32Array): void {
    for (const i of indices) {
      if (!(i >= 0 && i < this.numSamples)) throw new ShapeError('indices', `sample ${i} is outside 0..${this.numSamples - 1}`);
    }
  }

  /** The teacher's predicted class of each sample (hard distillation targets), int32 `[batch]`. */
  argmax(indices: Int32Array): tf.Tensor1D {
    this.checkIndices(indices);
    return tf.tensor1d(
      Int32Array.from(indices, (i) => this.classes[i * this.topK]!),
      'int32',
    );
  }

  /**
   * Teacher logits `[batch, numClasses]` rebuilt from the top k: the kept classes get their logits, every other
   * class `fill` (default −1e4, so softmax gives it ≈ 0 probability at any sensible temperature while staying
   * finite for log-softmax). With k = numClasses this is the teacher's exact output.
   */
  logits(indices: Int32Array, fill = -1e4): tf.Tensor2D {
    this.checkIndices(indices);
    const out = new Float32Array(indices.length * this.numClasses).fill(fill);
    indices.forEach((s, row) => {
      for (let j = 0; j < this.topK; j++) out[row * this.numClasses + this.classes[s * this.topK + j]!] = this.values[s * this.topK + j]!;
    });
    return tf.tensor2d(out, [indices.length, this.numClasses]);
  }

  /** Writes the cache atomically as safetensors (`classes` I32, `values` F32, fingerprints in the metadata). */
  save(file: string): void {
    const sd: StateDict = new Map<string, HostTensor>([
      ['classes', { dtype: 'I32', shape: [this.numSamples, this.topK], data: this.classes }],
      ['values', { dtype: 'F32', shape: [this.numSamples, this.topK], data: this.values }],
    ]);
    writeSafetensors(file, sd, {
      format: TEACHER_CACHE_FORMAT,
      dataset_fingerprint: this.datasetFingerprint,
      teacher_fingerprint: this.teacherFingerprint,
      num_classes: String(this.numClasses),
      top_k: String(this.topK),
    });
  }

  /** Reads a cache file written by {@link save}; a file of another format or shape is a CheckpointError. */
  static load(file: string): TeacherOutputCache {
    const meta = readSafetensorsHeader(file).metadata;
    if (meta.format !== TEACHER_CACHE_FORMAT) throw new CheckpointError(file, `not a teacher cache (format ${JSON.stringify(meta.format)}, want ${TEACHER_CACHE_FORMAT})`);
    const sd = readSafetensors(file);
    const classes = sd.get('classes');
    const values = sd.get('values');
    if (classes?.dtype !== 'I32' || !(classes.data instanceof Int32Array)) throw new CheckpointError(file, 'missing or not I32', 'classes');
    if (values?.dtype !== 'F32' || !(values.data instanceof Float32Array)) throw new CheckpointError(file, 'missing or not F32', 'values');
    const numClasses = Number(meta.num_classes);
    const topK = Number(meta.top_k);
    if (classes.shape[1] !== topK || values.shape[1] !== topK) throw new CheckpointError(file, `tensors are not [samples, ${topK}]`, 'classes');
    try {
      return new TeacherOutputCache({
        numClasses,
        topK,
        datasetFingerprint: meta.dataset_fingerprint ?? '',
        teacherFingerprint: meta.teacher_fingerprint ?? '',
        classes: classes.data,
        values: values.data,
      });
    } catch (err) {
      throw new CheckpointError(file, err instanceof Error ? err.message : String(err));
    }
  }
}

/** Runs the teacher once over the whole fixed view and keeps its top-k logits per sample. */
export async function buildTeacherCache(teacher: Teacher, dataset: FixedViewDataset, options: TeacherCacheOptions = {}): Promise<TeacherOutputCache> {
  const topK = options.topK ?? Math.min(5, teacher.numClasses);
  checkTopK(topK, teacher.numClasses);
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
  const teacherFingerprint = teacherFingerprintOf(teacher, options);
  const dsFingerprint = await datasetFingerprint(dataset, options.hashSamples);
  const n = dataset.length;
  const classes = new Int32Array(n * topK);
  const values = new Float32Array(n * topK);
  for (let start = 0; start < n; start += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const images = await dataset.images(idx);
    const { v, c } = tf.tidy(() => {
      const logits = teacher.predict(images);
      if (logits.shape[0] !== idx.length || logits.shape[1] !== teacher.numClasses) {
        throw new ShapeError('teacher output', `expected [${idx.length}, ${teacher.numClasses}], got [${logits.shape.join(',')}]`);
      }
      const top = tf.topk(logits, topK, true);
      return { v: top.values, c: top.indices };
    });
    images.dispose();
    values.set(await v.data(), start * topK);
    classes.set((await c.data()) as Int32Array, start * topK);
    tf.dispose([v, c]);
  }
  return new TeacherOutputCache({ numClasses: teacher.numClasses, topK, datasetFingerprint: dsFingerprint, teacherFingerprint, classes, values });
}

/**
 * The cache at `file` if it belongs to this dataset view and this teacher (same fingerprints, top-k and
 * classes); otherwise one teacher pass builds it and it is written atomically to `file`.
 */
export async function loadOrBuildTeacherCache(
  file: string,
  teacher: Teacher,
  dataset: FixedViewDataset,
  options: TeacherCacheOptions = {},
): Promise<TeacherCacheResult> {
  const topK = options.topK ?? Math.min(5, teacher.numClasses);
  let reason = 'no cache file';
  if (existsSync(file)) {
    try {
      const meta = readSafetensorsHeader(file).metadata;
      const teacherFp = teacherFingerprintOf(teacher, options);
      if (meta.format !== TEACHER_CACHE_FORMAT) reason = `unknown format ${JSON.stringify(meta.format)}`;
      else if (meta.teacher_fingerprint !== teacherFp) reason = 'teacher changed';
      else if (meta.dataset_fingerprint !== (await datasetFingerprint(dataset, options.hashSamples))) reason = 'dataset changed';
      else if (Number(meta.top_k) !== topK || Number(meta.num_classes) !== teacher.numClasses) reason = 'top-k or class count changed';
      else return { cache: TeacherOutputCache.load(file), reused: true };
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      reason = `unreadable cache file (${err.message})`;
    }
  }
  const cache = await buildTeacherCache(teacher, dataset, { ...options, topK });
  cache.save(file);
  return { cache, reused: false, reason };
}
