import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, initBackend, tf, writeSafetensors } from '@deitjs/core';
import { createConvNet } from '@deitjs/teachers';
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

  it('names the option for a missing run, missing weights and a class mismatch', () => {
    const missing = join(root, 'absent');
    expect(() => teacherFromRun(missing, 10)).toThrow(new ConfigError('--teacher-run', `${missing}: no such run directory`));
    const unfinished = teacherRun('unfinished', false);
    expect(() => teacherFromRun(unfinished, 10, '--teacher')).toThrow(
      new ConfigError('--teacher', `${unfinished} has no model.safetensors (did its training finish?)`),
    );
    expect(() => teacherFromRun(teacherRun('ten', true), 100)).toThrow(/--teacher-run: the teacher has 10 classes, the student 100/);
  });
});
