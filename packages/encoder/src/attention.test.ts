import { ConfigError, Rng, ShapeError, initBackend, maxAbsDiff, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { Attention } from './attention.js';
import { checkGradients } from './grad-check.js';
import { compareWithPlain, plainAttention, tensorsAroundStep } from './test/custom-grad.js';
import { attentionRef, randomizeModule, toMat } from './test/reference.js';

describeOnBackends('Attention', (backend) => {
  it('matches a float64 per-head reference (q|k|v layout, head h owns channels h·hd.., scale hd^-0.5)', () => {
    const rng = new Rng(11);
    const [b, n, d, heads] = [2, 5, 12, 3];
    const attn = new Attention({ dim: d, numHeads: heads }, rng);
    expect(attn.scale).toBeCloseTo(0.5, 12);
    const sd = randomizeModule(attn, rng, 0.3);
    const xData = Float32Array.from({ length: b * n * d }, () => rng.normal());
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => attn.apply(tf.tensor3d(xData, [b, n, d])).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    const p = { qkvW: sd.get('qkv.weight')!.data, qkvB: sd.get('qkv.bias')!.data, projW: sd.get('proj.weight')!.data, projB: sd.get('proj.bias')!.data };
    let err = 0;
    for (let s = 0; s < b; s++) {
      const want = attentionRef(toMat(xData.subarray(s * n * d, (s + 1) * n * d), d), heads, p);
      err = Math.max(err, maxAbsDiff(got.subarray(s * n * d, (s + 1) * n * d), want.data));
    }
    console.log(`Attention ${backend}: max abs diff vs float64 ${err.toExponential(2)}`);
    expect(err).toBeLessThan(2e-5);
    attn.dispose();
  });

  it('custom gradient: output and gradients (input, qkv, proj) equal the plain composition of ops', () => {
    const rng = new Rng(13);
    for (const qkvBias of [true, false]) {
      const [b, n, d, heads] = [2, 7, 12, 3];
      const attn = new Attention({ dim: d, numHeads: heads, qkvBias }, rng);
      randomizeModule(attn, rng, 0.3);
      const vars = attn.trainableVariables();
      const x = tf.variable(tf.tensor3d(Float32Array.from({ length: b * n * d }, () => rng.normal()), [b, n, d]));
      const r = tf.tensor3d(Float32Array.from({ length: b * n * d }, () => rng.normal()), [b, n, d]);
      const errs = compareWithPlain(() => attn.apply(x), () => plainAttention(attn, x), new Map([...vars, ['input', x]]), r);
      expect([...errs.keys()]).toContain(qkvBias ? 'qkv.bias' : 'proj.bias');
      console.log(`Attention ${backend} qkvBias=${qkvBias} custom vs plain: ${[...errs].map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', ')}`);
      for (const [k, e] of errs) expect(e, k).toBeLessThan(k === 'output' ? 1e-6 : 1e-5);
      const [before, after] = tensorsAroundStep(() => tf.sum(tf.mul(attn.apply(x), r)) as tf.Scalar, [...vars.values(), x]);
      expect(after).toBe(before);
      tf.dispose([x, r]);
      attn.dispose();
    }
  });

  it('rejects bad heads and input shapes', () => {
    expect(() => new Attention({ dim: 10, numHeads: 3 }, new Rng(0))).toThrow(ConfigError);
    const attn = new Attention({ dim: 8, numHeads: 2 }, new Rng(0));
    expect(() => tf.tidy(() => attn.apply(tf.zeros([1, 3, 6]) as tf.Tensor3D))).toThrow(ShapeError);
    attn.dispose();
  });
});

describe('Attention gradients (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  it('match central finite differences for qkv, proj and the input', () => {
    const rng = new Rng(12);
    const attn = new Attention({ dim: 4, numHeads: 2 }, rng);
    randomizeModule(attn, rng, 0.5);
    const x = tf.variable(tf.tensor3d(Float32Array.from({ length: 2 * 3 * 4 }, () => rng.normal()), [2, 3, 4]));
    const r = tf.tensor3d(Float32Array.from({ length: 2 * 3 * 4 }, () => rng.normal()), [2, 3, 4]);
    const vars = new Map([...attn.trainableVariables(), ['input', x]]);
    const res = checkGradients(() => tf.sum(tf.mul(attn.apply(x), r)), vars, { rng, samples: 16 });
    for (const c of res) {
      console.log(`Attention grad ${c.name}: max abs err ${c.maxAbsErr.toExponential(2)} (scale ${c.gradScale.toFixed(3)})`);
      expect(c.failures, c.name).toBe(0);
      expect(c.gradScale).toBeGreaterThan(1e-2);
    }
    tf.dispose([x, r]);
    attn.dispose();
  });
});
