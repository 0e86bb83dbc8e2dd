import { type DistilledLogits, type StateDict, initBackend, maxAbsDiff, relL2Error, tf, toFloat32 } from '@deitjs/core';
import { type DeiT, createModel } from '@deitjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxBytes } from './export.js';
import { OrtClassifier } from './ort-classifier.js';
import { batchRows, decodeModel, fixtureImages, fixturePath, fixturePixels, readFixture, suggestedAtol } from './test/fixtures.js';

const REL_TOL = 1e-5;

/** ORT vs our tfjs model (rel L2 ≤ 1e-5) and vs PyTorch (max abs ≤ the manifest's atol); prints both. */
function expectParity(label: string, got: Float32Array, ours: Float32Array, io: StateDict, fixture: string, key: string): void {
  const torch = toFloat32(io.get(key)!);
  const rel = relL2Error(got, ours);
  const mad = maxAbsDiff(got, torch);
  console.log(`${label} ${key}: ORT vs tfjs rel L2 ${rel.toExponential(2)}, ORT vs PyTorch max abs ${mad.toExponential(2)} (atol ${suggestedAtol(fixture, key)})`);
  expect(rel, `${label} ${key} vs tfjs`).toBeLessThanOrEqual(REL_TOL);
  expect(mad, `${label} ${key} vs PyTorch`).toBeLessThanOrEqual(suggestedAtol(fixture, key));
}

const CASES = [
  { fixture: 'deit_micro_patch4_32', model: 'deit_micro_patch4_32', weights: 'deit_micro_patch4_32.safetensors', imgSize: 32 },
  { fixture: 'deit_micro_distilled_patch4_32', model: 'deit_micro_distilled_patch4_32', weights: 'deit_micro_distilled_patch4_32.safetensors', imgSize: 32 },
  // The 32 px checkpoint at 48 px: pos_embed resampled (the timm way) when loaded, exported as resampled.
  { fixture: 'deit_micro_distilled_patch4_32_at48', model: 'deit_micro_distilled_patch4_32', weights: 'deit_micro_distilled_patch4_32.pth', imgSize: 48 },
] as const;

describe('DeiT exported to ONNX, run on ONNX Runtime', () => {
  const models: DeiT[] = [];
  const sessions: OrtClassifier[] = [];
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(async () => {
    for (const m of models) m.dispose();
    for (const s of sessions) await s.dispose();
  });

  for (const c of CASES) {
    it(`${c.fixture}: logits (and both heads) match tfjs and PyTorch; batch is dynamic`, async () => {
      const model = createModel(c.model, { weights: fixturePath(c.weights), imgSize: c.imgSize, dropPathRate: 0 });
      models.push(model);
      const io = readFixture(`${c.fixture}.io.safetensors`);
      const before = tf.memory().numTensors;
      const bytes = onnxBytes(model);
      expect(tf.memory().numTensors).toBe(before);
      const { graph } = decodeModel(bytes);
      expect(graph.output.map((o) => o.name)).toEqual(model.distilled ? ['logits', 'logits_cls', 'logits_dist'] : ['logits']);
      // Every initializer that is a model tensor keeps its timm name and value.
      const sd = model.stateDict();
      const named = graph.initializer.filter((t) => sd.has(t.name!));
      expect(named.length).toBe(sd.size);
      for (const t of named) expect(new Float32Array(Uint8Array.from(t.rawData!).buffer), t.name!).toEqual(sd.get(t.name!)!.data);

      const ort = await OrtClassifier.create(bytes, { intraOpThreads: 1 });
      sessions.push(ort);
      expect(ort.distilled).toBe(model.distilled);
      expect(ort.inputShape).toEqual([3, c.imgSize, c.imgSize]);
      const { data, dims } = fixturePixels(io);
      const out = await ort.predict(data, dims);
      expect([out.batch, out.numClasses]).toEqual([dims[0], 10]);

      const x = fixtureImages(io);
      const ours = tf.tidy(() => model.predict(x).dataSync() as Float32Array);
      expectParity(c.fixture, out.logits, ours, io, c.fixture, 'logits');
      if (model.distilled) {
        const both = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
        expectParity(c.fixture, out.cls!, both.cls.dataSync() as Float32Array, io, c.fixture, 'logits_cls_eval');
        expectParity(c.fixture, out.dist!, both.dist.dataSync() as Float32Array, io, c.fixture, 'logits_dist_eval');
        tf.dispose([both.cls, both.dist]);
      } else {
        expect(out.cls).toBeUndefined();
      }

      // One export, batches of 1 and 3 (the fixture has 2 or 4 images: 3 repeats the first).
      const n = dims[0];
      const three = new Float32Array([...batchRows(data, dims, 0, Math.min(3, n)), ...(n < 3 ? batchRows(data, dims, 0, 3 - n) : [])]);
      const x3 = tf.tidy(() => tf.slice(tf.concat([x, x], 0), 0, 3) as tf.Tensor4D);
      const ours3 = tf.tidy(() => model.predict(x3).dataSync() as Float32Array);
      for (const [batch, pixels, want] of [
        [1, batchRows(data, dims, 0, 1), ours.slice(0, 10)],
        [3, three, ours3],
      ] as const) {
        const got = await ort.predict(pixels, [batch, dims[1], dims[2], dims[3]]);
        expect(got.batch).toBe(batch);
        expect(got.logits.length).toBe(batch * 10);
        expect(relL2Error(got.logits, want), `batch ${batch}`).toBeLessThanOrEqual(REL_TOL);
      }
      // NHWC tensors in, as deitjs models take them.
      const viaTensor = await ort.predictImages(x);
      expect(viaTensor.shape).toEqual([n, 10]);
      expect(relL2Error(viaTensor.dataSync(), ours)).toBeLessThanOrEqual(REL_TOL);
      tf.dispose([x, x3, viaTensor]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('rejects images of another size than the export, naming the argument', async () => {
    const model = createModel('deit_micro_patch4_32', { weights: fixturePath('deit_micro_patch4_32.safetensors'), dropPathRate: 0 });
    models.push(model);
    const ort = await OrtClassifier.create(onnxBytes(model), { intraOpThreads: 1 });
    sessions.push(ort);
    await expect(ort.predict(new Float32Array(3 * 48 * 48), [1, 3, 48, 48])).rejects.toThrow(/pixels: the model takes \[batch, 3, 32, 32\]/);
    await expect(ort.predict(new Float32Array(5), [1, 3, 32, 32])).rejects.toThrow(/pixels: 5 values/);
  });
});
