import { ConfigError, Module, ShapeError, tf } from '@deitjs/core';

/** Configuration of a {@link LayerNorm}. */
export interface LayerNormConfig {
  /** Normalised (last-axis) size. */
  dim: number;
  /** Added to the variance; DeiT uses 1e-6 (not TF.js's 1e-3 default). */
  eps?: number;
}

/** Layer normalisation over the last axis with biased variance and affine `weight`/`bias` (PyTorch nn.LayerNorm). */
export class LayerNorm extends Module {
  /** Normalised size. */
  readonly dim: number;
  /** Variance epsilon. */
  readonly eps: number;
  private readonly weight: tf.Variable;
  private readonly bias: tf.Variable;

  /** Creates the layer with weight 1 and bias 0. */
  constructor(config: LayerNormConfig) {
    super();
    if (!Number.isInteger(config.dim) || config.dim < 1) throw new ConfigError('dim', `must be a positive integer, got ${config.dim}`);
    this.dim = config.dim;
    this.eps = config.eps ?? 1e-6;
    if (!(this.eps > 0)) throw new ConfigError('eps', `must be positive, got ${this.eps}`);
    this.weight = this.addParam('weight', tf.ones([this.dim]));
    this.bias = this.addParam('bias', tf.zeros([this.dim]));
  }

  /** Normalises `[..., dim]`. */
  apply<T extends tf.Tensor>(x: T): T {
    if (x.shape[x.rank - 1] !== this.dim) throw new ShapeError('input', `expected last dimension ${this.dim}, got [${x.shape.join(', ')}]`);
    return tf.tidy(() => {
      const mean = tf.mean(x, -1, true);
      const centred = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centred), -1, true);
      return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, this.eps))), this.weight), this.bias) as T;
    });
  }
}
