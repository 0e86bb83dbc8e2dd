import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, Rng, initBackend, readSafetensors, tf, writeSafetensors } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { CHECKPOINT_STATE_KEY, type TrainingState, loadCheckpoint, readCheckpointState, saveCheckpoint } from './checkpoint.js';
import { ModelEma } from './model-ema.js';
import { paramGroups } from './param-groups.js';
import { TinyMlp, snapshot } from './test/index.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parts(seed: number) {
  const student = new TinyMlp({ inputs: 6, hidden: 4, classes: 3, distilled: true, seed });
  const vars = student.trainableVariables();
  const optimizer = new AdamW(vars, paramGroups(vars));
  const ema = new ModelEma(student.namedParams(), 0.5);
  return { student, optimizer, ema };
}

const state: TrainingState = {
  epoch: 2,
  batchInEpoch: 4,
  update: 9,
  rng: new Rng(3).state(),
  epochLoss: { sum: 3.5, count: 4, parts: { base: 2 } },
  best: { metric: 'eval.top1', value: 87.5, epoch: 1 },
  config: { epochs: 10, note: 'test' },
};

describe('training checkpoints', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('round-trips weights, optimiser state (PyTorch layout on disk), EMA and the training state exactly', () => {
    const a = parts(1);
    const grads = new Map([...a.student.trainableVariables()].map(([k, v]) => [k, tf.onesLike(v) as tf.Tensor]));
    a.optimizer.step(grads, 0.1);
    a.optimizer.step(grads, 0.1);
    a.ema.update();
    for (const g of grads.values()) g.dispose();
    const file = join(dir, 'a.safetensors');
    saveCheckpoint(file, a, state);
    const sd = readSafetensors(file);
    expect(sd.get('model.fc1.weight')!.shape).toEqual([4, 6]);
    expect(sd.get('optimizer.exp_avg_sq.fc1.weight')!.shape).toEqual([4, 6]);
    expect(sd.get('ema.head_dist.weight')!.shape).toEqual([3, 4]);

    const b = parts(2);
    expect(loadCheckpoint(file, b)).toEqual(state);
    for (const [k, v] of snapshot(a.student)) expect(Array.from(snapshot(b.student).get(k)!), k).toEqual(Array.from(v));
    for (const [k, v] of a.optimizer.state()) {
      const got = b.optimizer.state().get(k)!;
      expect(got.step).toBe(2);
      expect(got.shape).toEqual(v.shape);
      expect(Array.from(got.expAvg)).toEqual(Array.from(v.expAvg));
    }
    for (const [k, v] of a.ema.values()) expect(Array.from(b.ema.values().get(k)!), k).toEqual(Array.from(v));
    expect(readCheckpointState(file)).toEqual(state);
    for (const p of [a, b]) {
      p.optimizer.dispose();
      p.ema.dispose();
      p.student.dispose();
    }
  });

  it('names the file and the problem for foreign or damaged checkpoints', () => {
    const a = parts(1);
    const plain = join(dir, 'plain.safetensors');
    writeSafetensors(plain, a.student.stateDict());
    expect(() => readCheckpointState(plain)).toThrow(CheckpointError);
    expect(() => readCheckpointState(plain)).toThrow(/plain\.safetensors: not a deitjs training checkpoint/);
    const badJson = join(dir, 'bad-json.safetensors');
    writeSafetensors(badJson, a.student.stateDict(), { [CHECKPOINT_STATE_KEY]: '{oops' });
    expect(() => readCheckpointState(badJson)).toThrow(/metadata is not JSON/);
    const badRng = join(dir, 'bad-rng.safetensors');
    writeSafetensors(badRng, a.student.stateDict(), { [CHECKPOINT_STATE_KEY]: JSON.stringify({ ...state, version: 1, rng: [1, 2] }) });
    expect(() => readCheckpointState(badRng)).toThrow(/rng is not four 32-bit words/);
    // optimiser state listed in the metadata but its tensors are absent
    const noMoments = join(dir, 'no-moments.safetensors');
    const model = new Map([...a.student.stateDict()].map(([k, t]) => [`model.${k}`, t]));
    writeSafetensors(noMoments, model, { [CHECKPOINT_STATE_KEY]: JSON.stringify({ ...state, version: 1, optimizerSteps: { 'fc1.bias': 1 }, ema: false }) });
    expect(() => loadCheckpoint(noMoments, { student: a.student, optimizer: a.optimizer })).toThrow(/\[optimizer\.exp_avg\.fc1\.bias\]: missing tensor/);
    expect(() => loadCheckpoint(noMoments, a)).toThrow(/holds no EMA weights/);
    a.optimizer.dispose();
    a.ema.dispose();
    a.student.dispose();
  });
});
