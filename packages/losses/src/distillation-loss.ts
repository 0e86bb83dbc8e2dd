import { ConfigError, type DistilledLogits, type LossFn, ShapeError, tf } from '@deitjs/core';
import type { BaseLoss } from './base-criterion.js';
import { checkLogits, checkRange, checkSameShape } from './checks.js';
import { hardDistillation } from './hard-distillation.js';
import { checkReduction, type KlReduction, softDistillation } from './soft-distillation.js';

/** deit's `--distillation-type`. */
export type DistillationType = 'none' | 'soft' | 'hard';

/** Configuration of {@link distillationLoss} (deit's `DistillationLoss` constructor arguments). */
export interface DistillationLossConfig {
  /** Loss of the class head against the true targets, e.g. from `baseCriterion`. */
  base: BaseLoss;
  /** `'none'`: base loss only; `'soft'`: KL at temperature τ; `'hard'`: cross-entropy on the teacher's argmax. */
  type: DistillationType;
  /** Weight α in [0, 1] of the distillation term (deit default 0.5). */
  alpha?: number;
  /** Temperature τ > 0 of soft distillation (deit default 1.0). */
  tau?: number;
  /** Normalisation of the soft KL term: `'numel'` (deit, default) or `'batchmean'` (textbook). */
  reduction?: KlReduction;
}

/** The total loss and its two parts, each a scalar (for logging). */
export interface DistillationLossResult {
  /** `(1 − α)·base + α·distill`; for type `'none'` the very same tensor as `base`. */
  loss: tf.Scalar;
  /** Base loss of the class head. */
  base: tf.Scalar;
  /** Distillation loss of the dist head; absent for type `'none'`. */
  distill?: tf.Scalar;
}

const TYPES: readonly DistillationType[] = ['none', 'soft', 'hard'];

// Duck-typed rather than `instanceof tf.Tensor`, which fails when a second tfjs-core copy made the tensor.
function isDistilled(outputs: tf.Tensor2D | DistilledLogits): outputs is DistilledLogits {
  return typeof outputs === 'object' && outputs !== null && 'cls' in outputs && 'dist' in outputs;
}

/**
 * deit's `DistillationLoss`: `(1 − α)·base(cls) + α·kd(dist, teacher)`. Only the class head sees the base loss and
 * only the dist head the distillation loss; with type `'none'` the dist head gets no gradient at all (as in deit,
 * where it is still averaged into the eval output). The teacher logits are treated as constants (no gradient
 * flows into them); the caller runs the teacher in eval mode (BatchNorm running statistics, no dropout) on the
 * same augmented, mixed images the student saw. The result is a core `LossFn` (the trainer's loss contract) that
 * returns the total with its parts; `outputs` is `{cls, dist}` from a distilled model in training mode (or one logits
 * tensor for type `'none'`) and `teacherLogits` are required for `'soft'` and `'hard'`.
 */
export function distillationLoss(config: DistillationLossConfig): LossFn<DistillationLossResult> {
  const { base, type, alpha = 0.5, tau = 1, reduction = 'numel' } = config;
  if (typeof base !== 'function') throw new ConfigError('base', 'expected a base loss function');
  if (!TYPES.includes(type)) throw new ConfigError('type', `unknown distillation type "${type}" (choose ${TYPES.join(', ')})`);
  checkRange('alpha', alpha, 0, 1);
  checkRange('tau', tau, 0, Number.POSITIVE_INFINITY, { minOpen: true, maxOpen: true });
  checkReduction(reduction);

  return (outputs, targets, teacherLogits) => {
    if (type === 'none') {
      const cls = isDistilled(outputs) ? outputs.cls : outputs;
      checkLogits(cls, isDistilled(outputs) ? 'outputs.cls' : 'outputs');
      const baseLoss = base(cls, targets);
      return { loss: baseLoss, base: baseLoss };
    }
    if (!isDistilled(outputs)) {
      throw new ShapeError('outputs', `distillation type "${type}" needs both heads {cls, dist}; got one logits tensor`);
    }
    if (teacherLogits === undefined) throw new ShapeError('teacherLogits', `required for distillation type "${type}"`);
    checkSameShape(outputs.cls, 'outputs.cls', outputs.dist, 'outputs.dist');
    checkSameShape(outputs.dist, 'outputs.dist', teacherLogits, 'teacherLogits');
    return tf.tidy(() => {
      const baseLoss = base(outputs.cls, targets);
      const kd = type === 'soft' ? softDistillation(outputs.dist, teacherLogits, { tau, reduction }) : hardDistillation(outputs.dist, teacherLogits);
      const loss = tf.add(tf.mul(baseLoss, 1 - alpha), tf.mul(kd, alpha)) as tf.Scalar;
      return { loss, base: baseLoss, distill: kd };
    });
  };
}

/**
 * Adapts a {@link distillationLoss} to a `LossFn<tf.Scalar>` (the total loss only), disposing the logged parts so a
 * caller outside `tf.tidy` leaks nothing.
 */
export function toLossFn(fn: LossFn<DistillationLossResult>): LossFn<tf.Scalar> {
  return (outputs, targets, teacherLogits) => {
    const { loss, base, distill } = fn(outputs, targets, teacherLogits);
    if (base !== loss) base.dispose();
    if (distill !== undefined && distill !== loss) distill.dispose();
    return loss;
  };
}
