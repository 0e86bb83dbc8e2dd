import { type Batch, type BatchSource, ConfigError, tf } from '@deitjs/core';
import { type BatchJob, type HostBatch, type OnError, runBatchJob } from './batch-job.js';
import { createDataset, type DatasetSpec } from './dataset-spec.js';
import type { Dataset } from './dataset.js';
import { type MixupOptions, mixupBatch } from './mixup.js';
import { derivedRng, RNG_STREAM } from './sample-rng.js';
import { randomSampler, type RepeatedAugOptions, repeatedAugSampler, type Sampler } from './sampler.js';
import { createTransform, type ImageTransform, type TransformSpec } from './transform-spec.js';
import { WorkerPool } from './worker-pool.js';
import { loaderWorkerScript } from './worker-script.js';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** The data set: a spec (required with worker threads) or a data set object (inline only). */
  dataset: DatasetSpec | Dataset;
  /** The per-sample transform: a spec (required with worker threads) or a function (inline only). */
  transform: TransformSpec | ImageTransform;
  /** Samples per batch. */
  batchSize: number;
  /** Seed of the order, the augmentations and the mixing (default 0). */
  seed?: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** DeiT's repeated augmentation (RASampler): true for its defaults, or its options. */
  repeatedAugment?: boolean | RepeatedAugOptions;
  /** Batch-level Mixup/CutMix; targets become label-smoothed soft targets. `numClasses` defaults to the data set's. */
  mixup?: Omit<MixupOptions, 'numClasses'> & { numClasses?: number };
  /** Worker threads for decoding and augmentation (default 0: inline, on the main thread). */
  numWorkers?: number;
  /** Batches loaded ahead of the consumer (default 2 per worker, 1 inline). */
  prefetch?: number;
  /** On an unreadable image: raise (default), or skip it and count it in a warning per epoch. */
  onError?: OnError;
  /** Receives warnings (default console.warn). */
  onWarning?: (message: string) => void;
}

function isDatasetSpec(d: DatasetSpec | Dataset): d is DatasetSpec {
  return typeof (d as DatasetSpec).kind === 'string' && typeof (d as Dataset).get !== 'function';
}

/**
 * The training/eval batch source: NHWC float32 image tensors with int32 labels (or float32 soft targets
 * with Mixup/CutMix), decoded and augmented inline or in worker threads with prefetch. For a given seed the
 * batches are the same whatever the number of workers: every sample's augmentation draws from a generator
 * derived from (seed, epoch, position in the epoch). The consumer disposes each batch's tensors.
 */
export class DataLoader implements BatchSource {
  /** The data set (opened on the main thread for its size and classes). */
  readonly dataset: Dataset;
  /** Samples skipped so far (with `onError: 'skip'`). */
  skipped = 0;
  private readonly options: DataLoaderOptions;
  private readonly sampler: Sampler;
  private readonly seed: number;
  private readonly numWorkers: number;
  private readonly transform: ImageTransform | undefined;
  private pool: Promise<WorkerPool> | undefined;

