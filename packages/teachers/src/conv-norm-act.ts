import { Module, type Rng, tf } from '@deitjs/core';
import { BatchNorm2d } from './batch-norm.js';
import { Conv2d, type Conv2dOptions } from './conv2d.js';

/**
 * Conv2d → BatchNorm2d → optional ReLU. In eval mode BatchNorm is folded into the filter and a bias
 * (W·γ/√(var+ε), β − mean·γ/√(var+ε)) so the three run as one fused convolution; in training mode they run
 * separately so BatchNorm sees (and records) the batch statistics.
 */
export function convBnAct(conv: Conv2d, bn: BatchNorm2d, x: tf.Tensor4D, training: boolean, relu: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    if (training) {
      const y = bn.apply(conv.apply(x), true);
      return relu ? tf.relu(y) : y;
    }
    const { scale, shift } = bn.evalAffine();
    // The filter's last axis is the output channel, so the per-channel scale broadcasts onto it.
    const filter = tf.mul(conv.weight, scale) as tf.Tensor4D;
    return conv.apply(x, { filter, bias: shift, relu });
  });
}

/** timm's `ConvNormAct` (RegNet): children `conv` and `bn`, so parameters are `<name>.conv.weight`, `<name>.bn.*`. */
export class ConvNormAct extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly relu: boolean;

  constructor(inChannels: number, outChannels: number, options: Conv2dOptions & { relu: boolean; zeroInitBn?: boolean }, rng: Rng | undefined) {
    super();
    this.conv = this.addChild('conv', new Conv2d(inChannels, outChannels, options, rng));
    this.bn = this.addChild('bn', new BatchNorm2d(outChannels, { zeroInit: options.zeroInitBn }));
    this.relu = options.relu;
  }

  /** Forward pass on NHWC `x`. */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return convBnAct(this.conv, this.bn, x, training, this.relu);
  }
}
