import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type HostTensor, readPth, readSafetensors, Rng, type StateDict, tf } from '@deitjs/core';
import { createModel, type DeiT } from '@deitjs/models';
import { Trainer } from '@deitjs/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test/io.js';
import { makeRun } from '../test/run.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-eval-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two epochs of 2 random batches: enough for a checkpoint-last with optimizer moments and an EMA. */
async function trainedRun(): Promise<string> {
  const runDir = makeRun(join(dir, 'run'), 'deit_micro_distilled_patch4_32');
  const student = createModel('deit_micro_distilled_patch4_32', { seed: 1 }) as DeiT;
  const source = {
    batchesPerEpoch: () => 2,
    async *epoch(epoch: number) {
      const rng = new Rng(epoch + 1);
      for (let b = 0; b < 2; b++) {
        yield { images: tf.tensor4d(rng.uniformArray(4 * 32 * 32 * 3, -1, 1), [4, 32, 32, 3]), targets: tf.tensor1d([0, 1, 2, 3], 'int32'), indices: Int32Array.of(0, 1, 2, 3) };
      }
    },
  };
  const loss = (outputs: unknown, targets: tf.Tensor1D | tf.Tensor2D) =>
    tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(targets as tf.Tensor1D, 10), (outputs as { cls: tf.Tensor2D }).cls) as tf.Scalar);
  const options = { model: 'deit_micro_distilled_patch4_32', inputSize: 32, batchSize: 4, epochs: 2, accumSteps: 1, distillationType: 'none' };
  const trainer = new Trainer({ student, loss, train: source, epochs: 2, lr: 1e-3, unscaleLr: true, warmupEpochs: 1, emaDecay: 0.9, runDir, progress: false, config: { options } });
  await trainer.run();
  trainer.dispose();
  student.dispose();
  return runDir;
}

const bytes = (t: HostTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('deit-eval export --format deit-checkpoint', () => {
  let runDir: string;
  beforeAll(async () => {
    await initBackend('cpu');
    runDir = await trainedRun();
  });

  it("writes deit main.py's checkpoint of the run and the torchrun line that continues it", async () => {
    const io = captureIO({ DEIT_BACKEND: 'cpu' });
    const out = join(dir, 'checkpoint.pth');
    expect(await main(['export', '--format', 'deit-checkpoint', '--run', runDir, '--output', out], io)).toBe(0);
    expect(io.out()).toMatch(/^wrote .*checkpoint\.pth: deit main\.py checkpoint of deit_micro_distilled_patch4_32 after epoch 1; main\.py --resume continues with epoch 2 \(0-based/);
    expect(io.out()).toContain('torchrun --nproc_per_node=N main.py --model deit_micro_distilled_patch4_32 --input-size 32 --batch-size <4/N> --epochs 2 --resume');
    expect(io.out()).toMatch(/note: not carried over: the random generator state and the data order/);
    const ckpt = readPth(out) as Map<string, unknown>;
    expect(ckpt.get('epoch')).toBe(1);
    // The weights and EMA are the run checkpoint's, bit for bit.
    const saved = readSafetensors(join(runDir, 'checkpoint-last.safetensors'));
    for (const [key, prefix] of [['model', 'model.'], ['model_ema', 'ema.']] as const) {
      const sd = ckpt.get(key) as StateDict;
      expect(sd.size).toBe(35);
      for (const [name, t] of sd) expect(bytes(t).equals(bytes(saved.get(`${prefix}${name}`)!)), `${key}.${name}`).toBe(true);
    }
    const state = (ckpt.get('optimizer') as Map<string, Map<number, Map<string, HostTensor>>>).get('state')!;
    expect(state.size).toBe(33); // every parameter but head_dist's two: the loss uses the class head only
    expect([...state.values()].every((s) => (s.get('step')!.data as Float32Array)[0] === 4)).toBe(true);
  });

  it('answers --json with the epoch and the notes', async () => {
    const io = captureIO({ DEIT_BACKEND: 'cpu' });
    const out = join(dir, 'checkpoint-json.pth');
    expect(await main(['export', '--format', 'deit-checkpoint', '--run', runDir, '--output', out, '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ output: out, format: 'deit-checkpoint', model: 'deit_micro_distilled_patch4_32', epoch: 1, resumesAtEpoch: 2 });
  });

  it('refuses an unknown format and a directory without a checkpoint, naming the flag', async () => {
    const io = captureIO({ DEIT_BACKEND: 'cpu' });
    expect(await main(['export', '--format', 'tflite', '--run', runDir, '--output', join(dir, 'x')], io)).toBe(2);
    expect(io.err()).toMatch(/--format: "tflite" is not one of deit-checkpoint/);
    const bare = makeRun(join(dir, 'bare'), 'deit_micro_distilled_patch4_32');
    expect(await main(['export', '--format', 'deit-checkpoint', '--run', bare, '--output', join(dir, 'y')], io)).toBe(2);
    expect(io.err()).toMatch(/--run: .*bare has no checkpoint-last\.safetensors/);
  });
});
