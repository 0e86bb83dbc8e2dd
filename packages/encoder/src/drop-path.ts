import { ConfigError, type Rng, tf } from '@deitjs/core';

/**
 * Stochastic depth on a residual branch `[B, ...]`: while training, each sample's branch is kept with
 * probability 1 − rate (one draw per sample from `rng`) and scaled by 1/(1 − rate), or zeroed.
 * Identity in eval mode or at rate 0.
 */
export function dropPath<T extends tf.Tensor>(x: T, rate: number, training: boolean, rng?: Rng): T {
  const mask = dropPathMask(x, rate, training, rng);
  if (mask === undefined) return x.clone();
  const y = tf.mul(x, mask) as T;
  mask.dispose();
  return y;
}

/**
 * The per-sample factors `[B, 1, …]` (1/(1 − rate) or 0) that {@link dropPath} multiplies `x` by, drawn from
 * `rng` one per sample; undefined when drop path is inactive (eval mode or rate 0). The caller owns the tensor.
 */
export function dropPathMask(x: tf.Tensor, rate: number, training: boolean, rng?: Rng): tf.Tensor | undefined {
  if (!(rate >= 0 && rate < 1)) throw new ConfigError('dropPathRate', `must be in [0, 1), got ${rate}`);
  if (!training || rate === 0) return undefined;
  if (rng === undefined) throw new ConfigError('rng', 'drop path needs a seeded Rng while training with a rate above 0');
  const keep = 1 - rate;
  const b = x.shape[0]!;
  const mask = new Float32Array(b);
  for (let i = 0; i < b; i++) mask[i] = rng.random() < keep ? 1 / keep : 0;
  return tf.tensor(mask, [b, ...new Array<number>(x.rank - 1).fill(1)]);
}
