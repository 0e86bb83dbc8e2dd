import { type DistilledLogits, initBackend, relL2Error, tf } from '@deitjs/core';
import { type DeiT, createModel } from '@deitjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxBytes } from './export.js';
import { OrtModel } from './ort-model.js';
import { fixtureImages, fixturePath, readFixture } from './test/fixtures.js';

describe('OrtModel: an exported model as core Classifier (ONNX Runtime in a worker thread)', () => {
  const models: DeiT[] = [];
  const ort: OrtModel[] = [];
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(async () => {
    for (const m of models) m.dispose();
    for (const o of ort) await o.dispose();
  });

  it('distilled DeiT: synchronous apply inside tf.tidy (as evaluate calls it) gives both heads and their mean', async () => {
    const model = createModel('deit_micro_distilled_patch4_32', { weights: fixturePath('deit_micro_distilled_patch4_32.safetensors'), dropPathRate: 0 });
    models.push(model);
    const o = await OrtModel.create(onnxBytes(model), { intraOpThreads: 1 });
    ort.push(o);
    expect([o.numClasses, o.distilled, o.trainableVariables().size]).toEqual([10, true, 0]);
    expect(o.session.inputShape).toEqual([3, 32, 32]);
    const x = fixtureImages(readFixture('deit_micro_distilled_patch4_32.io.safetensors'));
    const before = tf.memory().numTensors;
    const [gotCls, gotDist, gotMean] = tf.tidy(() => {
      const both = o.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
      return [both.cls.dataSync(), both.dist.dataSync(), o.predict(x).dataSync()];
    });
    expect(tf.memory().numTensors).toBe(before);
    const want = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
    const wantMean = model.predict(x);
    expect(relL2Error(gotCls!, want.cls.dataSync())).toBeLessThanOrEqual(1e-5);
    expect(relL2Error(gotDist!, want.dist.dataSync())).toBeLessThanOrEqual(1e-5);
    expect(relL2Error(gotMean!, wantMean.dataSync())).toBeLessThanOrEqual(1e-5);
    const viaAsync = (await o.applyAsync(x, { returnBoth: true })) as DistilledLogits;
    expect(viaAsync.cls.dataSync()).toEqual(gotCls);
    expect(() => o.apply(x, { training: true })).toThrow(/eval mode only/);
    tf.dispose([want.cls, want.dist, wantMean, viaAsync.cls, viaAsync.dist, x]);
  });

  it('plain DeiT: one head, also with returnBoth; a batch of another image size is a ShapeError', async () => {
    const model = createModel('deit_micro_patch4_32', { weights: fixturePath('deit_micro_patch4_32.safetensors'), dropPathRate: 0 });
    models.push(model);
    const o = await OrtModel.create(onnxBytes(model), { intraOpThreads: 1 });
    ort.push(o);
    expect(o.distilled).toBe(false);
    const x = fixtureImages(readFixture('deit_micro_patch4_32.io.safetensors'));
    const got = o.apply(x, { training: false, returnBoth: true }) as tf.Tensor2D;
    expect(got.shape).toEqual([2, 10]);
    const want = model.predict(x);
    expect(relL2Error(got.dataSync(), want.dataSync())).toBeLessThanOrEqual(1e-5);
    const wrong = tf.zeros([1, 48, 48, 3]) as tf.Tensor4D;
    expect(() => o.apply(wrong, { training: false })).toThrow(/^pixels: the model takes \[batch, 3, 32, 32\], got \[1,3,48,48\]/);
    // The session is still usable after a rejected batch.
    const again = o.predict(x);
    expect(again.dataSync()).toEqual(got.dataSync());
    tf.dispose([got, want, wrong, again, x]);
  });
});
