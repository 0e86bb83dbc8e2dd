// Compares a custom-gradient layer with the plain composition of ops it replaces: same loss Σ out ⊙ r,
// tf.variableGrads of both, error of each gradient relative to the plain one's largest magnitude.
import { maxAbsDiff, tf } from '@deitjs/core';

/** Largest |a − b| over the largest |b| (b the reference). */
export function relMaxErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  return maxAbsDiff(a, b) / (scale === 0 ? 1 : scale);
}

/** Per-variable relative error of the custom path's gradients (and `output`: of the forward values). */
export function compareWithPlain(
  custom: () => tf.Tensor,
  plain: () => tf.Tensor,
  variables: Map<string, tf.Variable>,
  r: tf.Tensor,
): Map<string, number> {
  const list = [...variables.values()];
  const run = (f: () => tf.Tensor): { out: Float32Array; grads: Float32Array[] } => {
    const out = tf.tidy(() => f().dataSync() as Float32Array);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), r)) as tf.Scalar, list);
    const g = list.map((v) => grads[v.name]!.dataSync() as Float32Array);
    tf.dispose([value, ...Object.values(grads)]);
    return { out, grads: g };
  };
  const a = run(custom);
  const b = run(plain);
  const errs = new Map<string, number>([['output', relMaxErr(a.out, b.out)]]);
  for (const [i, name] of [...variables.keys()].entries()) errs.set(name, relMaxErr(a.grads[i]!, b.grads[i]!));
  return errs;
}

/** tf.memory().numTensors before and after one training step (forward, gradients, disposal). */
export function tensorsAroundStep(loss: () => tf.Scalar, variables: tf.Variable[]): [number, number] {
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(loss, variables);
  tf.dispose([value, ...Object.values(grads)]);
  return [before, tf.memory().numTensors];
}
