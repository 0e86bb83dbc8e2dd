import { ConfigError, Module, type Rng, ShapeError, tf } from '@deitjs/core';
import { Linear } from './linear.js';

/** Configuration of an {@link Attention} layer. */
export interface AttentionConfig {
  /** Token width D. */
  dim: number;
  /** Number of heads; D must divide evenly. */
  numHeads: number;
  /** Whether `qkv` has a bias (DeiT: true). */
  qkvBias?: boolean;
}

/**
 * Multi-head self-attention with a fused `qkv` projection D → 3D whose output channels are q | k | v, and
 * inside each, head h owns channels h·hd … h·hd + hd − 1; scores are scaled by hd^−0.5; then `proj` D → D.
 */
export class Attention extends Module {
  /** Token width. */
  readonly dim: number;
  /** Number of heads. */
  readonly numHeads: number;
  /** Channels per head. */
  readonly headDim: number;
  /** Score scale hd^−0.5. */
  readonly scale: number;
  /** Fused query/key/value projection. */
  readonly qkv: Linear;
  /** Output projection. */
  readonly proj: Linear;

  /** Creates the layer with DeiT's Linear initialisation. */
  constructor(config: AttentionConfig, rng: Rng) {
    super();
    const { dim, numHeads } = config;
    if (!Number.isInteger(numHeads) || numHeads < 1 || dim % numHeads !== 0) {
      throw new ConfigError('numHeads', `must be a positive integer dividing dim ${dim}, got ${numHeads}`);
    }
    this.dim = dim;
    this.numHeads = numHeads;
    this.headDim = dim / numHeads;
    this.scale = this.headDim ** -0.5;
    this.qkv = this.addChild('qkv', new Linear({ inFeatures: dim, outFeatures: 3 * dim, bias: config.qkvBias ?? true }, rng));
    this.proj = this.addChild('proj', new Linear({ inFeatures: dim, outFeatures: dim }, rng));
  }

  /** Tokens `[B, N, D]` → `[B, N, D]`. */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    if (x.rank !== 3 || x.shape[2] !== this.dim) throw new ShapeError('input', `expected [batch, tokens, ${this.dim}], got [${x.shape.join(', ')}]`);
    const [b, n] = x.shape;
    const h = this.numHeads;
    const hd = this.headDim;
    return tf.tidy(() => {
      // [B, N, 3·H, hd] → [B, 3·H, N, hd]: the first H "heads" are q, the next H are k, the last H are v.
      const qkv = tf.transpose(tf.reshape(this.qkv.apply(x), [b, n, 3 * h, hd]), [0, 2, 1, 3]);
      const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [b * h, n, hd]) as tf.Tensor3D) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const attn = tf.softmax(tf.matMul(tf.mul(q, this.scale), k, false, true));
      const out = tf.reshape(tf.transpose(tf.reshape(tf.matMul(attn, v), [b, h, n, hd]), [0, 2, 1, 3]), [b, n, this.dim]) as tf.Tensor3D;
      return this.proj.apply(out);
    });
  }
}
