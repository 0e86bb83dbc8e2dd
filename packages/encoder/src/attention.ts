import { ConfigError, Module, type Rng, ShapeError, tf } from '@deitjs/core';
import { type CustomOpResult, chain, customOp } from './custom-grad.js';
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
  private readonly op: (...inputs: tf.Tensor[]) => tf.Tensor;

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
    this.op = customOp((inputs, save) => this.forward(inputs, save));
  }

  /** Tokens `[B, N, D]` → `[B, N, D]`. */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    if (x.rank !== 3 || x.shape[2] !== this.dim) throw new ShapeError('input', `expected [batch, tokens, ${this.dim}], got [${x.shape.join(', ')}]`);
    const params = [this.qkv.weight, this.proj.weight, this.proj.bias!];
    return this.op(x, ...params, ...(this.qkv.bias === undefined ? [] : [this.qkv.bias])) as tf.Tensor3D;
  }

  // One tape node keeping x, q·s, k, v and the softmax probabilities P: autodiff of the composition also
  // keeps the qkv projection twice, the scores' inputs, P·v, both heads transposes and every gradient of
  // them until the whole backward pass ends. The backward recomputes P·v (one small batched product).
  // Inputs: x, qkv.weight, proj.weight, proj.bias[, qkv.bias].
  private forward([x, wQkv, wProj, bProj, bQkv]: tf.Tensor[], save: tf.GradSaveFunc): CustomOpResult {
    const [b, n] = x!.shape as [number, number, number];
    const [h, hd, d] = [this.numHeads, this.headDim, this.dim];
    const x2 = tf.reshape(x!, [b * n, d]) as tf.Tensor2D;
    const qkvLin = tf.matMul(x2, wQkv as tf.Tensor2D);
    // [B, N, 3·H, hd] → [B, 3·H, N, hd]: the first H "heads" are q, the next H are k, the last H are v.
    const qkv = tf.transpose(tf.reshape(bQkv === undefined ? qkvLin : tf.add(qkvLin, bQkv), [b, n, 3 * h, hd]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [b * h, n, hd]) as tf.Tensor3D) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const qs = tf.mul(q, this.scale) as tf.Tensor3D;
    const attn = tf.softmax(tf.matMul(qs, k, false, true)) as tf.Tensor3D;
    // P·v [B·H, N, hd] → tokens [B·N, D] with head h in channels h·hd …
    const heads = (p: tf.Tensor3D, vv: tf.Tensor3D): tf.Tensor2D =>
      tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(tf.matMul(p, vv), [b, h, n, hd]), [0, 2, 1, 3]), [b * n, d]) as tf.Tensor2D);
    const out = tf.add(tf.matMul(heads(attn, v), wProj as tf.Tensor2D), bProj!);
    save([x2, qs, k, v, attn]);
    return {
      value: tf.reshape(out, [b, n, d]),
      gradFunc: (dy, saved) => {
        const [xs, qss, ks, vs, p] = saved as [tf.Tensor2D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        // Temporaries are freed as soon as used: P-sized ones (B·H·N², the largest at 224 px) two or three at a time.
        const dy2 = tf.reshape(dy, [b * n, d]) as tf.Tensor2D;
        const dWProj = chain(heads(p, vs), (o) => tf.matMul(o as tf.Tensor2D, dy2, true, false));
        const dO = tf.tidy(
          () => tf.reshape(tf.transpose(tf.reshape(tf.matMul(dy2, wProj as tf.Tensor2D, false, true), [b, n, h, hd]), [0, 2, 1, 3]), [b * h, n, hd]) as tf.Tensor3D,
        );
        const dV = tf.matMul(p, dO, true, false);
        // Softmax backward (as tfjs's): P·dP − Σ(P·dP)·P over the keys.
        const pdP = chain(tf.matMul(dO, vs, false, true), (t) => tf.mul(t, p));
        dO.dispose();
        const dS = chain(tf.sum(pdP, -1, true), (t) => tf.mul(t, p), (t) => tf.sub(pdP, t)) as tf.Tensor3D;
        pdP.dispose();
        const dQ = chain(tf.matMul(dS, ks), (t) => tf.mul(t, this.scale));
        const dK = tf.matMul(dS, qss, true, false);
        dS.dispose();
        const dQkv = tf.tidy(
          () => tf.reshape(tf.transpose(tf.concat([dQ, dK, dV].map((t) => tf.reshape(t, [b, h, n, hd])), 1), [0, 2, 1, 3]), [b * n, 3 * d]) as tf.Tensor2D,
        );
        tf.dispose([dQ, dK, dV]);
        const dx = tf.reshape(tf.matMul(dQkv, wQkv as tf.Tensor2D, false, true), [b, n, d]);
        const grads = [dx, tf.matMul(xs, dQkv, true, false), dWProj, tf.sum(dy2, 0)];
        return bQkv === undefined ? grads : [...grads, tf.sum(dQkv, 0)];
      },
    };
  }
}
