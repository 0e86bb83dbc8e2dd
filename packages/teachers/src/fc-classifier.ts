import { Module, type Rng, tf } from '@deitjs/core';
import { normalInit, uniformInit } from './init.js';

/** How a classifier's weights start: PyTorch's default Linear init (ResNet `fc`) or N(0, 0.01) (timm RegNet `head.fc`). */
export type FcClassifierInit = 'torch-default' | 'normal-0.01';

/**
 * The fully connected classifier of a CNN teacher (ResNet `fc`, RegNet `head.fc`), with PyTorch names (`weight`
 * `[out, in]` in files, `bias`): pooled features `[batch, in]` → logits. Not `@deitjs/encoder`'s `Linear` (DeiT's
 * truncated-normal init, any rank, optional bias): it takes the torchvision/timm classifier inits and skips drawing
 * them when `rng` is undefined (weights loaded next).
 */
export class FcClassifier extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, init: FcClassifierInit, rng: Rng | undefined) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = 1 / Math.sqrt(inFeatures);
    const n = inFeatures * outFeatures;
    const w = init === 'torch-default' ? uniformInit(n, bound, rng) : normalInit(n, 0.01, rng);
    const b = init === 'torch-default' ? uniformInit(outFeatures, bound, rng) : new Float32Array(outFeatures);
    this.weight = this.addParam('weight', tf.tensor2d(w, [inFeatures, outFeatures]), 'linear');
    this.bias = this.addParam('bias', tf.tensor1d(b));
  }

  /** `x · Wᵀ + b` (PyTorch semantics) for `x` of shape `[batch, in]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(x, this.weight as tf.Tensor2D), this.bias) as tf.Tensor2D);
  }
}
