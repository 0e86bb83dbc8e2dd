import { ConfigError, Module, ShapeError, tf } from '@deitjs/core';
import { chain, customOp } from './custom-grad.js';

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
  private readonly op: (...inputs: tf.Tensor[]) => tf.Tensor;

  /** Creates the layer with weight 1 and bias 0. */
  constructor(config: LayerNormConfig) {
    super();
    if (!Number.isInteger(config.dim) || config.dim < 1) throw new ConfigError('dim', `must be a positive integer, got ${config.dim}`);
    this.dim = config.dim;
    this.eps = config.eps ?? 1e-6;
    if (!(this.eps > 0)) throw new ConfigError('eps', `must be positive, got ${this.eps}`);
    this.weight = this.addParam('weight', tf.ones([this.dim]));
    this.bias = this.addParam('bias', tf.zeros([this.dim]));
    // One tape node keeping x̂ and 1/σ: autodiff of the composition keeps ~5 tensors of x's size (x − μ,
    // its square, x̂, x̂·w and their gradients) until the whole backward pass ends.
    this.op = customOp(([x, weight, bias], save) => {
      const mean = tf.mean(x!, -1, true);
      const centred = tf.sub(x!, mean);
      const variance = tf.mean(tf.square(centred), -1, true);
      const rstd = tf.rsqrt(tf.add(variance, this.eps));
      const xhat = tf.mul(centred, rstd);
      save([xhat, rstd]);
      return { value: tf.add(tf.mul(xhat, weight!), bias!), gradFunc: (dy, [xh, rs]) => layerNormGrads(dy, xh!, rs!, weight!) };
    });
  }

  /** Normalises `[..., dim]`. */
  apply<T extends tf.Tensor>(x: T): T {
    if (x.shape[x.rank - 1] !== this.dim) throw new ShapeError('input', `expected last dimension ${this.dim}, got [${x.shape.join(', ')}]`);
    return this.op(x, this.weight, this.bias) as T;
  }
}

// The closed-form backward of y = x̂·w + b, x̂ = (x − μ)/σ over the last axis (g = dy·w):
// dx = (g − mean(g) − x̂·mean(g·x̂)) / σ, dw = Σ dy·x̂ and db = Σ dy over all leading axes.
function layerNormGrads(dy: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor, weight: tf.Tensor): tf.Tensor[] {
  const lead = Array.from({ length: dy.rank - 1 }, (_, i) => i);
  const sumLead = (t: tf.Tensor): tf.Tensor => (lead.length === 0 ? t : tf.sum(t, lead));
  const g = tf.mul(dy, weight);
  // Same ops and order as mul(sub(sub(g, mean(g)), mul(x̂, mean(g·x̂))), 1/σ), freeing temporaries early.
  const proj = chain(tf.mul(g, xhat), (t) => tf.mean(t, -1, true), (t) => tf.mul(xhat, t));
  const dx = chain(tf.mean(g, -1, true), (t) => tf.sub(g, t), (t) => tf.sub(t, proj), (t) => tf.mul(t, rstd));
  tf.dispose([g, proj]);
  return [dx, sumLead(tf.mul(dy, xhat)), sumLead(dy)];
}
