import type { DistilledLogits, tf } from '@deitjs/core';

/**
 * The training loss: core's `LossFn` (a scalar), or a function returning the total as `loss` plus other named scalar
 * tensors to log (e.g. `{loss, base, distill}` from `@deitjs/losses` distillationLoss). Only `loss` is differentiated.
 */
export type TrainerLoss = (
  outputs: tf.Tensor2D | DistilledLogits,
  targets: tf.Tensor1D | tf.Tensor2D,
  teacherLogits?: tf.Tensor2D,
) => tf.Scalar | { loss: tf.Scalar };
