import { type Rng, ShapeError, tf } from '@deitjs/core';
import { customOp } from './custom-grad.js';
import { dropPathMask } from './drop-path.js';

// tfjs's Add keeps both inputs until the backward pass ends (only to read their shapes for broadcasting):
// on the residual stream that is four activation-sized tensors per block. Without broadcasting, the
// gradient of either input is dy itself, so this op keeps nothing.
const addOp = customOp(([x, branch]) => ({
  value: tf.add(x!, branch!),
  // Two tensors (sharing dy's data): tfjs may dispose one input's gradient when it accumulates it.
  gradFunc: (dy) => [dy.clone(), dy.clone()],
}));

// x + branch·mask (drop path's per-sample factors): keeps only the tiny mask, where a Mul node would keep
// the whole branch output.
const maskedAddOp = customOp(([x, branch, mask], save) => {
  save([mask!]);
  return {
    value: tf.add(x!, tf.mul(branch!, mask!)),
    // The mask is a constant: its gradient is never used, zeros of its (tiny) shape satisfy customGrad.
    gradFunc: (dy, [m]) => [dy.clone(), tf.mul(dy, m!), tf.zerosLike(m!)],
  };
});

function checkShapes(x: tf.Tensor, branch: tf.Tensor): void {
  if (x.shape.length !== branch.shape.length || x.shape.some((s, i) => s !== branch.shape[i])) {
    throw new ShapeError('branch', `expected the residual's shape [${x.shape.join(', ')}], got [${branch.shape.join(', ')}]`);
  }
}

/** `x + branch` for tensors of the same shape, with a backward that keeps no activations. */
export function residualAdd<T extends tf.Tensor>(x: T, branch: T): T {
  checkShapes(x, branch);
  return addOp(x, branch) as T;
}

/**
 * `x + dropPath(branch, rate, training, rng)` (same draws from `rng`, same values) as one op whose backward
 * keeps only the per-sample mask.
 */
export function residualDropPath<T extends tf.Tensor>(x: T, branch: T, rate: number, training: boolean, rng?: Rng): T {
  checkShapes(x, branch);
  const mask = dropPathMask(branch, rate, training, rng);
  if (mask === undefined) return addOp(x, branch) as T;
  const y = maskedAddOp(x, branch, mask) as T;
  mask.dispose();
  return y;
}
