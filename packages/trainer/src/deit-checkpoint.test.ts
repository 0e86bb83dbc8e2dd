import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HostTensor, initBackend, PyNewObj, readPth, type StateDict, tf } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { type CheckpointParts, readCheckpointState } from './checkpoint.js';
import { deitCheckpoint, exportDeitCheckpoint } from './deit-checkpoint.js';
import { isTorchCheckpoint, loadDeitCheckpoint } from './deit-resume.js';
import { ModelEma } from './model-ema.js';
import { paramGroups } from './param-groups.js';
import type { Student } from './student.js';
import { base, ParamBag, removeTempDirs, student, tempDir } from './test/index.js';
import { microDeitEntries } from './test/micro-deit.js';
import { torchAdamWState } from './torch-optimizer-state.js';
import { Trainer } from './trainer.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url));

beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(removeTempDirs);

const bytes = (t: HostTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
function expectSameStateDict(actual: StateDict, expected: StateDict): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [k, e] of expected) {
    expect(actual.get(k)!.shape, k).toEqual(e.shape);
    expect(bytes(actual.get(k)!).equals(bytes(e)), k).toBe(true);
  }
}

/** Parts built as the run's: a fresh student of the same architecture (other initial weights), AdamW, EMA. */
function freshParts(seed: number, ema: boolean): CheckpointParts {
  const s = student({ distilled: true, seed });
  return {
    student: s,
    optimizer: new AdamW(s.trainableVariables(), paramGroups(s.trainableVariables())),
    ...(ema ? { ema: new ModelEma(s.namedParams(), 0.9) } : {}),
  };
}

