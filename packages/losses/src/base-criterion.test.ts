import { ConfigError, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { baseCriterion } from './base-criterion.js';
import { loadLossFixture } from './test/fixture.js';
import { bce64, ce64, labelSmoothing64, oneHot, softTargetCe64 } from './test/fp64.js';
import { labelsOf, mat, relErr } from './test/harness.js';

const { cls_logits: logits, labels, soft_targets: soft } = loadLossFixture().inputs;

describeOnBackends('baseCriterion', () => {
  it("picks deit main.py's criterion: --bce-loss, else mixup → soft target, else smoothing → LS, else CE", () => {
    const x = mat(logits);
    const y = labelsOf(labels);
    const t = mat(soft);
    const value = (f: ReturnType<typeof baseCriterion>, targets: tf.Tensor1D | tf.Tensor2D): number => f(x, targets).dataSync()[0];
    // Defaults are main.py's: mixup on, smoothing 0.1 → SoftTargetCrossEntropy.
    expect(relErr(value(baseCriterion(), t), softTargetCe64(logits, soft))).toBeLessThan(1e-6);
    expect(relErr(value(baseCriterion({ mixup: false }), y), labelSmoothing64(logits, labels, 0.1))).toBeLessThan(1e-6);
    expect(relErr(value(baseCriterion({ mixup: false, smoothing: 0.3 }), y), labelSmoothing64(logits, labels, 0.3))).toBeLessThan(1e-6);
    expect(relErr(value(baseCriterion({ mixup: false, smoothing: 0 }), y), ce64(logits, labels))).toBeLessThan(1e-6);
    // --bce-loss wins over everything and binarises the (all-positive) soft targets to ones.
    expect(relErr(value(baseCriterion({ bceLoss: true }), t), bce64(logits, soft.map((r) => r.map(() => 1))))).toBeLessThan(1e-6);
    expect(relErr(value(baseCriterion({ bceLoss: true, mixup: false }), y), bce64(logits, oneHot(labels, 10)))).toBeLessThan(1e-6);
    tf.dispose([x, y, t]);
  });
});

it('rejects a smoothing outside [0, 1)', () => {
  expect(() => baseCriterion({ smoothing: 1 })).toThrow(ConfigError);
  expect(() => baseCriterion({ smoothing: 1 })).toThrow(/^smoothing: 1 is outside \[0, 1\)/);
});
