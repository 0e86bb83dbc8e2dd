import {
  type Classifier,
  ConfigError,
  IMAGENET_NORMALIZATION,
  type Module,
  type Normalization,
  ShapeError,
  type Teacher,
  tf,
} from '@deitjs/core';
import type { ConvNet } from './convnet.js';
import { hashNamedTensors } from './fingerprint.js';
import { withoutGradient } from './no-gradient.js';
import { type CreateConvNetOptions, createConvNet, teacherArchitecture } from './registry.js';

/**
 * How a teacher's inputs relate to the student's. `predict` receives the student's batch, normalised with
 * `inputNormalization` (default ImageNet mean/std, as DeiT); when the teacher was trained with another
 * `normalization`, the batch is mapped per channel x' = (x·σ_in + μ_in − μ_t) / σ_t before the forward pass.
 * Both must describe the same [0, 1] pixels; the image size is not changed.
 */
export interface TeacherIoOptions {
  /** A short name for logs (default from the model). */
  name?: string;
  /** Normalisation of the images `predict` receives (the student's). */
  inputNormalization?: Normalization;
  /** Normalisation the teacher's weights expect. */
  normalization?: Normalization;
}

/** A Teacher that can name the exact weights it runs (for the output cache). */
export interface FingerprintedTeacher extends Teacher {
  /** SHA-256 of the teacher's weights (and its input mapping): changes whenever its outputs could. */
  fingerprint(): string;
}

function sameNormalization(a: Normalization, b: Normalization): boolean {
  return a.mean.every((m, i) => m === b.mean[i]) && a.std.every((s, i) => s === b.std[i]);
}

/** Per-channel affine map from images normalised with `from` to images normalised with `to` (identity when equal). */
export function renormalize(images: tf.Tensor4D, from: Normalization, to: Normalization): tf.Tensor4D {
  if (sameNormalization(from, to)) return images;
  return tf.tidy(() => {
    const c = images.shape[3];
    if (c > 3) throw new ShapeError('images', `cannot re-normalise ${c} channels with 3-channel statistics`);
    // Single-channel images use the first channel's statistics.
    const scale = tf.tensor1d(from.std.slice(0, c).map((s, i) => s / to.std[i]!));
    const shift = tf.tensor1d(from.mean.slice(0, c).map((m, i) => (m - to.mean[i]!) / to.std[i]!));
    return tf.add(tf.mul(images, scale), shift) as tf.Tensor4D;
  });
}

function checkImages(images: tf.Tensor4D): void {
  if (images.rank !== 4) throw new ShapeError('images', `expected NHWC [batch, H, W, C], got [${images.shape.join(',')}]`);
}

/** Turns a forward function into a teacher's predict: input mapping, eval mode, no tape, tidy. */
function makePredict(forward: (x: tf.Tensor4D) => tf.Tensor2D, from: Normalization, to: Normalization): (images: tf.Tensor4D) => tf.Tensor2D {
  return (images) => {
    checkImages(images);
    return tf.tidy(() => withoutGradient((x) => forward(renormalize(x as tf.Tensor4D, from, to)), images));
  };
}

/** A ResNet/RegNet (or any {@link ConvNet}) used as a frozen teacher: eval-mode BatchNorm, no gradients. */
export class ConvNetTeacher implements FingerprintedTeacher {
  readonly name: string;
  readonly numClasses: number;
  /** The network (train it, save it, inspect it). */
  readonly model: ConvNet;
  readonly inputNormalization: Normalization;
  readonly normalization: Normalization;
  /** Teacher logits for a batch of the student's images; never records gradients. */
  readonly predict: (images: tf.Tensor4D) => tf.Tensor2D;

  constructor(model: ConvNet, options: TeacherIoOptions = {}) {
    this.model = model;
    this.name = options.name ?? model.constructor.name;
    this.numClasses = model.numClasses;
    this.inputNormalization = options.inputNormalization ?? IMAGENET_NORMALIZATION;
    this.normalization = options.normalization ?? IMAGENET_NORMALIZATION;
    this.predict = makePredict((x) => model.apply(x, { training: false }), this.inputNormalization, this.normalization);
  }

  /** SHA-256 of the weights, BatchNorm statistics and input mapping. */
  fingerprint(): string {
    const named: Array<[string, tf.Tensor]> = [...this.model.namedParams()].map(([k, p]) => [k, p.variable]);
    return hashNamedTensors(named, normalizationSalt(this.inputNormalization, this.normalization));
  }

  /** Frees the network's variables. */
  dispose(): void {
    this.model.dispose();
  }
}

/** The input mapping as a hash salt (empty when there is none). */
export function normalizationSalt(from: Normalization, to: Normalization): string {
  return sameNormalization(from, to) ? '' : `normalization ${JSON.stringify([from, to])}`;
}

/** Options of {@link createTeacher}. */
export interface CreateTeacherOptions extends CreateConvNetOptions, TeacherIoOptions {}

/**
 * A registered ResNet/RegNet as a frozen teacher, e.g. `createTeacher('regnety_160', {weights:
 * 'regnety_160-a5fe301d.pth'})` — the DeiT paper's teacher. Weights may use timm or torchvision names.
 */
export function createTeacher(name: string, options: CreateTeacherOptions = {}): ConvNetTeacher {
  const arch = teacherArchitecture(name);
  const model = createConvNet(name, options);
  return new ConvNetTeacher(model, { name, normalization: arch.normalization, ...options });
}

/**
 * Any core {@link Classifier} (e.g. a trained DeiT) as a teacher: eval mode (a distilled model returns the
 * mean of its two heads), no gradients. A {@link Module}'s weights give the fingerprint.
 */
export function teacherFromClassifier(classifier: Classifier, options: TeacherIoOptions = {}): FingerprintedTeacher {
  const from = options.inputNormalization ?? IMAGENET_NORMALIZATION;
  const to = options.normalization ?? from;
  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    const out = classifier.apply(x, { training: false });
    if (out instanceof tf.Tensor) return out;
    return tf.div(tf.add(out.cls, out.dist), 2) as tf.Tensor2D;
  };
  const name = options.name ?? classifier.constructor.name;
  return {
    name,
    numClasses: classifier.numClasses,
    predict: makePredict(forward, from, to),
    fingerprint: () => {
      const withParams = classifier as unknown as Partial<Pick<Module, 'namedParams'>>;
      const named: Array<[string, tf.Tensor]> =
        typeof withParams.namedParams === 'function'
          ? [...withParams.namedParams()].map(([k, p]) => [k, p.variable])
          : [...classifier.trainableVariables()];
      if (named.length === 0) throw new ConfigError('teacher', `${name} has no weights to fingerprint`);
      return hashNamedTensors(named, normalizationSalt(from, to));
    },
  };
}