describe('deit checkpoint export', () => {
  it("a 2-epoch run exported to deit's format reads back as the run's weights, EMA and AdamW state", async () => {
    const dir = tempDir();
    const s = student({ distilled: true, seed: 3 });
    const trainer = new Trainer(base(s, { epochs: 2, emaDecay: 0.9, runDir: dir }));
    await trainer.run();
    const out = join(dir, 'checkpoint.pth');
    const parts = freshParts(8, true);
    const { epoch, notes } = exportDeitCheckpoint(join(dir, 'checkpoint-last.safetensors'), parts, out);
    expect(isTorchCheckpoint(out)).toBe(true);
    expect(isTorchCheckpoint(fixture('timm_resnet_bottleneck_tiny.legacy.pth'))).toBe(true);
    expect(isTorchCheckpoint(join(dir, 'checkpoint-last.safetensors'))).toBe(false);
    expect(epoch).toBe(1);
    expect(notes.join(' ')).toMatch(/random generator state and the data order/);

    const ckpt = readPth(out) as Map<string, unknown>;
    expect([...ckpt.keys()]).toEqual(['model', 'optimizer', 'lr_scheduler', 'epoch', 'model_ema', 'scaler']);
    expect(ckpt.get('epoch')).toBe(1);
    expectSameStateDict(ckpt.get('model') as StateDict, s.stateDict());
    expectSameStateDict(ckpt.get('model_ema') as StateDict, trainer.ema!.stateDict());

    // Optimizer: timm's group order (no-decay first), consecutive indices, and the moments of every parameter.
    const groups = paramGroups(s.trainableVariables());
    const optimizer = ckpt.get('optimizer') as Map<string, unknown>;
    const torchGroups = optimizer.get('param_groups') as Map<string, unknown>[];
    expect(torchGroups.map((g) => g.get('params'))).toEqual([
      groups[0]!.params.map((_, i) => i),
      groups[1]!.params.map((_, i) => groups[0]!.params.length + i),
    ]);
    expect([...torchGroups[1]!.keys()]).toEqual([
      'weight_decay',
      'lr',
      'betas',
      'eps',
      'amsgrad',
      'foreach',
      'maximize',
      'capturable',
      'differentiable',
      'fused',
      'decoupled_weight_decay',
      'initial_lr',
      'params',
    ]);
    expect(torchGroups.map((g) => g.get('weight_decay'))).toEqual([0, 0.05]);
    expect(torchGroups[0]!.get('initial_lr')).toBe(trainer.peakLr);
    // After deit's lr_scheduler.step(1): warmup is 1 epoch, so t = 1 is the cosine at 1 of 2 epochs.
    expect(torchGroups[0]!.get('lr')).toBeCloseTo(1e-4 + 0.5 * (5e-3 - 1e-4) * (1 + Math.cos(Math.PI / 2)), 12);
    const state = torchAdamWState(out, optimizer, groups, s.namedParams());
    const live = trainer.optimizer.state();
    expect([...state.keys()].sort()).toEqual([...live.keys()].sort());
    for (const [name, st] of live) {
      const got = state.get(name)!;
      expect(got.step, name).toBe(st.step);
      expect(Buffer.from(got.expAvg.buffer).equals(Buffer.from(st.expAvg.buffer)), name).toBe(true);
      expect(Buffer.from(got.expAvgSq.buffer).equals(Buffer.from(st.expAvgSq.buffer)), name).toBe(true);
    }
    const sched = ckpt.get('lr_scheduler') as Map<string, unknown>;
    expect(sched.get('t_initial')).toBe(2);
    expect(sched.get('warmup_t')).toBe(1);
    expect(sched.get('base_values')).toEqual([trainer.peakLr, trainer.peakLr]);
    expect(sched.get('warmup_steps')).toEqual([5e-3 - 1e-3, 5e-3 - 1e-3]);
    trainer.dispose();
  });

  it('round trip: the export loaded into fresh parts restores the weights, moments and position', async () => {
    const dir = tempDir();
    const s = student({ distilled: true, seed: 4 });
    const trainer = new Trainer(base(s, { epochs: 2, emaDecay: 0.9, runDir: dir }));
    await trainer.run();
    const out = join(dir, 'checkpoint.pth');
    exportDeitCheckpoint(join(dir, 'checkpoint-last.safetensors'), freshParts(9, true), out);
    const parts = freshParts(10, true);
    const config = readCheckpointState(join(dir, 'checkpoint-last.safetensors')).config;
    loadDeitCheckpoint(out, parts, config);
    // Loading creates the optimizer's moments once; loading again replaces them without leaking any.
    const before = tf.memory().numTensors;
    const resumed = loadDeitCheckpoint(out, parts, config);
    expect(tf.memory().numTensors).toBe(before);
    expect(resumed.state.epoch).toBe(2);
    expect(resumed.state.batchInEpoch).toBe(0);
    expect(resumed.took).toEqual(['model weights', `AdamW state of ${trainer.optimizer.state().size} parameters`, 'EMA weights', 'position (continuing at epoch 2)']);
    expect(resumed.notes.some((n) => n.includes('schedule'))).toBe(false);
    expectSameStateDict(parts.student.stateDict(), s.stateDict());
    expectSameStateDict(parts.ema!.stateDict(), trainer.ema!.stateDict());
    const live = trainer.optimizer.state();
    for (const [name, st] of parts.optimizer.state()) {
      expect(st.step).toBe(live.get(name)!.step);
      expect(Buffer.from(st.expAvgSq.buffer).equals(Buffer.from(live.get(name)!.expAvgSq.buffer)), name).toBe(true);
    }
    trainer.dispose();
  });

  it('a run without EMA writes the model as model_ema, and a mid-epoch state says its batches run again', () => {
    const parts = freshParts(5, false);
    const config = {
      seed: 0,
      schedule: { lr: 1e-3, minLr: 1e-5, warmupLr: 1e-6, warmupEpochs: 5, epochs: 300, updatesPerEpoch: 10, stepping: 'deit-epoch' },
      weightDecay: 0.05,
      noDecay: null,
      betas: [0.9, 0.999],
      eps: 1e-8,
      emaDecay: null,
      batchSize: 64,
      worldSize: 1,
      accumulation: 1,
      lr: 5e-4,
    };
    const state = { epoch: 3, batchInEpoch: 4, update: 34, rng: [1, 2, 3, 4] as [number, number, number, number], epochLoss: { sum: 0, count: 0, parts: {} }, best: null, config };
    const { checkpoint, epoch, notes } = deitCheckpoint(parts, state, { args: true });
    // args on request: an argparse.Namespace of deit's option names.
    expect(checkpoint.get('args')).toBeInstanceOf(PyNewObj);
    expect(((checkpoint.get('args') as PyNewObj).state as Map<string, unknown>).get('epochs')).toBe(300);
    expect(epoch).toBe(2);
    expect(notes[0]).toMatch(/4 batches into epoch 3/);
    expect(notes.join(' ')).toMatch(/no EMA/);
    expect(checkpoint.get('model_ema')).not.toBe(checkpoint.get('model'));
    // The optimizer has taken no step yet: no per-parameter state, but every parameter is numbered.
    const optimizer = checkpoint.get('optimizer') as Map<string, unknown>;
    expect((optimizer.get('state') as Map<number, unknown>).size).toBe(0);
    expect((optimizer.get('param_groups') as Map<string, unknown[]>[]).flatMap((g) => g.get('params'))).toEqual([0, 1, 2, 3, 4, 5]);
    parts.optimizer.dispose();
  });
});

