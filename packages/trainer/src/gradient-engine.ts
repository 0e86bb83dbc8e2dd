import type { Rng, tf } from '@deitjs/core';
import { type GradientModel, type GradientResult, lossAndGradients } from './loss-gradients.js';

/**
 * What computes a micro-batch's loss and gradients for the trainer (its `engine` option): the tfjs engine (the
 * model's own forward and backward under `tf.variableGrads`) by default, or another runtime, e.g. @deitjs/onnx's
 * `OrtTrainingEngine` (the whole step as one ONNX Runtime graph). The optimiser, clipping, EMA, schedule and
 * checkpoints stay in the trainer whatever the engine, so a run can resume on either.
 */
export interface GradientEngine {
  /** Short name for logs (`tfjs`, `onnx`). */
  readonly name: string;
  /**
   * Loss, its named parts and the gradient of every trainable variable (by PyTorch name, in the variable's shape;
   * the caller disposes them) for one batch, drawing the step's randomness (drop path) from `rng` exactly as the
   * tfjs engine does. `teacherLogits`, when given, are used as they are; otherwise `model.teacher` (if any) runs.
   */
  lossAndGradients(
    model: GradientModel,
    images: tf.Tensor4D,
    targets: tf.Tensor1D | tf.Tensor2D,
    teacherLogits: tf.Tensor2D | undefined,
    rng: Rng,
  ): Promise<GradientResult>;
}

/** The default engine: TF.js autodiff (with the layers' custom gradients) on the current backend. */
export const tfjsEngine: GradientEngine = { name: 'tfjs', lossAndGradients };
