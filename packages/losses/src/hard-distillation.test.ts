import { ShapeError, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { crossEntropy } from './cross-entropy.js';
import { hardDistillation } from './hard-distillation.js';
import { loadLossFixture } from './test/fixture.js';
import { argmaxRows, hardKd64, numericGrad } from './test/fp64.js';
import { expectGradClose, gradsOf, labelsOf, mat, relErr, valueAndGradOf, valuesOf } from './test/harness.js';

const fx = loadLossFixture();
const { dist_logits: student, teacher_logits: teacher } = fx.inputs;
const torchKd = fx.cases.find((c) => c.distillation_type === 'hard' && c.alpha === 1)!.loss;

describeOnBackends('hardDistillation', (backend) => {
  it("matches deit: plain cross-entropy on the teacher's argmax", () => {
    const s = mat(student);
    const t = mat(teacher);
    const got = hardDistillation(s, t).dataSync()[0];
    const err = relErr(got, torchKd);
    console.log(`${backend} hard KD: ${got} vs torch ${torchKd} (rel err ${err.toExponential(2)})`);
    expect(err).toBeLessThanOrEqual(1e-5);
    const y = labelsOf(argmaxRows(teacher));
    expect(got).toBe(crossEntropy(s, y).dataSync()[0]);
    tf.dispose([s, t, y]);
  });

  it('breaks ties towards the first class, as torch.argmax does', () => {
    const s = mat([[0.3, -1, 2]]);
    const t = mat([[1, 5, 5]]);
    const first = labelsOf([1]);
    expect(hardDistillation(s, t).dataSync()[0]).toBe(crossEntropy(s, first).dataSync()[0]);
    tf.dispose([s, t, first]);
  });

  it('gradients match central differences; the teacher gets a zero gradient', () => {
    const s = mat(student);
    const t = mat(teacher);
    const [gs, gt] = gradsOf((a: tf.Tensor2D, b: tf.Tensor2D) => hardDistillation(a, b))([s, t]);
    expectGradClose(`${backend} hard KD`, gs, numericGrad((m) => hardKd64(m, teacher), valuesOf(s)));
    expect(Array.from(gt.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose([s, t, gs, gt]);
  });

  it('stays finite for logits of ±1e4', () => {
    const s = mat([[1e4, -1e4]]);
    const t = mat([[-1e4, 1e4]]);
    const { value, grad } = valueAndGradOf((a: tf.Tensor2D) => hardDistillation(a, t))(s);
    expect(value.dataSync()[0]).toBe(2e4);
    expect(Array.from(grad.dataSync())).toEqual([1, -1]);
    tf.dispose([s, t, value, grad]);
  });

  it('leaves no tensors behind inside tidy', () => {
    const s = mat(student);
    const t = mat(teacher);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      gradsOf((a: tf.Tensor2D, b: tf.Tensor2D) => hardDistillation(a, b))([s, t]);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([s, t]);
  });
});

it('rejects mismatched shapes with a ShapeError naming the argument', () => {
  const s = mat(student);
  const wide = tf.zeros([4, 11]) as tf.Tensor2D;
  const rank3 = tf.zeros([4, 10, 1]) as unknown as tf.Tensor2D;
  expect(() => hardDistillation(s, wide)).toThrow(ShapeError);
  expect(() => hardDistillation(s, wide)).toThrow(/^teacher: 11 classes do not match student's 10/);
  expect(() => hardDistillation(rank3, s)).toThrow(/^student: expected logits \[batch, classes\]/);
  tf.dispose([s, wide, rank3]);
});
