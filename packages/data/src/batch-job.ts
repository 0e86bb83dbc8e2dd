import { ConfigError, DeitError, ShapeError } from '@deitjs/core';
import { DatasetError } from './dataset-error.js';
import type { Dataset } from './dataset.js';
import type { Sample } from './image.js';
import { derivedRng, RNG_STREAM } from './sample-rng.js';
import type { ImageTransform } from './transform-spec.js';

/** One batch to load: dataset indices and their slots (positions in the epoch's sample order). */
export interface BatchJob {
  /** Epoch number. */
  epoch: number;
  /** Dataset indices. */
  indices: Int32Array;
  /** Position of each sample in the epoch; with the seed and epoch it fixes the sample's augmentation. */
  slots: Int32Array;
}

/** A loaded batch on the host. */
export interface HostBatch {
  /** NHWC float32 images of the kept samples. */
  images: Float32Array;
  /** Their labels. */
  labels: Int32Array;
  /** Their dataset indices. */
  indices: Int32Array;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Channels of each image (3, or 1 for a one-channel transform). */
  channels: number;
  /** Samples skipped because they could not be read (`onError: 'skip'`). */
  skipped: { source: string; message: string }[];
}

/** Error handling of the loader: raise on an unreadable sample, or skip it and count it. */
export type OnError = 'throw' | 'skip';

// Decodes run ahead of the transforms by this many samples: sharp decodes on the libuv pool while the
// JS transform of an earlier sample runs, without holding a whole batch of decoded images.
const DECODE_AHEAD = 4;

/** Loads and transforms one batch (the same code runs inline and in worker threads). */
export async function runBatchJob(dataset: Dataset, transform: ImageTransform, seed: number, job: BatchJob, onError: OnError): Promise<HostBatch> {
  const n = job.indices.length;
  const pending: Promise<Sample | DatasetError>[] = [];
  const start = (k: number): void => {
    const idx = job.indices[k]!;
    const p = dataset.get(idx).catch((err: unknown) => {
      if (onError === 'skip' && err instanceof DatasetError) return err;
      throw err;
    });
    // A decode started ahead may fail before the loop awaits it; mark it handled so that it is not an
    // unhandled rejection (which would kill a worker thread). The loop still sees the failure.
    p.catch(() => undefined);
    pending[k] = p;
  };
  for (let k = 0; k < Math.min(n, DECODE_AHEAD); k++) start(k);
  let images: Float32Array | undefined;
  let height = 0;
  let width = 0;
  let channels = 3;
  const labels: number[] = [];
  const kept: number[] = [];
  const skipped: HostBatch['skipped'] = [];
  try {
    for (let k = 0; k < n; k++) {
      if (k + DECODE_AHEAD < n) start(k + DECODE_AHEAD);
      const sample = await pending[k]!;
      pending[k] = Promise.resolve(sample);
      if (sample instanceof DatasetError) {
        skipped.push({ source: sample.path, message: sample.message });
        continue;
      }
      const out = transform(sample.image, derivedRng(seed, RNG_STREAM.sample, job.epoch, job.slots[k]!));
      if (images === undefined) {
        height = out.height;
        width = out.width;
        channels = out.data.length / (height * width);
        images = new Float32Array(n * height * width * channels);
      } else if (out.height !== height || out.width !== width || out.data.length !== height * width * channels) {
        throw new ShapeError(
          'transform',
          `${dataset.source(job.indices[k]!)} became ${out.width}×${out.height}×${out.data.length / (out.width * out.height)} but the batch is ${width}×${height}×${channels}; use a transform with a fixed output size`,
        );
      }
      images.set(out.data, kept.length * height * width * channels);
      labels.push(sample.label);
      kept.push(job.indices[k]!);
    }
  } finally {
    // Leave no rejected decode unobserved when the batch fails early.
    await Promise.allSettled(pending);
  }
  const size = kept.length * height * width * channels;
  return {
    images: images === undefined ? new Float32Array(0) : images.length === size ? images : images.slice(0, size),
    labels: Int32Array.from(labels),
    indices: Int32Array.from(kept),
    height,
    width,
    channels,
    skipped,
  };
}

/** A structured-clone-safe description of an error thrown while loading. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  path?: string;
  option?: string;
  argument?: string;
  stack?: string;
}

/** Flattens an error for `postMessage`, keeping what is needed to rebuild its typed class. */
export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & Partial<Record<'code' | 'path' | 'option' | 'argument', string>>;
  return { name: e.name, message: e.message, code: e.code, path: e.path, option: e.option, argument: e.argument, stack: e.stack };
}

/** Rebuilds a typed deitjs error (DatasetError, ConfigError, ShapeError) from {@link serializeError}. */
export function deserializeError(s: SerializedError): Error {
  const rest = (prefix: string | undefined): string => (prefix !== undefined && s.message.startsWith(`${prefix}: `) ? s.message.slice(prefix.length + 2) : s.message);
  let err: Error;
  if (s.name === 'DatasetError' && s.path !== undefined) err = new DatasetError(s.path, rest(s.path));
  else if (s.name === 'ConfigError' && s.option !== undefined) err = new ConfigError(s.option, rest(s.option));
  else if (s.name === 'ShapeError' && s.argument !== undefined) err = new ShapeError(s.argument, rest(s.argument));
  else if (s.code !== undefined && s.name.endsWith('Error') && s.code.startsWith('E_')) err = new DeitError(s.code, s.message);
  else {
    err = new Error(s.message);
    err.name = s.name;
  }
  if (s.stack) err.stack = `${err.stack}\n    --- in the loader worker ---\n${s.stack}`;
  return err;
}
