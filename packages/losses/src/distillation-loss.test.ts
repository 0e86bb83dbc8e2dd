import { ConfigError, type DistilledLogits, ShapeError, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { describe, expect, it } from 'vitest';
import type { BaseLoss } from './base-criterion.js';
import { crossEntropy } from './cross-entropy.js';
import { type DistillationType, distillationLoss, toLossFn } from './distillation-loss.js';
import { labelSmoothingCrossEntropy } from './label-smoothing-cross-entropy.js';
import { softTargetCrossEntropy } from './soft-target-cross-entropy.js';
import { type LossCase, loadLossFixture } from './test/fixture.js';
import { ce64, hardKd64, labelSmoothing64, type Matrix, numericGrad, softKd64, softTargetCe64 } from './test/fp64.js';
import { expectGradClose, gradsOf, labelsOf, mat, relErr, valuesOf } from './test/harness.js';

const fx = loadLossFixture();
const { cls_logits: cls, dist_logits: dist, teacher_logits: teacher, labels, soft_targets: soft } = fx.inputs;

const BASES: Record<LossCase['base_criterion'], BaseLoss> = {
  CrossEntropy: crossEntropy,
  'LabelSmoothingCrossEntropy(0.1)': (l, t) => labelSmoothingCrossEntropy(l, t, 0.1),
  SoftTargetCrossEntropy: softTargetCrossEntropy,
};

/** deit's DistillationLoss in float64, straight from deit-spec.md §3.1. */
function reference64(c: Pick<LossCase, 'base_criterion' | 'distillation_type' | 'alpha' | 'tau'>, z: Matrix, zd: Matrix, zt: Matrix): number {
  const base =
    c.base_criterion === 'CrossEntropy' ? ce64(z, labels) : c.base_criterion === 'SoftTargetCrossEntropy' ? softTargetCe64(z, soft) : labelSmoothing64(z, labels, 0.1);
  if (c.distillation_type === 'none') return base;
  const kd = c.distillation_type === 'soft' ? softKd64(zd, zt, c.tau, 'numel') : hardKd64(zd, zt);
  return (1 - c.alpha) * base + c.alpha * kd;
}

describe('float64 reference', () => {
  it('reproduces the PyTorch float64 value of every fixture case', () => {
    let worst = 0;
    for (const c of fx.cases) worst = Math.max(worst, relErr(reference64(c, cls, dist, teacher), c.loss_float64));
    console.log(`fp64 reference vs torch float64: worst rel err ${worst.toExponential(2)} over ${fx.cases.length} cases`);
    expect(worst).toBeLessThan(1e-6);
  });
});

describeOnBackends('distillationLoss', (backend) => {
  it(`matches every case of loss_fixture.json to 1e-5 relative`, () => {
    const z = mat(cls);
    const zd = mat(dist);
    const zt = mat(teacher);
    const y = labelsOf(labels);
    const t = mat(soft);
    let worst = 0;
    let worstCase = '';
    for (const c of fx.cases) {
      const fn = distillationLoss({ base: BASES[c.base_criterion], type: c.distillation_type, alpha: c.alpha, tau: c.tau });
      const out = fn({ cls: z, dist: zd }, c.targets === 'labels' ? y : t, zt);
      const err = relErr(out.loss.dataSync()[0], c.loss);
      if (err >= worst) {
        worst = err;
        worstCase = `${c.base_criterion} ${c.distillation_type} alpha ${c.alpha} tau ${c.tau}: ${out.loss.dataSync()[0]} vs ${c.loss}`;
      }
      expect(err).toBeLessThanOrEqual(1e-5);
      expect(out.distill === undefined).toBe(c.distillation_type === 'none');
      tf.dispose([out.loss, out.base, out.distill ?? []]);
    }
    console.log(`${backend}: ${fx.cases.length} fixture cases, worst rel err ${worst.toExponential(2)} (${worstCase})`);
    tf.dispose([z, zd, zt, y, t]);
  });

  it('reports the base and distillation parts that make up the total', () => {
    const [z, zd, zt, y] = [mat(cls), mat(dist), mat(teacher), labelsOf(labels)];
    const out = distillationLoss({ base: crossEntropy, type: 'hard', alpha: 0.25 })({ cls: z, dist: zd }, y, zt);
    expect(relErr(out.base.dataSync()[0], ce64(cls, labels))).toBeLessThan(1e-6);
    expect(relErr(out.distill!.dataSync()[0], hardKd64(dist, teacher))).toBeLessThan(1e-6);
    expect(relErr(out.loss.dataSync()[0], 0.75 * out.base.dataSync()[0] + 0.25 * out.distill!.dataSync()[0])).toBeLessThan(1e-6);
    tf.dispose([z, zd, zt, y, out.loss, out.base, out.distill!]);
  });

  for (const type of ['soft', 'hard'] as const) {
    it(`${type}: gradients of the total match central differences; the teacher gets zero`, () => {
      const [z, zd, zt, y] = [mat(cls), mat(dist), mat(teacher), labelsOf(labels)];
      const c = { base_criterion: 'LabelSmoothingCrossEntropy(0.1)', distillation_type: type, alpha: 0.3, tau: 3 } as const;
      const fn = distillationLoss({ base: BASES[c.base_criterion], type, alpha: c.alpha, tau: c.tau });
      const [gz, gd, gt] = gradsOf((a: tf.Tensor2D, b: tf.Tensor2D, t: tf.Tensor2D) => fn({ cls: a, dist: b }, y, t).loss)([z, zd, zt]);
      const [z64, d64] = [valuesOf(z), valuesOf(zd)];
      expectGradClose(`${backend} ${type} d/d cls`, gz, numericGrad((m) => reference64(c, m, d64, teacher), z64));
      expectGradClose(`${backend} ${type} d/d dist`, gd, numericGrad((m) => reference64(c, z64, m, teacher), d64));
      expect(Array.from(gt.dataSync()).every((v) => v === 0)).toBe(true);
      tf.dispose([z, zd, zt, y, gz, gd, gt]);
    });
  }

  it("type 'none': the dist head gets no gradient and the teacher is not needed", () => {
    const y = labelsOf(labels);
    const zv = tf.variable(mat(cls), true, 'losses_test_cls');
    const dv = tf.variable(mat(dist), true, 'losses_test_dist');
    const fn = distillationLoss({ base: crossEntropy, type: 'none' });
    // As in PyTorch (head_dist.grad stays None), the dist logits are off the tape: variableGrads, what a trainer
    // uses, returns no entry for them, and tf.grads refuses to differentiate with respect to them.
    const { value, grads } = tf.variableGrads(() => fn({ cls: zv, dist: dv }, y).loss, [zv, dv]);
    expect(grads[dv.name] ?? null).toBeNull();
    expectGradClose(`${backend} none d/d cls`, grads[zv.name], numericGrad((m) => ce64(m, labels), cls));
    expect(() => gradsOf((b: tf.Tensor2D) => fn({ cls: zv, dist: b }, y).loss)([dv])).toThrow(/Cannot compute gradient/);
    // A plain logits tensor works as well (a non-distilled model).
    const plain = fn(zv, y);
    expect(plain.loss.dataSync()[0]).toBe(value.dataSync()[0]);
    expect(relErr(plain.loss.dataSync()[0], ce64(cls, labels))).toBeLessThan(1e-6);
    tf.dispose([zv, dv, y, value, grads[zv.name], plain.loss]);
  });

  it('stays finite for logits of ±1e4', () => {
    const big: Matrix = [
      [1e4, -1e4, 0],
      [-1e4, 0, 1e4],
    ];
    const [z, zd, zt, y] = [mat(big), mat(big.map((r) => r.slice().reverse())), mat(big), labelsOf([1, 0])];
    for (const type of ['soft', 'hard'] as DistillationType[]) {
      const fn = distillationLoss({ base: crossEntropy, type, alpha: 0.5, tau: 2 });
      const [gz, gd] = gradsOf((a: tf.Tensor2D, b: tf.Tensor2D) => fn({ cls: a, dist: b }, y, zt).loss)([z, zd]);
      const loss = fn({ cls: z, dist: zd }, y, zt).loss;
      expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
      expect([...gz.dataSync(), ...gd.dataSync()].every(Number.isFinite)).toBe(true);
      tf.dispose([gz, gd, loss]);
    }
    tf.dispose([z, zd, zt, y]);
  });

  it('tensor hygiene: loss + grads inside tidy leave nothing; toLossFn leaves only the loss', () => {
    const [z, zd, zt, y] = [mat(cls), mat(dist), mat(teacher), labelsOf(labels)];
    const fn = distillationLoss({ base: crossEntropy, type: 'soft', alpha: 0.5, tau: 3 });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      gradsOf((a: tf.Tensor2D, b: tf.Tensor2D) => fn({ cls: a, dist: b }, y, zt).loss)([z, zd]);
    });
    expect(tf.memory().numTensors).toBe(before);
    const out = fn({ cls: z, dist: zd }, y, zt);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([out.loss, out.base, out.distill!]);
    for (const lossFn of [toLossFn(fn), toLossFn(distillationLoss({ base: crossEntropy, type: 'none' }))]) {
      const loss = lossFn({ cls: z, dist: zd }, y, zt);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(loss.isDisposed).toBe(false);
      loss.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z, zd, zt, y]);
  });
});

