import { Rng, initBackend, relL2Error, tf } from '@deitjs/core';
import { type ConvNet, createConvNet } from '@deitjs/teachers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxBytes } from './export.js';
import { OrtClassifier } from './ort-classifier.js';
import { imagesToPixels } from './ort-teacher.js';

/**
 * Random BatchNorm statistics and affine parameters (and biases): at initialisation the last BN of every residual
 * branch has γ = 0, which would hide a wrong conv3 or a missed fold behind the shortcut.
 */
function randomizeVectors(model: ConvNet, rng: Rng): void {
  for (const [name, p] of model.namedParams()) {
    if (p.variable.rank !== 1) continue;
    const n = p.variable.size;
    const positive = name.endsWith('running_var') || (name.endsWith('.weight') && !name.includes('fc'));
    const values = Float32Array.from({ length: n }, () => (positive ? rng.uniform(0.5, 1.5) : rng.normal(0, 0.1)));
    p.variable.assign(tf.tensor1d(values));
  }
}

// Registered teachers not covered by the fixtures: small stems (the main job's resnet_mnist), several blocks per stage
// (identity shortcuts inside a stage), and a real RegNetY configuration.
const CASES = [
  { name: 'resnet_mnist', size: 32 },
  { name: 'resnet_tiny_cifar', size: 32 },
  { name: 'resnet18', size: 64 },
  { name: 'regnety_002', size: 64 },
];

describe('registered teachers exported to ONNX match their TF.js forward', () => {
  const sessions: OrtClassifier[] = [];
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(async () => {
    for (const s of sessions) await s.dispose();
  });

  for (const c of CASES) {
    it(`${c.name} at ${c.size} px: rel L2 ≤ 1e-5, BatchNorm statistics randomised`, async () => {
      const model = createConvNet(c.name, { seed: 3 });
      randomizeVectors(model, new Rng(5));
      const ort = await OrtClassifier.create(onnxBytes(model), { intraOpThreads: 1 });
      sessions.push(ort);
      const x = tf.randomNormal([2, c.size, c.size, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
      const { pixels, dims } = imagesToPixels(x);
      const got = await ort.predict(pixels, dims);
      const want = tf.tidy(() => model.apply(x, { training: false }).dataSync() as Float32Array);
      const rel = relL2Error(got.logits, want);
      console.log(`${c.name}: ORT vs tfjs rel L2 ${rel.toExponential(2)}`);
      expect(got.numClasses).toBe(model.numClasses);
      expect(rel).toBeLessThanOrEqual(1e-5);
      x.dispose();
      model.dispose();
    });
  }
});
