import { Module, type Rng, tf } from '@deitjs/core';
import { normalInit } from './init.js';

/**
 * Squeeze-and-excitation (timm `SEModule`, torchvision `SqueezeExcitation`): spatial mean → fc1 (1×1 conv with
 * bias) → ReLU → fc2 → sigmoid → channel-wise scale of the input. fc1/fc2 keep PyTorch's `[out, in, 1, 1]` file
 * layout and run as matMuls on the pooled `[batch, channels]` vector.
 */
export class SqueezeExcite extends Module {
  readonly fc1: PointwiseLinear;
  readonly fc2: PointwiseLinear;

  constructor(channels: number, reduced: number, rng: Rng | undefined) {
    super();
    this.fc1 = this.addChild('fc1', new PointwiseLinear(channels, reduced, rng));
    this.fc2 = this.addChild('fc2', new PointwiseLinear(reduced, channels, rng));
  }

  /** Rescales the channels of NHWC `x` by the excitation computed from `x` itself. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, , , c] = x.shape;
      const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
      const gate = tf.sigmoid(this.fc2.apply(tf.relu(this.fc1.apply(pooled))));
      return tf.mul(x, tf.reshape(gate, [n, 1, 1, c])) as tf.Tensor4D;
    });
  }
}

/** A 1×1 convolution with bias applied to pooled `[batch, in]` vectors: `weight` `[out, in, 1, 1]` in files. */
export class PointwiseLinear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(inChannels: number, outChannels: number, rng: Rng | undefined) {
    super();
    // timm/torchvision conv init N(0, sqrt(2/fan_out)), zero bias.
    const w = normalInit(inChannels * outChannels, Math.sqrt(2 / outChannels), rng);
    this.weight = this.addParam('weight', tf.tensor4d(w, [1, 1, inChannels, outChannels]), 'conv2d');
    this.bias = this.addParam('bias', tf.zeros([outChannels]));
  }

  /** `x · W + b` for `x` of shape `[batch, in]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [, , cin, cout] = this.weight.shape as [number, number, number, number];
      return tf.add(tf.matMul(x, tf.reshape(this.weight, [cin, cout])), this.bias) as tf.Tensor2D;
    });
  }
}
