import { ConfigError, Module, type Rng, tf } from '@deitjs/core';
import { Block, type BlockConfig } from './block.js';
import type { ForwardOptions } from './options.js';

/** Configuration of a {@link TransformerEncoder}. */
export interface TransformerEncoderConfig extends BlockConfig {
  /** Number of blocks. */
  depth: number;
  /** Drop-path rate of the last block; block i gets rate · i / (depth − 1) (default 0). */
  dropPathRate?: number;
}

/** Drop-path rates linear in depth, 0 at the first block and `rate` at the last (timm's linspace). */
export function dropPathSchedule(rate: number, depth: number): number[] {
  return Array.from({ length: depth }, (_, i) => (depth > 1 ? (rate * i) / (depth - 1) : 0));
}

/** A stack of pre-norm transformer blocks named `0`, `1`, … (mount it as `blocks` to get timm's keys). */
export class TransformerEncoder extends Module {
  /** The blocks in order. */
  readonly blocks: Block[];

  /** Creates the blocks with linearly increasing drop-path rates. */
  constructor(config: TransformerEncoderConfig, rng: Rng) {
    super();
    if (!Number.isInteger(config.depth) || config.depth < 1) throw new ConfigError('depth', `must be a positive integer, got ${config.depth}`);
    const rates = dropPathSchedule(config.dropPathRate ?? 0, config.depth);
    this.blocks = rates.map((dropPathRate, i) =>
      this.addChild(
        String(i),
        new Block({ dim: config.dim, numHeads: config.numHeads, mlpRatio: config.mlpRatio, qkvBias: config.qkvBias, normEps: config.normEps, dropPathRate }, rng),
      ),
    );
  }

  /** Tokens `[B, N, D]` through every block. */
  apply(x: tf.Tensor3D, options: ForwardOptions): tf.Tensor3D {
    return tf.tidy(() => {
      let y = x;
      for (const block of this.blocks) y = block.apply(y, options);
      return y;
    });
  }

  /** Like {@link TransformerEncoder.apply}, but returns every block's output (the last is the result); the caller owns them. */
  applyAll(x: tf.Tensor3D, options: ForwardOptions): tf.Tensor3D[] {
    return tf.tidy(() => {
      const outs: tf.Tensor3D[] = [];
      let y = x;
      for (const block of this.blocks) {
        y = block.apply(y, options);
        outs.push(y);
      }
      return outs;
    });
  }
}
