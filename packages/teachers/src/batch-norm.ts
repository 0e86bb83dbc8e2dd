import { Module, tf } from '@deitjs/core';

/** PyTorch's BatchNorm2d defaults, which timm and torchvision keep for ResNet and RegNet. */
export const BN_EPS = 1e-5;
/** Weight of the new batch statistic in the running averages (PyTorch `momentum`). */
export const BN_MOMENTUM = 0.1;

/**
 * BatchNorm2d over the channel axis of NHWC tensors, with PyTorch's names (`weight`, `bias`, `running_mean`,
 * `running_var`; `num_batches_tracked` is not kept) and semantics: eval mode normalises with the running
 * statistics; training mode with the batch's (biased variance) and moves the running statistics towards the
 * batch mean and the *unbiased* batch variance by `momentum`.
 */
export class BatchNorm2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly eps: number;
  readonly momentum: number;

  constructor(channels: number, options: { eps?: number; momentum?: number; zeroInit?: boolean } = {}) {
    super();
    this.eps = options.eps ?? BN_EPS;
    this.momentum = options.momentum ?? BN_MOMENTUM;
    // zeroInit: the last BN of a residual branch starts at γ = 0 (timm zero_init_last), so each block starts as identity.
    this.weight = this.addParam('weight', options.zeroInit ? tf.zeros([channels]) : tf.ones([channels]));
    this.bias = this.addParam('bias', tf.zeros([channels]));
    this.runningMean = this.addBuffer('running_mean', tf.zeros([channels]));
    this.runningVar = this.addBuffer('running_var', tf.ones([channels]));
  }

  /** Per-channel scale γ/√(running_var + ε) and shift β − running_mean·scale of the eval-mode affine map. */
  evalAffine(): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
    return tf.tidy(() => {
      const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps))) as tf.Tensor1D;
      const shift = tf.sub(this.bias, tf.mul(this.runningMean, scale)) as tf.Tensor1D;
      return { scale, shift };
    });
  }

  /** Normalises NHWC `x`; in training mode also updates the running statistics (outside any gradient). */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    if (!training) {
      return tf.tidy(() => {
        const { scale, shift } = this.evalAffine();
        return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D;
      });
    }
    return tf.tidy(() => {
      // Batch statistics as 2-D matMuls with a row of 1/M over [M = N·H·W, C]: on wasm a matMul (and its gradient, two
      // more matMuls) is far faster than Mean over the leading axes, which transposes first (fwd + bwd 40-50 % faster
      // at 32×32×16 × 32 images). Two passes (centre, then square) keep the variance as accurate as tf.moments.
      const [n, h, w, c] = x.shape;
      const m = n * h * w;
      const x2 = tf.reshape(x, [m, c]);
      const avg = tf.fill([1, m], 1 / m);
      const mean = tf.matMul(avg, x2);
      const centred = tf.sub(x2, mean);
      const variance = tf.matMul(avg, tf.square(centred));
      this.updateRunningStats(tf.reshape(mean, [c]), tf.reshape(variance, [c]), m);
      const scale = tf.mul(this.weight, tf.rsqrt(tf.add(variance, this.eps)));
      return tf.reshape(tf.add(tf.mul(centred, scale), this.bias), [n, h, w, c]) as tf.Tensor4D;
    });
  }

  private updateRunningStats(mean: tf.Tensor1D, biasedVar: tf.Tensor1D, count: number): void {
    const m = this.momentum;
    // PyTorch feeds the running variance with the unbiased estimate n/(n−1)·var (and leaves it alone when n = 1).
    const unbiased = count > 1 ? count / (count - 1) : 1;
    const newMean = tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m));
    const newVar = tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(biasedVar, m * unbiased));
    this.runningMean.assign(newMean);
    this.runningVar.assign(newVar);
  }
}
