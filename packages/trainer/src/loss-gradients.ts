import { type LossFn, type Rng, type Teacher, tf } from '@deitjs/core';
import type { Student } from './student.js';

/** A model with its loss and trainable variables: what computes gradients (this thread's, or a replica's). */
export interface GradientModel {
  /** The model in training mode. */
  student: Student;
  /** The training loss (a scalar, or `{loss, ...parts}`). */
  loss: LossFn;
  /** The trainable variables by PyTorch name (`student.trainableVariables()`). */
  variables: Map<string, tf.Variable>;
  /** A live teacher, for batches that come without teacher logits. */
  teacher?: Teacher;
}

/** The gradients of one batch's loss. */
export interface GradientResult {
  /** Gradient per trainable variable, by PyTorch name (the caller disposes them). */
  grads: Map<string, tf.Tensor>;
  /** The loss (may be NaN/Inf: the caller decides). */
  loss: number;
  /** The loss's other named scalar parts, when it returns a record. */
  parts: Record<string, number>;
}

function isScalarTensor(x: unknown): x is tf.Scalar {
  // Duck-typed: a loss's result is a tensor (has a dataId) or a record of them.
  return typeof x === 'object' && x !== null && 'dataId' in x;
}

/**
 * Forward in training mode, loss, and the gradient of the loss for every trainable variable; reads the loss and its
 * parts once. `teacherLogits` (when given) are used as they are; otherwise `model.teacher` (if any) runs on the
 * images without gradients. Leaves no tensors behind besides the returned gradients.
 */
export async function lossAndGradients(
  model: GradientModel,
  images: tf.Tensor4D,
  targets: tf.Tensor1D | tf.Tensor2D,
  teacherLogits: tf.Tensor2D | undefined,
  rng: Rng,
): Promise<GradientResult> {
  const ownTeacher = teacherLogits === undefined && model.teacher !== undefined ? tf.tidy(() => model.teacher!.predict(images)) : undefined;
  const teacher = teacherLogits ?? ownTeacher;
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  let parts: Array<[string, tf.Scalar]> = [];
  try {
    result = tf.variableGrads(() => {
      const out = model.student.apply(images, { training: true, rng });
      const l = model.loss(out, targets, teacher);
      if (isScalarTensor(l)) return l;
      // The parts would die with the gradient tape's scope; keep them to read them once with the loss.
      parts = Object.entries(l).filter((e): e is [string, tf.Scalar] => e[0] !== 'loss' && isScalarTensor(e[1]) && e[1] !== l.loss);
      for (const [, t] of parts) tf.keep(t);
      return l.loss;
    }, [...model.variables.values()]);
  } finally {
    ownTeacher?.dispose();
  }
  const nameOf = new Map<string, string>();
  for (const [name, v] of model.variables) nameOf.set(v.name, name);
  const grads = new Map<string, tf.Tensor>();
  for (const [tfName, g] of Object.entries(result.grads)) grads.set(nameOf.get(tfName)!, g);
  const values = tf.tidy(() => tf.stack([result.value, ...parts.map(([, t]) => t)]));
  const read = await values.data();
  values.dispose();
  result.value.dispose();
  for (const [, t] of parts) t.dispose();
  const partValues: Record<string, number> = {};
  parts.forEach(([name], i) => {
    partValues[name] = read[i + 1]!;
  });
  return { grads, loss: read[0]!, parts: partValues };
}