describe('Trainer resume from a deit checkpoint', () => {
  it('continues training at the epoch after the checkpoint and says what it took and what it could not', async () => {
    const dir = tempDir();
    const first = new Trainer(base(student({ distilled: true, seed: 6 }), { epochs: 2, emaDecay: 0.9, runDir: dir }));
    await first.run();
    const pth = join(dir, 'checkpoint.pth');
    exportDeitCheckpoint(join(dir, 'checkpoint-last.safetensors'), freshParts(12, true), pth);
    first.dispose();

    const s = student({ distilled: true, seed: 13 });
    const lines: string[] = [];
    const stream = { isTTY: false, write: (c: string) => lines.push(c) };
    const resumed = new Trainer(base(s, { epochs: 3, emaDecay: 0.9, runDir: tempDir(), resume: pth, progress: { stream } }));
    const loaded = freshParts(12, true);
    loadDeitCheckpoint(pth, loaded, readCheckpointState(join(dir, 'checkpoint-last.safetensors')).config);
    const result = await resumed.run();
    expect(result.epochsCompleted).toBe(3);
    const log = lines.join('');
    expect(log).toMatch(/resumed from .*checkpoint\.pth at epoch 2, batch 0/);
    expect(log).toMatch(/deit checkpoint: took model weights, AdamW state of 4 parameters, EMA weights, position \(continuing at epoch 2\)/);
    expect(log).toMatch(/not carried over: the random generator state and the data order/);
    expect(log).toMatch(/cosine length \(t_initial\) 2 vs 3/);
    // One more epoch (6 updates) from the checkpoint's moments; the distillation head, without a teacher, has no gradient.
    const stepsBefore = loaded.optimizer.state();
    for (const [name, st] of resumed.optimizer.state()) expect(st.step, name).toBe(stepsBefore.get(name)!.step + 6);
    expect(maxAbs(s.stateDict(), loaded.student.stateDict())).toBeGreaterThan(0);
    resumed.dispose();
  });
});

function maxAbs(a: StateDict, b: StateDict): number {
  let worst = 0;
  for (const [k, t] of a) {
    const u = b.get(k)!.data as Float32Array;
    (t.data as Float32Array).forEach((x, i) => {
      worst = Math.max(worst, Math.abs(x - u[i]!));
    });
  }
  return worst;
}

describe("resuming from deit's own training checkpoint (the fixture)", () => {
  it('takes the AdamW state and the epoch, and says what differs from this run', () => {
    const model = new ParamBag(microDeitEntries());
    // Resuming touches only the Student's state methods, which a ParamBag (a core Module) has; it cannot classify.
    const parts: CheckpointParts = { student: model as unknown as Student, optimizer: new AdamW(model.trainableVariables(), paramGroups(model.trainableVariables())) };
    const config = { seed: 0, weightDecay: 0.1, schedule: { lr: 1.25e-4, minLr: 1e-5, warmupLr: 1e-6, warmupEpochs: 5, epochs: 10, updatesPerEpoch: 7 } };
    const file = fixture('deit_micro_distilled_patch4_32.train_checkpoint.pth');
    const r = loadDeitCheckpoint(file, parts, config);
    expect(r.state.epoch).toBe(4);
    expect(r.state.update).toBe(28);
    expect(r.took).toEqual(['model weights', 'AdamW state of 35 parameters', 'position (continuing at epoch 4)']);
    expect(r.notes.join(' ')).toMatch(/cosine length \(t_initial\) 300 vs 10/);
    expect(r.notes).toContain("this run's AdamW settings are used; the checkpoint's differ in group 1 weight decay 0.05 vs 0.1");
    expectSameStateDict(model.stateDict(), (readPth(file) as Map<string, StateDict>).get('model')!);
    parts.optimizer.dispose();
  });
});
