import { type ApplyOptions, type Classifier, Module, ShapeError, tf } from '@deitjs/core';
import type { FcClassifier } from './fc-classifier.js';

/** Receives named intermediate feature maps (timm module paths: `layer1`, `s3.b1`, `s1.b1.se`) during a forward pass. */
export type FeatureTap = (name: string, features: tf.Tensor4D) => void;

/** What {@link ConvNet.forwardWithIntermediates} returns; the caller disposes every tensor. */
export interface ConvNetOutputs {
  /** Classifier output `[batch, classes]`. */
  logits: tf.Tensor2D;
  /** Globally pooled features entering the classifier `[batch, features]`. */
  preLogits: tf.Tensor2D;
  /** NHWC feature maps by timm module path. */
  features: Map<string, tf.Tensor4D>;
}

/**
 * Shared shape of the CNN teachers: a feature trunk, global average pooling and a linear classifier.
 * Inputs are NHWC float32 images normalised with the network's own normalisation.
 */
export abstract class ConvNet extends Module implements Classifier {
  /** Number of output classes. */
  abstract readonly numClasses: number;
  /** CNN teachers have a single head. */
  readonly distilled = false;
  /** Number of input channels the stem expects. */
  abstract readonly inChannels: number;
  /** The classifier (`fc` for ResNet, `head.fc` for RegNet). */
  protected abstract readonly classifier: FcClassifier;
  /** The classifier's parameter-name prefix (`fc.` or `head.fc.`), for re-initialisation on a class-count change. */
  abstract readonly classifierPrefix: string;

  /** The trunk: NHWC images → final feature map. `tap` sees the named intermediate maps. */
  abstract forwardFeatures(images: tf.Tensor4D, training: boolean, tap?: FeatureTap): tf.Tensor4D;

  /** Logits `[batch, classes]`. Training mode uses and updates the BatchNorm batch statistics. */
  apply(images: tf.Tensor4D, options: ApplyOptions): tf.Tensor2D {
    this.checkInput(images);
    return tf.tidy(() => {
      const pooled = tf.mean(this.forwardFeatures(images, options.training), [1, 2]) as tf.Tensor2D;
      return this.classifier.apply(pooled);
    });
  }

  /** The forward pass with its pooled features and intermediate feature maps (for parity checks and feature use). */
  forwardWithIntermediates(images: tf.Tensor4D, options: ApplyOptions): ConvNetOutputs {
    this.checkInput(images);
    const features = new Map<string, tf.Tensor4D>();
    const out = tf.tidy(() => {
      const f = this.forwardFeatures(images, options.training, (name, t) => features.set(name, tf.keep(t.clone())));
      const preLogits = tf.mean(f, [1, 2]) as tf.Tensor2D;
      return { preLogits, logits: this.classifier.apply(preLogits) };
    });
    return { ...out, features };
  }

  private checkInput(images: tf.Tensor4D): void {
    if (images.rank !== 4 || images.shape[3] !== this.inChannels) {
      throw new ShapeError('images', `expected NHWC [batch, H, W, ${this.inChannels}], got [${images.shape.join(',')}]`);
    }
  }
}
