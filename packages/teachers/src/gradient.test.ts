import { Rng, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConvNet } from './convnet.js';
import { RegNet } from './regnet.js';
import { ResNet } from './resnet.js';

// Small steps: larger ones cross ReLU / max-pool switch points (at 1e-2 conv1 was 9 % off, converging as the
// step shrinks); at 1e-4 the float32 rounding of a loss of order 1 stays near 1e-3 of these gradients.
const EPS = 1e-4;

/** Central-difference derivative of `loss` along element `k` of `v` (float32 cpu, step `eps`). */
function numericGrad(v: tf.Variable, k: number, loss: () => number, eps: number): number {
  const base = v.dataSync().slice();
  const at = (d: number): number => {
    const p = base.slice();
    p[k] = p[k]! + d;
    v.assign(tf.tensor(p, v.shape));
    return loss();
  };
  const g = (at(eps) - at(-eps)) / (2 * eps);
  v.assign(tf.tensor(base, v.shape));
  return g;
}

function checkGradients(model: ConvNet, names: string[], imageSize: number): void {
  const rng = new Rng(21);
  const x = tf.tensor4d(rng.uniformArray(4 * imageSize * imageSize * 3, -1, 1), [4, imageSize, imageSize, 3]);
  const r = tf.tensor2d(rng.uniformArray(4 * model.numClasses, -1, 1), [4, model.numClasses]);
  const lossT = (): tf.Scalar => tf.sum(tf.mul(model.apply(x, { training: true }), r)) as tf.Scalar;
  const loss = (): number => tf.tidy(() => lossT().dataSync()[0]!);
  const params = model.namedParams();
  const vars = names.map((n) => params.get(n)!.variable);
  const { grads, value } = tf.variableGrads(lossT, vars);
  for (const [i, name] of names.entries()) {
    const v = vars[i]!;
    const g = grads[v.name]!.dataSync();
    // The element with the largest analytic gradient, so float32 noise stays small relative to it.
    let k = 0;
    for (let j = 1; j < g.length; j++) if (Math.abs(g[j]!) > Math.abs(g[k]!)) k = j;
    const num = numericGrad(v, k, loss, EPS);
    console.log(`d loss / d ${name}[${k}]: analytic ${g[k]!.toExponential(4)}, central difference ${num.toExponential(4)}`);
    expect(Math.abs(num - g[k]!)).toBeLessThan(2e-2 * Math.abs(g[k]!) + 5e-5);
  }
  tf.dispose([x, r, value, ...Object.values(grads)]);
}

describe('gradients in training mode match central differences (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('ResNet (BatchNorm batch statistics, downsample, max-pool)', () => {
    const model = new ResNet({ block: 'bottleneck', depths: [1, 1], channels: [2, 4], stem: 'imagenet', stemWidth: 4 }, { numClasses: 3, seed: 8 });
    // Non-zero last-BN γ, or the residual branch's gradients vanish at init.
    for (const [k, p] of model.namedParams()) if (k.endsWith('bn3.weight')) p.variable.assign(tf.fill(p.variable.shape, 0.7));
    checkGradients(model, ['conv1.weight', 'bn1.weight', 'layer1.0.conv2.weight', 'layer2.0.downsample.0.weight', 'layer2.0.bn3.bias', 'fc.weight'], 16);
    model.dispose();
  });

  it('RegNetY (grouped conv, squeeze-excitation)', () => {
    const model = new RegNet({ depth: 2, w0: 8, wa: 8, wm: 2, groupSize: 4, seRatio: 0.25, stemWidth: 8 }, { numClasses: 3, seed: 9 });
    for (const [k, p] of model.namedParams()) if (k.endsWith('conv3.bn.weight')) p.variable.assign(tf.fill(p.variable.shape, 0.7));
    checkGradients(model, ['stem.conv.weight', 's2.b1.conv2.conv.weight', 's2.b1.se.fc1.weight', 's2.b1.se.fc2.bias', 'head.fc.bias'], 16);
    model.dispose();
  });
});
