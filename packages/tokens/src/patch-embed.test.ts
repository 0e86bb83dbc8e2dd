import { fileURLToPath } from 'node:url';
import { ConfigError, Rng, ShapeError, initBackend, maxAbsDiff, nchwToNhwc, readSafetensors, relL2Error, tf, toFloat32 } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { PatchEmbed } from './patch-embed.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));

describeOnBackends('PatchEmbed', (backend) => {
  it('matches the PyTorch conv of the micro DeiT fixture (out.patch_embed)', () => {
    const weights = readSafetensors(fixture('deit_micro_distilled_patch4_32.safetensors'));
    const io = readSafetensors(fixture('deit_micro_distilled_patch4_32.io.safetensors'));
    const pe = new PatchEmbed({ imgSize: 32, patchSize: 4, embedDim: 64 }, new Rng(0));
    const sd = new Map([...weights].filter(([k]) => k.startsWith('patch_embed.')).map(([k, t]) => [k.slice('patch_embed.'.length), t]));
    pe.loadStateDict(sd);
    const inputs = io.get('inputs')!;
    const nhwc = nchwToNhwc(toFloat32(inputs), inputs.shape);
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => pe.apply(tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number])).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    const want = toFloat32(io.get('out.patch_embed')!);
    const mad = maxAbsDiff(got, want);
    const rel = relL2Error(got, want);
    console.log(`PatchEmbed ${backend} vs timm out.patch_embed: rel L2 ${rel.toExponential(2)}, max abs ${mad.toExponential(2)} (atol 5e-5)`);
    expect(rel).toBeLessThanOrEqual(1e-4);
    expect(mad).toBeLessThanOrEqual(5e-5);
    pe.dispose();
  });

  it('equals a valid conv2d with stride = kernel on a non-square image', () => {
    const rng = new Rng(1);
    const pe = new PatchEmbed({ imgSize: [6, 9], patchSize: 3, inChans: 2, embedDim: 5 }, rng);
    expect(pe.gridSize).toEqual([2, 3]);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 6 * 9 * 2 }, () => rng.normal()), [2, 6, 9, 2]);
    const [w, b] = [...pe.namedParams().values()].map((p) => p.variable);
    const conv = tf.tidy(() => tf.add(tf.conv2d(x, w as tf.Tensor4D, 3, 'valid'), b!).dataSync());
    const got = tf.tidy(() => pe.apply(x).dataSync());
    expect(maxAbsDiff(got, conv)).toBeLessThan(1e-5);
    x.dispose();
    pe.dispose();
  });

  it('keeps the PyTorch [D, C, p, p] layout at the file boundary and round-trips it exactly', () => {
    const rng = new Rng(2);
    const pe = new PatchEmbed({ imgSize: 8, patchSize: 4, embedDim: 6 }, rng);
    const init = pe.stateDict();
    expect(init.get('proj.weight')!.shape).toEqual([6, 3, 4, 4]);
    expect(init.get('proj.bias')!.shape).toEqual([6]);
    // PyTorch default init: U(±1/√fan_in), fan_in = 3·4·4.
    const bound = 1 / Math.sqrt(48);
    const w = init.get('proj.weight')!.data as Float32Array;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    const sd = new Map([...init].map(([k, t]) => [k, { ...t, data: Float32Array.from(t.data as Float32Array, () => rng.normal()) }]));
    pe.loadStateDict(sd);
    for (const [k, t] of pe.stateDict()) expect(t.data).toEqual(sd.get(k)!.data);
    // Token t = row·grid + col holds Σ_c,i,j W[d, c, i, j]·x[row·p + i, col·p + j, c] + b[d].
    const x = Float32Array.from({ length: 8 * 8 * 3 }, () => rng.normal());
    const got = tf.tidy(() => pe.apply(tf.tensor4d(x, [1, 8, 8, 3])).dataSync());
    const W = sd.get('proj.weight')!.data;
    const B = sd.get('proj.bias')!.data;
    const [row, col, d] = [1, 0, 4];
    let want = B[d]!;
    for (let c = 0; c < 3; c++) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) want += W[((d * 3 + c) * 4 + i) * 4 + j]! * x[((row * 4 + i) * 8 + col * 4 + j) * 3 + c]!;
    expect(got[(row * 2 + col) * 6 + d]).toBeCloseTo(want, 4);
    pe.dispose();
  });

  it('rejects images of the wrong size and invalid configurations', () => {
    const pe = new PatchEmbed({ imgSize: 8, patchSize: 4, embedDim: 6 }, new Rng(0));
    expect(() => tf.tidy(() => pe.apply(tf.zeros([1, 12, 12, 3]) as tf.Tensor4D))).toThrow(/images: expected NHWC \[batch, 8, 8, 3\]/);
    expect(() => tf.tidy(() => pe.apply(tf.zeros([1, 8, 8, 1]) as tf.Tensor4D))).toThrow(ShapeError);
    expect(() => new PatchEmbed({ imgSize: 10, patchSize: 4, embedDim: 6 }, new Rng(0))).toThrow(ConfigError);
    expect(() => new PatchEmbed({ imgSize: 8, patchSize: 0, embedDim: 6 }, new Rng(0))).toThrow(ConfigError);
    pe.dispose();
  });
});

describe('PatchEmbed gradients (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('match central finite differences for the weight and bias', () => {
    const rng = new Rng(3);
    const pe = new PatchEmbed({ imgSize: 4, patchSize: 2, inChans: 2, embedDim: 3 }, rng);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 4 * 2 }, () => rng.normal()), [2, 4, 4, 2]);
    const r = tf.tensor3d(Float32Array.from({ length: 2 * 4 * 3 }, () => rng.normal()), [2, 4, 3]);
    const loss = (): tf.Scalar => tf.sum(tf.mul(pe.apply(x), r));
    const vars = pe.trainableVariables();
    const { value, grads } = tf.variableGrads(loss, [...vars.values()]);
    value.dispose();
    const h = 1e-2;
    for (const [name, v] of vars) {
      const analytic = grads[v.name]!.dataSync();
      const orig = v.dataSync().slice();
      let worst = 0;
      for (let i = 0; i < orig.length; i++) {
        const f = (delta: number): number => {
          const d = orig.slice();
          d[i] = orig[i]! + delta;
          tf.tidy(() => v.assign(tf.tensor(d, v.shape)));
          return tf.tidy(() => loss().dataSync()[0]!);
        };
        const numeric = (f(h) - f(-h)) / (2 * h);
        worst = Math.max(worst, Math.abs(numeric - analytic[i]!) / (1e-1 + Math.abs(numeric)));
      }
      tf.tidy(() => v.assign(tf.tensor(orig, v.shape)));
      console.log(`PatchEmbed grad ${name}: worst relative error ${worst.toExponential(2)} over ${orig.length} elements`);
      expect(worst).toBeLessThan(1e-2);
    }
    tf.dispose([x, r, ...Object.values(grads)]);
    pe.dispose();
  });
});
