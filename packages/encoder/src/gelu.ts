import { tf } from '@deitjs/core';
import { chain, customOp } from './custom-grad.js';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf(x/√2). */
export function erfScaled(x: tf.Tensor): tf.Tensor {
  return chain(tf.mul(x, Math.SQRT1_2), (t) => tf.erf(t));
}

/** 0.5·x·(1 + e) with e = erf(x/√2) (same ops, in the same order, as {@link geluParts}). */
export function geluFromErf(x: tf.Tensor, erf: tf.Tensor): tf.Tensor {
  const half = tf.mul(x, 0.5);
  const y = chain(tf.add(erf, 1), (t) => tf.mul(half, t));
  half.dispose();
  return y;
}

/** 0.5·x·(1 + erf(x/√2)) as the plain composition of ops, and erf(x/√2) for the caller to reuse. */
export function geluParts(x: tf.Tensor): { y: tf.Tensor; erf: tf.Tensor } {
  const erf = erfScaled(x);
  return { y: geluFromErf(x, erf), erf };
}

/** dGELU/dx = 0.5·(1 + erf(x/√2)) + x·φ(x), φ the standard normal density; `erf` is erf(x/√2). */
export function geluDerivative(x: tf.Tensor, erf: tf.Tensor): tf.Tensor {
  const xPhi = chain(tf.square(x), (t) => tf.mul(t, -0.5), (t) => tf.exp(t), (t) => tf.mul(t, INV_SQRT_2PI), (t) => tf.mul(x, t));
  const out = chain(tf.add(erf, 1), (t) => tf.mul(t, 0.5), (t) => tf.add(t, xPhi));
  xPhi.dispose();
  return out;
}

// One tape node that keeps only x for the backward pass: autodiff of the composition keeps ~5 tensors of
// x's size (x/√2, erf, erf + 1, x/2 and the product's inputs) until the whole backward pass ends.
const geluOp = customOp(([x], save) => {
  save([x!]);
  return {
    value: geluParts(x!).y,
    gradFunc: (dy, [xs]) => [chain(erfScaled(xs!), (e) => geluDerivative(xs!, e), (t) => tf.mul(dy, t))],
  };
});

/** Exact GELU, 0.5·x·(1 + erf(x/√2)) (PyTorch nn.GELU's default; not the tanh approximation). */
export function gelu<T extends tf.Tensor>(x: T): T {
  return geluOp(x) as T;
}
