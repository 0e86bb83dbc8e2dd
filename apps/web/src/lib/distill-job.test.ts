import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DigitSet, parseDigits } from './digits.js';
import { DEFAULT_SETTINGS, DistillJob } from './distill-job.js';
import { type ModelBundle, loadBundle } from './model-bundle.js';
import { parseRunConfig } from './run-config.js';

const assets = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public', 'mnist');
const bytes = (file: string): ArrayBuffer => {
  const b = readFileSync(join(assets, file));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const subset = (set: DigitSet, n: number): DigitSet => ({ count: n, labels: set.labels.subarray(0, n), pixels: set.pixels.subarray(0, n * 784) });

// wasm only, the page's backend: a step on the cpu backend takes minutes.
describe('the live job (wasm)', () => {
  let teacher: ModelBundle;
  let train: DigitSet;
  let test: DigitSet;
  beforeAll(async () => {
    await initBackend('wasm');
    teacher = loadBundle(readFileSync(join(assets, 'teacher', 'run.json'), 'utf8'), bytes('teacher/model.safetensors'), 'teacher');
    const digits = parseDigits(JSON.parse(readFileSync(join(assets, 'digits.json'), 'utf8')), bytes('digits.bin'));
    train = subset(digits.train, 8);
    test = subset(digits.test, 10);
  });

  it('trains a teacher, then twin students from one initialisation, leaving no tensors behind', async () => {
    const run = parseRunConfig(JSON.parse(readFileSync(join(assets, 'student', 'run.json'), 'utf8')), 'student');
    const job = new DistillJob(teacher, run, teacher.channels, train, test, { ...DEFAULT_SETTINGS, batchSize: 4, epochs: 2, teacherEpochs: 1 });
    expect(job.phase).toBe('teacher');
    expect(job.totalSteps).toBe(2);
    await job.runStep();
    const r = await job.runStep();
    expect(r.phase).toBe('teacher');
    // The second teacher step ends the phase: the students start, from the same weights.
    expect(job.phase).toBe('students');
    const [d, b] = [job.stateDict('distilled'), job.stateDict('baseline')];
    expect([...d.keys()]).toEqual([...b.keys()]);
    expect(d.has('head_dist.weight') && d.has('dist_token') && d.has('blocks.0.attn.qkv.weight')).toBe(true);
    for (const [k, t] of d) expect(Array.from(t.data as Float32Array)).toEqual(Array.from(b.get(k)!.data as Float32Array));
    const s1 = await job.runStep();
    expect(s1.baseline).toBeDefined();
    expect(Number.isFinite(s1.distilled.loss) && s1.distilled.distill !== undefined).toBe(true);
    // After the first step (the optimisers' moments now exist) a step or an evaluation leaves the count as it was.
    const tensors = tf.memory().numTensors;
    expect(job.evaluate().distilled!.loss).toBeGreaterThan(0);
    await job.runStep();
    expect(tf.memory().numTensors).toBe(tensors);
    await job.runStep();
    await job.runStep();
    expect([job.done, job.step]).toEqual([true, 4]);
    await expect(job.runStep()).rejects.toThrow(/finished/);
    job.dispose();
  }, 120_000);
});
