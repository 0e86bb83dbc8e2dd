import { type Rng, tf } from '@deitjs/core';

/** Agreement of analytic and finite-difference gradients for one variable. */
export interface GradCheckResult {
  /** The variable's name. */
  name: string;
  /** Elements compared. */
  checked: number;
  /** Largest |analytic − numeric| over the compared elements. */
  maxAbsErr: number;
  /** Largest |analytic| over the compared elements (the scale errors are judged against). */
  gradScale: number;
  /** Elements where |analytic − numeric| > atol + rtol·|numeric|. */
  failures: number;
}

/** Options of {@link checkGradients}. */
export interface GradCheckOptions {
  /** Picks which elements to compare. */
  rng: Rng;
  /** Elements compared per variable (default 12, or all if fewer). */
  samples?: number;
  /** Central-difference step (default 1e-2). */
  step?: number;
  /** Absolute tolerance (default 2e-3). */
  atol?: number;
  /** Relative tolerance (default 2e-2). */
  rtol?: number;
}

/**
 * Compares `tf.variableGrads` of a scalar loss with central finite differences (f(θ+h) − f(θ−h)) / 2h,
 * element by element for a random sample of each variable's elements; restores every variable afterwards.
 * Meant for tests on the cpu backend with small layers (float32 limits how tight the comparison can be).
 */
export function checkGradients(loss: () => tf.Scalar, variables: Map<string, tf.Variable>, options: GradCheckOptions): GradCheckResult[] {
  const h = options.step ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const list = [...variables.values()];
  const { value, grads } = tf.variableGrads(loss, list);
  value.dispose();
  const results: GradCheckResult[] = [];
  for (const [name, v] of variables) {
    const g = grads[v.name]!;
    const analytic = g.dataSync().slice();
    g.dispose();
    const original = v.dataSync().slice() as Float32Array;
    const n = original.length;
    const k = Math.min(options.samples ?? 12, n);
    const picks = k === n ? Array.from({ length: n }, (_, i) => i) : Array.from(options.rng.permutation(n).subarray(0, k));
    const evalAt = (i: number, delta: number): number => {
      const data = original.slice();
      data[i] = original[i]! + delta;
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
      return tf.tidy(() => loss().dataSync()[0]!);
    };
    let maxAbsErr = 0;
    let gradScale = 0;
    let failures = 0;
    for (const i of picks) {
      const numeric = (evalAt(i, h) - evalAt(i, -h)) / (2 * h);
      const err = Math.abs(analytic[i]! - numeric);
      maxAbsErr = Math.max(maxAbsErr, err);
      gradScale = Math.max(gradScale, Math.abs(analytic[i]!));
      if (err > atol + rtol * Math.abs(numeric)) failures++;
    }
    tf.tidy(() => v.assign(tf.tensor(original, v.shape, 'float32')));
    results.push({ name, checked: picks.length, maxAbsErr, gradScale, failures });
  }
  return results;
}
