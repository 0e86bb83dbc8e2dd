import { tf } from '@deitjs/core';
import { checkLogits, type Targets, targetMatrix } from './checks.js';
import { negLogLikelihood } from './cross-entropy.js';

/**
 * timm `SoftTargetCrossEntropy`: `mean_b Σ_c −target(b,c)·log_softmax(logits)(b,c)`, the base loss deit uses with
 * Mixup/CutMix targets (label smoothing is already folded into them). Int32 labels are taken as one-hot targets.
 */
export function softTargetCrossEntropy(logits: tf.Tensor2D, targets: Targets): tf.Scalar {
  const [batch, classes] = checkLogits(logits, 'logits');
  return tf.tidy(() => negLogLikelihood(tf.logSoftmax(logits), targetMatrix(targets, 'targets', batch, classes)));
}
