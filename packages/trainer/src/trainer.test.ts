import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, ConfigError, type LossFn, StateDictMismatchError, initBackend, maxAbsDiff, readSafetensors, tf } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint.js';
import { readJsonLines } from './metrics-log.js';
import { NonFiniteLossError } from './non-finite-loss-error.js';
import { RUN_FILES } from './run-files.js';
import { Trainer } from './trainer.js';
import type { EpochRecord, StepInfo } from './trainer-hooks.js';
import type { TrainerOptions } from './trainer-options.js';
import { ArraySource, SyntheticSource, TinyMlp, snapshot, teacherOf, testLoss, testLossWithParts } from './test/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'deit-trainer-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const data = (o: Partial<ConstructorParameters<typeof SyntheticSource>[0]> = {}) =>
  new SyntheticSource({ classes: 4, batches: 6, batchSize: 8, ...o });
const student = (o: Partial<ConstructorParameters<typeof TinyMlp>[0]> = {}) => new TinyMlp({ inputs: 48, hidden: 16, classes: 4, ...o });

/** Options shared by the small runs: a fixed lr (no scaling), 1 warmup epoch, quiet. */
function base(s: TinyMlp, extra: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    student: s,
    loss: testLoss,
    train: data(),
    epochs: 3,
    lr: 5e-3,
    unscaleLr: true,
    warmupEpochs: 1,
    warmupLr: 1e-3,
    minLr: 1e-4,
    progress: false,
    ...extra,
  };
}

describe('Trainer on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('learns a synthetic task: the loss falls and eval accuracy is far above chance (12.5 %)', async () => {
    const s = student({ classes: 8 });
    const records: EpochRecord[] = [];
    const trainer = new Trainer(
      base(s, {
        train: data({ classes: 8, noise: 1.2, batches: 10, batchSize: 16 }),
        eval: data({ classes: 8, noise: 1.2, batches: 4, batchSize: 16, split: 1 }),
        epochs: 5,
        lr: 1e-2,
        lrStepping: 'epoch',
        warmupEpochs: 0,
        seed: 3,
        hooks: { onEpochEnd: (r) => void records.push(r) },
      }),
    );
    const result = await trainer.run();
    expect(result.stopped).toBe(false);
    expect(result.epochsCompleted).toBe(5);
    const first = records[0]!;
    const last = records.at(-1)!;
    console.log(
      `[wasm] train loss ${first.trainLoss.toFixed(4)} → ${last.trainLoss.toFixed(4)}; ` +
        `eval top-1 ${first.eval!.top1.toFixed(1)} % → ${last.eval!.top1.toFixed(1)} % (chance 12.5 %), eval loss ${last.eval!.loss.toFixed(4)}`,
    );
    expect(last.trainLoss).toBeLessThan(0.5 * first.trainLoss);
    expect(last.eval!.top1).toBeGreaterThan(60);
    expect(last.eval!.top1).toBeGreaterThan(first.eval!.top1);
    expect(last.eval!.count).toBe(64);
    trainer.dispose();
    s.dispose();
  });
});

