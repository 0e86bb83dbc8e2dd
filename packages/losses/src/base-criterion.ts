import type { tf } from '@deitjs/core';
import { binaryCrossEntropy } from './binary-cross-entropy.js';
import { checkRange, type Targets } from './checks.js';
import { crossEntropy } from './cross-entropy.js';
import { labelSmoothingCrossEntropy } from './label-smoothing-cross-entropy.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';

/** A base (non-distillation) loss: logits `[batch, classes]` and int32 labels or per-class targets → scalar. */
export type BaseLoss = (logits: tf.Tensor2D, targets: Targets) => tf.Scalar;

/** The training options of deit's main.py that decide its base criterion (defaults are main.py's). */
export interface BaseCriterionOptions {
  /** Mixup or CutMix is active (`--mixup > 0`, `--cutmix > 0` or `--cutmix-minmax`); default true. */
  mixup?: boolean;
  /** Label smoothing ε in [0, 1) (`--smoothing`); default 0.1. Mixup folds it into its targets instead. */
  smoothing?: number;
  /** `--bce-loss`: binary cross-entropy on targets binarised with `> 0`; default false. */
  bceLoss?: boolean;
}

/**
 * The base criterion deit's main.py picks: `--bce-loss` → {@link binaryCrossEntropy}; else Mixup/CutMix active →
 * {@link softTargetCrossEntropy}; else smoothing > 0 → {@link labelSmoothingCrossEntropy}; else {@link crossEntropy}.
 */
export function baseCriterion(options: BaseCriterionOptions = {}): BaseLoss {
  const { mixup = true, smoothing = 0.1, bceLoss = false } = options;
  checkRange('smoothing', smoothing, 0, 1, { maxOpen: true });
  if (bceLoss) return (logits, targets) => binaryCrossEntropy(logits, targets);
  if (mixup) return softTargetCrossEntropy;
  if (smoothing > 0) return (logits, targets) => labelSmoothingCrossEntropy(logits, targets, smoothing);
  return crossEntropy;
}
