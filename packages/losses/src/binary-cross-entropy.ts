import { ConfigError, tf } from '@deitjs/core';
import { checkLogits, type Targets, targetMatrix } from './checks.js';

/** Options of {@link binaryCrossEntropy}. */
export interface BinaryCrossEntropyOptions {
  /**
   * Targets above this value become 1, the rest 0, before the loss (timm's `target_threshold`). The default 0 is
   * deit's `--bce-loss` (engine.py binarises with `targets > 0`), so with label smoothing every off-class value ε/C
   * would become 1: use it with `--smoothing 0`. `null` keeps per-class targets as they are (plain BCEWithLogits).
   */
  targetThreshold?: number | null;
}

// Forward with the stable form max(x,0) − x·t + log1p(exp(−|x|)); backward with the exact (σ(x) − t)/N, which the
// automatic gradient of that form gets wrong at x = 0 (abs and relu have zero subgradient there).
const bceWithLogitsMean = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, t, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, t]);
  const value = tf.mean(tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))));
  return {
    value: value as tf.Scalar,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ts] = saved as [tf.Tensor, tf.Tensor];
      const scale = tf.div(dy, xs.size);
      return [tf.mul(tf.sub(tf.sigmoid(xs), ts), scale), tf.mul(tf.neg(xs), scale)];
    },
  };
});

/**
 * PyTorch `BCEWithLogitsLoss` (mean over all batch × classes elements) as deit's `--bce-loss` uses it: int32
 * labels become one-hot rows, per-class targets are binarised with `targets > targetThreshold` (default 0; see
 * {@link BinaryCrossEntropyOptions}).
 */
export function binaryCrossEntropy(logits: tf.Tensor2D, targets: Targets, options: BinaryCrossEntropyOptions = {}): tf.Scalar {
  const threshold = options.targetThreshold === undefined ? 0 : options.targetThreshold;
  if (threshold !== null && (typeof threshold !== 'number' || !Number.isFinite(threshold))) {
    throw new ConfigError('targetThreshold', `expected a finite number or null, got ${threshold}`);
  }
  const [batch, classes] = checkLogits(logits, 'logits');
  return tf.tidy(() => {
    let t: tf.Tensor = targetMatrix(targets, 'targets', batch, classes);
    if (threshold !== null && targets.rank === 2) t = tf.cast(tf.greater(t, threshold), 'float32');
    return bceWithLogitsMean(logits, t) as tf.Scalar;
  });
}
