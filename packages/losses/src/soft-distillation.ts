import { ConfigError, tf } from '@deitjs/core';
import { checkRange, checkSameShape } from './checks.js';
import { stopGradient } from './stop-gradient.js';

/**
 * How {@link softDistillation} normalises the summed KL divergence:
 * - `'numel'` divides by batch × classes, as deit's losses.py does (`kl_div(..., reduction='sum') / numel()`);
 *   this is the legacy "mean over all elements" and is `classes` times smaller than the textbook loss.
 * - `'batchmean'` divides by the batch size: the textbook KL (Hinton et al.), the mathematically proper mean.
 */
export type KlReduction = 'numel' | 'batchmean';

/** Options of {@link softDistillation}. */
export interface SoftDistillationOptions {
  /** Temperature τ > 0 (deit default 1.0); the loss is multiplied by τ² so gradient sizes do not shrink with τ. */
  tau?: number;
  /** Normalisation of the summed KL; default `'numel'` (deit). See {@link KlReduction}. */
  reduction?: KlReduction;
}

/** Checks a {@link KlReduction} value, naming the option. */
export function checkReduction(reduction: string, option = 'reduction'): KlReduction {
  if (reduction === 'numel' || reduction === 'batchmean') return reduction;
  throw new ConfigError(option, `unknown reduction "${reduction}" (choose numel or batchmean)`);
}

/**
 * Soft distillation: `τ² · Σ_b Σ_c p_t·(log p_t − log p_s) / N` with `p_s = softmax(student/τ)`,
 * `p_t = softmax(teacher/τ)`, and `N = batch × classes` (`reduction: 'numel'`, deit's DistillationLoss — note it
 * is `classes` times smaller than the textbook KD loss) or `N = batch` (`'batchmean'`, the textbook form).
 * Both are computed from log-softmax (deit's `log_target=True`), so extreme logits stay finite. The teacher logits
 * are constants: no gradient flows into them.
 */
export function softDistillation(student: tf.Tensor2D, teacher: tf.Tensor2D, options: SoftDistillationOptions = {}): tf.Scalar {
  const tau = options.tau ?? 1;
  checkRange('tau', tau, 0, Number.POSITIVE_INFINITY, { minOpen: true, maxOpen: true });
  const reduction = checkReduction(options.reduction ?? 'numel');
  checkSameShape(student, 'student', teacher, 'teacher');
  const [batch, classes] = student.shape;
  const divisor = reduction === 'numel' ? batch * classes : batch;
  return tf.tidy(() => {
    const logPs = tf.logSoftmax(tf.div(student, tau));
    const logPt = tf.logSoftmax(tf.div(stopGradient(teacher), tau));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)));
    return tf.mul(kl, (tau * tau) / divisor);
  });
}
