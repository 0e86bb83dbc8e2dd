import { ConfigError, Module, type Rng, ShapeError, tf } from '@deitjs/core';

/** Configuration of a {@link Linear} layer. */
export interface LinearConfig {
  /** Input features. */
  inFeatures: number;
  /** Output features. */
  outFeatures: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /** Std of the truncated-normal weight initialisation (default 0.02, DeiT's). */
  initStd?: number;
}

/**
 * A fully connected layer `y = x·W + b` over the last axis. The weight is held as `[in, out]` (layout `linear`,
 * PyTorch `[out, in]` in files). Inputs of any rank are flattened to one 2-D matMul, which is much faster
 * on wasm than a batched matMul.
 */
export class Linear extends Module {
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;
  /** The kernel `[in, out]`. */
  readonly weight: tf.Variable;
  /** The bias `[out]`, if any. */
  readonly bias: tf.Variable | undefined;

  /** Creates the layer with weights from N(0, initStd²) truncated at ±2, zero bias. */
  constructor(config: LinearConfig, rng: Rng) {
    super();
    const { inFeatures, outFeatures } = config;
    for (const [name, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ConfigError(name, `must be a positive integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const std = config.initStd ?? 0.02;
    this.weight = this.addParam('weight', tf.tensor2d(rng.truncNormalArray(inFeatures * outFeatures, std), [inFeatures, outFeatures]), 'linear');
    this.bias = config.bias === false ? undefined : this.addParam('bias', tf.zeros([outFeatures]));
  }

  /** `[..., in]` → `[..., out]`. */
  apply<T extends tf.Tensor>(x: T): T {
    const last = x.shape[x.rank - 1];
    if (last !== this.inFeatures) {
      throw new ShapeError('input', `expected last dimension ${this.inFeatures}, got [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const x2 = (x.rank === 2 ? x : tf.reshape(x, [-1, this.inFeatures])) as tf.Tensor2D;
      const y = this.bias === undefined ? tf.matMul(x2, this.weight) : tf.add(tf.matMul(x2, this.weight), this.bias);
      return (x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures])) as T;
    });
  }
}
