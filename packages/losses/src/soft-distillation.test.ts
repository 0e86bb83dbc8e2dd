import { ConfigError, ShapeError, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { type KlReduction, softDistillation } from './soft-distillation.js';
import { loadLossFixture } from './test/fixture.js';
import { numericGrad, softKd64 } from './test/fp64.js';
import { expectGradClose, gradsOf, mat, relErr, valueAndGradOf, valuesOf } from './test/harness.js';

const fx = loadLossFixture();
const { dist_logits: student, teacher_logits: teacher } = fx.inputs;
// alpha = 1 cases are the pure KD term of deit's DistillationLoss (the base loss is weighted by 0).
const torchKd = (tau: number): number => fx.cases.find((c) => c.distillation_type === 'soft' && c.alpha === 1 && c.tau === tau)!.loss;

describeOnBackends('softDistillation', (backend) => {
  it('matches deit (reduction numel) for tau 1 and 3; batchmean is classes times larger', () => {
    const s = mat(student);
    const t = mat(teacher);
    for (const tau of [1, 3]) {
      const numel = softDistillation(s, t, { tau }).dataSync()[0];
      const err = relErr(numel, torchKd(tau));
      console.log(`${backend} soft KD tau ${tau}: ${numel} vs torch ${torchKd(tau)} (rel err ${err.toExponential(2)})`);
      expect(err).toBeLessThanOrEqual(1e-5);
      const batchmean = softDistillation(s, t, { tau, reduction: 'batchmean' }).dataSync()[0];
      expect(relErr(batchmean, softKd64(valuesOf(s), valuesOf(t), tau, 'batchmean'))).toBeLessThanOrEqual(1e-5);
      expect(relErr(batchmean, 10 * numel)).toBeLessThan(1e-6);
    }
    tf.dispose([s, t]);
  });

  it('is zero when the student equals the teacher and positive otherwise', () => {
    const t = mat(teacher);
    const s = mat(student);
    expect(Math.abs(softDistillation(t, t, { tau: 2 }).dataSync()[0])).toBeLessThan(1e-7);
    expect(softDistillation(s, t, { tau: 2 }).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([s, t]);
  });

  it('gradients match central differences; the teacher gets a zero gradient', () => {
    const s = mat(student);
    const t = mat(teacher);
    for (const [tau, reduction] of [
      [1, 'numel'],
      [3, 'numel'],
      [3, 'batchmean'],
    ] as [number, KlReduction][]) {
      const [gs, gt] = gradsOf((a: tf.Tensor2D, b: tf.Tensor2D) => softDistillation(a, b, { tau, reduction }))([s, t]);
      expectGradClose(`${backend} soft KD tau ${tau} ${reduction}`, gs, numericGrad((m) => softKd64(m, teacher, tau, reduction), valuesOf(s)));
      expect(Array.from(gt.dataSync()).every((v) => v === 0)).toBe(true);
      tf.dispose([gs, gt]);
    }
    tf.dispose([s, t]);
  });

  it('stays finite for logits of ±1e4', () => {
    const s = mat([[1e4, -1e4, 0]]);
    const t = mat([[-1e4, 1e4, 0]]);
    const { value, grad } = valueAndGradOf((a: tf.Tensor2D) => softDistillation(a, t, { tau: 1 }))(s);
    // All teacher mass on class 1, where the student has log p = −2e4: KL = 2e4, divided by numel 3.
    expect(relErr(value.dataSync()[0], 2e4 / 3)).toBeLessThan(1e-6);
    expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([s, t, value, grad]);
  });

  it('leaves no tensors behind inside tidy', () => {
    const s = mat(student);
    const t = mat(teacher);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      gradsOf((a: tf.Tensor2D, b: tf.Tensor2D) => softDistillation(a, b, { tau: 3 }))([s, t]);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, t]);
  });
});

it('rejects bad options and shapes with typed errors', () => {
  const s = mat(student);
  const t = mat(teacher);
  const short = tf.zeros([3, 10]) as tf.Tensor2D;
  const narrow = tf.zeros([4, 9]) as tf.Tensor2D;
  const cases: [() => unknown, typeof ShapeError | typeof ConfigError, RegExp][] = [
    [() => softDistillation(s, t, { tau: 0 }), ConfigError, /^tau: 0 is outside \(0, ∞\)/],
    [() => softDistillation(s, t, { tau: -1 }), ConfigError, /^tau: -1 is outside/],
    [() => softDistillation(s, t, { tau: Number.POSITIVE_INFINITY }), ConfigError, /^tau: Infinity is outside/],
    [() => softDistillation(s, t, { reduction: 'mean' as KlReduction }), ConfigError, /^reduction: unknown reduction "mean"/],
    [() => softDistillation(s, short), ShapeError, /^teacher: batch size 3 does not match student's 4/],
    [() => softDistillation(s, narrow), ShapeError, /^teacher: 9 classes do not match student's 10/],
  ];
  for (const [f, type, message] of cases) {
    expect(f).toThrow(type);
    expect(f).toThrow(message);
  }
  tf.dispose([s, t, short, narrow]);
});
