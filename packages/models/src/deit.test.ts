import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  type DistilledLogits,
  Rng,
  ShapeError,
  type StateDict,
  StateDictMismatchError,
  initBackend,
  maxAbsDiff,
  readSafetensors,
  readSafetensorsHeader,
  tf,
  toFloat32,
} from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { checkGradients } from '@deitjs/encoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeiT } from './deit.js';
import { createModel } from './registry.js';
import { loadWeights, saveWeights } from './weights.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));
const WEIGHTS = fixture('deit_micro_distilled_patch4_32.safetensors');
const std = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s / a.length);
};
const randomImages = (rng: Rng, b: number, size: number): tf.Tensor4D =>
  tf.tensor4d(Float32Array.from({ length: b * size * size * 3 }, () => rng.normal()), [b, size, size, 3]);

describe('DeiT structure and initialisation', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("has timm's keys, shapes and state-dict order", () => {
    const m = createModel('deit_micro_distilled_patch4_32');
    const sd = m.stateDict();
    const keys = [...sd.keys()];
    expect(keys.slice(0, 6)).toEqual(['cls_token', 'pos_embed', 'dist_token', 'patch_embed.proj.weight', 'patch_embed.proj.bias', 'blocks.0.norm1.weight']);
    expect(keys.slice(-6)).toEqual(['norm.weight', 'norm.bias', 'head.weight', 'head.bias', 'head_dist.weight', 'head_dist.bias']);
    const file = readSafetensors(WEIGHTS);
    expect(keys.slice().sort()).toEqual([...file.keys()].sort());
    for (const [k, t] of file) expect(sd.get(k)!.shape, k).toEqual(t.shape);
    m.dispose();
  });

  it('rejects bad architectures with a ConfigError before allocating any variable', () => {
    const ok = { imgSize: 8, patchSize: 4, embedDim: 8, depth: 1, numHeads: 2, numClasses: 3, distilled: true };
    const before = tf.memory().numTensors;
    for (const [bad, option] of [
      [{ numHeads: 3 }, 'numHeads'],
      [{ depth: 0 }, 'depth'],
      [{ imgSize: 10 }, 'imgSize'],
      [{ mlpRatio: 0 }, 'mlpRatio'],
      [{ numClasses: 0 }, 'numClasses'],
    ] as const) {
      expect(() => new DeiT({ ...ok, ...bad }, new Rng(0))).toThrow(expect.objectContaining({ option }));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('initialises as deit-spec §1.3, deterministically from the seed', () => {
    const a = createModel('deit_micro_distilled_patch4_32', { seed: 3 }).stateDict();
    const b = createModel('deit_micro_distilled_patch4_32', { seed: 3 }).stateDict();
    const c = createModel('deit_micro_distilled_patch4_32', { seed: 4 }).stateDict();
    for (const [k, t] of a) expect(t.data, k).toEqual(b.get(k)!.data);
    expect(maxAbsDiff(toFloat32(a.get('pos_embed')!), toFloat32(c.get('pos_embed')!))).toBeGreaterThan(0);
    for (const k of ['pos_embed', 'blocks.0.attn.qkv.weight', 'blocks.1.mlp.fc1.weight', 'head.weight']) {
      expect(std(toFloat32(a.get(k)!)), k).toBeGreaterThan(0.018);
      expect(std(toFloat32(a.get(k)!)), k).toBeLessThan(0.022);
    }
    for (const k of ['blocks.0.attn.qkv.bias', 'blocks.1.mlp.fc2.bias', 'head.bias', 'head_dist.bias', 'norm.bias', 'blocks.0.norm1.bias']) {
      expect([...toFloat32(a.get(k)!)].every((v) => v === 0), k).toBe(true);
    }
    expect([...toFloat32(a.get('norm.weight')!)].every((v) => v === 1)).toBe(true);
    // Patch conv: PyTorch's default U(±1/√fan_in) with fan_in = 3·4·4 = 48, so std = bound/√3.
    const pw = toFloat32(a.get('patch_embed.proj.weight')!);
    expect(Math.max(...pw.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(48));
    expect(std(pw)).toBeCloseTo(1 / Math.sqrt(48) / Math.sqrt(3), 2);
  });
});

describeOnBackends('DeiT forward contract', () => {
  let model: DeiT;
  let plain: DeiT;
  beforeAll(() => {
    model = createModel('deit_micro_distilled_patch4_32', { weights: WEIGHTS, dropPathRate: 0.5 });
    plain = createModel('deit_micro_patch4_32', { weights: fixture('deit_micro_patch4_32.safetensors') });
  });
  afterAll(() => {
    model.dispose();
    plain.dispose();
  });

  it('returns the mean of the heads in eval, both heads in training or on request; plain returns one head', () => {
    const x = randomImages(new Rng(1), 3, 32);
    const before = tf.memory().numTensors;
    const mean = model.apply(x, { training: false }) as tf.Tensor2D;
    const both = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
    expect(mean.shape).toEqual([3, 10]);
    const avg = tf.tidy(() => tf.div(tf.add(both.cls, both.dist), 2).dataSync());
    expect(maxAbsDiff(mean.dataSync(), avg)).toBeLessThan(1e-6);
    expect(maxAbsDiff(both.cls.dataSync(), both.dist.dataSync())).toBeGreaterThan(1e-3);
    const train = model.apply(x, { training: true, rng: new Rng(5) }) as DistilledLogits;
    expect(train.cls.shape).toEqual([3, 10]);
    expect(train.dist.shape).toEqual([3, 10]);
    const p = plain.apply(x, { training: true, rng: new Rng(6) }) as tf.Tensor2D;
    expect(p.shape).toEqual([3, 10]);
    tf.dispose([mean, both.cls, both.dist, train.cls, train.dist, p]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('applies seeded per-sample drop path only while training, and needs an rng for it', () => {
    const x = randomImages(new Rng(2), 4, 32);
    const run = (seed: number) => tf.tidy(() => (model.apply(x, { training: true, rng: new Rng(seed) }) as DistilledLogits).cls.dataSync());
    const evalBoth = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
    const seven = run(7);
    expect(maxAbsDiff(seven, run(7))).toBe(0);
    expect(maxAbsDiff(seven, run(8))).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(seven, evalBoth.cls.dataSync())).toBeGreaterThan(1e-4);
    expect(() => tf.tidy(() => void model.apply(x, { training: true }))).toThrow(ConfigError);
    tf.dispose([x, evalBoth.cls, evalBoth.dist]);
  });

  it('rejects images of the wrong size or layout', () => {
    expect(() => tf.tidy(() => void model.apply(tf.zeros([1, 3, 32, 32]) as tf.Tensor4D, { training: false }))).toThrow(ShapeError);
    expect(() => tf.tidy(() => void model.apply(tf.zeros([1, 48, 48, 3]) as tf.Tensor4D, { training: false }))).toThrow(/images/);
  });

  it('leaves tf.memory().numTensors unchanged across SGD training steps inside tf.tidy', () => {
    const m = createModel('deit_micro_distilled_patch4_32', { seed: 1, dropPathRate: 0.1 });
    const rng = new Rng(3);
    const x = randomImages(rng, 4, 32);
    const labels = tf.oneHot(tf.tensor1d([0, 3, 7, 9], 'int32'), 10);
    const opt = tf.train.sgd(0.05);
    const vars = [...m.trainableVariables().values()];
    const step = (): number =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const out = m.apply(x, { training: true, rng }) as DistilledLogits;
          return tf.add(tf.losses.softmaxCrossEntropy(labels, out.cls), tf.losses.softmaxCrossEntropy(labels, out.dist)) as tf.Scalar;
        }, vars);
        opt.applyGradients(grads);
        return value.dataSync()[0]!;
      });
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 2; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    tf.dispose([x, labels]);
    opt.dispose();
    m.dispose();
  });
});

describe('DeiT gradients (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('match central finite differences for every parameter, heads and tokens included', () => {
    const rng = new Rng(9);
    const m = new DeiT({ imgSize: 4, patchSize: 2, embedDim: 4, depth: 1, numHeads: 2, numClasses: 3, distilled: true, dropPathRate: 0 }, rng);
    // Larger-than-init values so that every path carries a visible gradient.
    const sd: StateDict = new Map();
    for (const [k, t] of m.stateDict()) {
      const data = Float32Array.from(t.data as Float32Array, () => rng.normal(0, 0.5));
      if (k.endsWith('norm1.weight') || k.endsWith('norm2.weight') || k === 'norm.weight') for (const [i, v] of data.entries()) data[i] = 1 + 0.3 * v;
      sd.set(k, { dtype: 'F32', shape: t.shape, data });
    }
    m.loadStateDict(sd);
    const x = randomImages(rng, 2, 4);
    const r1 = tf.tensor2d(Float32Array.from({ length: 6 }, () => rng.normal()), [2, 3]);
    const r2 = tf.tensor2d(Float32Array.from({ length: 6 }, () => rng.normal()), [2, 3]);
    const loss = (): tf.Scalar => {
      const out = m.apply(x, { training: true }) as DistilledLogits;
      return tf.add(tf.sum(tf.mul(out.cls, r1)), tf.sum(tf.mul(out.dist, r2))) as tf.Scalar;
    };
    const res = checkGradients(loss, m.trainableVariables(), { rng, samples: 6 });
    expect(res.map((c) => c.name)).toContain('head_dist.weight');
    for (const c of res) {
      expect(c.failures, `${c.name}: max abs err ${c.maxAbsErr}`).toBe(0);
      expect(c.gradScale, c.name).toBeGreaterThan(1e-3);
    }
    console.log(`DeiT grads: ${res.length} parameters, worst abs err ${Math.max(...res.map((c) => c.maxAbsErr)).toExponential(2)}`);
    tf.dispose([x, r1, r2]);
    m.dispose();
  });
});

