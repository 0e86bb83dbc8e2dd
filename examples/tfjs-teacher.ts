// Any TF.js model as the teacher of a DeiT student, in Node without tfjs-node: build a LayersModel, save it with
// @deitjs/teachers' file:// handler, load it back, wrap it as a teacher and distil a DeiT from it with the Trainer.
// Run: npx tsx examples/tfjs-teacher.ts [dir]   (packages/recipes/src/tfjs-teacher-example.test.ts runs the same code)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Batch, type BatchSource, IMAGENET_NORMALIZATION, initBackend, tf } from '@deitjs/core';
import { baseCriterion, distillationLoss } from '@deitjs/losses';
import { createModel } from '@deitjs/models';
import { registerNodeFileIo, teacherFromTfjsModel } from '@deitjs/teachers';
import { type RunResult, Trainer } from '@deitjs/trainer';
import * as tfl from '@tensorflow/tfjs-layers';

/** Options of {@link distilFromTfjsModel}. */
export interface TfjsTeacherExample {
  /** Where the teacher (`dir/teacher/model.json`) and the student's run directory (`dir/run`) go. */
  dir: string;
  /** Student epochs (default 3). */
  epochs?: number;
  /** Batches per epoch (default 8). */
  batches?: number;
  /** Images per batch (default 16). */
  batchSize?: number;
}

/** Stand-in data: seeded random 32×32 RGB images, ImageNet-normalised, with labels 0–9. Use your own BatchSource. */
function randomImages(batches: number, batchSize: number): BatchSource {
  return {
    batchesPerEpoch: () => batches,
    async *epoch(epoch: number): AsyncIterable<Batch> {
      for (let b = 0; b < batches; b++) {
        const seed = epoch * 1000 + b;
        const images = tf.tidy(() => {
          const px = tf.randomUniform([batchSize, 32, 32, 3], 0, 1, 'float32', seed);
          return tf.div(tf.sub(px, IMAGENET_NORMALIZATION.mean), IMAGENET_NORMALIZATION.std) as tf.Tensor4D;
        });
        const targets = tf.randomUniformInt([batchSize], 0, 10, seed + 1) as tf.Tensor1D;
        yield { images, targets };
      }
    },
  };
}

/** Builds, saves and reloads a TF.js teacher, then trains a distilled DeiT-micro student from it. */
export async function distilFromTfjsModel(o: TfjsTeacherExample): Promise<{ result: RunResult; teacherFingerprint: string }> {
  await initBackend(); // wasm, else cpu (DEIT_BACKEND chooses)
  registerNodeFileIo(); // model.save('file://…') and loadLayersModel('file://…') without tfjs-node

  // 1. Any TF.js model that maps NHWC images to logits: here a small CNN (train it with net.fit, or bring your own).
  const net = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 3, strides: 2, activation: 'relu' }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, activation: 'relu' }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  await net.save(`file://${join(o.dir, 'teacher')}`); // model.json + weights.bin
  net.dispose();

  // 2. Load it back and wrap it: the teacher sees the student's (ImageNet-normalised) batches, without gradients.
  const loaded = await tfl.loadLayersModel(`file://${join(o.dir, 'teacher', 'model.json')}`);
  const teacher = await teacherFromTfjsModel(loaded, { name: 'small-cnn' });

  // 3. A distilled DeiT student, DeiT's hard-distillation loss and the Trainer.
  const student = createModel('deit_micro_distilled_patch4_32', { numClasses: 10, seed: 0 });
  const loss = distillationLoss({ base: baseCriterion({ mixup: false }), type: 'hard', alpha: 0.5 });
  const batchSize = o.batchSize ?? 16;
  const trainer = new Trainer({
    student,
    loss,
    teacher,
    train: randomImages(o.batches ?? 8, batchSize),
    epochs: o.epochs ?? 3,
    batchSize,
    warmupEpochs: 1,
    lrStepping: 'step', // the rate changes every update (as deit-train runs); the default follows deit's per-epoch steps
    runDir: join(o.dir, 'run'),
  });
  try {
    const result = await trainer.run();
    return { result, teacherFingerprint: teacher.fingerprint() };
  } finally {
    trainer.dispose();
    student.dispose();
    loaded.dispose();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'deitjs-tfjs-teacher-'));
  const { result } = await distilFromTfjsModel({ dir });
  console.log(`trained ${result.epochsCompleted} epochs; run directory ${join(dir, 'run')}`);
}
