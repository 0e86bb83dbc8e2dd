import { type Normalization, initBackend, relL2Error, tf } from '@deitjs/core';
import { RegNet, renormalize, toTimmNames } from '@deitjs/teachers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxBytes } from './export.js';
import { OrtUnavailableError } from './ort-loader.js';
import { OrtTeacher } from './ort-teacher.js';
import { fixtureImages, readFixture } from './test/fixtures.js';

const MNIST_LIKE: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };

describe('OrtTeacher: a frozen teacher on ONNX Runtime in a worker thread', () => {
  const teachers: OrtTeacher[] = [];
  let model: RegNet;
  let bytes: Uint8Array;
  beforeAll(async () => {
    await initBackend('cpu');
    model = new RegNet({ depth: 5, w0: 8, wa: 10, wm: 2, groupSize: 8, seRatio: 0.25 }, { numClasses: 10 });
    model.loadStateDict(toTimmNames(readFixture('timm_regnety_tiny.safetensors')));
    bytes = onnxBytes(model);
  });
  afterAll(async () => {
    for (const t of teachers) await t.dispose();
    model.dispose();
  });

  it('predict (synchronous, as core Teacher) and predictAsync give the tfjs model’s logits; no tensor leaks', async () => {
    const teacher = await OrtTeacher.create(bytes, { intraOpThreads: 1, name: 'regnety_tiny' });
    teachers.push(teacher);
    expect([teacher.name, teacher.numClasses]).toEqual(['regnety_tiny', 10]);
    const x = fixtureImages(readFixture('timm_regnety_tiny.io.safetensors'));
    const want = tf.tidy(() => model.apply(x, { training: false }).dataSync());
    const before = tf.memory().numTensors;
    const sync = teacher.predict(x);
    expect(sync.shape).toEqual([2, 10]);
    expect(relL2Error(sync.dataSync(), want)).toBeLessThanOrEqual(1e-5);
    const asyncLogits = await teacher.predictAsync(x);
    expect(asyncLogits.dataSync()).toEqual(sync.dataSync());
    // Several batches in a row, of different sizes, from the same session.
    const one = teacher.predict(tf.tidy(() => tf.slice(x, [1, 0, 0, 0], [1, -1, -1, -1])));
    expect(relL2Error(one.dataSync(), want.slice(10))).toBeLessThanOrEqual(1e-5);
    tf.dispose([sync, asyncLogits, one]);
    expect(tf.memory().numTensors).toBe(before + 1); // the slice passed to the last predict
    x.dispose();
  });

  it('re-normalises the student’s batch when the teacher was trained with other statistics', async () => {
    const teacher = await OrtTeacher.create(bytes, { intraOpThreads: 1, inputNormalization: MNIST_LIKE });
    teachers.push(teacher);
    const x = fixtureImages(readFixture('timm_regnety_tiny.io.safetensors'));
    const want = tf.tidy(() => model.apply(renormalize(x, MNIST_LIKE, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }), { training: false }).dataSync());
    const got = teacher.predict(x);
    expect(relL2Error(got.dataSync(), want)).toBeLessThanOrEqual(1e-5);
    const plain = tf.tidy(() => model.apply(x, { training: false }).dataSync());
    expect(relL2Error(got.dataSync(), plain)).toBeGreaterThan(1e-2);
    tf.dispose([x, got]);
  });

  it('a missing onnxruntime package is reported from the worker as OrtUnavailableError', async () => {
    const err = await OrtTeacher.create(bytes, { packageName: 'onnxruntime-node-not-installed' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrtUnavailableError);
    expect((err as OrtUnavailableError).packageName).toBe('onnxruntime-node-not-installed');
    expect((err as Error).message).toMatch(/^onnxruntime-node-not-installed is not installed: .* npm install onnxruntime-node-not-installed$/);
  });

  it('a model ONNX Runtime cannot open is a DeitError with ORT’s reason', async () => {
    await expect(OrtTeacher.create(new Uint8Array([1, 2, 3]))).rejects.toThrow(/^ONNX Runtime: /);
  });
});
