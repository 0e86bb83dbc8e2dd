import { join } from 'node:path';
import { initBackend } from '@deitjs/core';
import { RUN_FILES } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint.js';
import { removeTempDirs, resumable, tempDir } from './test/index.js';

afterAll(removeTempDirs);

describe('stopping on cpu', () => {
  beforeAll(async () => {
    await initBackend('cpu');
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
});
