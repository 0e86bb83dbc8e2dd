// Batch sources for the trainer's tests.
import { type Batch, type BatchSource, Rng, tf } from '@deitjs/core';

/** Options of {@link SyntheticSource}. */
export interface SyntheticOptions {
  classes: number;
  batches: number;
  batchSize: number;
  size?: number;
  noise?: number;
  seed?: number;
  /** Draws another sample set from the same class prototypes (e.g. 1 for an eval split). */
  split?: number;
}

/**
 * Gaussian class clusters as tiny NHWC images: class c's images are a fixed random prototype plus noise.
 * Deterministic per (seed, epoch); yields dataset indices (epoch-independent: sample b·batchSize+i).
 */
export class SyntheticSource implements BatchSource {
  readonly prototypes: Float32Array[];
  readonly pixels: number;
  constructor(readonly o: SyntheticOptions) {
    const size = o.size ?? 4;
    this.pixels = size * size * 3;
    const rng = new Rng(o.seed ?? 7);
    this.prototypes = Array.from({ length: o.classes }, () => rng.uniformArray(this.pixels, -1, 1));
  }

  batchesPerEpoch(): number {
    return this.o.batches;
  }

  /** The host data of one batch: images and labels. */
  batchData(epoch: number, b: number): { images: Float32Array; labels: Int32Array } {
    const rng = new Rng((this.o.seed ?? 7) * 100_003 + (this.o.split ?? 0) * 7_919_993 + epoch * 1009 + b);
    const n = this.o.batchSize;
    const images = new Float32Array(n * this.pixels);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = rng.int(0, this.o.classes);
      labels[i] = c;
      const proto = this.prototypes[c]!;
      for (let j = 0; j < this.pixels; j++) images[i * this.pixels + j] = proto[j]! + (this.o.noise ?? 0.5) * rng.normal();
    }
    return { images, labels };
  }

  async *epoch(epoch: number): AsyncIterable<Batch> {
    const size = this.o.size ?? 4;
    for (let b = 0; b < this.o.batches; b++) {
      const { images, labels } = this.batchData(epoch, b);
      const n = this.o.batchSize;
      yield {
        images: tf.tensor4d(images, [n, size, size, 3]),
        targets: tf.tensor1d(labels, 'int32'),
        indices: Int32Array.from({ length: n }, (_, i) => b * n + i),
      };
    }
  }
}

/** A fixed data set served in order in batches of `batchSize` (the same samples whatever the batch size). */
export class ArraySource implements BatchSource {
  constructor(
    readonly images: Float32Array,
    readonly labels: Int32Array,
    readonly shape: [number, number, number],
    readonly batchSize: number,
  ) {}

  batchesPerEpoch(): number {
    return Math.ceil(this.labels.length / this.batchSize);
  }

  async *epoch(_epoch: number): AsyncIterable<Batch> {
    const per = this.shape[0] * this.shape[1] * this.shape[2];
    for (let s = 0; s < this.labels.length; s += this.batchSize) {
      const n = Math.min(this.batchSize, this.labels.length - s);
      yield {
        images: tf.tensor4d(this.images.slice(s * per, (s + n) * per), [n, ...this.shape]),
        targets: tf.tensor1d(this.labels.slice(s, s + n), 'int32'),
        indices: Int32Array.from({ length: n }, (_, i) => s + i),
      };
    }
  }
}

