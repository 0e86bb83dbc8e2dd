import { ConfigError, Module, type Rng, tf } from '@deitjs/core';
import { Attention } from './attention.js';
import { LayerNorm } from './layer-norm.js';
import { Mlp } from './mlp.js';
import type { ForwardOptions } from './options.js';
import { residualDropPath } from './residual.js';

/** Configuration of a transformer {@link Block}. */
export interface BlockConfig {
  /** Token width D. */
  dim: number;
  /** Attention heads. */
  numHeads: number;
  /** MLP hidden width = mlpRatio · dim (default 4). */
  mlpRatio?: number;
  /** Whether `qkv` has a bias (default true). */
  qkvBias?: boolean;
  /** Drop-path rate of both residual branches (default 0). */
  dropPathRate?: number;
  /** LayerNorm epsilon (default 1e-6). */
  normEps?: number;
}

/** A pre-norm transformer block: x + dp(attn(norm1 x)), then x + dp(mlp(norm2 x)); each branch draws its own mask. */
export class Block extends Module {
  /** Norm before attention. */
  readonly norm1: LayerNorm;
  /** Self-attention. */
  readonly attn: Attention;
  /** Norm before the MLP. */
  readonly norm2: LayerNorm;
  /** The MLP. */
  readonly mlp: Mlp;
  /** Drop-path rate of this block. */
  readonly dropPathRate: number;

  /** Creates the block; children are registered in timm's order (norm1, attn, norm2, mlp). */
  constructor(config: BlockConfig, rng: Rng) {
    super();
    const rate = config.dropPathRate ?? 0;
    if (!(rate >= 0 && rate < 1)) throw new ConfigError('dropPathRate', `must be in [0, 1), got ${rate}`);
    const ratio = config.mlpRatio ?? 4;
    const hidden = Math.round(config.dim * ratio);
    if (!(hidden >= 1)) throw new ConfigError('mlpRatio', `must give a positive hidden width, got ${ratio}`);
    this.dropPathRate = rate;
    this.norm1 = this.addChild('norm1', new LayerNorm({ dim: config.dim, eps: config.normEps ?? 1e-6 }));
    this.attn = this.addChild('attn', new Attention({ dim: config.dim, numHeads: config.numHeads, qkvBias: config.qkvBias ?? true }, rng));
    this.norm2 = this.addChild('norm2', new LayerNorm({ dim: config.dim, eps: config.normEps ?? 1e-6 }));
    this.mlp = this.addChild('mlp', new Mlp({ dim: config.dim, hiddenDim: hidden }, rng));
  }

  /** Tokens `[B, N, D]` → `[B, N, D]`. */
  apply(x: tf.Tensor3D, options: ForwardOptions): tf.Tensor3D {
    return tf.tidy(() => {
      const { training, rng } = options;
      const y = residualDropPath(x, this.attn.apply(this.norm1.apply(x)), this.dropPathRate, training, rng);
      return residualDropPath(y, this.mlp.apply(this.norm2.apply(y)), this.dropPathRate, training, rng);
    });
  }
}
