import { tf } from '@deitjs/core';
import { checkLogits, type Targets, targetMatrix } from './checks.js';

/**
 * Batch mean of `−Σ_c target(b,c) · log_softmax(logits)(b,c)`: the cross-entropy shared by every base loss here.
 * Taking a one-hot product instead of `gather` keeps the backward pass on kernels every backend has (the wasm
 * backend lacks the gather gradient), and log-softmax subtracts the row maximum, so ±1e4 logits stay finite.
 */
export function negLogLikelihood(logProbs: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, logProbs), 1))) as tf.Scalar;
}

/**
 * Cross-entropy of `logits` [batch, classes] against int32 `labels` [batch] (PyTorch `F.cross_entropy`,
 * mean over the batch). Per-class float32 targets [batch, classes] are accepted too and give the
 * probability-target form, `−Σ_c t·log p` averaged over the batch.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: Targets): tf.Scalar {
  const [batch, classes] = checkLogits(logits, 'logits');
  return tf.tidy(() => negLogLikelihood(tf.logSoftmax(logits), targetMatrix(labels, 'labels', batch, classes)));
}
