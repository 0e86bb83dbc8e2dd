import { ConfigError, type Rng, tf } from '@deitjs/core';

/**
 * Stochastic depth on a residual branch `[B, ...]`: while training, each sample's branch is kept with
 * probability 1 − rate (one draw per sample from `rng`) and scaled by 1/(1 − rate), or zeroed.
 * Identity in eval mode or at rate 0.
 */
export function dropPath<T extends tf.Tensor>(x: T, rate: number, training: boolean, rng?: Rng): T {
  if (!(rate >= 0 && rate < 1)) throw new ConfigError('dropPathRate', `must be in [0, 1), got ${rate}`);
  if (!training || rate === 0) return x.clone();
  if (rng === undefined) throw new ConfigError('rng', 'drop path needs a seeded Rng while training with a rate above 0');
  const keep = 1 - rate;
  const b = x.shape[0]!;
  const mask = new Float32Array(b);
  for (let i = 0; i < b; i++) mask[i] = rng.random() < keep ? 1 / keep : 0;
  return tf.tidy(() => tf.mul(x, tf.tensor(mask, [b, ...new Array<number>(x.rank - 1).fill(1)])) as T);
}