describe('Trainer on cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  /** A distilled student with dropout (draws from the trainer's rng), a teacher, EMA, clipping and accumulation. */
  function resumable(runDir: string, extra: Partial<TrainerOptions> = {}): { s: TinyMlp; t: TinyMlp; trainer: Trainer } {
    const s = student({ distilled: true, dropout: 0.25, seed: 11 });
    const t = student({ hidden: 8, seed: 99 });
    const trainer = new Trainer(
      base(s, {
        teacher: teacherOf(t),
        eval: data({ batches: 2, split: 1 }),
        train: data({ batches: 6 }),
        epochs: 3,
        seed: 5,
        emaDecay: 0.9,
        clipGrad: 0.5,
        accumulation: 2,
        runDir,
        ...extra,
      }),
    );
    return { s, t, trainer };
  }

  it('resumes exactly: interrupted mid-epoch and resumed gives bit-identical weights, EMA and optimiser state', async () => {
    const full = resumable(tempDir());
    await full.trainer.run();
    const want = snapshot(full.s);
    const wantEma = full.trainer.ema!.values();
    const wantOpt = full.trainer.optimizer.state();

    const dir = tempDir();
    const first = resumable(dir, { hooks: { onStep: (i) => (i.update === 4 ? first.trainer.stop() : undefined) } });
    const r1 = await first.trainer.run();
    expect(r1.stopped).toBe(true);
    // 6 batches per epoch, 2 per update: update 4 ends at batch 2 of epoch 1
    expect(readCheckpointState(join(dir, RUN_FILES.last))).toMatchObject({ epoch: 1, batchInEpoch: 2, update: 4 });
    // the interrupted run has moved away from the full run's weights
    expect(maxAbsDiff(snapshot(first.s).get('fc1.weight')!, want.get('fc1.weight')!)).toBeGreaterThan(0);

    const second = resumable(dir, { resume: true });
    const r2 = await second.trainer.run();
    expect(r2).toMatchObject({ stopped: false, epochsCompleted: 3 });
    for (const [k, v] of want) expect(Array.from(snapshot(second.s).get(k)!), k).toEqual(Array.from(v));
    for (const [k, v] of wantEma) expect(Array.from(second.trainer.ema!.values().get(k)!), `ema ${k}`).toEqual(Array.from(v));
    for (const [k, v] of wantOpt) {
      const got = second.trainer.optimizer.state().get(k)!;
      expect(got.step).toBe(v.step);
      expect(Array.from(got.expAvgSq)).toEqual(Array.from(v.expAvgSq));
    }
    // one metrics line per epoch, none duplicated by the resume
    const lines = readJsonLines(join(dir, RUN_FILES.metrics)) as EpochRecord[];
    expect(lines.map((l) => l.epoch)).toEqual([0, 1, 2]);
    expect(lines[2]!.eval!.cls).toBeDefined();
    expect(lines[2]!.eval!.teacherAgreement!.dist).toBeGreaterThanOrEqual(0);
    for (const x of [full, first, second]) {
      x.trainer.dispose();
      x.s.dispose();
      x.t.dispose();
    }
  });

  it('writes a run directory: model.safetensors in PyTorch layout, checkpoints, metrics', async () => {
    const dir = tempDir();
    const { s, t, trainer } = resumable(dir, { epochs: 2 });
    await trainer.run();
    const sd = readSafetensors(join(dir, RUN_FILES.model));
    // fc1 is [in 48, out 16] in TF.js; a PyTorch Linear weight is [out, in]
    expect(sd.get('fc1.weight')!.shape).toEqual([16, 48]);
    const reloaded = student({ distilled: true, seed: 123 });
    reloaded.loadStateDict(sd);
    for (const [k, v] of snapshot(s)) expect(Array.from(snapshot(reloaded).get(k)!), k).toEqual(Array.from(v));
    const ema = readSafetensors(join(dir, RUN_FILES.modelEma));
    expect([...ema.keys()]).toEqual([...sd.keys()]);
    const last = readSafetensors(join(dir, RUN_FILES.last));
    expect(last.get('optimizer.exp_avg.fc1.weight')!.shape).toEqual([16, 48]);
    expect(last.has('ema.head_dist.bias')).toBe(true);
    const state = readCheckpointState(join(dir, RUN_FILES.best));
    expect(state.best!.metric).toBe('eval.top1');
    expect(state.config).toMatchObject({ epochs: 2, accumulation: 2, clipGrad: 0.5, distillation: 'tiny-teacher' });
    expect(readJsonLines(join(dir, RUN_FILES.metrics))).toHaveLength(2);
    trainer.dispose();
    s.dispose();
    t.dispose();
    reloaded.dispose();
  });

  it('a NaN loss stops the run with NonFiniteLossError and leaves checkpoint-last untouched', async () => {
    const dir = tempDir();
    let calls = 0;
    // finite for the first epoch (6 batches), NaN on the 9th batch
    const poisoned: LossFn = (out, targets, teacher) =>
      tf.tidy(() => {
        calls += 1;
        const l = testLoss(out, targets, teacher);
        return calls === 9 ? (tf.mul(l, Number.NaN) as tf.Scalar) : l;
      });
    const lastFile = join(dir, RUN_FILES.last);
    let saved: Buffer | undefined;
    const { s, t, trainer } = resumable(dir, {
      loss: poisoned,
      hooks: {
        onEpochEnd: () => {
          saved = readFileSync(lastFile);
        },
      },
    });
    const tensorsBefore = tf.memory().numTensors;
    const err = await trainer.run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(err).toMatchObject({ code: 'E_NONFINITE_LOSS', epoch: 1, batch: 2 });
    expect((err as Error).message).toMatch(/loss is NaN at epoch 1, batch 2/);
    expect(saved).toBeDefined();
    expect(readFileSync(lastFile).equals(saved!)).toBe(true);
    expect(readCheckpointState(lastFile)).toMatchObject({ epoch: 1, batchInEpoch: 0, update: 3 });
    expect(readJsonLines(join(dir, RUN_FILES.metrics))).toHaveLength(1);
    // nothing leaked on the error path except the optimiser and EMA state that training created
    const slots = 2 * s.trainableVariables().size;
    expect(tf.memory().numTensors).toBe(tensorsBefore + slots);
    trainer.dispose();
    s.dispose();
    t.dispose();
  });

  it('SIGINT with handleSignals saves checkpoint-last at the next update and returns cleanly', async () => {
    const dir = tempDir();
    const listeners = process.listenerCount('SIGINT');
    const { s, t, trainer } = resumable(dir, {
      handleSignals: true,
      hooks: { onStep: (i) => void (i.update === 2 ? process.emit('SIGINT') : undefined) },
    });
    const r = await trainer.run();
    expect(r).toMatchObject({ stopped: true, epochsCompleted: 0 });
    expect(readCheckpointState(join(dir, RUN_FILES.last))).toMatchObject({ epoch: 0, batchInEpoch: 4, update: 2 });
    expect(process.listenerCount('SIGINT')).toBe(listeners);
    trainer.dispose();
    s.dispose();
    t.dispose();
  });

  it('a real SIGINT signal is handled while training runs (the loop yields to the event loop)', async () => {
    const dir = tempDir();
    const { s, t, trainer } = resumable(dir, {
      handleSignals: true,
      // A signal is delivered through the event loop: it stops the run only if the loop turns between updates.
      hooks: { onStep: (i) => void (i.update === 1 ? process.kill(process.pid, 'SIGINT') : undefined) },
    });
    const r = await trainer.run();
    expect(r.stopped).toBe(true);
    expect(readCheckpointState(join(dir, RUN_FILES.last)).update).toBeLessThanOrEqual(2);
    trainer.dispose();
    s.dispose();
    t.dispose();
  });

  it('checkpointEverySteps saves checkpoint-last mid-epoch at update boundaries', async () => {
    const dir = tempDir();
    const seen: Array<[number, number]> = [];
    const { s, t, trainer } = resumable(dir, {
      epochs: 1,
      checkpointEverySteps: 2,
      hooks: {
        onStep: (i) => {
          if (i.update > 1) {
            const st = readCheckpointState(join(dir, RUN_FILES.last));
            seen.push([st.update, st.batchInEpoch]);
          }
        },
      },
    });
    await trainer.run();
    // saved after update 2 (batch 4 of 6); update 3 ends the epoch, which saves at the epoch end (after the hook)
    expect(seen).toEqual([
      [2, 4],
      [2, 4],
    ]);
    expect(readCheckpointState(join(dir, RUN_FILES.last))).toMatchObject({ epoch: 1, batchInEpoch: 0, update: 3 });
    expect(() => new Trainer(base(s, { checkpointEverySteps: 0 }))).toThrow(/checkpointEverySteps/);
    trainer.dispose();
    s.dispose();
    t.dispose();
  });

  it('gradient accumulation over micro-batches equals one larger batch', async () => {
    const src = new SyntheticSource({ classes: 4, batches: 4, batchSize: 8 });
    const parts = [0, 1, 2, 3].map((b) => src.batchData(0, b));
    const images = new Float32Array(parts.flatMap((p) => Array.from(p.images)));
    const labels = new Int32Array(parts.flatMap((p) => Array.from(p.labels)));
    const run = async (batchSize: number, accumulation: number) => {
      const s = student({ seed: 4 });
      const trainer = new Trainer(base(s, { train: new ArraySource(images, labels, [4, 4, 3], batchSize), epochs: 2, accumulation, clipGrad: 1 }));
      await trainer.run();
      const w = snapshot(s);
      trainer.dispose();
      s.dispose();
      return w;
    };
    const big = await run(16, 1);
    const accumulated = await run(4, 4);
    const single = await run(4, 1);
    let err = 0;
    for (const [k, v] of big) err = Math.max(err, maxAbsDiff(accumulated.get(k)!, v));
    console.log(`[cpu] accumulation 4×4 vs batch 16 after 4 updates: max |Δw| ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
    // and it is not trivially equal: without accumulation the weights differ clearly
    expect(maxAbsDiff(single.get('fc1.weight')!, big.get('fc1.weight')!)).toBeGreaterThan(1e-3);
  });

  it('a teacher-output cache of argmax labels trains exactly like the live teacher (hard distillation)', async () => {
    const t = student({ hidden: 8, seed: 99 });
    const train = data({ batches: 3 });
    // the cache: the teacher's argmax per dataset index, computed once
    const cached = new Int32Array(24);
    for await (const b of train.epoch(0)) {
      const arg = tf.tidy(() => tf.argMax(t.apply(b.images, { training: false }) as tf.Tensor2D, 1));
      const v = arg.dataSync();
      b.indices!.forEach((idx, i) => {
        cached[idx] = v[i]!;
      });
      for (const x of [arg, b.images, b.targets]) x.dispose();
    }
    const run = async (opts: Partial<TrainerOptions>) => {
      const s = student({ distilled: true, seed: 8 });
      // one epoch: this synthetic source draws new samples each epoch under the same indices
      const trainer = new Trainer(base(s, { train, epochs: 1, ...opts }));
      await trainer.run();
      const w = snapshot(s);
      trainer.dispose();
      s.dispose();
      return w;
    };
    const live = await run({ teacher: teacherOf(t) });
    const fromCache = await run({ teacherCache: (idx) => tf.tensor1d(Array.from(idx, (i) => cached[i]!), 'int32') });
    const none = await run({});
    for (const [k, v] of live) expect(Array.from(fromCache.get(k)!), k).toEqual(Array.from(v));
    expect(maxAbsDiff(none.get('head_dist.weight')!, live.get('head_dist.weight')!)).toBeGreaterThan(0);
    t.dispose();
  });

  it('keeps tf.memory().numTensors flat over 50 steps (teacher, loss parts, EMA, clipping, accumulation, eval)', async () => {
    const s = student({ distilled: true, dropout: 0.1 });
    const t = student({ hidden: 8, seed: 99 });
    const counts: number[] = [];
    const steps: StepInfo[] = [];
    const records: EpochRecord[] = [];
    const trainer = new Trainer(
      base(s, {
        loss: testLossWithParts,
        train: data({ batches: 25, batchSize: 4 }),
        eval: data({ batches: 2, batchSize: 4, split: 1 }),
        teacher: teacherOf(t),
        epochs: 4,
        emaDecay: 0.99,
        clipGrad: 1,
        accumulation: 2,
        hooks: {
          onStep: (i) => {
            counts.push(tf.memory().numTensors);
            steps.push(i);
          },
          onEpochEnd: (r) => void records.push(r),
        },
      }),
    );
    const before = tf.memory().numTensors;
    await trainer.run();
    // the loss's logged parts: loss = ½·base + ½·distill, per update and per epoch
    for (const i of [steps[0]!, steps.at(-1)!]) expect(i.loss).toBeCloseTo(0.5 * i.parts!.base! + 0.5 * i.parts!.distill!, 5);
    const r = records.at(-1)!;
    expect(r.trainLoss).toBeCloseTo(0.5 * r.trainLossParts!.base! + 0.5 * r.trainLossParts!.distill!, 5);
    // 4 epochs × ceil(25 / 2) updates
    expect(counts).toHaveLength(52);
    expect(new Set(counts).size).toBe(1);
    // the only tensors the run added are the optimiser's moments
    expect(tf.memory().numTensors).toBe(before + 2 * s.trainableVariables().size);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before - s.namedParams().size);
    s.dispose();
    t.dispose();
  });

  it('runs each update at the scheduled LR (deit-epoch lag) and scales the LR by batch·accumulation·world/512', async () => {
    const s = student();
    const lrs: number[][] = [[], [], []];
    const trainer = new Trainer({
      ...base(s, { epochs: 3, train: data({ batches: 4 }) }),
      unscaleLr: false,
      lr: 5e-4,
      batchSize: 8,
      accumulation: 2,
      worldSize: 4,
      warmupEpochs: 2,
      warmupLr: 1e-6,
      minLr: 1e-5,
      hooks: { onStep: (i) => void lrs[i.epoch]!.push(i.lr) },
    });
    // 5e-4 · (8·2) · 4 / 512
    expect(trainer.peakLr).toBeCloseTo(6.25e-5, 15);
    await trainer.run();
    // epochs 0 and 1 at warmupLr; epoch 2 at f(1) = 1e-6 + (6.25e-5 − 1e-6)/2
    expect(lrs).toEqual([
      [1e-6, 1e-6],
      [1e-6, 1e-6],
      [3.175e-5, 3.175e-5],
    ]);
    trainer.dispose();
    s.dispose();
  });

  it('rejects bad configuration and foreign checkpoints with typed errors', async () => {
    const s = student();
    expect(() => new Trainer({ ...base(s), unscaleLr: false })).toThrow(ConfigError);
    expect(() => new Trainer(base(s, { accumulation: 0 }))).toThrow(/accumulation/);
    expect(() => new Trainer(base(s, { resume: true }))).toThrow(/runDir/);
    const dir = tempDir();
    const t1 = new Trainer(base(s, { runDir: dir, resume: true }));
    await expect(t1.run()).rejects.toThrow(/no checkpoint at/);
    t1.dispose();
    // a plain weights file is not a training checkpoint
    const t2 = new Trainer(base(s, { runDir: dir, epochs: 1 }));
    await t2.run();
    t2.dispose();
    const t3 = new Trainer(base(s, { resume: join(dir, RUN_FILES.model) }));
    await expect(t3.run()).rejects.toThrow(CheckpointError);
    t3.dispose();
    // a checkpoint of another model
    const other = student({ hidden: 5 });
    const t4 = new Trainer(base(other, { resume: join(dir, RUN_FILES.last) }));
    await expect(t4.run()).rejects.toThrow(StateDictMismatchError);
    t4.dispose();
    other.dispose();
    // a teacher cache needs indices
    const noIdx = { batchesPerEpoch: () => 1, epoch: async function* () { yield { images: tf.zeros([2, 4, 4, 3]) as tf.Tensor4D, targets: tf.tensor1d([0, 1], 'int32') }; } };
    const t5 = new Trainer(base(s, { train: noIdx, teacherCache: () => tf.tensor1d([0, 0], 'int32') }));
    await expect(t5.run()).rejects.toThrow(/teacherCache: the batch source gives no sample indices/);
    t5.dispose();
    s.dispose();
  });
});
