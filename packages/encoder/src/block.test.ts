import { ConfigError, Rng, initBackend, maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { Block } from './block.js';
import { checkGradients } from './grad-check.js';
import { compareWithPlain, plainBlock, tensorsAroundStep } from './test/custom-grad.js';
import { type Mat, addMat, attentionRef, layerNormRef, mlpRef, randomizeModule, toMat } from './test/reference.js';

type Sd = Map<string, { data: Float32Array }>;

/** One sample through a pre-norm block, in float64. */
function blockRef(x: Mat, heads: number, sd: Sd): Mat {
  const g = (k: string) => sd.get(k)!.data;
  const a = attentionRef(layerNormRef(x, g('norm1.weight'), g('norm1.bias')), heads, {
    qkvW: g('attn.qkv.weight'),
    qkvB: g('attn.qkv.bias'),
    projW: g('attn.proj.weight'),
    projB: g('attn.proj.bias'),
  });
  const y = addMat(x, a);
  const m = mlpRef(layerNormRef(y, g('norm2.weight'), g('norm2.bias')), 4 * x.cols, {
    fc1W: g('mlp.fc1.weight'),
    fc1B: g('mlp.fc1.bias'),
    fc2W: g('mlp.fc2.weight'),
    fc2B: g('mlp.fc2.bias'),
  });
  return addMat(y, m);
}

describeOnBackends('Block', (backend) => {
  it('has timm key names and matches a float64 pre-norm reference', () => {
    const rng = new Rng(31);
    const [b, n, d, heads] = [2, 4, 8, 2];
    const block = new Block({ dim: d, numHeads: heads, dropPathRate: 0.2 }, rng);
    expect([...block.stateDict().keys()]).toEqual([
      'norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight', 'attn.proj.bias',
      'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias',
    ]);
    const sd = randomizeModule(block, rng, 0.3);
    const xData = Float32Array.from({ length: b * n * d }, () => rng.normal());
    const before = tf.memory().numTensors;
    // Eval mode: drop path inactive even with a rate above 0.
    const got = tf.tidy(() => block.apply(tf.tensor3d(xData, [b, n, d]), { training: false }).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    let err = 0;
    for (let s = 0; s < b; s++) {
      const want = blockRef(toMat(xData.subarray(s * n * d, (s + 1) * n * d), d), heads, sd);
      err = Math.max(err, maxAbsDiff(got.subarray(s * n * d, (s + 1) * n * d), want.data));
    }
    console.log(`Block ${backend}: max abs diff vs float64 ${err.toExponential(2)}`);
    expect(err).toBeLessThan(5e-5);
    block.dispose();
  });

  it('training step with drop path: output and every gradient equal the plain op-by-op block', () => {
    const rng = new Rng(35);
    const [b, n, d, heads] = [6, 5, 12, 3];
    const block = new Block({ dim: d, numHeads: heads, dropPathRate: 0.4 }, rng);
    randomizeModule(block, rng, 0.3);
    const x = tf.variable(tf.tensor3d(Float32Array.from({ length: b * n * d }, () => rng.normal()), [b, n, d]));
    const r = tf.tensor3d(Float32Array.from({ length: b * n * d }, () => rng.normal()), [b, n, d]);
    // A fresh generator per call: both paths drop the same samples' branches.
    const opts = () => ({ training: true, rng: new Rng(7) });
    const vars = new Map([...block.trainableVariables(), ['input', x]]);
    const errs = compareWithPlain(() => block.apply(x, opts()), () => plainBlock(block, x, opts()), vars, r);
    const worst = [...errs].sort((p, q) => q[1] - p[1])[0]!;
    console.log(`Block ${backend} training step custom vs plain: ${errs.size} tensors, largest relative error ${worst[1].toExponential(2)} (${worst[0]})`);
    for (const [k, e] of errs) expect(e, k).toBeLessThan(k === 'output' ? 1e-6 : 1e-5);
    const [before, after] = tensorsAroundStep(() => tf.sum(tf.mul(block.apply(x, opts()), r)) as tf.Scalar, [...vars.values()]);
    expect(after).toBe(before);
    tf.dispose([x, r]);
    block.dispose();
  });

  it('drops each residual branch per sample while training, from the seeded rng', () => {
    const rng = new Rng(32);
    const [b, n, d] = [16, 3, 4];
    const block = new Block({ dim: d, numHeads: 1, dropPathRate: 0.5 }, rng);
    randomizeModule(block, rng, 0.3);
    const x = tf.tensor3d(Float32Array.from({ length: b * n * d }, () => rng.normal()), [b, n, d]);
    const run = (seed: number) => tf.tidy(() => block.apply(x, { training: true, rng: new Rng(seed) }).dataSync());
    const a1 = run(1);
    expect(maxAbsDiff(a1, run(1))).toBe(0);
    expect(maxAbsDiff(a1, run(2))).toBeGreaterThan(0);
    // The attention branch draws B masks, then the MLP branch draws B more; a sample whose two masks
    // both say "drop" passes through unchanged, and only those do.
    const ref = new Rng(1);
    const attnKeep = Array.from({ length: b }, () => ref.random() < 0.5);
    const mlpKeep = Array.from({ length: b }, () => ref.random() < 0.5);
    const xs = x.dataSync();
    let identities = 0;
    for (let s = 0; s < b; s++) {
      const same = maxAbsDiff(a1.subarray(s * n * d, (s + 1) * n * d), xs.subarray(s * n * d, (s + 1) * n * d)) === 0;
      expect(same).toBe(!attnKeep[s] && !mlpKeep[s]);
      if (same) identities++;
    }
    expect(identities).toBeGreaterThan(0);
    expect(() => tf.tidy(() => block.apply(x, { training: true }))).toThrow(ConfigError);
    x.dispose();
    block.dispose();
  });
});

describe('Block gradients (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  it('match central finite differences for every parameter', () => {
    const rng = new Rng(33);
    const block = new Block({ dim: 4, numHeads: 2 }, rng);
    randomizeModule(block, rng, 0.4);
    const x = tf.tensor3d(Float32Array.from({ length: 2 * 3 * 4 }, () => rng.normal()), [2, 3, 4]);
    const r = tf.tensor3d(Float32Array.from({ length: 2 * 3 * 4 }, () => rng.normal()), [2, 3, 4]);
    const res = checkGradients(() => tf.sum(tf.mul(block.apply(x, { training: false }), r)), block.trainableVariables(), { rng, samples: 8 });
    for (const c of res) {
      expect(c.failures, c.name).toBe(0);
      expect(c.gradScale, c.name).toBeGreaterThan(1e-3);
    }
    console.log(`Block grads: worst abs err ${Math.max(...res.map((c) => c.maxAbsErr)).toExponential(2)} over ${res.length} params`);
    tf.dispose([x, r]);
    block.dispose();
  });
});
