// A user's own TF.js conv net, written the way TF.js documents it (`@tensorflow/tfjs`'s layers API, no deitjs
// model code), must train on wasm after `initBackend('wasm')` alone.
import { type Sequential, layers, metrics, sequential, train } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { maxAbsDiff, relL2Error } from '../compare.js';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';

const N = 8;

/** Two convolutions (stride 1 'same', stride 2 'valid', so both gradient paths) and a softmax classifier. */
function buildNet(): Sequential {
  const net = sequential({
    layers: [
      layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }),
      layers.flatten(),
      layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  net.compile({ optimizer: train.sgd(0.1), loss: 'categoricalCrossentropy' });
  // The same initial weights on every backend: drawn here, not by tfjs's initialisers.
  const rng = new Rng(7);
  net.setWeights(net.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => 0.4 * rng.normal()), w.shape)));
  return net;
}

/** A fixed tiny data set: class 1 when channel 0's mean exceeds channel 1's. */
function data(): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  const rng = new Rng(3);
  const values = Float32Array.from({ length: N * 6 * 6 * 2 }, () => rng.normal());
  const labels: number[] = [];
  for (let n = 0; n < N; n++) {
    let diff = 0;
    for (let p = 0; p < 36; p++) diff += values[(n * 36 + p) * 2]! - values[(n * 36 + p) * 2 + 1]!;
    labels.push(diff > 0 ? 1 : 0);
  }
  return { xs: tf.tensor4d(values, [N, 6, 6, 2]), ys: tf.oneHot(tf.tensor1d(labels, 'int32'), 2) as tf.Tensor2D };
}

interface Trained {
  losses: number[];
  initial: Float32Array[];
  weights: Float32Array[];
  grads: Float32Array[];
}

/** Trains a fresh net for `steps` full-batch sgd steps on the current backend; returns losses, weights and first gradients. */
async function trainNet(steps: number): Promise<Trained> {
  const net = buildNet();
  const initial = net.getWeights().map((w) => w.dataSync() as Float32Array);
  const { xs, ys } = data();
  const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.mean(metrics.categoricalCrossentropy(ys, net.apply(xs) as tf.Tensor2D)) as tf.Scalar, vars);
  const firstGrads = vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  const history = await net.fit(xs, ys, { epochs: steps, batchSize: N, shuffle: false, verbose: 0 });
  const weights = net.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([xs, ys]);
  net.dispose();
  return { losses: history.history.loss as number[], initial, weights, grads: firstGrads };
}

const allFinite = (arrays: Float32Array[]): boolean => arrays.every((a) => a.every(Number.isFinite));

describe('a tf.sequential conv net on wasm after initBackend alone', () => {
  it('fits: the loss decreases and gradients and weights stay finite', async () => {
    await initBackend('wasm');
    const { losses, weights, grads } = await trainNet(6);
    console.log(`wasm sgd losses: ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    expect(allFinite(grads)).toBe(true);
    expect(grads.some((g) => g.some((v) => v !== 0))).toBe(true);
    expect(allFinite(weights)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
  });

  it('one sgd step gives the weights the cpu backend gives (same init, same data)', async () => {
    await initBackend('cpu');
    const ref = await trainNet(1);
    await initBackend('wasm');
    const got = await trainNet(1);
    expect(got.weights.map((w) => w.length)).toEqual(ref.weights.map((w) => w.length));
    for (const [i, w] of got.weights.entries()) {
      const grad = relL2Error(got.grads[i]!, ref.grads[i]!);
      console.log(`weight ${i}: max abs diff ${maxAbsDiff(w, ref.weights[i]!).toExponential(2)} after one step; gradient rel L2 ${grad.toExponential(2)}`);
      // float32 with other summation orders: ~1e-7 relative; 1e-5 absolute on weights of size ~0.4.
      expect(maxAbsDiff(w, ref.weights[i]!)).toBeLessThan(1e-5);
      expect(grad).toBeLessThan(1e-5);
      // And the step is plain sgd at rate 0.1 (so the comparison above compares a real update).
      expect(maxAbsDiff(w, got.initial[i]!.map((v, k) => v - 0.1 * got.grads[i]![k]!))).toBeLessThan(1e-6);
    }
    expect(got.weights.some((w, i) => maxAbsDiff(w, got.initial[i]!) > 1e-3)).toBe(true);
  });
});
