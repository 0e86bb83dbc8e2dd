// Float64 reference implementations of the losses, written from the formulas in deit-spec.md §3 with plain JS
// numbers. Tests check them against the PyTorch float64 values of loss_fixture.json first, then use them as the
// independent expectation for values and (by central differences) gradients of the TF.js implementations.

/** A matrix of plain numbers, row-major `[batch][classes]`. */
export type Matrix = number[][];

/** Log-softmax of one row, computed with the max shift. */
export function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

/** Labels as one-hot rows. */
export function oneHot(labels: number[], classes: number): Matrix {
  return labels.map((y) => Array.from({ length: classes }, (_, c) => (c === y ? 1 : 0)));
}

/** mean_b Σ_c −t·log p. */
export function softTargetCe64(logits: Matrix, targets: Matrix): number {
  let total = 0;
  logits.forEach((row, b) => {
    const lp = logSoftmaxRow(row);
    lp.forEach((v, c) => {
      total -= targets[b][c] * v;
    });
  });
  return total / logits.length;
}

/** Cross-entropy against integer labels. */
export function ce64(logits: Matrix, labels: number[]): number {
  return softTargetCe64(logits, oneHot(labels, logits[0].length));
}

/** timm LabelSmoothingCrossEntropy. */
export function labelSmoothing64(logits: Matrix, labels: number[], eps: number): number {
  let total = 0;
  logits.forEach((row, b) => {
    const lp = logSoftmaxRow(row);
    const nll = -lp[labels[b]];
    const smooth = -lp.reduce((s, v) => s + v, 0) / lp.length;
    total += (1 - eps) * nll + eps * smooth;
  });
  return total / logits.length;
}

/** BCEWithLogits, mean over all elements (targets used as given). */
export function bce64(logits: Matrix, targets: Matrix): number {
  let total = 0;
  let n = 0;
  logits.forEach((row, b) => {
    row.forEach((x, c) => {
      total += Math.max(x, 0) - x * targets[b][c] + Math.log1p(Math.exp(-Math.abs(x)));
      n++;
    });
  });
  return total / n;
}

/** τ²·Σ KL(p_t ‖ p_s) / (B·C) for `numel`, / B for `batchmean`. */
export function softKd64(student: Matrix, teacher: Matrix, tau: number, reduction: 'numel' | 'batchmean'): number {
  let kl = 0;
  student.forEach((row, b) => {
    const ls = logSoftmaxRow(row.map((v) => v / tau));
    const lt = logSoftmaxRow(teacher[b].map((v) => v / tau));
    lt.forEach((v, c) => {
      kl += Math.exp(v) * (v - ls[c]);
    });
  });
  const divisor = reduction === 'numel' ? student.length * student[0].length : student.length;
  return (kl * tau * tau) / divisor;
}

/** Index of the first maximum of each row. */
export function argmaxRows(m: Matrix): number[] {
  return m.map((row) => row.indexOf(Math.max(...row)));
}

/** Cross-entropy against the teacher's argmax. */
export function hardKd64(student: Matrix, teacher: Matrix): number {
  return ce64(student, argmaxRows(teacher));
}

/** Central-difference gradient of `f` with respect to every element of `x`. */
export function numericGrad(f: (x: Matrix) => number, x: Matrix, h = 1e-6): Matrix {
  return x.map((row, i) =>
    row.map((_, j) => {
      const plus = x.map((r) => r.slice());
      const minus = x.map((r) => r.slice());
      plus[i][j] += h;
      minus[i][j] -= h;
      return (f(plus) - f(minus)) / (2 * h);
    }),
  );
}
