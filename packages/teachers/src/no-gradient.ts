import { tf } from '@deitjs/core';

/**
 * Runs `fn(x)` as one opaque op with a zero gradient: nothing inside is recorded on an enclosing gradient tape
 * (tf.customGrad runs its forward function with taping off), so a frozen teacher evaluated inside a student's
 * loss keeps none of its activations alive and passes no gradient to its input or weights.
 */
export function withoutGradient<T extends tf.Tensor>(fn: (x: tf.Tensor) => T, x: tf.Tensor): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    return { value: fn(input), gradFunc: () => tf.zerosLike(input) };
  });
  return op(x) as T;
}
