import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, initBackend, tf, writeSafetensors } from '@deitjs/core';
import { createModel } from '@deitjs/models';
import { createConvNet, createTeacher, teacherFromClassifier } from '@deitjs/teachers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teacherFromRun } from './teacher-from-run.js';
import { writeRunDir } from './test/run-dir.js';

const root = mkdtempSync(join(tmpdir(), 'deit-recipes-teacher-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A teacher run directory of an untrained resnet_mnist (with or without its weights). */
function teacherRun(name: string, withWeights: boolean): string {
  const dir = writeRunDir(root, name, { kind: 'teacher', model: 'resnet_mnist', distilled: false });
  const net = createConvNet('resnet_mnist', { numClasses: 10, seed: 3 });
  if (withWeights) writeSafetensors(join(dir, 'model.safetensors'), net.stateDict(), { format: 'pt' });
  net.dispose();
  return dir;
}

describe('teacherFromRun (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("loads the run's weights: the same logits as the convnet it saved, and frees them on dispose", () => {
    const dir = teacherRun('good', true);
    const before = tf.memory().numTensors;
    const { teacher, dispose } = teacherFromRun(dir, 10);
    expect(teacher.numClasses).toBe(10);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const net = createConvNet('resnet_mnist', { numClasses: 10, seed: 3 });
    const want = net.apply(x, { training: false }) as tf.Tensor2D;
    const got = teacher.predict(x);
    expect(got.shape).toEqual([2, 10]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0])).toBeLessThan(1e-4);
    tf.dispose([x, want, got]);
    net.dispose();
    dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fingerprints as the teachers built directly from the same weights (the teacher-output cache keys stay the same)', () => {
    const dir = teacherRun('fingerprint', true);
    const { teacher, dispose } = teacherFromRun(dir, 10);
    const direct = createTeacher('resnet_mnist', { weights: join(dir, 'model.safetensors'), numClasses: 10 });
    expect(teacher.fingerprint()).toBe(direct.fingerprint());
    direct.dispose();
    dispose();
    // A DeiT student run as teacher: the fingerprint of the classifier itself (no input mapping with one normalisation).
    const studentDir = writeRunDir(root, 'deit-teacher', {});
    const deit = createModel('deit_mini_distilled_patch8_32', { numClasses: 10, seed: 5 });
    writeSafetensors(join(studentDir, 'model.safetensors'), deit.stateDict(), { format: 'pt' });
    const fromRun = teacherFromRun(studentDir, 10);
    expect(fromRun.teacher.fingerprint()).toBe(teacherFromClassifier(deit).fingerprint());
    // A student fed with other statistics has its inputs mapped, which the fingerprint says.
    const mapped = teacherFromRun(studentDir, 10, { studentNormalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } });
    expect(mapped.teacher.fingerprint()).not.toBe(fromRun.teacher.fingerprint());
    fromRun.dispose();
    mapped.dispose();
    deit.dispose();
  });

  it('names the option for a missing run, missing weights and a class mismatch', () => {
    const missing = join(root, 'absent');
    expect(() => teacherFromRun(missing, 10)).toThrow(new ConfigError('--teacher-run', `${missing}: no such run directory`));
    const unfinished = teacherRun('unfinished', false);
    expect(() => teacherFromRun(unfinished, 10, { option: '--teacher' })).toThrow(
      new ConfigError('--teacher', `${unfinished} has no model.safetensors (did its training finish?)`),
    );
    expect(() => teacherFromRun(teacherRun('ten', true), 100)).toThrow(/--teacher-run: the teacher has 10 classes, the student 100/);
  });
});
