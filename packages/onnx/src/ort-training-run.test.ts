import { type Batch, type BatchSource, Rng, type StateDict, type Teacher, initBackend, relL2Error, tf, toFloat32 } from '@deitjs/core';
import { baseCriterion, distillationLoss } from '@deitjs/losses';
import { type DeiT, createModel } from '@deitjs/models';
import { Trainer } from '@deitjs/trainer';
import { describe, expect, it } from 'vitest';
import { OrtTrainingEngine } from './ort-training-engine.js';
import { fixturePath } from './test/fixtures.js';

const MODEL = 'deit_micro_distilled_patch4_32';
const WEIGHTS = fixturePath('deit_micro_distilled_patch4_32.safetensors');

/** A frozen teacher: fixed random projection of the mean-pooled image (constant logits per image). */
function projectionTeacher(classes: number): Teacher {
  const w = new Rng(11).truncNormalArray(3 * classes, 3);
  return { name: 'projection', numClasses: classes, predict: (images) => tf.tidy(() => tf.matMul(tf.mean(images, [1, 2]) as tf.Tensor2D, tf.tensor2d(w, [3, classes]))) };
}

/** `samples` fixed random 32 px images with labels, served in order in batches of `batch`. */
function dataset(samples: number, batch: number): BatchSource {
  const per = 32 * 32 * 3;
  const images = new Rng(21).truncNormalArray(samples * per, 1);
  const labels = Int32Array.from({ length: samples }, (_, i) => (i * 3) % 10);
  return {
    batchesPerEpoch: () => Math.ceil(samples / batch),
    async *epoch(): AsyncIterable<Batch> {
      for (let s = 0; s < samples; s += batch) {
        const n = Math.min(batch, samples - s);
        yield { images: tf.tensor4d(images.slice(s * per, (s + n) * per), [n, 32, 32, 3]), targets: tf.tensor1d(labels.slice(s, s + n), 'int32') };
      }
    },
  };
}

/** Trains the fixture micro DeiT (drop path 0.1, hard distillation, label smoothing) for `epochs` on `backend`. */
async function train(backend: 'cpu' | 'wasm', epochs: number, onnx: boolean, extra: { samples?: number; onStep?: () => void } = {}): Promise<{ weights: StateDict; model: DeiT }> {
  await initBackend(backend);
  const model = createModel(MODEL, { weights: WEIGHTS, dropPathRate: 0.1 });
  const engine = onnx ? await OrtTrainingEngine.create(model, { base: 'label-smoothing', type: 'hard' }, { intraOpThreads: 1 }) : undefined;
  const trainer = new Trainer({
    student: model,
    loss: distillationLoss({ base: baseCriterion({ mixup: false }), type: 'hard' }),
    teacher: projectionTeacher(10),
    train: dataset(extra.samples ?? 30, 6),
    epochs,
    lr: 2e-3,
    unscaleLr: true,
    warmupEpochs: 0,
    seed: 4,
    progress: false,
    clipGrad: 5,
    emaDecay: 0.9,
    ...(engine ? { engine } : {}),
    ...(extra.onStep ? { hooks: { onStep: extra.onStep } } : {}),
  });
  await trainer.run();
  trainer.dispose();
  await engine?.dispose();
  return { weights: model.stateDict(), model };
}

function weightSpread(a: StateDict, b: StateDict): number {
  let worst = 0;
  for (const [name, t] of a) worst = Math.max(worst, relL2Error(toFloat32(b.get(name)!), toFloat32(t)));
  return worst;
}

describe('Trainer with the onnx engine', () => {
  it('30 steps from the same weights stay within the spread of the tfjs wasm and cpu backends', async () => {
    // 30 samples in batches of 6 = 5 steps per epoch, 6 epochs.
    const cpu = await train('cpu', 6, false);
    const wasm = await train('wasm', 6, false);
    const ort = await train('cpu', 6, true);
    for (const r of [cpu, wasm, ort]) r.model.dispose();
    const backends = weightSpread(cpu.weights, wasm.weights);
    const onnxVsCpu = weightSpread(cpu.weights, ort.weights);
    const onnxVsWasm = weightSpread(wasm.weights, ort.weights);
    const initial = createModel(MODEL, { weights: WEIGHTS });
    const moved = weightSpread(cpu.weights, initial.stateDict());
    initial.dispose();
    console.log(`30 steps, worst tensor rel L2: wasm vs cpu ${backends.toExponential(2)}; onnx vs cpu ${onnxVsCpu.toExponential(2)}; onnx vs wasm ${onnxVsWasm.toExponential(2)}; (weights moved by ${moved.toExponential(2)})`);
    expect(moved).toBeGreaterThan(1e-3);
    expect(Math.max(onnxVsCpu, onnxVsWasm)).toBeLessThanOrEqual(backends);
  });

  it('200 steps: no tf.memory() growth, the session released', async () => {
    await initBackend('cpu');
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    // 1200 samples in batches of 6 = 200 steps in one epoch.
    const { model } = await train('cpu', 1, true, { samples: 1200, onStep: () => void counts.push(tf.memory().numTensors) });
    model.dispose();
    expect(counts.length).toBe(200);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
