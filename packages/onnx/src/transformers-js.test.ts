import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, initBackend, relL2Error, tf } from '@deitjs/core';
import { type DeiT, createModel } from '@deitjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxModelPath } from './model-path.js';
import { OrtModel } from './ort-model.js';
import { exportTransformersJs } from './transformers-js.js';
import { fixturePath, fixturePixels, readFixture } from './test/fixtures.js';

const LABELS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

describe('an exported folder loads in transformers.js (local files only)', () => {
  const root = mkdtempSync(join(tmpdir(), 'deitjs-hf-'));
  const dir = join(root, 'deit-micro');
  let model: DeiT;
  beforeAll(async () => {
    await initBackend('cpu');
    model = createModel('deit_micro_distilled_patch4_32', { weights: fixturePath('deit_micro_distilled_patch4_32.safetensors'), dropPathRate: 0 });
    exportTransformersJs(model, dir, { labels: LABELS, preprocessing: { cropPct: 1, interpolation: 'bicubic' } });
  });
  afterAll(() => {
    model.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes config.json, preprocessor_config.json and onnx/model.onnx', () => {
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'onnx', 'preprocessor_config.json']);
    expect(readdirSync(join(dir, 'onnx'))).toEqual(['model.onnx']);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'deit', image_size: 32, patch_size: 4, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 2 });
    expect(config.id2label['3']).toBe('three');
    const pre = JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8'));
    expect(pre).toMatchObject({ size: { shortest_edge: 32 }, crop_size: { height: 32, width: 32 }, resample: 3, image_mean: MEAN, image_std: STD });
  });

  it('AutoModelForImageClassification gives our logits; the image-classification pipeline gives our top-5 labels', async () => {
    const hf = await import('@huggingface/transformers');
    hf.env.allowRemoteModels = false;
    hf.env.localModelPath = root;
    const hfModel = await hf.AutoModelForImageClassification.from_pretrained('deit-micro', { local_files_only: true });
    const { data, dims } = fixturePixels(readFixture('deit_micro_distilled_patch4_32.io.safetensors'));
    const out = (await hfModel({ pixel_values: new hf.Tensor('float32', data, dims) })) as { logits: { data: Float32Array; dims: number[] } };
    const x = tf.tidy(() => tf.transpose(tf.tensor4d(data, dims), [0, 2, 3, 1]) as tf.Tensor4D);
    const ours = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
    expect(out.logits.dims).toEqual([4, 10]);
    const rel = relL2Error(out.logits.data, ours);
    console.log(`transformers.js logits vs deitjs (cpu): rel L2 ${rel.toExponential(2)}`);
    expect(rel).toBeLessThanOrEqual(1e-5);

    // An RGB image at the model's size (the processor's resize and crop are then identities): same pixels either way.
    const rng = new Rng(7);
    const pixels = Uint8ClampedArray.from({ length: 32 * 32 * 3 }, () => rng.int(0, 256));
    const classify = await hf.pipeline('image-classification', 'deit-micro', { local_files_only: true });
    const top = (await classify(new hf.RawImage(pixels, 32, 32, 3), { top_k: 5 })) as Array<{ label: string; score: number }>;
    const probs = tf.tidy(() => {
      const img = tf.div(tf.sub(tf.div(tf.tensor4d(Float32Array.from(pixels), [1, 32, 32, 3]), 255), MEAN), STD) as tf.Tensor4D;
      return tf.softmax(model.predict(img)).dataSync() as Float32Array;
    });
    const want = [...probs.keys()].sort((a, b) => probs[b]! - probs[a]!).slice(0, 5);
    expect(top.map((t) => t.label)).toEqual(want.map((i) => LABELS[i]));
    for (const [k, t] of top.entries()) expect(t.score).toBeCloseTo(probs[want[k]!]!, 5);
    x.dispose();
    await hfModel.dispose();
  });

  it('the folder (or its onnx/model.onnx) opens directly on ONNX Runtime; other paths are ConfigErrors', async () => {
    expect(onnxModelPath(dir)).toBe(join(dir, 'onnx', 'model.onnx'));
    expect(onnxModelPath(join(dir, 'onnx', 'model.onnx'))).toBe(join(dir, 'onnx', 'model.onnx'));
    expect(() => onnxModelPath(join(root, 'missing'), 'weights')).toThrow(/^weights: .*missing does not exist/);
    expect(() => onnxModelPath(root, 'weights')).toThrow(/^weights: .* is a folder without onnx\/model\.onnx/);
    const ort = await OrtModel.create(dir, { intraOpThreads: 1 });
    expect([ort.numClasses, ort.distilled]).toEqual([10, true]);
    await ort.dispose();
  });
});
