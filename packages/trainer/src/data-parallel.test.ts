import { Rng, initBackend, maxAbsDiff, tf, workerScript } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataParallel, splitSizes } from './data-parallel.js';
import { ArraySource, SyntheticSource, TinyMlp, type TinyMlpOptions, snapshot, teacherOf, testLoss, testLossWithParts } from './test/index.js';
import type { TestReplicaOptions } from './test/replica.js';
import { Trainer } from './trainer.js';
import type { TrainerOptions } from './trainer-options.js';

const script = () => workerScript(new URL('./test/replica.js', import.meta.url), new URL('./test/replica.ts', import.meta.url), 'test replica');
const MLP: TinyMlpOptions = { inputs: 48, hidden: 16, classes: 4, distilled: true, seed: 3 };
const TEACHER: TinyMlpOptions = { inputs: 48, hidden: 8, classes: 4, seed: 99 };

describe('splitSizes', () => {
  it('splits rows into near-equal contiguous shares, larger first, never empty', () => {
    expect(splitSizes(128, 2)).toEqual([64, 64]);
    expect(splitSizes(7, 3)).toEqual([3, 2, 2]);
    expect(splitSizes(1, 2)).toEqual([1]);
  });
});

describeOnBackends('DataParallel', (backend) => {
  const train = (o: Partial<TrainerOptions>, student: TinyMlp) => {
    const src = new SyntheticSource({ classes: 4, batches: 4, batchSize: 9 });
    const parts = [0, 1, 2, 3].map((b) => src.batchData(0, b));
    const images = new Float32Array(parts.flatMap((p) => Array.from(p.images)));
    const labels = new Int32Array(parts.flatMap((p) => Array.from(p.labels)));
    return new Trainer({
      student,
      loss: testLoss,
      train: new ArraySource(images, labels, [4, 4, 3], 9),
      epochs: 2,
      lr: 5e-3,
      unscaleLr: true,
      warmupEpochs: 1,
      warmupLr: 1e-3,
      progress: false,
      ...o,
    });
  };

  it('trains to the same weights as one thread (2 and 3 shares, odd batch of 9, live teacher in the replicas or sent)', async () => {
    const reference = async (): Promise<Map<string, Float32Array>> => {
      const s = new TinyMlp(MLP);
      const t = new TinyMlp(TEACHER);
      const trainer = train({ teacher: teacherOf(t), clipGrad: 1 }, s);
      await trainer.run();
      const w = snapshot(s);
      trainer.dispose();
      s.dispose();
      t.dispose();
      return w;
    };
    const parallel = async (replicas: number, teacherInReplicas: boolean) => {
      // The replicas initialise differently (seed 77): they must train at this thread's weights, which every step sends.
      const opts: TestReplicaOptions = { mlp: { ...MLP, seed: 77 }, ...(teacherInReplicas ? { teacher: TEACHER } : {}) };
      const dp = await DataParallel.start({ script: await script(), replicas, replicaOptions: opts });
      expect(dp.replicasHaveTeacher).toBe(teacherInReplicas);
      const s = new TinyMlp({ ...MLP });
      const t = new TinyMlp(TEACHER);
      dp.checkModel(s.trainableVariables());
      const before = tf.memory().numTensors;
      const trainer = train({ teacher: teacherOf(t), clipGrad: 1, dataParallel: dp }, s);
      await trainer.run();
      const w = snapshot(s);
      trainer.dispose();
      const leaked = tf.memory().numTensors - before;
      s.dispose();
      t.dispose();
      await dp.close();
      return { w, leaked };
    };
    const ref = await reference();
    for (const [replicas, teacherInReplicas] of [[1, true], [2, false]] as const) {
      const { w, leaked } = await parallel(replicas, teacherInReplicas);
      let err = 0;
      for (const [k, v] of ref) err = Math.max(err, maxAbsDiff(w.get(k)!, v));
      console.log(`[${backend}] ${replicas + 1} shares (teacher ${teacherInReplicas ? 'in replicas' : 'sent'}) vs one thread after 8 updates: max |Δw| ${err.toExponential(2)}`);
      expect(err).toBeLessThan(2e-6);
      expect(leaked).toBe(0);
    }
  });

  it('averages loss parts and gradients weighted by share size (one step, checked against the whole batch)', async () => {
    const dp = await DataParallel.start({ script: await script(), replicas: 1, replicaOptions: { mlp: MLP, parts: true } satisfies TestReplicaOptions });
    const s = new TinyMlp(MLP);
    const t = new TinyMlp(TEACHER);
    const src = new SyntheticSource({ classes: 4, batches: 1, batchSize: 5 });
    const { images, labels } = src.batchData(0, 0);
    const x = tf.tensor4d(images, [5, 4, 4, 3]);
    const y = tf.tensor1d(labels, 'int32');
    const tl = tf.tidy(() => t.apply(x, { training: false }) as tf.Tensor2D);
    const variables = s.trainableVariables();
    const whole = tf.variableGrads(() => testLossWithParts(s.apply(x, { training: true }), y, tl).loss, [...variables.values()]);
    const before = tf.memory().numTensors;
    const r = await dp.lossAndGradients({ student: s, loss: testLossWithParts, variables }, x, y, tl, new Rng(0));
    expect(Math.abs(r.loss - whole.value.dataSync()[0]!)).toBeLessThan(1e-6);
    expect(Object.keys(r.parts).sort()).toEqual(['base', 'distill']);
    let err = 0;
    for (const [name, v] of variables) err = Math.max(err, maxAbsDiff(r.grads.get(name)!.dataSync(), whole.grads[v.name]!.dataSync()));
    console.log(`[${backend}] shares 3+2 vs whole batch of 5: max |Δgrad| ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-6);
    tf.dispose([...r.grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, tl, whole.value, ...Object.values(whole.grads)]);
    s.dispose();
    t.dispose();
    await dp.close();
  });
});

describe('DataParallel errors', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('a replica whose factory throws fails start() with a typed error naming the replica and the option', async () => {
    await expect(DataParallel.start({ script: await script(), replicas: 1, replicaOptions: { mlp: MLP, fail: true } })).rejects.toThrow(
      /data-parallel replica 1: replicaOptions\.fail: asked to fail/,
    );
  });

  it('a replica with another architecture is refused by checkModel, naming the parameter', async () => {
    const dp = await DataParallel.start({ script: await script(), replicas: 1, replicaOptions: { mlp: { ...MLP, hidden: 8 } } });
    const s = new TinyMlp(MLP);
    expect(() => dp.checkModel(s.trainableVariables())).toThrow(/replicaOptions: .*fc1\.weight:48x16/);
    s.dispose();
    await dp.close();
  });

  it('rejects a bad replica count', async () => {
    await expect(DataParallel.start({ script: await script(), replicas: 0 })).rejects.toThrow(/replicas: must be a positive integer/);
  });
});
