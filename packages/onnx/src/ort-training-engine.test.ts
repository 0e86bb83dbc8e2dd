import { Rng, initBackend, relL2Error, tf } from '@deitjs/core';
import { baseCriterion, distillationLoss } from '@deitjs/losses';
import { type DeiT, createModel } from '@deitjs/models';
import { lossAndGradients } from '@deitjs/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrtTrainingEngine } from './ort-training-engine.js';
import { fixturePath } from './test/fixtures.js';
import type { TrainingLossSpec } from './train-graph-loss.js';

const LOSS_REL = 1e-6;
const GRAD_REL = 1e-5;

/** Random images, labels or mixed targets, and teacher logits for a batch (seeded). */
function batchOf(seed: number, batch: number, size: number, classes: number, soft: boolean) {
  const rng = new Rng(seed);
  const images = tf.tensor4d(rng.truncNormalArray(batch * size * size * 3, 1), [batch, size, size, 3]);
  const teacher = tf.tensor2d(rng.truncNormalArray(batch * classes, 2), [batch, classes]);
  if (!soft) return { images, teacher, targets: tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => (i * 7 + seed) % classes), 'int32') };
  // Mixup-style targets: λ·onehot(a) + (1 − λ)·onehot(b), smoothed.
  const t = new Float32Array(batch * classes).fill(0.1 / classes);
  for (let b = 0; b < batch; b++) {
    t[b * classes + (b % classes)]! += 0.9 * 0.7;
    t[b * classes + ((b * 3 + 1) % classes)]! += 0.9 * 0.3;
  }
  return { images, teacher, targets: tf.tensor2d(t, [batch, classes]) };
}

function tfjsLoss(spec: Required<Pick<TrainingLossSpec, 'base'>> & TrainingLossSpec) {
  const base =
    spec.base === 'bce'
      ? baseCriterion({ bceLoss: true })
      : spec.base === 'soft-target'
        ? baseCriterion({ mixup: true })
        : baseCriterion({ mixup: false, smoothing: spec.base === 'label-smoothing' ? (spec.smoothing ?? 0.1) : 0 });
  return distillationLoss({ base, type: spec.type ?? 'none', ...(spec.alpha !== undefined ? { alpha: spec.alpha } : {}), ...(spec.tau !== undefined ? { tau: spec.tau } : {}) });
}

/** One step on both engines from the same weights and the same generator state; returns the worst relative errors. */
async function compare(model: DeiT, spec: TrainingLossSpec, soft: boolean, batch: number, seed: number) {
  const engine = await OrtTrainingEngine.create(model, spec, { intraOpThreads: 1 });
  try {
    const { images, targets, teacher } = batchOf(seed, batch, model.config.imgSize, model.numClasses, soft);
    const variables = model.trainableVariables();
    const before = tf.memory().numTensors;
    const ours = await engine.lossAndGradients({ variables }, images, targets, teacher, new Rng(seed + 100));
    const ref = await lossAndGradients({ student: model, loss: tfjsLoss(spec), variables }, images, targets, teacher, new Rng(seed + 100));
    const lossRel = Math.abs(ours.loss - ref.loss) / Math.abs(ref.loss);
    let worst = 0;
    let worstName = '';
    for (const [name, g] of ref.grads) {
      const mine = ours.grads.get(name);
      expect(mine, name).toBeDefined();
      expect(mine!.shape, name).toEqual(g.shape);
      const a = g.dataSync() as Float32Array;
      const b = mine!.dataSync() as Float32Array;
      const rel = relL2Error(b, a);
      if (rel > worst) [worst, worstName] = [rel, name];
    }
    for (const [k, v] of Object.entries(ref.parts)) expect(Math.abs(ours.parts[k]! - v) / Math.abs(v), k).toBeLessThanOrEqual(LOSS_REL);
    expect(Object.keys(ours.parts).sort()).toEqual(Object.keys(ref.parts).sort());
    expect(ours.grads.size).toBe(ref.grads.size);
    tf.dispose([images, targets, teacher, ...ours.grads.values(), ...ref.grads.values()]);
    expect(tf.memory().numTensors).toBe(before - 3);
    return { lossRel, worst, worstName, loss: ref.loss };
  } finally {
    await engine.dispose();
  }
}

