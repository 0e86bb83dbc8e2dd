import { ConfigError, ShapeError, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { binaryCrossEntropy } from './binary-cross-entropy.js';
import { loadLossFixture } from './test/fixture.js';
import { bce64, type Matrix, numericGrad, oneHot } from './test/fp64.js';
import { expectGradClose, gradOf, labelsOf, mat, relErr, valueAndGradOf, valuesOf } from './test/harness.js';

const { cls_logits: logits, labels, soft_targets: soft } = loadLossFixture().inputs;
// Mixup targets with label smoothing 0.1 over 10 classes: off-values 0.01, the kind deit's --bce-loss binarises.
const mixed: Matrix = labels.map((y, b) => Array.from({ length: 10 }, (_, c) => 0.01 + 0.45 * Number(c === y) + 0.45 * Number(c === labels[3 - b])));

describeOnBackends('binaryCrossEntropy', (backend) => {
  it('equals BCEWithLogits (mean over all elements) for labels, binarised and raw targets', () => {
    const x = mat(logits);
    const x64 = valuesOf(x);
    const y = labelsOf(labels);
    const t = mat(mixed);
    const tSoft = mat(soft);
    const expectations: [string, number, number][] = [
      ['labels → one-hot', binaryCrossEntropy(x, y).dataSync()[0], bce64(x64, oneHot(labels, 10))],
      // deit: targets > 0, so every smoothed off-value becomes 1 (why the DeiT-III recipe sets --smoothing 0).
      ['mixup targets, default threshold 0', binaryCrossEntropy(x, t).dataSync()[0], bce64(x64, mixed.map((r) => r.map(() => 1)))],
      ['mixup targets, threshold 0.1', binaryCrossEntropy(x, t, { targetThreshold: 0.1 }).dataSync()[0], bce64(x64, mixed.map((r) => r.map((v) => Number(v > 0.1))))],
      ['soft targets as given', binaryCrossEntropy(x, tSoft, { targetThreshold: null }).dataSync()[0], bce64(x64, valuesOf(tSoft))],
    ];
    for (const [name, got, want] of expectations) {
      const err = relErr(got, want);
      console.log(`${backend} bce ${name}: ${got} vs fp64 ${want} (rel err ${err.toExponential(2)})`);
      expect(err).toBeLessThanOrEqual(1e-6);
    }
    // Zero logits: every element costs log 2 whatever its target.
    expect(binaryCrossEntropy(tf.zerosLike(x), tSoft, { targetThreshold: null }).dataSync()[0]).toBeCloseTo(Math.LN2, 6);
    tf.dispose([x, y, t, tSoft]);
  });

  it('gradients match central differences, and (σ(x) − t)/N exactly at x = 0', () => {
    const x = mat(logits);
    const tSoft = mat(soft);
    const y = labelsOf(labels);
    const g1 = gradOf((l: tf.Tensor2D) => binaryCrossEntropy(l, tSoft, { targetThreshold: null }))(x);
    expectGradClose(`${backend} bce soft`, g1, numericGrad((m) => bce64(m, valuesOf(tSoft)), valuesOf(x)));
    const g2 = gradOf((l: tf.Tensor2D) => binaryCrossEntropy(l, y))(x);
    expectGradClose(`${backend} bce labels`, g2, numericGrad((m) => bce64(m, oneHot(labels, 10)), valuesOf(x)));
    const g0 = gradOf((l: tf.Tensor2D) => binaryCrossEntropy(l, y))(tf.zeros([4, 10]));
    expectGradClose(`${backend} bce at 0`, g0, oneHot(labels, 10).map((r) => r.map((t) => (0.5 - t) / 40)));
    // With respect to raw targets (cosub-style sigmoid targets): d/dt = −x/N.
    const gt = gradOf((u: tf.Tensor2D) => binaryCrossEntropy(x, u, { targetThreshold: null }))(tSoft);
    expectGradClose(`${backend} bce d/d targets`, gt, valuesOf(x).map((r) => r.map((v) => -v / 40)));
    tf.dispose([x, tSoft, y, g1, g2, g0, gt]);
  });

  it('stays finite and exact for logits of ±1e4', () => {
    const x = mat([[1e4, -1e4, -1e4]]);
    const y = labelsOf([1]);
    // Elements: (1e4, t=0) costs 1e4, (−1e4, t=1) costs 1e4, (−1e4, t=0) costs 0 → mean 2e4/3.
    const { value, grad } = valueAndGradOf((l: tf.Tensor2D) => binaryCrossEntropy(l, y))(x);
    expect(relErr(value.dataSync()[0], 2e4 / 3)).toBeLessThan(1e-6);
    expect(Array.from(grad.dataSync())).toEqual([1 / 3, -1 / 3, 0].map((v) => Math.fround(v)));
    tf.dispose([x, y, value, grad]);
  });

  it('leaves no tensors behind inside tidy', () => {
    const x = mat(logits);
    const t = mat(mixed);
    const before = tf.memory().numTensors;
    const l = binaryCrossEntropy(x, t);
    expect(tf.memory().numTensors).toBe(before + 1);
    l.dispose();
    tf.tidy(() => {
      valueAndGradOf((z: tf.Tensor2D) => binaryCrossEntropy(z, t))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, t]);
  });
});

it('rejects a bad threshold and bad targets with typed errors', () => {
  const x = mat(logits);
  const wrong = tf.zeros([4, 3]) as tf.Tensor2D;
  const outOfRange = labelsOf([0, 1, 2, 99]);
  expect(() => binaryCrossEntropy(x, wrong, { targetThreshold: Number.NaN })).toThrow(ConfigError);
  expect(() => binaryCrossEntropy(x, wrong, { targetThreshold: Number.NaN })).toThrow(/^targetThreshold: expected a finite number or null/);
  expect(() => binaryCrossEntropy(x, wrong)).toThrow(ShapeError);
  expect(() => binaryCrossEntropy(x, wrong)).toThrow(/^targets: 3 classes do not match the logits' 10/);
  expect(() => binaryCrossEntropy(x, outOfRange)).toThrow(/^targets: label 99 at index 3 is outside \[0, 10\)/);
  tf.dispose([x, wrong, outOfRange]);
});
