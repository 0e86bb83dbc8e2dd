import { tf } from '@deitjs/core';
import { customOp } from './custom-grad.js';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** 0.5·x·(1 + erf(x/√2)) as the plain composition of ops, and erf(x/√2) for the caller to reuse. */
export function geluParts(x: tf.Tensor): { y: tf.Tensor; erf: tf.Tensor } {
  const erf = tf.erf(tf.mul(x, Math.SQRT1_2));
  return { y: tf.mul(tf.mul(x, 0.5), tf.add(erf, 1)), erf };
}

/** dGELU/dx = 0.5·(1 + erf(x/√2)) + x·φ(x), φ the standard normal density; `erf` is erf(x/√2). */
export function geluDerivative(x: tf.Tensor, erf: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(tf.add(erf, 1), 0.5), tf.mul(x, tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI)));
}

// One tape node that keeps only x for the backward pass: autodiff of the composition keeps ~5 tensors of
// x's size (x/√2, erf, erf + 1, x/2 and the product's inputs) until the whole backward pass ends.
const geluOp = customOp(([x], save) => {
  save([x!]);
  return {
    value: geluParts(x!).y,
    gradFunc: (dy, [xs]) => [tf.mul(dy, geluDerivative(xs!, tf.erf(tf.mul(xs!, Math.SQRT1_2))))],
  };
});

/** Exact GELU, 0.5·x·(1 + erf(x/√2)) (PyTorch nn.GELU's default; not the tanh approximation). */
export function gelu<T extends tf.Tensor>(x: T): T {
  return geluOp(x) as T;
}