describe('DeiT weights: loading and saving', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'deitjs-models-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('strict loading lists missing, unexpected and mis-shaped keys and leaves the model untouched', () => {
    const m = createModel('deit_micro_distilled_patch4_32', { seed: 1 });
    const before = m.stateDict();
    const sd = readSafetensors(WEIGHTS);
    sd.delete('blocks.0.attn.qkv.bias');
    sd.set('blocks.9.mlp.fc1.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
    sd.set('norm.weight', { dtype: 'F32', shape: [63], data: new Float32Array(63) });
    let caught: unknown;
    try {
      loadWeights(m, sd, { source: 'edited.safetensors' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StateDictMismatchError);
    const e = caught as StateDictMismatchError;
    expect(e.missing).toEqual(['blocks.0.attn.qkv.bias']);
    expect(e.unexpected).toEqual(['blocks.9.mlp.fc1.weight']);
    expect(e.mismatched).toEqual(['norm.weight: file [63] vs model [64]']);
    expect(e.message).toMatch(/edited\.safetensors/);
    for (const [k, t] of m.stateDict()) expect(t.data, k).toEqual(before.get(k)!.data);
    m.dispose();
  });

  it('refuses a plain checkpoint for a distilled model, naming dist_token, head_dist and pos_embed', () => {
    expect(() => createModel('deit_micro_distilled_patch4_32', { weights: fixture('deit_micro_patch4_32.safetensors') })).toThrow(
      /dist_token.*head_dist\.weight.*pos_embed: file \[1,65,64\]/s,
    );
  });

  it('loads the model of a deit training checkpoint (model, optimizer, lr_scheduler, epoch, args)', () => {
    const m = createModel('deit_micro_distilled_patch4_32', { weights: fixture('deit_micro_distilled_patch4_32.train_checkpoint.pth') });
    const file = readSafetensors(WEIGHTS);
    for (const [k, t] of m.stateDict()) expect(t.data, k).toEqual(file.get(k)!.data);
    m.dispose();
  });

  it('re-initialises head and head_dist with a warning when the class count differs', () => {
    const warnings: string[] = [];
    const m = createModel('deit_micro_distilled_patch4_32', { weights: WEIGHTS, numClasses: 5, warn: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/10 classes.*model 5.*head and head_dist re-initialised/);
    const file = readSafetensors(WEIGHTS);
    const sd = m.stateDict();
    for (const [k, t] of file) {
      if (k.startsWith('head')) continue;
      expect(sd.get(k)!.data, k).toEqual(t.data);
    }
    expect(sd.get('head.weight')!.shape).toEqual([5, 64]);
    expect(sd.get('head_dist.bias')!.shape).toEqual([5]);
    expect(std(toFloat32(sd.get('head.weight')!))).toBeGreaterThan(0.015);
    expect(std(toFloat32(sd.get('head.weight')!))).toBeLessThan(0.025);
    expect([...toFloat32(sd.get('head.bias')!)].every((v) => v === 0)).toBe(true);
    m.dispose();
  });

  it('saves timm-compatible safetensors that load back bit for bit', () => {
    const m = createModel('deit_micro_distilled_patch4_32', { seed: 11 });
    const file = join(dir, 'micro.safetensors');
    saveWeights(m, file);
    expect(readdirSync(dir)).toEqual(['micro.safetensors']);
    const header = readSafetensorsHeader(file);
    expect(header.metadata).toMatchObject({ format: 'pt' });
    const saved = readSafetensors(file);
    const reference = readSafetensors(WEIGHTS);
    expect([...saved.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [k, t] of reference) {
      expect(saved.get(k)!.shape, k).toEqual(t.shape);
      expect(saved.get(k)!.dtype, k).toBe('F32');
    }
    const back = createModel('deit_micro_distilled_patch4_32', { seed: 12, weights: file });
    const a = m.stateDict();
    for (const [k, t] of back.stateDict()) expect(t.data, k).toEqual(a.get(k)!.data);
    m.dispose();
    back.dispose();
  });
});
