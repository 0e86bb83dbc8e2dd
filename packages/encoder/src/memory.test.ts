import { Rng, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Attention } from './attention.js';
import { plainAttention, plainLayerNorm, plainMlp } from './test/custom-grad.js';
import { LayerNorm } from './layer-norm.js';
import { Mlp } from './mlp.js';
import { randomizeModule } from './test/reference.js';

// The point of the custom gradients: a training step's peak tensor bytes (tf.profile) fall well below those
// (above the tensors held before the step) of the plain composition of ops (which keeps every op's inputs and every gradient until the backward ends).
async function peakBytes(f: () => tf.Tensor, vars: tf.Variable[], r: tf.Tensor): Promise<number> {
  const held = tf.memory().numBytes;
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), r)) as tf.Scalar, vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  return info.peakBytes - held;
}

describe('training-step memory of the custom-gradient layers (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('Mlp, LayerNorm and Attention peak below the plain composition', async () => {
    const rng = new Rng(31);
    const [b, n, d, heads] = [8, 32, 24, 3];
    const x = tf.variable(tf.tensor3d(Float32Array.from({ length: b * n * d }, () => rng.normal()), [b, n, d]));
    const r = tf.tensor3d(Float32Array.from({ length: b * n * d }, () => rng.normal()), [b, n, d]);
    const mlp = new Mlp({ dim: d, hiddenDim: 4 * d }, rng);
    const ln = new LayerNorm({ dim: d });
    const attn = new Attention({ dim: d, numHeads: heads }, rng);
    for (const m of [mlp, ln, attn]) randomizeModule(m, rng, 0.3);
    const plain = {
      mlp: () => plainMlp(mlp, x),
      ln: () => plainLayerNorm(ln, x),
      attn: () => plainAttention(attn, x),
    };
    const custom = { mlp: () => mlp.apply(x), ln: () => ln.apply(x), attn: () => attn.apply(x) };
    const modules = { mlp, ln, attn };
    for (const key of ['mlp', 'ln', 'attn'] as const) {
      const vars = [...modules[key].trainableVariables().values(), x];
      const before = tf.memory().numTensors;
      const [c, p] = [await peakBytes(custom[key], vars, r), await peakBytes(plain[key], vars, r)];
      expect(tf.memory().numTensors).toBe(before);
      console.log(`${key}: training-step peak ${c} bytes with the custom gradient, ${p} plain (${(c / p).toFixed(2)}x)`);
      expect(c).toBeLessThan(0.6 * p);
    }
    tf.dispose([x, r]);
    for (const m of [mlp, ln, attn]) m.dispose();
  });
});