describe('validation', () => {
  it('rejects bad configuration with a ConfigError naming the option', () => {
    const cases: [Parameters<typeof distillationLoss>[0], RegExp][] = [
      [{ base: crossEntropy, type: 'soft', alpha: -0.1 }, /^alpha: -0.1 is outside \[0, 1\]/],
      [{ base: crossEntropy, type: 'soft', alpha: 1.5 }, /^alpha: 1.5 is outside \[0, 1\]/],
      [{ base: crossEntropy, type: 'hard', alpha: Number.NaN }, /^alpha: NaN is outside/],
      [{ base: crossEntropy, type: 'soft', tau: 0 }, /^tau: 0 is outside \(0, ∞\)/],
      [{ base: crossEntropy, type: 'soft', tau: -2 }, /^tau: -2 is outside/],
      [{ base: crossEntropy, type: 'medium' as DistillationType }, /^type: unknown distillation type "medium"/],
      [{ base: crossEntropy, type: 'soft', reduction: 'sum' as 'numel' }, /^reduction: unknown reduction "sum"/],
      [{ base: undefined as unknown as BaseLoss, type: 'none' }, /^base: expected a base loss function/],
    ];
    for (const [config, message] of cases) {
      expect(() => distillationLoss(config)).toThrow(ConfigError);
      expect(() => distillationLoss(config)).toThrow(message);
    }
  });

  it('rejects bad call arguments with a ShapeError naming the argument', () => {
    const [z, zd, zt, y] = [mat(cls), mat(dist), mat(teacher), labelsOf(labels)];
    const short = tf.zeros([3, 10]) as tf.Tensor2D;
    const narrow = tf.zeros([4, 9]) as tf.Tensor2D;
    const both: DistilledLogits = { cls: z, dist: zd };
    const soft = distillationLoss({ base: crossEntropy, type: 'soft' });
    const none = distillationLoss({ base: crossEntropy, type: 'none' });
    const cases: [() => unknown, RegExp][] = [
      [() => soft(z, y, zt), /^outputs: distillation type "soft" needs both heads \{cls, dist\}/],
      [() => soft(both, y), /^teacherLogits: required for distillation type "soft"/],
      [() => soft(both, y, short), /^teacherLogits: batch size 3 does not match outputs.dist's 4/],
      [() => soft(both, y, narrow), /^teacherLogits: 9 classes do not match outputs.dist's 10/],
      [() => soft({ cls: z, dist: narrow }, y, zt), /^outputs.dist: 9 classes do not match outputs.cls's 10/],
      [() => soft(both, labelsOf([0, 1, 2, 12]), zt), /^labels: label 12 at index 3 is outside \[0, 10\)/],
      [() => none({ cls: tf.zeros([4]) as unknown as tf.Tensor2D, dist: zd }, y), /^outputs.cls: expected logits \[batch, classes\]/],
    ];
    for (const [f, message] of cases) {
      expect(f).toThrow(ShapeError);
      expect(f).toThrow(message);
    }
    tf.dispose([z, zd, zt, y, short, narrow]);
  });
});
