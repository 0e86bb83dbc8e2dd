// Losses for the trainer's tests.
import { type DistilledLogits, type LossFn, tf } from '@deitjs/core';

/** Mean softmax cross-entropy with integer labels (a simple local loss for tests). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1])), 1))) as tf.Scalar);
}

/** A hard-distillation loss in deit's form: ½·CE(cls, y) + ½·CE(dist, argmax teacher); plain CE without a teacher. */
export const testLoss: LossFn<tf.Scalar> = (outputs, targets, teacherLogits) =>
  tf.tidy(() => {
    const labels = targets as tf.Tensor1D;
    if (outputs instanceof tf.Tensor) return crossEntropy(outputs as tf.Tensor2D, labels);
    const both = outputs as DistilledLogits;
    const base = crossEntropy(both.cls, labels);
    if (teacherLogits === undefined) return base;
    const kd = crossEntropy(both.dist, tf.argMax(teacherLogits, 1) as tf.Tensor1D);
    return tf.add(tf.mul(base, 0.5), tf.mul(kd, 0.5)) as tf.Scalar;
  });

/**
 * The result shape of `@deitjs/losses` distillationLoss, declared as an interface like there: interfaces get no implicit
 * index signature, so this keeps core's `LossFn` accepting that loss as it is (checked by tsc where the trainer tests use it).
 */
export interface LossParts {
  loss: tf.Scalar;
  base: tf.Scalar;
  distill?: tf.Scalar;
}

/** {@link testLoss} returning its parts like `@deitjs/losses` distillationLoss: `{loss, base, distill}`. */
export function testLossWithParts(
  outputs: tf.Tensor2D | DistilledLogits,
  targets: tf.Tensor1D | tf.Tensor2D,
  teacherLogits?: tf.Tensor2D,
): LossParts {
  return tf.tidy(() => {
    const both = outputs as DistilledLogits;
    const base = crossEntropy(both.cls, targets as tf.Tensor1D);
    const distill = crossEntropy(both.dist, tf.argMax(teacherLogits!, 1) as tf.Tensor1D);
    return { loss: tf.add(tf.mul(base, 0.5), tf.mul(distill, 0.5)) as tf.Scalar, base, distill };
  });
}
