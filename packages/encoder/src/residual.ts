import { ShapeError, tf } from '@deitjs/core';
import { customOp } from './custom-grad.js';

// tfjs's Add keeps both inputs until the backward pass ends (only to read their shapes for broadcasting):
// on the residual stream that is four activation-sized tensors per block. Without broadcasting, the
// gradient of either input is dy itself, so this op keeps nothing.
const addOp = customOp(([x, branch]) => ({
  value: tf.add(x!, branch!),
  // Two tensors (sharing dy's data): tfjs may dispose one input's gradient when it accumulates it.
  gradFunc: (dy) => [dy.clone(), dy.clone()],
}));

/** `x + branch` for tensors of the same shape, with a backward that keeps no activations. */
export function residualAdd<T extends tf.Tensor>(x: T, branch: T): T {
  if (x.shape.length !== branch.shape.length || x.shape.some((s, i) => s !== branch.shape[i])) {
    throw new ShapeError('branch', `expected the residual's shape [${x.shape.join(', ')}], got [${branch.shape.join(', ')}]`);
  }
  return addOp(x, branch) as T;
}
