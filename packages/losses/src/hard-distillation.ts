import { tf } from '@deitjs/core';
import { checkSameShape, oneHotFloat } from './checks.js';
import { negLogLikelihood } from './cross-entropy.js';
import { stopGradient } from './stop-gradient.js';

/**
 * Hard distillation: cross-entropy of the student's logits against the teacher's argmax (ties go to the first
 * class, as in PyTorch), with no label smoothing (deit issue #56: augmentation supplies the smoothing). The teacher
 * logits are constants: no gradient flows into them.
 */
export function hardDistillation(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  checkSameShape(student, 'student', teacher, 'teacher');
  const classes = student.shape[1];
  return tf.tidy(() => {
    const teacherLabels = tf.argMax(stopGradient(teacher), 1) as tf.Tensor1D;
    return negLogLikelihood(tf.logSoftmax(student), oneHotFloat(teacherLabels, classes));
  });
}
