import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApplyOptions,
  type Classifier,
  CheckpointError,
  type DistilledLogits,
  IMAGENET_NORMALIZATION,
  type Normalization,
  Rng,
  maxAbsDiff,
  tf,
} from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { createConvNet } from './registry.js';
import { ConvNetTeacher, createTeacher, teacherFromClassifier } from './teacher.js';
import { type TfjsModelLike, teacherFromTfjsModel } from './tfjs-model-teacher.js';

const MNIST_NORM: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };

function pixels(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(rng.uniformArray(shape.reduce((a, b) => a * b, 1), 0, 1), shape);
}
function normalize(px: tf.Tensor4D, n: Normalization): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(px, tf.tensor1d(n.mean)), tf.tensor1d(n.std)) as tf.Tensor4D);
}

interface TfjsUnion {
  sequential(c: unknown): TfjsModelLike & { add(l: unknown): void; save(h: unknown): Promise<unknown>; dispose(): void };
  layers: Record<string, (c: unknown) => unknown>;
  initializers: Record<string, (c: unknown) => unknown>;
}

describeOnBackends('teachers', () => {
  it('a ConvNet teacher predicts eval-mode logits, frees its intermediates and passes no gradient', () => {
    const teacher = createTeacher('resnet_mnist', { seed: 2 });
    const x = normalize(pixels(1, [3, 16, 16, 3]), IMAGENET_NORMALIZATION);
    const before = tf.memory().numTensors;
    const y = teacher.predict(x);
    expect(y.shape).toEqual([3, 10]);
    expect(tf.memory().numTensors).toBe(before + 1);
    const direct = teacher.model.apply(x, { training: false });
    expect(maxAbsDiff(y.dataSync(), direct.dataSync())).toBe(0);
    // Inside a gradient computation the teacher is one opaque op with a zero gradient.
    const g = tf.grad((inp: tf.Tensor) => tf.sum(tf.mul(teacher.predict(inp as tf.Tensor4D), direct)))(x);
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
    const v = tf.variable(tf.scalar(1.5));
    const { value, grads } = tf.variableGrads(() => tf.sum(teacher.predict(tf.mul(x, v) as tf.Tensor4D)) as tf.Scalar, [v]);
    expect(grads[v.name]!.dataSync()[0]).toBe(0);
    tf.dispose([y, direct, g, value, grads[v.name]!, v, x]);
    teacher.dispose();
  });

  it('maps the student normalisation to the teacher’s own', () => {
    const model = createConvNet('resnet_mnist', { seed: 5 });
    const teacher = new ConvNetTeacher(model, { inputNormalization: IMAGENET_NORMALIZATION, normalization: MNIST_NORM });
    const px = pixels(3, [2, 12, 12, 3]);
    const student = normalize(px, IMAGENET_NORMALIZATION);
    const own = normalize(px, MNIST_NORM);
    const y = teacher.predict(student);
    const want = model.apply(own, { training: false });
    expect(maxAbsDiff(y.dataSync(), want.dataSync())).toBeLessThan(1e-4);
    // Without the mapping the outputs differ clearly: the check above is not vacuous.
    const unmapped = model.apply(student, { training: false });
    expect(maxAbsDiff(unmapped.dataSync(), want.dataSync())).toBeGreaterThan(1e-2);
    tf.dispose([px, student, own, y, want, unmapped]);
    teacher.dispose();
  });

  it('fingerprints change with the weights and the input mapping only', () => {
    const a = createTeacher('resnet_mnist', { seed: 1 });
    const b = createTeacher('resnet_mnist', { seed: 1 });
    const c = createTeacher('resnet_mnist', { seed: 1, normalization: MNIST_NORM });
    expect(a.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(a.fingerprint()).toBe(b.fingerprint());
    expect(c.fingerprint()).not.toBe(a.fingerprint());
    const bn = b.model.namedParams().get('bn1.running_mean')!.variable;
    bn.assign(tf.add(bn, 1e-3));
    expect(b.fingerprint()).not.toBe(a.fingerprint());
    for (const t of [a, b, c]) t.dispose();
  });

  it('any Classifier becomes a teacher; a distilled one gives the mean of its heads', () => {
    const w = tf.variable(tf.tensor2d([[1, -1], [0.5, 2], [0, 1]]));
    class TwoHeads implements Classifier {
      readonly numClasses = 2;
      readonly distilled = true;
      trainableVariables() {
        return new Map([['w', w]]);
      }
      apply(images: tf.Tensor4D, o: ApplyOptions): tf.Tensor2D | DistilledLogits {
        const pooled = tf.mean(images, [1, 2]) as tf.Tensor2D;
        const cls = tf.matMul(pooled, w as tf.Tensor2D);
        const dist = tf.mul(cls, 3) as tf.Tensor2D;
        if (o.training || o.returnBoth) return { cls: cls as tf.Tensor2D, dist };
        return tf.div(tf.add(cls, dist), 2) as tf.Tensor2D;
      }
    }
    const clf = new TwoHeads();
    const teacher = teacherFromClassifier(clf, { name: 'deit' });
    const x = pixels(9, [2, 4, 4, 3]);
    const y = teacher.predict(x);
    const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
    const want = tf.mul(tf.matMul(pooled, w), 2);
    expect(maxAbsDiff(y.dataSync(), want.dataSync())).toBeLessThan(1e-5);
    expect(teacher.name).toBe('deit');
    expect(teacher.numClasses).toBe(2);
    const fp = teacher.fingerprint();
    w.assign(tf.tensor2d([[1, -1], [0.5, 2], [0, 1.5]]));
    expect(teacher.fingerprint()).not.toBe(fp);
    tf.dispose([x, y, pooled, want, w]);
  });

  it('a TF.js LayersModel (object or model.json on disk) becomes a teacher', async () => {
    const union = '@tensorflow/tfjs';
    const tfjs = (await import(union)) as TfjsUnion;
    const model = tfjs.sequential({});
    model.add(tfjs.layers.globalAveragePooling2d!({ inputShape: [8, 8, 3] }));
    model.add(tfjs.layers.dense!({ units: 4, kernelInitializer: tfjs.initializers.glorotNormal!({ seed: 7 }), biasInitializer: 'ones' }));
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-teacher-'));
    await model.save(
      tf.io.withSaveHandler(async (a: tf.io.ModelArtifacts) => {
        writeFileSync(join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
        writeFileSync(
          join(dir, 'model.json'),
          JSON.stringify({ modelTopology: a.modelTopology, format: a.format, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }),
        );
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const x = pixels(4, [2, 8, 8, 3]);
    const want = model.predict(x) as tf.Tensor;
    for (const t of [await teacherFromTfjsModel(model), await teacherFromTfjsModel(join(dir, 'model.json'))]) {
      expect(t.numClasses).toBe(4);
      const before = tf.memory().numTensors;
      const y = t.predict(x);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(maxAbsDiff(y.dataSync(), want.dataSync())).toBeLessThan(1e-5);
      expect(t.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
      y.dispose();
    }
    // A softmax head: the teacher returns log-probabilities, i.e. the logits up to a per-row constant.
    const soft = tfjs.sequential({});
    soft.add(tfjs.layers.globalAveragePooling2d!({ inputShape: [8, 8, 3] }));
    soft.add(tfjs.layers.dense!({ units: 4, activation: 'softmax', kernelInitializer: tfjs.initializers.glorotNormal!({ seed: 3 }) }));
    const probs = await teacherFromTfjsModel(soft, { outputs: 'probabilities' });
    const lp = probs.predict(x);
    const p = soft.predict(x) as tf.Tensor;
    expect(maxAbsDiff(tf.exp(lp).dataSync(), p.dataSync())).toBeLessThan(1e-5);
    expect(Array.from(tf.sum(tf.exp(lp), 1).dataSync()).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
    p.dispose();
    soft.dispose();
    writeFileSync(join(dir, 'bad.json'), '{"nope": 1}');
    await expect(teacherFromTfjsModel(join(dir, 'bad.json'))).rejects.toThrow(CheckpointError);
    tf.dispose([x, want, lp]);
    model.dispose();
  });

  it('a TF.js GraphModel (converter format) becomes a teacher', async () => {
    // A hand-written graph: logits = mean_{h,w}(x) · W + b, with its constants in one weight shard.
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-graph-'));
    const ty = (t: string) => ({ type: t });
    const node = (name: string, op: string, attr: object, input?: string[]) => ({ name, op, attr, ...(input ? { input } : {}) });
    const konst = (name: string, dtype: string, dims: number[]) =>
      node(name, 'Const', { value: { tensor: { dtype, tensorShape: { dim: dims.map((d) => ({ size: String(d) })) } } }, dtype: ty(dtype) });
    const topology = {
      node: [
        node('x', 'Placeholder', { dtype: ty('DT_FLOAT'), shape: { shape: { dim: [-1, 8, 8, 3].map((d) => ({ size: String(d) })) } } }),
        konst('axes', 'DT_INT32', [2]),
        konst('w', 'DT_FLOAT', [3, 4]),
        konst('b', 'DT_FLOAT', [4]),
        node('mean', 'Mean', { keep_dims: { b: false }, T: ty('DT_FLOAT'), Tidx: ty('DT_INT32') }, ['x', 'axes']),
        node('mm', 'MatMul', { transpose_a: { b: false }, transpose_b: { b: false }, T: ty('DT_FLOAT') }, ['mean', 'w']),
        node('logits', 'BiasAdd', { T: ty('DT_FLOAT'), data_format: { s: Buffer.from('NHWC').toString('base64') } }, ['mm', 'b']),
      ],
      library: {},
      versions: { producer: 1 },
    };
    const W = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const B = [0.5, -0.5, 1, 0];
    const bin = new Uint8Array(8 + 48 + 16);
    new Int32Array(bin.buffer, 0, 2).set([1, 2]);
    new Float32Array(bin.buffer, 8, 12).set(W);
    new Float32Array(bin.buffer, 56, 4).set(B);
    writeFileSync(join(dir, 'group1-shard1of1.bin'), bin);
    const weights = [
      { name: 'axes', shape: [2], dtype: 'int32' },
      { name: 'w', shape: [3, 4], dtype: 'float32' },
      { name: 'b', shape: [4], dtype: 'float32' },
    ];
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ format: 'graph-model', modelTopology: topology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }] }),
    );
    const teacher = await teacherFromTfjsModel(join(dir, 'model.json'));
    expect(teacher.numClasses).toBe(4);
    const x = pixels(6, [2, 8, 8, 3]);
    const y = teacher.predict(x);
    const m = (await x.array()).map((img) => [0, 1, 2].map((c) => img.flat().reduce((s, px) => s + px[c]!, 0) / 64));
    const want = m.flatMap((row) => [0, 1, 2, 3].map((o) => row.reduce((s, v, c) => s + v * W[c * 4 + o]!, B[o]!)));
    expect(maxAbsDiff(y.dataSync(), want)).toBeLessThan(1e-4);
    expect(teacher.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
    tf.dispose([x, y]);
  });
});
