import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@deitjs/core';
import { RUN_FILES } from '@deitjs/run';
import { teacherFromTfjsModel } from '@deitjs/teachers';
import { readCheckpointState } from '@deitjs/trainer';
import { afterAll, describe, expect, it } from 'vitest';
import { distilFromTfjsModel } from '../../../examples/tfjs-teacher.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-tfjs-teacher-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The README's "any TF.js model as teacher" example (examples/tfjs-teacher.ts), run as written at a smaller scale.
describe('examples/tfjs-teacher.ts', () => {
  it('saves a TF.js model with the file:// handler, loads it as a teacher and distils a DeiT student from it', async () => {
    await initBackend();
    const before = tf.memory().numTensors;
    const { result, teacherFingerprint } = await distilFromTfjsModel({ dir, epochs: 2, batches: 2, batchSize: 4 });
    // Teacher, student, optimiser and batches are all freed when it returns.
    expect(tf.memory().numTensors).toBe(before);
    expect(readdirSync(join(dir, 'teacher')).sort()).toEqual(['model.json', 'weights.bin']);
    expect(JSON.parse(readFileSync(join(dir, 'teacher', 'model.json'), 'utf8')).format).toBe('layers-model');
    expect(result).toMatchObject({ epochsCompleted: 2, stopped: false });
    // The student trained with the teacher: both loss parts are logged, and the checkpoint records the teacher.
    const metrics = readFileSync(join(dir, 'run', RUN_FILES.metrics), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.epoch)).toEqual([0, 1]);
    for (const m of metrics) expect(Object.keys(m.trainLossParts).sort()).toEqual(['base', 'distill']);
    const state = readCheckpointState(join(dir, 'run', RUN_FILES.last));
    expect(state.config).toMatchObject({ distillation: 'small-cnn', teacherFingerprint });
    // The saved teacher loaded again straight from its model.json is the same teacher.
    const again = await teacherFromTfjsModel(join(dir, 'teacher', 'model.json'), { name: 'small-cnn' });
    expect(again.fingerprint()).toBe(teacherFingerprint);
  });
});
