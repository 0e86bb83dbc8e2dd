// Tiny models, data and losses for the trainer's tests (not exported from the package).
import {
  type ApplyOptions,
  type Batch,
  type BatchSource,
  type DistilledLogits,
  type Layout,
  type LossFn,
  type Teacher,
  Module,
  Rng,
  tf,
} from '@deitjs/core';
import type { Student } from './student.js';

/** A module holding arbitrary named parameters (for grouping and optimiser tests). */
export class ParamBag extends Module {
  constructor(entries: ReadonlyArray<[string, number[], Layout?]>, seed = 1) {
    super();
    const rng = new Rng(seed);
    for (const [name, shape, layout] of entries) {
      const n = shape.reduce((a, b) => a * b, 1);
      this.addParam(name, tf.tensor(rng.uniformArray(n, -1, 1), shape, 'float32'), layout ?? 'as-is');
    }
  }
}

/** Options of {@link TinyMlp}. */
export interface TinyMlpOptions {
  inputs: number;
  hidden: number;
  classes: number;
  distilled?: boolean;
  /** Dropout on the hidden layer while training, with masks from the passed rng (exercises RNG state on resume). */
  dropout?: number;
  seed?: number;
}

/** A 2-layer MLP classifier on flattened images, optionally with a second (`head_dist`) head like a distilled DeiT. */
export class TinyMlp extends Module implements Student {
  readonly numClasses: number;
  readonly distilled: boolean;
  private readonly fc1w: tf.Variable;
  private readonly fc1b: tf.Variable;
  private readonly headw: tf.Variable;
  private readonly headb: tf.Variable;
  private readonly distw: tf.Variable | undefined;
  private readonly distb: tf.Variable | undefined;
  private readonly dropout: number;

  constructor(o: TinyMlpOptions) {
    super();
    const rng = new Rng(o.seed ?? 1);
    this.numClasses = o.classes;
    this.distilled = o.distilled ?? false;
    this.dropout = o.dropout ?? 0;
    const lin = (inp: number, out: number): tf.Tensor => tf.tensor(rng.truncNormalArray(inp * out, 1 / Math.sqrt(inp)), [inp, out]);
    this.fc1w = this.addParam('fc1.weight', lin(o.inputs, o.hidden), 'linear');
    this.fc1b = this.addParam('fc1.bias', tf.zeros([o.hidden]));
    this.headw = this.addParam('head.weight', lin(o.hidden, o.classes), 'linear');
    this.headb = this.addParam('head.bias', tf.zeros([o.classes]));
    if (this.distilled) {
      this.distw = this.addParam('head_dist.weight', lin(o.hidden, o.classes), 'linear');
      this.distb = this.addParam('head_dist.bias', tf.zeros([o.classes]));
    }
  }

  apply(images: tf.Tensor4D, options: ApplyOptions): tf.Tensor2D | DistilledLogits {
    return tf.tidy(() => {
      const x = tf.reshape(images, [images.shape[0], -1]);
      let h = tf.relu(tf.add(tf.matMul(x, this.fc1w), this.fc1b));
      if (options.training && this.dropout > 0) {
        if (options.rng === undefined) throw new Error('dropout needs an rng');
        const keep = 1 - this.dropout;
        const mask = Float32Array.from({ length: h.size }, () => (options.rng!.bernoulli(keep) ? 1 / keep : 0));
        h = tf.mul(h, tf.tensor(mask, h.shape));
      }
      const cls = tf.add(tf.matMul(h, this.headw), this.headb) as tf.Tensor2D;
      if (!this.distilled) return cls;
      const dist = tf.add(tf.matMul(h, this.distw!), this.distb!) as tf.Tensor2D;
      if (options.training || options.returnBoth) return { cls, dist };
      return tf.div(tf.add(cls, dist), 2) as tf.Tensor2D;
    });
  }
}

/** Mean softmax cross-entropy with integer labels (a simple local loss for tests). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1])), 1))) as tf.Scalar);
}

/** A hard-distillation loss in deit's form: ½·CE(cls, y) + ½·CE(dist, argmax teacher); plain CE without a teacher. */
export const testLoss: LossFn = (outputs, targets, teacherLogits) =>
  tf.tidy(() => {
    const labels = targets as tf.Tensor1D;
    if (outputs instanceof tf.Tensor) return crossEntropy(outputs as tf.Tensor2D, labels);
    const both = outputs as DistilledLogits;
    const base = crossEntropy(both.cls, labels);
    if (teacherLogits === undefined) return base;
    const kd = crossEntropy(both.dist, tf.argMax(teacherLogits, 1) as tf.Tensor1D);
    return tf.add(tf.mul(base, 0.5), tf.mul(kd, 0.5)) as tf.Scalar;
  });

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

/** Every trainable variable's values (TF.js layout), by name. */
export function snapshot(m: Module): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of m.trainableVariables()) out.set(k, v.dataSync() as Float32Array);
  return out;
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

/** A teacher made of a (non-distilled) classifier: eval-mode logits, no gradients. */
export function teacherOf(model: TinyMlp, name = 'tiny-teacher'): Teacher {
  return {
    numClasses: model.numClasses,
    name,
    predict: (images) => tf.tidy(() => model.apply(images, { training: false }) as tf.Tensor2D),
  };
}

/**
 * The result shape of `@deitjs/losses` distillationLoss, declared as an interface like there: interfaces get no implicit
 * index signature, so this keeps `TrainerLoss` accepting that loss as it is (checked by tsc where the trainer tests use it).
 */
export interface LossParts {
  loss: tf.Scalar;
  base: tf.Scalar;
  distill?: tf.Scalar;
}

/** {@link testLoss} returning its parts like `@deitjs/losses` distillationLoss: `{loss, base, distill}`. */
export function testLossWithParts(
  outputs: tf.Tensor2D | DistilledLogits,
  targets: tf.Tensor1D | tf.Tensor2D,
  teacherLogits?: tf.Tensor2D,
): LossParts {
  return tf.tidy(() => {
    const both = outputs as DistilledLogits;
    const base = crossEntropy(both.cls, targets as tf.Tensor1D);
    const distill = crossEntropy(both.dist, tf.argMax(teacherLogits!, 1) as tf.Tensor1D);
    return { loss: tf.add(tf.mul(base, 0.5), tf.mul(distill, 0.5)) as tf.Scalar, base, distill };
  });
}
