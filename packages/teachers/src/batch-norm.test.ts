import { maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { BatchNorm2d } from './batch-norm.js';
import { createConvNet } from './registry.js';

// x: N=2, H=1, W=2, C=2 → per channel 4 values.
const X = [1, 10, 3, 20, -2, 30, 6, 40];
const CH0 = [1, 3, -2, 6];
const CH1 = [10, 20, 30, 40];
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sqDev = (v: number[]) => v.reduce((a, b) => a + (b - mean(v)) ** 2, 0);

function setAffine(bn: BatchNorm2d): void {
  bn.weight.assign(tf.tensor1d([2, 0.5]));
  bn.bias.assign(tf.tensor1d([0.1, -1]));
}

describeOnBackends('BatchNorm2d', () => {
  it('training: normalises with the biased batch variance and moves running stats by momentum 0.1 towards mean and unbiased variance', () => {
    const bn = new BatchNorm2d(2);
    setAffine(bn);
    const x = tf.tensor4d(X, [2, 1, 2, 2]);
    const before = tf.memory().numTensors;
    const y = bn.apply(x, true);
    const want: number[] = [];
    for (let i = 0; i < 8; i++) {
      const c = i % 2;
      const v = c === 0 ? CH0 : CH1;
      const g = c === 0 ? 2 : 0.5;
      const b = c === 0 ? 0.1 : -1;
      want.push(((X[i]! - mean(v)) / Math.sqrt(sqDev(v) / 4 + 1e-5)) * g + b);
    }
    expect(maxAbsDiff(y.dataSync(), want)).toBeLessThan(1e-5);
    // running_mean = 0.9·0 + 0.1·mean; running_var = 0.9·1 + 0.1·(Σ(x−mean)²/(n−1)).
    expect(maxAbsDiff(bn.runningMean.dataSync(), [0.1 * mean(CH0), 0.1 * mean(CH1)])).toBeLessThan(1e-5);
    expect(maxAbsDiff(bn.runningVar.dataSync(), [0.9 + (0.1 * sqDev(CH0)) / 3, 0.9 + (0.1 * sqDev(CH1)) / 3])).toBeLessThan(1e-4);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before + 0);
    // A second step compounds: rm2 = 0.9·rm1 + 0.1·mean.
    tf.dispose(bn.apply(x, true));
    expect(maxAbsDiff(bn.runningMean.dataSync(), [0.19 * mean(CH0), 0.19 * mean(CH1)])).toBeLessThan(1e-5);
    x.dispose();
    bn.dispose();
  });

  it('eval: uses the running statistics and leaves them alone', () => {
    const bn = new BatchNorm2d(2);
    setAffine(bn);
    bn.runningMean.assign(tf.tensor1d([1, -3]));
    bn.runningVar.assign(tf.tensor1d([4, 0.25]));
    const x = tf.tensor4d(X, [2, 1, 2, 2]);
    const y = bn.apply(x, false);
    const want = X.map((v, i) => (i % 2 === 0 ? ((v - 1) / Math.sqrt(4 + 1e-5)) * 2 + 0.1 : ((v + 3) / Math.sqrt(0.25 + 1e-5)) * 0.5 - 1));
    expect(maxAbsDiff(y.dataSync(), want)).toBeLessThan(1e-4);
    expect(Array.from(bn.runningMean.dataSync())).toEqual([1, -3]);
    tf.dispose([x, y]);
    bn.dispose();
  });

  it('a network uses running stats in eval (repeatable) and batch stats in training (updating them)', () => {
    const model = createConvNet('resnet_mnist', { seed: 1 });
    const x = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const rv = () => model.namedParams().get('layer2.0.bn1.running_var')!.variable.dataSync().slice();
    const rv0 = rv();
    const e1 = model.apply(x, { training: false });
    const e2 = model.apply(x, { training: false });
    expect(maxAbsDiff(e1.dataSync(), e2.dataSync())).toBe(0);
    expect(Array.from(rv())).toEqual(Array.from(rv0));
    const t1 = model.apply(x, { training: true });
    expect(maxAbsDiff(rv(), rv0)).toBeGreaterThan(1e-4);
    // Batch statistics give another output than the (fresh) running statistics.
    expect(maxAbsDiff(t1.dataSync(), e1.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([x, e1, e2, t1]);
    model.dispose();
  });
});
