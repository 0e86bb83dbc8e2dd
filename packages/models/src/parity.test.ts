import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DistilledLogits, type StateDict, initBackend, maxAbsDiff, nchwToNhwc, readSafetensors, relL2Error, tf, toFloat32 } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeiT } from './deit.js';
import { createModel } from './registry.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));

interface ManifestEntry {
  model: string;
  outputs?: Record<string, { suggested_atol: number }>;
}
const manifest = JSON.parse(readFileSync(fixture('MANIFEST.json'), 'utf8')) as { fixtures: ManifestEntry[] };
const atolOf = (model: string, output: string): number => {
  const a = manifest.fixtures.find((f) => f.model === model)?.outputs?.[output]?.suggested_atol;
  if (a === undefined) throw new Error(`no suggested_atol for ${model} ${output}`);
  return a;
};

/** Asserts rel L2 ≤ 1e-4 and max abs ≤ the manifest's suggested_atol, printing both. */
function expectClose(label: string, model: string, output: string, got: ArrayLike<number>, io: StateDict): void {
  const want = toFloat32(io.get(output)!);
  const atol = atolOf(model, output);
  const rel = relL2Error(got, want);
  const mad = maxAbsDiff(got, want);
  console.log(`${label} ${output}: rel L2 ${rel.toExponential(2)}, max abs ${mad.toExponential(2)} (atol ${atol})`);
  expect(rel, output).toBeLessThanOrEqual(1e-4);
  expect(mad, output).toBeLessThanOrEqual(atol);
}

function imagesOf(io: StateDict): tf.Tensor4D {
  const x = io.get('inputs')!;
  const nhwc = nchwToNhwc(toFloat32(x), x.shape);
  return tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
}

/** Runs the eval, both-heads and train-mode forwards and all intermediates, comparing each with the fixture. */
function checkDistilled(label: string, fixtureModel: string, model: DeiT, io: StateDict, intermediates: string[]): void {
  const x = imagesOf(io);
  const before = tf.memory().numTensors;
  const logits = tf.tidy(() => model.predict(x).dataSync());
  expectClose(label, fixtureModel, 'logits', logits, io);
  const both = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
  expectClose(label, fixtureModel, 'logits_cls_eval', both.cls.dataSync(), io);
  expectClose(label, fixtureModel, 'logits_dist_eval', both.dist.dataSync(), io);
  tf.dispose([both.cls, both.dist]);
  const train = model.apply(x, { training: true }) as DistilledLogits;
  expectClose(label, fixtureModel, 'logits_cls_train', train.cls.dataSync(), io);
  expectClose(label, fixtureModel, 'logits_dist_train', train.dist.dataSync(), io);
  tf.dispose([train.cls, train.dist]);
  const inter = model.forwardIntermediates(x, { training: false });
  for (const name of intermediates) expectClose(label, fixtureModel, `out.${name}`, inter.get(name)!.dataSync(), io);
  tf.dispose([...inter.values()]);
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
}

describeOnBackends('DeiT parity with timm', (backend) => {
  const models: DeiT[] = [];
  afterAll(() => {
    for (const m of models) m.dispose();
  });

  it('deit_micro_distilled_patch4_32: logits, both heads (eval and train), intermediates', () => {
    const model = createModel('deit_micro_distilled_patch4_32', { weights: fixture('deit_micro_distilled_patch4_32.safetensors'), dropPathRate: 0 });
    models.push(model);
    const io = readSafetensors(fixture('deit_micro_distilled_patch4_32.io.safetensors'));
    checkDistilled(backend, 'deit_micro_distilled_patch4_32', model, io, ['patch_embed', 'pos_drop', 'blocks.0', 'blocks.1', 'norm']);
  });

  it('deit_micro_patch4_32 (plain): logits and intermediates; one head in train mode too', () => {
    const model = createModel('deit_micro_patch4_32', { weights: fixture('deit_micro_patch4_32.safetensors'), dropPathRate: 0 });
    models.push(model);
    const io = readSafetensors(fixture('deit_micro_patch4_32.io.safetensors'));
    const x = imagesOf(io);
    const before = tf.memory().numTensors;
    const logits = tf.tidy(() => model.predict(x).dataSync());
    expectClose(backend, 'deit_micro_patch4_32', 'logits', logits, io);
    const train = tf.tidy(() => (model.apply(x, { training: true }) as tf.Tensor2D).dataSync());
    expectClose(`${backend} train`, 'deit_micro_patch4_32', 'logits', train, io);
    const inter = model.forwardIntermediates(x, { training: false });
    for (const name of ['patch_embed', 'pos_drop', 'blocks.0', 'norm']) {
      expectClose(backend, 'deit_micro_patch4_32', `out.${name}`, inter.get(name)!.dataSync(), io);
    }
    tf.dispose([...inter.values(), x]);
    expect(tf.memory().numTensors).toBe(before - 1);
  });

  it('deit_micro_distilled_patch4_32 at 48 px from the {model: ...} .pth, pos_embed resampled the timm way', () => {
    const warnings: string[] = [];
    const model = createModel('deit_micro_distilled_patch4_32', {
      imgSize: 48,
      weights: fixture('deit_micro_distilled_patch4_32.pth'),
      dropPathRate: 0,
      warn: (m) => warnings.push(m),
    });
    models.push(model);
    expect(warnings).toEqual([]);
    const pos = model.stateDict().get('pos_embed')!;
    const ref = readSafetensors(fixture('pos_embed_resample.safetensors')).get('timm_resample_12x12')!;
    expect(pos.shape).toEqual([1, 146, 64]);
    expect(maxAbsDiff(toFloat32(pos), toFloat32(ref))).toBeLessThan(1e-6);
    const io = readSafetensors(fixture('deit_micro_distilled_patch4_32_at48.io.safetensors'));
    checkDistilled(`${backend} at48`, 'deit_micro_distilled_patch4_32_at48', model, io, ['pos_drop']);
  });
});

describe('DeiT weights from .pth (wasm)', () => {
  const models: DeiT[] = [];
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => {
    for (const m of models) m.dispose();
  });

  it('the .pth with {model: ...} gives the same logits as the .safetensors', () => {
    const io = readSafetensors(fixture('deit_micro_distilled_patch4_32.io.safetensors'));
    const a = createModel('deit_micro_distilled_patch4_32', { weights: fixture('deit_micro_distilled_patch4_32.pth') });
    const b = createModel('deit_micro_distilled_patch4_32', { weights: fixture('deit_micro_distilled_patch4_32.safetensors') });
    models.push(a, b);
    const x = imagesOf(io);
    const la = tf.tidy(() => a.predict(x).dataSync());
    const lb = tf.tidy(() => b.predict(x).dataSync());
    expect(maxAbsDiff(la, lb)).toBe(0);
    for (const [k, t] of a.stateDict()) expect(t.data, k).toEqual(b.stateDict().get(k)!.data);
    x.dispose();
  });
});
