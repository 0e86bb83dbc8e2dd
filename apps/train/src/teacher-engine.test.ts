import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, readSafetensors, Rng, tf, toFloat32, writeSafetensors } from '@deitjs/core';
import { MNIST_NORMALIZATION } from '@deitjs/data';
import { ortTeacherOf } from '@deitjs/recipes';
import { createTeacher } from '@deitjs/teachers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainIO } from './io.js';
import { QUIET_IO, quickMnistOptions } from './test/options.js';
import { runTraining } from './train-run.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-teacher-engine-'));
const env = { DEIT_ONNX_CACHE: join(dir, 'cache') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deit-train --teacher-engine onnx (wasm)', () => {
  const teacherFile = join(dir, 'resnet_mnist.safetensors');
  beforeAll(async () => {
    await initBackend('wasm');
    // An untrained teacher with a random head: its argmax varies with the image, which is all hard distillation uses.
    const t = createTeacher('resnet_mnist', { seed: 5 });
    writeSafetensors(teacherFile, t.model.stateDict());
    t.dispose();
  });

  it("the ONNX Runtime teacher gives the TF.js teacher's logits and hard labels on the same batch", async () => {
    // Fed MNIST-normalised images, as the run below feeds it (the export's cache key includes that mapping).
    const tfjs = createTeacher('resnet_mnist', { weights: teacherFile, inputNormalization: { mean: [...MNIST_NORMALIZATION.mean], std: [...MNIST_NORMALIZATION.std] } });
    // Exported for the students' 32 px, as deit-train does.
    const ort = await ortTeacherOf(tfjs, { env, imgSize: 32 });
    try {
      const rng = new Rng(9);
      const images = tf.tensor4d(rng.uniformArray(16 * 32 * 32 * 3, -2, 2), [16, 32, 32, 3]);
      const [a, b] = [tfjs.predict(images), ort.predict(images)];
      const [x, y] = [a.dataSync() as Float32Array, b.dataSync() as Float32Array];
      let num = 0;
      let den = 0;
      for (let i = 0; i < x.length; i++) {
        num += (x[i]! - y[i]!) ** 2;
        den += x[i]! ** 2;
      }
      expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
      const [la, lb] = [tf.argMax(a, 1), tf.argMax(b, 1)];
      expect(Array.from(lb.dataSync())).toEqual(Array.from(la.dataSync()));
      tf.dispose([la, lb]);
      tf.dispose([images, a, b]);
    } finally {
      await ort.dispose();
      tfjs.dispose();
    }
  });

  it('a short hard-distillation run completes and trains the same student as the TF.js teacher, on 1 and 2 data-parallel threads', async () => {
    const base = quickMnistOptions({
      model: 'deit_micro_distilled_patch4_32',
      trainPerClass: 2,
      testPerClass: 1,
      epochs: 1,
      dropPath: 0,
      distillationType: 'hard',
      teacher: 'resnet_mnist',
      teacherWeights: teacherFile,
    });
    let err = '';
    const io: TrainIO = { ...QUIET_IO, stderr: { write: (t: string) => (err += t) }, env };
    const ran = await runTraining({ ...base, teacherEngine: 'onnx', output: join(dir, 'onnx') }, io);
    expect(ran.epochs).toBe(1);
    // The test above exported the same weights into this cache: the run reuses that file.
    expect(err).not.toMatch(/exporting/);
    expect(err).toMatch(/teacher resnet_mnist on ONNX Runtime/);
    await runTraining({ ...base, teacherEngine: 'tfjs', output: join(dir, 'tfjs') }, QUIET_IO);
    // Hard distillation reads only the teacher's argmax: equal labels on every batch give the same weights.
    const a = readSafetensors(join(dir, 'onnx', 'model.safetensors'));
    const b = readSafetensors(join(dir, 'tfjs', 'model.safetensors'));
    for (const [name, t] of a) expect(toFloat32(t), name).toEqual(toFloat32(b.get(name)!));

    // Two data-parallel threads: the ONNX teacher runs here on the whole batch, its labels go to the replica; the
    // same weights as one thread up to float rounding (as data-parallel.test.ts).
    const two = await runTraining({ ...base, teacherEngine: 'onnx', dataParallel: 2, output: join(dir, 'onnx-2') }, { ...QUIET_IO, env });
    expect(two.epochs).toBe(1);
    let worst = 0;
    for (const [name, t] of readSafetensors(join(dir, 'onnx-2', 'model.safetensors'))) {
      const x = toFloat32(t);
      const y = toFloat32(a.get(name)!);
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    }
    expect(worst).toBeLessThan(3e-5);
  });
});
