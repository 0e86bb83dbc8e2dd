// Issue 16: a data-parallel replica that dies mid-run (its thread exits, or its step throws) fails the run with a
// typed error naming the replica, never a hang; the checkpoint on disk is whole and the run resumes from it to the
// weights of an uninterrupted data-parallel run.
import { join } from 'node:path';
import { initBackend, readSafetensors, tf, workerScript } from '@deitjs/core';
import { RUN_FILES } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint.js';
import { DataParallel, ReplicaError } from './data-parallel.js';
import { removeTempDirs, resumable, snapshot, tempDir } from './test/index.js';
import type { TestReplicaOptions } from './test/replica.js';

afterAll(removeTempDirs);

const script = () => workerScript(new URL('./test/replica.js', import.meta.url), new URL('./test/replica.ts', import.meta.url), 'test replica');
// The replicas build resumable()'s student architecture (weights come from this thread each step) and its teacher.
const REPLICA: TestReplicaOptions = { mlp: { inputs: 48, hidden: 16, classes: 4, distilled: true, dropout: 0.25, seed: 77 }, teacher: { inputs: 48, hidden: 16, classes: 4, seed: 99 } };

async function runWith(dir: string, replica: TestReplicaOptions, resume: boolean): Promise<{ error: unknown; weights: Map<string, Float32Array> }> {
  const dp = await DataParallel.start({ script: await script(), replicas: 1, replicaOptions: replica });
  const r = resumable(dir, { dataParallel: dp, checkpointEverySteps: 1, resume });
  let error: unknown;
  try {
    await r.trainer.run();
  } catch (err) {
    error = err;
  }
  const weights = snapshot(r.s);
  for (const m of [r.trainer, r.s, r.t]) m.dispose();
  await dp.close();
  return { error, weights };
}

describe('a dying data-parallel replica (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it.each(['exit', 'throw'] as const)('replica %s at its 7th step → ReplicaError naming it; checkpoint whole; resume ends as an uninterrupted run', async (how) => {
    const reference = await runWith(tempDir(), REPLICA, false);
    expect(reference.error).toBeUndefined();

    const dir = tempDir();
    const before = tf.memory().numTensors;
    const died = await runWith(dir, { ...REPLICA, die: { atCall: 7, how } }, false);
    expect(died.error).toBeInstanceOf(ReplicaError);
    expect((died.error as Error).message).toMatch(how === 'exit' ? /^data-parallel replica 1: its thread exited \(code 7\)/ : /^data-parallel replica 1: replica asked to die at call 7/);
    expect(tf.memory().numTensors).toBe(before);
    // 6 batches per epoch, 2 per update: the replica's 7th share is batch 1 of epoch 1, in update 4; 3 are saved.
    const last = join(dir, RUN_FILES.last);
    expect(readCheckpointState(last)).toMatchObject({ update: 3 });
    expect(() => readSafetensors(last)).not.toThrow();

    const resumed = await runWith(dir, REPLICA, true);
    expect(resumed.error).toBeUndefined();
    for (const [k, v] of reference.weights) expect(Array.from(resumed.weights.get(k)!), k).toEqual(Array.from(v));
  });

  it('a replica that died between steps fails the next step at once instead of waiting for it', async () => {
    const dp = await DataParallel.start({ script: await script(), replicas: 1, replicaOptions: REPLICA });
    // Kill the replica's thread while no step is pending.
    await (dp as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0]!.terminate();
    const r = resumable(tempDir(), { dataParallel: dp });
    const t0 = performance.now();
    await expect(r.trainer.run()).rejects.toThrow(/^data-parallel replica 1: its thread exited/);
    expect(performance.now() - t0).toBeLessThan(10_000);
    for (const m of [r.trainer, r.s, r.t]) m.dispose();
    await dp.close();
  });
});
