import { tf } from '@deitjs/core';
import { checkLogits, checkRange, type Targets, targetMatrix } from './checks.js';
import { negLogLikelihood } from './cross-entropy.js';

/**
 * timm `LabelSmoothingCrossEntropy(smoothing)`: per sample `(1 − ε)·(−log p_y) + ε·mean_c(−log p_c)`, then the
 * batch mean. `smoothing` must lie in [0, 1). With per-class targets `t` the first term becomes `−Σ_c t·log p`,
 * which equals PyTorch's `CrossEntropyLoss(label_smoothing=ε)` on probability targets.
 */
export function labelSmoothingCrossEntropy(logits: tf.Tensor2D, labels: Targets, smoothing: number): tf.Scalar {
  checkRange('smoothing', smoothing, 0, 1, { maxOpen: true });
  const [batch, classes] = checkLogits(logits, 'logits');
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const nll = negLogLikelihood(logProbs, targetMatrix(labels, 'labels', batch, classes));
    const uniform = tf.neg(tf.mean(logProbs));
    return tf.add(tf.mul(nll, 1 - smoothing), tf.mul(uniform, smoothing));
  });
}
