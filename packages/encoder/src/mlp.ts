import { ConfigError, Module, type Rng, ShapeError, tf } from '@deitjs/core';
import { chain, customOp } from './custom-grad.js';
import { erfScaled, geluDerivative, geluFromErf, geluParts } from './gelu.js';
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
  private readonly op: (...inputs: tf.Tensor[]) => tf.Tensor;

  /** Creates both layers with DeiT's Linear initialisation. */
  constructor(config: MlpConfig, rng: Rng) {
    super();
    if (!Number.isInteger(config.hiddenDim) || config.hiddenDim < 1) {
      throw new ConfigError('hiddenDim', `must be a positive integer, got ${config.hiddenDim}`);
    }
    this.fc1 = this.addChild('fc1', new Linear({ inFeatures: config.dim, outFeatures: config.hiddenDim }, rng));
    this.fc2 = this.addChild('fc2', new Linear({ inFeatures: config.hiddenDim, outFeatures: config.dim }, rng));
    // One tape node keeping the input and the pre-activation h: autodiff of fc1 → GELU → fc2 keeps ~7 tensors
    // of h's size (x·W1, h, GELU's pieces, GELU(h)) and their gradients until the whole backward pass ends.
    // The backward recomputes erf(h/√2) and GELU(h) (elementwise, cheap next to the products).
    this.op = customOp(([x, w1, b1, w2, b2], save) => {
      const x2 = tf.reshape(x!, [-1, this.fc1.inFeatures]);
      const h = tf.add(tf.matMul(x2, w1 as tf.Tensor2D), b1!);
      const y = tf.add(tf.matMul(geluParts(h).y as tf.Tensor2D, w2 as tf.Tensor2D), b2!);
      save([x2, h]);
      return {
        value: tf.reshape(y, [...x!.shape.slice(0, -1), this.fc2.outFeatures]),
        gradFunc: (dy, [xs, hs]) => {
          const dy2 = tf.reshape(dy, [-1, this.fc2.outFeatures]) as tf.Tensor2D;
          // Each temporary h-sized tensor is freed once used, so at most ~3 exist at a time.
          const erf = erfScaled(hs!);
          const dW2 = chain(geluFromErf(hs!, erf), (g) => tf.matMul(g as tf.Tensor2D, dy2, true, false));
          const dg = tf.matMul(dy2, w2 as tf.Tensor2D, false, true);
          const dh = chain(geluDerivative(hs!, erf), (t) => tf.mul(dg, t)) as tf.Tensor2D;
          tf.dispose([erf, dg]);
          const dW1 = tf.matMul(xs as tf.Tensor2D, dh, true, false);
          const dx = tf.reshape(tf.matMul(dh, w1 as tf.Tensor2D, false, true), x!.shape);
          return [dx, dW1, tf.sum(dh, 0), dW2, tf.sum(dy2, 0)];
        },
      };
    });
  }

  /** `[..., dim]` → `[..., dim]`. */
  apply<T extends tf.Tensor>(x: T): T {
    if (x.shape[x.rank - 1] !== this.fc1.inFeatures) {
      throw new ShapeError('input', `expected last dimension ${this.fc1.inFeatures}, got [${x.shape.join(', ')}]`);
    }
    return this.op(x, this.fc1.weight, this.fc1.bias!, this.fc2.weight, this.fc2.bias!) as T;
  }
}
