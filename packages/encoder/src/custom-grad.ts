import { tf } from '@deitjs/core';

/** What the forward function of a {@link customOp} returns. */
export interface CustomOpResult {
  /** The op's output. */
  value: tf.Tensor;
  /** Gradients of every input, in order, from the output's gradient and the tensors passed to `save`. */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

/**
 * `tf.customGrad` with typed inputs: the whole forward becomes one tape node that keeps only what `save`
 * was given, instead of every intermediate's inputs. The backward runs in a tidy, so its temporaries are
 * freed at once rather than when tfjs's whole backward pass ends (tfjs keeps every gradient until then).
 */
export function customOp(forward: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => CustomOpResult): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { value, gradFunc } = forward(args.slice(0, -1) as tf.Tensor[], save);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => gradFunc(dy, saved)) };
  });
}

/**
 * Applies `steps` in turn starting from `first`, freeing each intermediate (and `first`) as soon as the next
 * exists: inside a backward, a tidy alone would keep every temporary until it ends, and those temporaries
 * (several activation-sized tensors per layer) set the training step's peak memory.
 */
export function chain(first: tf.Tensor, ...steps: Array<(t: tf.Tensor) => tf.Tensor>): tf.Tensor {
  let t = first;
  for (const step of steps) {
    const next = step(t);
    t.dispose();
    t = next;
  }
  return t;
}
