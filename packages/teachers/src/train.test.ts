import { Rng, initBackend, tf } from '@deitjs/core';
import { describe, expect, it } from 'vitest';
import { createConvNet } from './registry.js';

/** Two classes of 16×16 images: a bright horizontal or vertical bar at a random place, plus noise. */
function bars(rng: Rng, n: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const px = new Float32Array(n * 16 * 16 * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    labels[i] = cls;
    const at = rng.int(2, 14);
    for (let r = 0; r < 16; r++)
      for (let c = 0; c < 16; c++)
        for (let ch = 0; ch < 3; ch++) px[((i * 16 + r) * 16 + c) * 3 + ch] = rng.normal(0, 0.3) + ((cls === 0 ? r : c) === at ? 2 : 0);
  }
  return { x: tf.tensor4d(px, [n, 16, 16, 3]), y: tf.tensor1d(labels, 'int32') };
}

describe('training a CNN teacher on wasm', () => {
  it('resnet_mnist trains with falling loss, flat tensor count, and conv filter gradients (wasm kernel)', async () => {
    await initBackend('wasm');
    const model = createConvNet('resnet_mnist', { numClasses: 2, seed: 3 });
    const data = bars(new Rng(11), 32);
    const opt = tf.train.adam(3e-3);
    const vars = [...model.trainableVariables().values()];
    const lossFn = (): tf.Scalar =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(data.y, 2), model.apply(data.x, { training: true })) as tf.Scalar;
    const losses: number[] = [];
    let count = -1;
    for (let step = 0; step < 8; step++) {
      const loss = opt.minimize(lossFn, true, vars)!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
      // The optimiser adds its slots on the first step; from then on every step leaves the count unchanged.
      if (step === 1) count = tf.memory().numTensors;
      if (step > 1) expect(tf.memory().numTensors).toBe(count);
    }
    console.log(`wasm training losses: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.7);
    opt.dispose();
    tf.dispose([data.x, data.y]);
    model.dispose();
  });
});
