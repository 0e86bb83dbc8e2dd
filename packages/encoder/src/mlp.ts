import { ConfigError, Module, type Rng, tf } from '@deitjs/core';
import { gelu } from './gelu.js';
import { Linear } from './linear.js';

/** Configuration of an {@link Mlp}. */
export interface MlpConfig {
  /** Input and output width. */
  dim: number;
  /** Hidden width (DeiT: 4·dim). */
  hiddenDim: number;
}

/** The transformer MLP: `fc1` → exact GELU → `fc2` (dropout rates are 0 in DeiT, so there is none). */
export class Mlp extends Module {
  /** First projection dim → hidden. */
  readonly fc1: Linear;
  /** Second projection hidden → dim. */
  readonly fc2: Linear;

  /** Creates both layers with DeiT's Linear initialisation. */
  constructor(config: MlpConfig, rng: Rng) {
    super();
    if (!Number.isInteger(config.hiddenDim) || config.hiddenDim < 1) {
      throw new ConfigError('hiddenDim', `must be a positive integer, got ${config.hiddenDim}`);
    }
    this.fc1 = this.addChild('fc1', new Linear({ inFeatures: config.dim, outFeatures: config.hiddenDim }, rng));
    this.fc2 = this.addChild('fc2', new Linear({ inFeatures: config.hiddenDim, outFeatures: config.dim }, rng));
  }

  /** `[..., dim]` → `[..., dim]`. */
  apply<T extends tf.Tensor>(x: T): T {
    return tf.tidy(() => this.fc2.apply(gelu(this.fc1.apply(x))));
  }
}
