import { ConfigError, maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { clipGradNorm } from './clip-grad.js';

describeOnBackends('clipGradNorm', (backend) => {
  it('scales every gradient by maxNorm/(norm + 1e-6) when the global norm is larger', () => {
    // global norm of {[3, 4], [12]} = √(9 + 16 + 144) = 13
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.tensor([3, 4])],
      ['b', tf.tensor([12])],
    ]);
    const { grads: out, totalNorm } = clipGradNorm(grads, 6.5);
    const scale = 6.5 / (13 + 1e-6);
    expect(totalNorm.dataSync()[0]).toBeCloseTo(13, 5);
    const err = Math.max(maxAbsDiff(out.get('a')!.dataSync(), [3 * scale, 4 * scale]), maxAbsDiff(out.get('b')!.dataSync(), [12 * scale]));
    console.log(`[${backend}] clip max |err| vs hand values: ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-6);
    for (const t of [...grads.values(), ...out.values(), totalNorm]) t.dispose();
  });

  it('leaves gradients below the limit unchanged (up to the 1e-6 guard) and keeps memory flat', () => {
    const grads = new Map<string, tf.Tensor>([['a', tf.tensor([0.3, -0.4])]]);
    const before = tf.memory().numTensors;
    const { grads: out, totalNorm } = clipGradNorm(grads, 1);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(totalNorm.dataSync()[0]).toBeCloseTo(0.5, 6);
    expect(Array.from(out.get('a')!.dataSync())).toEqual(Array.from(grads.get('a')!.dataSync()));
    for (const t of [...grads.values(), ...out.values(), totalNorm]) t.dispose();
  });

  it('rejects a non-positive max norm', () => {
    expect(() => clipGradNorm(new Map(), 0)).toThrow(ConfigError);
    expect(() => clipGradNorm(new Map(), Number.NaN)).toThrow(/clipGrad/);
  });
});
