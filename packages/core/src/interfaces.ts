import type { Rng } from './rng.js';
import type { tf } from './tf.js';

/** Options of a forward pass: training mode is always explicit. */
export interface ApplyOptions {
  /** Training mode: drop path active, distilled models return both heads. */
  training: boolean;
  /** Seeded generator for stochastic layers (drop path); required when training with drop path > 0. */
  rng?: Rng;
  /** Distilled models in eval mode: return `{cls, dist}` instead of their mean. */
  returnBoth?: boolean;
}

/** Logits of the two heads of a distilled model, each `[batch, classes]`. */
export interface DistilledLogits {
  /** Class-token head (`head`). */
  cls: tf.Tensor2D;
  /** Distillation-token head (`head_dist`). */
  dist: tf.Tensor2D;
}

/** Anything with named trainable variables: what an optimiser needs of a model. */
export interface Trainable {
  /** Trainable variables by PyTorch name. */
  trainableVariables(): Map<string, tf.Variable>;
}

/**
 * An image classifier: NHWC float32 images `[batch, H, W, 3]`, normalised with its own `normalization`,
 * → logits `[batch, classes]`, or both heads of a distilled model while training.
 */
export interface Classifier extends Trainable {
  /** Number of output classes. */
  readonly numClasses: number;
  /** Whether `apply` returns {@link DistilledLogits} while training. */
  readonly distilled: boolean;
  /** The forward pass. */
  apply(images: tf.Tensor4D, options: ApplyOptions): tf.Tensor2D | DistilledLogits;
}

/** Per-channel input normalisation `(x − mean) / std` on [0, 1] pixels. */
export interface Normalization {
  /** Channel means. */
  mean: [number, number, number];
  /** Channel standard deviations. */
  std: [number, number, number];
}

/** The ImageNet mean and std that DeiT and its timm teachers use. */
export const IMAGENET_NORMALIZATION: Normalization = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** The kinds of data set a run trains on and `resolveDataset` of @deitjs/data reads (`--data-set`, `dataSet` of run.json). */
export const DATA_SET_KINDS = ['mnist', 'imagefolder', 'cifar10', 'cifar100'] as const;

/** One of {@link DATA_SET_KINDS}. */
export type DataSetKind = (typeof DATA_SET_KINDS)[number];

/**
 * A teacher for distillation. `predict` takes the student's batch (NHWC, normalised with the student's
 * normalisation), runs in eval mode without recording gradients, and returns logits `[batch, classes]`.
 * A teacher whose own normalisation differs converts the batch itself; the caller owns the result.
 */
export interface Teacher {
  /** Number of output classes (must equal the student's). */
  readonly numClasses: number;
  /** A short name for logs and reports. */
  readonly name: string;
  /** Teacher logits for a batch; never records gradients. */
  predict(images: tf.Tensor4D): tf.Tensor2D;
}

/** One training or evaluation batch. */
export interface Batch {
  /** NHWC float32 images, normalised. */
  images: tf.Tensor4D;
  /** Integer labels `[batch]` (int32), or soft targets `[batch, classes]` (float32, e.g. from Mixup). */
  targets: tf.Tensor1D | tf.Tensor2D;
  /** Dataset indices of the samples (for the teacher-output cache). */
  indices?: Int32Array;
}

/** A source of batches, one pass per epoch; the consumer disposes each batch's tensors. */
export interface BatchSource {
  /** Number of batches one epoch yields. */
  batchesPerEpoch(): number;
  /** Batches of epoch `epoch` (deterministic for a given seed and epoch). */
  epoch(epoch: number): AsyncIterable<Batch>;
}

/**
 * A training loss: the one contract between a loss (e.g. `@deitjs/losses` `distillationLoss`) and the trainer.
 * Inputs: the model's outputs in training mode (one logits tensor `[batch, classes]`, or both heads `{cls, dist}` of a
 * distilled model), the targets (int32 labels `[batch]` or per-class targets `[batch, classes]`) and, when there is a
 * teacher, its logits `[batch, classes]` (constants: no gradient flows into them). Result: the total loss as a scalar,
 * or a record with the total as `loss` and other named scalars to log (e.g. `{loss, base, distill}`); only `loss` is
 * differentiated. It should be a mean over the batch (data-parallel training averages shares by size). `R` narrows
 * the result, e.g. `LossFn<tf.Scalar>` for a loss that returns the total only.
 */
export type LossFn<R extends tf.Scalar | { loss: tf.Scalar } = tf.Scalar | { loss: tf.Scalar }> = (
  outputs: tf.Tensor2D | DistilledLogits,
  targets: tf.Tensor1D | tf.Tensor2D,
  teacherLogits?: tf.Tensor2D,
) => R;