describe('OrtTrainingEngine: one training step on ONNX Runtime equals the tfjs engine', () => {
  let micro: DeiT;
  beforeAll(async () => {
    await initBackend('cpu');
    micro = createModel('deit_micro_distilled_patch4_32', { weights: fixturePath('deit_micro_distilled_patch4_32.safetensors'), dropPathRate: 0.2 });
  });
  afterAll(() => micro.dispose());

  const cases: Array<{ label: string; spec: TrainingLossSpec; soft: boolean }> = [
    { label: 'none, label smoothing', spec: { base: 'label-smoothing', type: 'none' }, soft: false },
    { label: 'soft (τ 2, α 0.3), mixup targets', spec: { base: 'soft-target', type: 'soft', tau: 2, alpha: 0.3 }, soft: true },
    { label: 'hard, label smoothing', spec: { base: 'label-smoothing', type: 'hard' }, soft: false },
    { label: 'hard, mixup targets', spec: { base: 'soft-target', type: 'hard' }, soft: true },
    { label: 'none, plain cross-entropy', spec: { base: 'cross-entropy', type: 'none' }, soft: false },
    { label: 'none, BCE on labels', spec: { base: 'bce', type: 'none' }, soft: false },
    // Mixed, smoothed targets: every entry is > 0, so deit's binarisation makes them all 1.
    { label: 'hard, BCE on binarised mixup targets', spec: { base: 'bce', type: 'hard' }, soft: true },
    { label: 'soft (τ 2), BCE on labels', spec: { base: 'bce', type: 'soft', tau: 2 }, soft: false },
  ];
  it('draws the drop-path factors from the generator as the tfjs model does (some samples dropped here)', async () => {
    const engine = await OrtTrainingEngine.create(micro, { base: 'label-smoothing' }, { intraOpThreads: 1 });
    const f = engine.dropPathFactors(6, new Rng(103));
    await engine.dispose();
    // Released: the native session is gone.
    const images = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    const labels = tf.tensor1d([0], 'int32');
    await expect(engine.lossAndGradients({ variables: micro.trainableVariables() }, images, labels, undefined, new Rng(1))).rejects.toThrow();
    tf.dispose([images, labels]);
    // deit_micro has 2 blocks: block 0 has rate 0 (factors 1, no draws), block 1 rate 0.2 (factors 0 or 1/0.8).
    expect([...f.slice(0, 12)]).toEqual(new Array(12).fill(1));
    expect(f.slice(12).every((v) => v === 0 || v === Math.fround(1 / 0.8))).toBe(true);
    expect(f.slice(12).some((v) => v === 0)).toBe(true);
    // The same draws as 12 calls of rng.random() against keep 0.8.
    const rng = new Rng(103);
    expect([...f.slice(12)]).toEqual(Array.from({ length: 12 }, () => (rng.random() < 0.8 ? Math.fround(1 / 0.8) : 0)));
  });

  it('a plain (not distilled) DeiT: label smoothing', async () => {
    const plain = createModel('deit_micro_patch4_32', { weights: fixturePath('deit_micro_patch4_32.safetensors'), dropPathRate: 0.2 });
    try {
      const r = await compare(plain, { base: 'label-smoothing' }, false, 6, 3);
      console.log(`micro plain: loss ${r.loss.toFixed(6)} rel ${r.lossRel.toExponential(2)}; worst grad rel L2 ${r.worst.toExponential(2)} (${r.worstName})`);
      expect(r.lossRel).toBeLessThanOrEqual(LOSS_REL);
      expect(r.worst).toBeLessThanOrEqual(GRAD_REL);
    } finally {
      plain.dispose();
    }
  });

  it('deit_tiny_distilled_patch4_32 (12 blocks, 192 wide, random init), drop path 0.1: soft and hard', async () => {
    const tiny = createModel('deit_tiny_distilled_patch4_32', { dropPathRate: 0.1, seed: 7 });
    try {
      for (const spec of [{ base: 'soft-target', type: 'soft' }, { base: 'label-smoothing', type: 'hard' }] as const) {
        const r = await compare(tiny, spec, spec.base === 'soft-target', 4, 5);
        console.log(`tiny ${spec.type}: loss ${r.loss.toFixed(6)} rel ${r.lossRel.toExponential(2)}; worst grad rel L2 ${r.worst.toExponential(2)} (${r.worstName})`);
        expect(r.lossRel).toBeLessThanOrEqual(LOSS_REL);
        expect(r.worst).toBeLessThanOrEqual(GRAD_REL);
      }
    } finally {
      tiny.dispose();
    }
  });

  for (const c of cases) {
    it(`micro distilled, drop path 0.2: ${c.label}`, async () => {
      const r = await compare(micro, c.spec, c.soft, 6, 3);
      console.log(`micro ${c.label}: loss ${r.loss.toFixed(6)} rel ${r.lossRel.toExponential(2)}; worst grad rel L2 ${r.worst.toExponential(2)} (${r.worstName})`);
      expect(r.lossRel).toBeLessThanOrEqual(LOSS_REL);
      expect(r.worst).toBeLessThanOrEqual(GRAD_REL);
    });
  }
});
