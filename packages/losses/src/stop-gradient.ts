import { tf } from '@deitjs/core';

// TF.js has no stop_gradient op; an identity whose gradient is zero does the same job on every backend.
const identityWithoutGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * `x` itself in the forward pass, a zero gradient in the backward pass (PyTorch `detach`, TF `stop_gradient`).
 * Teacher logits go through it so that no gradient reaches the teacher even when it ran inside the tape.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return identityWithoutGradient(x) as T;
}
