import { ConfigError } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { resolveLossSpec, targetMatrix, trainingLossSpec } from './train-graph-loss.js';

describe('the training graph loss spec', () => {
  it('trainingLossSpec picks the base criterion as baseCriterion does: --bce-loss first, then mixup, smoothing, plain', () => {
    expect(trainingLossSpec({ mixup: true, smoothing: 0.1, bceLoss: true, type: 'hard' }).base).toBe('bce');
    expect(trainingLossSpec({ mixup: false, smoothing: 0, bceLoss: true, type: 'none' }).base).toBe('bce');
    expect(trainingLossSpec({ mixup: true, smoothing: 0.1, type: 'none' }).base).toBe('soft-target');
    expect(trainingLossSpec({ mixup: false, smoothing: 0.1, type: 'none' }).base).toBe('label-smoothing');
    expect(trainingLossSpec({ mixup: false, smoothing: 0, bceLoss: false, type: 'soft' }).base).toBe('cross-entropy');
  });

  it("targetMatrix for 'bce': labels one-hot without smoothing, per-class targets binarised with > 0", () => {
    const bce = resolveLossSpec({ base: 'bce', smoothing: 0.1 });
    expect([...targetMatrix(bce, Int32Array.of(2, 0), 2, 3, true)]).toEqual([0, 0, 1, 1, 0, 0]);
    expect([...targetMatrix(bce, Float32Array.of(0.7, 0, 0.3, 0, 1e-6, -0.5), 2, 3, false)]).toEqual([1, 0, 1, 0, 1, 0]);
    // The same targets under label smoothing: (1 − ε)·t + ε/K, not binarised.
    const ls = resolveLossSpec({ base: 'label-smoothing', smoothing: 0.3 });
    expect([...targetMatrix(ls, Int32Array.of(1), 1, 3, true)].map((v) => Number(v.toFixed(6)))).toEqual([0.1, 0.8, 0.1]);
  });

  it('refuses an unknown base loss, naming loss.base', () => {
    expect(() => resolveLossSpec({ base: 'focal' as never })).toThrow(ConfigError);
    expect(() => resolveLossSpec({ base: 'focal' as never })).toThrow(/loss\.base/);
  });
});
