import { Rng, maxAbsDiff, relL2Error, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { baseCriterion, distillationLoss } from '@deitjs/losses';
import { createModel } from '@deitjs/models';
import { ConvNet, createTeacher } from '@deitjs/teachers';
import { DataParallel, lossAndGradients } from '@deitjs/trainer';
import { describe, expect, it } from 'vitest';
import { type ReplicaSpec, buildReplica, dataParallelThreads, replicaScript } from './replica-spec.js';

describeOnBackends('data-parallel DeiT replicas', (backend) => {
  it('a hard-distillation step split over 2 threads gives the whole batch loss and gradients (teacher in the replica)', async () => {
    const spec: ReplicaSpec = {
      model: 'deit_micro_distilled_patch4_32',
      numClasses: 10,
      dropPathRate: 0,
      loss: { type: 'hard', mixup: false, smoothing: 0.1 },
      teacher: { name: 'resnet_mnist' },
    };
    const dp = await DataParallel.start({ script: await replicaScript(), replicas: 1, replicaOptions: spec });
    expect(dp.replicasHaveTeacher).toBe(true);
    // This thread's model is initialised with another seed than the replica's: the step must carry the weights.
    const student = createModel(spec.model, { numClasses: 10, dropPathRate: 0, seed: 5 });
    dp.checkModel(student.trainableVariables());
    // The replica's teacher is createTeacher's default initialisation, like this one.
    const teacher = createTeacher('resnet_mnist', { numClasses: 10 });
    const loss = distillationLoss({ base: baseCriterion({ mixup: false, smoothing: 0.1 }), type: 'hard' });
    const model = { student, loss, variables: student.trainableVariables(), teacher };
    const rng = new Rng(1);
    const x = tf.tensor4d(Float32Array.from({ length: 7 * 32 * 32 * 3 }, () => rng.normal()), [7, 32, 32, 3]);
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6], 'int32');
    const whole = await lossAndGradients(model, x, y, undefined, new Rng(0));
    const before = tf.memory().numTensors;
    const split = await dp.lossAndGradients(model, x, y, undefined, new Rng(0));
    let worst = 0;
    let worstAbs = 0;
    for (const [name, g] of whole.grads) {
      const a = g.dataSync();
      const b = split.grads.get(name)!.dataSync();
      worst = Math.max(worst, relL2Error(b, a));
      worstAbs = Math.max(worstAbs, maxAbsDiff(b, a));
    }
    console.log(`[${backend}] 4+3 images on 2 threads vs 7 on one: loss ${split.loss} vs ${whole.loss}; gradients worst rel L2 ${worst.toExponential(2)}, max abs ${worstAbs.toExponential(2)}`);
    expect(Math.abs(split.loss - whole.loss)).toBeLessThan(1e-5);
    expect(worst).toBeLessThan(1e-5);
    expect(Object.keys(split.parts).sort()).toEqual(Object.keys(whole.parts).sort());
    tf.dispose([...split.grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, ...whole.grads.values()]);
    student.dispose();
    teacher.model.dispose();
    await dp.close();
  });
});

describe('buildReplica', () => {
  const loss = { type: 'none' as const, mixup: false, smoothing: 0 };
  it('builds a CNN by the same registry as a DeiT; an unknown name is its ConfigError', async () => {
    const { initBackend } = await import('@deitjs/core');
    await initBackend('cpu');
    const before = tf.memory().numTensors;
    const cnn = buildReplica({ model: 'resnet_mnist', numClasses: 7, loss });
    expect(cnn.student.numClasses).toBe(7);
    expect(cnn.student.distilled).toBe(false);
    expect(cnn.student).toBeInstanceOf(ConvNet);
    (cnn.student as ConvNet).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => buildReplica({ model: 'resnet_mnits', numClasses: 7, loss })).toThrow(/^model: unknown model "resnet_mnits" \(did you mean resnet_mnist/);
  });
});

describe('dataParallelThreads', () => {
  it('accepts 1…64 and names the flag otherwise', () => {
    expect(dataParallelThreads('--data-parallel', undefined)).toBe(1);
    expect(dataParallelThreads('--data-parallel', 2)).toBe(2);
    expect(() => dataParallelThreads('--data-parallel', 0)).toThrow(/--data-parallel: must be an integer from 1/);
  });
});
