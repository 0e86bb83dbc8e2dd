// The browser entry of @deitjs/losses (`dist/browser.js`, what bundlers targeting browsers import): all of the package — it
// needs no Node built-in. Node's entry (index.ts) re-exports it; Node-only exports would go there (ARCHITECTURE.md).
export type { Targets } from './checks.js';
export { crossEntropy } from './cross-entropy.js';
export { labelSmoothingCrossEntropy } from './label-smoothing-cross-entropy.js';
export { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
export { binaryCrossEntropy, type BinaryCrossEntropyOptions } from './binary-cross-entropy.js';
export { softDistillation, type SoftDistillationOptions, type KlReduction } from './soft-distillation.js';
export { hardDistillation } from './hard-distillation.js';
export { stopGradient } from './stop-gradient.js';
export { baseCriterion, type BaseLoss, type BaseCriterionOptions } from './base-criterion.js';
export {
  distillationLoss,
  toLossFn,
  type DistillationType,
  type DistillationLossConfig,
  type DistillationLossResult,
} from './distillation-loss.js';
