import { ConfigError, tf } from '@deitjs/core';

/** Result of {@link clipGradNorm}: the clipped gradients (new tensors, the caller disposes) and the norm before clipping. */
export interface ClippedGrads {
  /** Gradients scaled by min(1, maxNorm / (norm + 1e-6)). */
  grads: Map<string, tf.Tensor>;
  /** Global L2 norm of the gradients before clipping (a scalar tensor, the caller disposes). */
  totalNorm: tf.Scalar;
}

/**
 * Gradient clipping by global norm with PyTorch `clip_grad_norm_` semantics: the total norm is the L2 norm of
 * all gradients together; every gradient is multiplied by `min(1, maxNorm / (totalNorm + 1e-6))`.
 * Stays on the device (no read-back): the scale is a tensor.
 */
export function clipGradNorm(grads: ReadonlyMap<string, tf.Tensor>, maxNorm: number): ClippedGrads {
  if (!Number.isFinite(maxNorm) || maxNorm <= 0) throw new ConfigError('clipGrad', `must be a finite number > 0, got ${maxNorm}`);
  const names = [...grads.keys()];
  const result = tf.tidy(() => {
    const squares = names.map((n) => tf.sum(tf.square(grads.get(n)!)));
    const totalNorm = squares.length === 0 ? tf.scalar(0) : tf.sqrt(tf.addN(squares));
    const scale = tf.minimum(tf.div(maxNorm, tf.add(totalNorm, 1e-6)), 1);
    return [totalNorm, ...names.map((n) => tf.mul(grads.get(n)!, scale))];
  });
  const [totalNorm, ...clipped] = result;
  return { grads: new Map(names.map((n, i) => [n, clipped[i]!])), totalNorm: totalNorm as tf.Scalar };
}
