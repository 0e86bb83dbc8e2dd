import { ConfigError, ShapeError, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { crossEntropy } from './cross-entropy.js';
import { labelSmoothingCrossEntropy } from './label-smoothing-cross-entropy.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
import { loadLossFixture } from './test/fixture.js';
import { ce64, labelSmoothing64, type Matrix, numericGrad, oneHot, softTargetCe64 } from './test/fp64.js';
import { expectGradClose, gradOf, labelsOf, mat, relErr, valueAndGradOf, valuesOf } from './test/harness.js';

const fx = loadLossFixture();
const { cls_logits: logits, labels, soft_targets: soft } = fx.inputs;
const torchNone = (base: string): number => fx.cases.find((c) => c.base_criterion === base && c.distillation_type === 'none')!.loss;

describeOnBackends('cross-entropy losses', (backend) => {
  it('matches PyTorch: CrossEntropy, LabelSmoothingCrossEntropy(0.1), SoftTargetCrossEntropy', () => {
    const x = mat(logits);
    const y = labelsOf(labels);
    const t = mat(soft);
    const got = [
      ['CrossEntropy', crossEntropy(x, y).dataSync()[0]],
      ['LabelSmoothingCrossEntropy(0.1)', labelSmoothingCrossEntropy(x, y, 0.1).dataSync()[0]],
      ['SoftTargetCrossEntropy', softTargetCrossEntropy(x, t).dataSync()[0]],
    ] as const;
    for (const [name, value] of got) {
      const err = relErr(value, torchNone(name));
      console.log(`${backend} ${name}: ${value} vs torch ${torchNone(name)} (rel err ${err.toExponential(2)})`);
      expect(err).toBeLessThanOrEqual(1e-5);
    }
    tf.dispose([x, y, t]);
  });

  it('accepts either target form: labels and their one-hot rows give the same loss', () => {
    const x = mat(logits);
    const y = labelsOf(labels);
    const hot = mat(oneHot(labels, 10));
    for (const f of [crossEntropy, softTargetCrossEntropy, (a: tf.Tensor2D, b: tf.Tensor1D | tf.Tensor2D) => labelSmoothingCrossEntropy(a, b, 0.3)]) {
      expect(f(x, hot).dataSync()[0]).toBeCloseTo(f(x, y).dataSync()[0], 6);
    }
    // Probability targets with label smoothing: (1 − ε)·softCE + ε·uniform CE, as PyTorch's label_smoothing.
    const expected = 0.7 * softTargetCe64(valuesOf(x), soft) + 0.3 * softTargetCe64(valuesOf(x), soft.map((r) => r.map(() => 0.1)));
    expect(relErr(labelSmoothingCrossEntropy(x, mat(soft), 0.3).dataSync()[0], expected)).toBeLessThan(1e-6);
    tf.dispose([x, y, hot]);
  });

  it('gradients match central differences of the float64 formulas', () => {
    const x = mat(logits);
    const x64 = valuesOf(x);
    const y = labelsOf(labels);
    const t = mat(soft);
    const cases: [string, (l: tf.Tensor2D) => tf.Scalar, (m: Matrix) => number][] = [
      ['crossEntropy', (l) => crossEntropy(l, y), (m) => ce64(m, labels)],
      ['labelSmoothingCrossEntropy', (l) => labelSmoothingCrossEntropy(l, y, 0.1), (m) => labelSmoothing64(m, labels, 0.1)],
      ['softTargetCrossEntropy', (l) => softTargetCrossEntropy(l, t), (m) => softTargetCe64(m, valuesOf(t))],
    ];
    for (const [name, f, f64] of cases) {
      const g = gradOf(f)(x);
      expectGradClose(`${backend} ${name}`, g, numericGrad(f64, x64));
      g.dispose();
    }
    // Hand-derived: d CE / d z = (softmax(z) − onehot(y)) / B.
    const g = gradOf((l: tf.Tensor2D) => crossEntropy(l, y))(x);
    const analytic = x64.map((row, b) => {
      const e = row.map((v) => Math.exp(v - Math.max(...row)));
      const s = e.reduce((p, q) => p + q, 0);
      return e.map((v, c) => (v / s - (c === labels[b] ? 1 : 0)) / x64.length);
    });
    expectGradClose(`${backend} crossEntropy (analytic)`, g, analytic);
    tf.dispose([x, y, t, g]);
  });

  it('stays finite and exact for logits of ±1e4', () => {
    const x = mat([
      [1e4, -1e4, 0],
      [-1e4, 1e4, -1e4],
    ]);
    const y = labelsOf([0, 0]);
    // Row 0 predicts its label with probability 1 (loss 0); row 1 has log p_0 = −2e4.
    expect(crossEntropy(x, y).dataSync()[0]).toBeCloseTo(1e4, 0);
    for (const f of [
      (l: tf.Tensor2D) => crossEntropy(l, y),
      (l: tf.Tensor2D) => labelSmoothingCrossEntropy(l, y, 0.1),
      (l: tf.Tensor2D) => softTargetCrossEntropy(l, mat([[0.5, 0.5, 0], [0, 0.25, 0.75]])),
    ]) {
      const { value, grad } = valueAndGradOf(f)(x);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([value, grad]);
    }
    tf.dispose([x, y]);
  });

  it('leaves only its result tensor; loss + grads inside tidy leave nothing', () => {
    const x = mat(logits);
    const y = labelsOf(labels);
    const t = mat(soft);
    const before = tf.memory().numTensors;
    const l = labelSmoothingCrossEntropy(x, y, 0.1);
    expect(tf.memory().numTensors).toBe(before + 1);
    l.dispose();
    tf.tidy(() => {
      valueAndGradOf((z: tf.Tensor2D) => crossEntropy(z, y))(x);
      valueAndGradOf((z: tf.Tensor2D) => labelSmoothingCrossEntropy(z, y, 0.1))(x);
      valueAndGradOf((z: tf.Tensor2D) => softTargetCrossEntropy(z, t))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, t]);
  });
});

it('rejects bad inputs with typed errors naming the argument, leaking nothing', () => {
  const x = mat(logits);
  const inputs = {
    rank1: tf.tensor1d([1, 2]) as unknown as tf.Tensor2D,
    empty: tf.zeros([0, 10]) as tf.Tensor2D,
    noLabels: labelsOf([]),
    three: labelsOf([0, 1, 2]),
    ten: labelsOf([0, 1, 10, 3]),
    negative: labelsOf([0, -1, 2, 3]),
    floatLabels: tf.tensor1d([0, 1, 2, 3], 'float32'),
    oneRow: mat([[1, 0]]),
    nineClasses: tf.zeros([4, 9]) as tf.Tensor2D,
    rank3: tf.zeros([4, 10, 1]) as unknown as tf.Tensor2D,
    intTargets: tf.zeros([4, 10], 'int32') as tf.Tensor2D,
    good: labelsOf(labels),
  };
  const bad: [() => unknown, typeof ShapeError | typeof ConfigError, RegExp][] = [
    [() => crossEntropy(inputs.rank1, inputs.good), ShapeError, /^logits: expected logits \[batch, classes\], got shape \[2\]/],
    [() => crossEntropy(inputs.empty, inputs.noLabels), ShapeError, /^logits: empty logits \[0, 10\]/],
    [() => crossEntropy(x, inputs.three), ShapeError, /^labels: 3 labels for a batch of 4/],
    [() => crossEntropy(x, inputs.ten), ShapeError, /^labels: label 10 at index 2 is outside \[0, 10\)/],
    [() => labelSmoothingCrossEntropy(x, inputs.negative, 0.1), ShapeError, /^labels: label -1 at index 1/],
    [() => crossEntropy(x, inputs.floatLabels), ShapeError, /^labels: integer labels must be int32, got float32/],
    [() => softTargetCrossEntropy(x, inputs.oneRow), ShapeError, /^targets: batch size 1 does not match the logits' 4/],
    [() => softTargetCrossEntropy(x, inputs.nineClasses), ShapeError, /^targets: 9 classes do not match the logits' 10/],
    [() => softTargetCrossEntropy(x, inputs.rank3), ShapeError, /^targets: expected int32 labels \[4\] or targets \[4, 10\]/],
    [() => softTargetCrossEntropy(x, inputs.intTargets), ShapeError, /^targets: per-class targets must be float32, got int32/],
    [() => labelSmoothingCrossEntropy(x, inputs.good, 1), ConfigError, /^smoothing: 1 is outside \[0, 1\)/],
    [() => labelSmoothingCrossEntropy(x, inputs.good, -0.1), ConfigError, /^smoothing: -0.1 is outside/],
    [() => labelSmoothingCrossEntropy(x, inputs.good, Number.NaN), ConfigError, /^smoothing: NaN/],
  ];
  const before = tf.memory().numTensors;
  for (const [f, type, message] of bad) {
    expect(f).toThrow(type);
    expect(f).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  }
  tf.dispose([x, ...Object.values(inputs)]);
});