  constructor(options: DataLoaderOptions) {
    const { batchSize, numWorkers = 0, seed = 0 } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(numWorkers) || numWorkers < 0) throw new ConfigError('numWorkers', `must be a non-negative integer, got ${numWorkers}`);
    if (options.prefetch !== undefined && (!Number.isInteger(options.prefetch) || options.prefetch < 1)) {
      throw new ConfigError('prefetch', `must be a positive integer, got ${options.prefetch}`);
    }
    if (options.onError !== undefined && options.onError !== 'throw' && options.onError !== 'skip') {
      throw new ConfigError('onError', `must be "throw" or "skip", got "${options.onError}"`);
    }
    const specDataset = isDatasetSpec(options.dataset);
    const specTransform = typeof options.transform !== 'function';
    if (numWorkers > 0 && (!specDataset || !specTransform)) {
      throw new ConfigError('numWorkers', 'worker threads rebuild the data set and transform from specs; pass a DatasetSpec and a TransformSpec, or use numWorkers: 0');
    }
    this.options = options;
    this.seed = seed;
    this.numWorkers = numWorkers;
    this.dataset = specDataset ? createDataset(options.dataset as DatasetSpec) : (options.dataset as Dataset);
    // Built here even with workers, so that a bad transform option fails at construction.
    const transform = specTransform ? createTransform(options.transform as TransformSpec) : (options.transform as ImageTransform);
    this.transform = numWorkers === 0 ? transform : undefined;
    if (this.dataset.length === 0) throw new ConfigError('dataset', 'the data set is empty');
    const ra = options.repeatedAugment;
    this.sampler = ra ? repeatedAugSampler(this.dataset.length, seed, ra === true ? {} : { ...ra, shuffle: ra.shuffle ?? options.shuffle }) : randomSampler(this.dataset.length, seed, options.shuffle ?? true);
    if (options.mixup && !(options.dropLast ?? false) && (this.sampler.length % batchSize) % 2 !== 0) {
      throw new ConfigError('mixup', `the last batch would hold ${this.sampler.length % batchSize} samples; Mixup/CutMix needs even batches (set dropLast)`);
    }
    if (options.mixup && batchSize % 2 !== 0) throw new ConfigError('batchSize', `Mixup/CutMix needs an even batch size, got ${batchSize}`);
    if (this.batchesPerEpoch() === 0) {
      throw new ConfigError('batchSize', `no full batch of ${batchSize} in an epoch of ${this.sampler.length} samples with dropLast`);
    }
  }

  /** Batches per epoch. */
  batchesPerEpoch(): number {
    const n = this.sampler.length;
    const b = this.options.batchSize;
    return this.options.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** The dataset indices of epoch `epoch`, in loading order (after sampling). */
  epochIndices(epoch: number): Int32Array {
    return this.sampler.indices(epoch);
  }

  /** The batches of epoch `epoch`; deterministic for a given seed. */
  async *epoch(epoch: number): AsyncGenerator<Batch> {
    const indices = this.sampler.indices(epoch);
    const B = this.options.batchSize;
    const nb = this.batchesPerEpoch();
    const load = await this.loaderFn();
    const prefetch = this.options.prefetch ?? (this.numWorkers > 0 ? 2 * this.numWorkers : 1);
    const inflight: Promise<HostBatch>[] = [];
    let next = 0;
    const launch = (): void => {
      const start = next * B;
      const end = Math.min(start + B, indices.length);
      const job: BatchJob = { epoch, indices: indices.slice(start, end), slots: Int32Array.from({ length: end - start }, (_, k) => start + k) };
      const p = load(job);
      // Batches abandoned when the consumer stops early must not surface as unhandled rejections.
      p.catch(() => undefined);
      inflight.push(p);
      next++;
    };
    let skipped = 0;
    const examples: string[] = [];
    try {
      for (let b = 0; b < nb; b++) {
        while (next < nb && inflight.length < prefetch) launch();
        const host = await inflight.shift()!;
        if (host.skipped.length > 0) {
          skipped += host.skipped.length;
          this.skipped += host.skipped.length;
          for (const s of host.skipped) if (examples.length < 5) examples.push(s.message);
        }
        const batch = this.toBatch(host, epoch, b);
        if (batch) yield batch;
      }
    } finally {
      if (skipped > 0) {
        const warn = this.options.onWarning ?? ((m: string) => console.warn(m));
        warn(`@deitjs/data: skipped ${skipped} unreadable sample(s) in epoch ${epoch}, e.g. ${examples.join('; ')}`);
      }
    }
  }

  /** Stops the worker threads (the loader can not be used afterwards with workers). */
  async close(): Promise<void> {
    if (this.pool) {
      const pool = await this.pool.catch(() => undefined);
      await pool?.close();
    }
  }

  private async loaderFn(): Promise<(job: BatchJob) => Promise<HostBatch>> {
    const onError = this.options.onError ?? 'throw';
    if (this.numWorkers === 0) {
      const transform = this.transform!;
      return (job) => runBatchJob(this.dataset, transform, this.seed, job, onError);
    }
    this.pool ??= loaderWorkerScript().then(
      (script) =>
        new WorkerPool(script, this.numWorkers, {
          type: 'init',
          dataset: this.options.dataset as DatasetSpec,
          transform: this.options.transform as TransformSpec,
          seed: this.seed,
          onError,
        }),
    );
    const pool = await this.pool;
    return (job) => pool.run(job);
  }

  private toBatch(host: HostBatch, epoch: number, batchIndex: number): Batch | undefined {
    let n = host.labels.length;
    if (n === 0) return undefined;
    let { images, labels, indices } = host;
    const mix = this.options.mixup;
    if (mix && n % 2 !== 0) {
      // Only after skipped samples: mixing pairs sample i with B−1−i, so drop one to keep the batch even.
      n -= 1;
      if (n === 0) return undefined;
      images = images.subarray(0, n * host.height * host.width * host.channels);
      labels = labels.subarray(0, n);
      indices = indices.subarray(0, n);
    }
    const shape: [number, number, number, number] = [n, host.height, host.width, host.channels];
    if (mix) {
      const numClasses = mix.numClasses ?? this.dataset.classes.length;
      const rng = derivedRng(this.seed, RNG_STREAM.batch, epoch, batchIndex);
      const { targets } = mixupBatch(images, labels, { height: host.height, width: host.width, channels: host.channels }, { ...mix, numClasses }, rng);
      return { images: tf.tensor4d(images, shape, 'float32'), targets: tf.tensor2d(targets, [n, numClasses], 'float32'), indices: Int32Array.from(indices) };
    }
    return { images: tf.tensor4d(images, shape, 'float32'), targets: tf.tensor1d(labels, 'int32'), indices: Int32Array.from(indices) };
  }
}
