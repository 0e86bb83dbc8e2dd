import { Rng, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Attention } from './attention.js';
import { geluParts } from './gelu.js';
import { LayerNorm } from './layer-norm.js';
import { Mlp } from './mlp.js';
import { randomizeModule } from './reference.test-util.js';

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
    const hd = d / heads;
    const lnw = ln.trainableVariables();
    const plain = {
      mlp: () => mlp.fc2.apply(geluParts(mlp.fc1.apply(x)).y),
      ln: () => {
        const c = tf.sub(x, tf.mean(x, -1, true));
        return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(tf.mean(tf.square(c), -1, true), 1e-6))), lnw.get('weight')!), lnw.get('bias')!);
      },
      attn: () => {
        const qkv = tf.transpose(tf.reshape(attn.qkv.apply(x), [b, n, 3 * heads, hd]), [0, 2, 1, 3]);
        const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [b * heads, n, hd]) as tf.Tensor3D) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        const p = tf.softmax(tf.matMul(tf.mul(q, attn.scale), k, false, true)) as tf.Tensor3D;
        return attn.proj.apply(tf.reshape(tf.transpose(tf.reshape(tf.matMul(p, v), [b, heads, n, hd]), [0, 2, 1, 3]), [b, n, d]));
      },
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
