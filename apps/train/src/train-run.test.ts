import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@deitjs/core';
import { RUN_FILES, readJsonLines, readRunInfo } from '@deitjs/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUIET_IO, quickMnistOptions } from './test/options.js';
import { runTraining } from './train-run.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runTraining and the run directory (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it("an unknown --model is the registry's ConfigError with the near names, before anything is trained", async () => {
    const options = quickMnistOptions({ model: 'resnet_mnits', trainPerClass: 2, testPerClass: 1, output: join(dir, 'never') });
    await expect(runTraining(options, QUIET_IO)).rejects.toThrow(/^--model: unknown model "resnet_mnits" \(did you mean resnet_mnist/);
  });

  it('--resume DIR/checkpoint-last.safetensors continues the run in DIR', async () => {
    const out = join(dir, 'resumed');
    const options = quickMnistOptions({ model: 'resnet_mnist', trainPerClass: 2, testPerClass: 1, dropPath: 0, distillationType: 'none' });
    const first = await runTraining({ ...options, epochs: 1, output: out }, QUIET_IO);
    expect(first.runDir).toBe(out);
    expect(readRunInfo(out)).toMatchObject({ model: 'resnet_mnist', numClasses: 10 });
    const resumed = await runTraining({ ...options, epochs: 2, resume: join(out, RUN_FILES.last) }, QUIET_IO);
    expect(resumed.runDir).toBe(out);
    // One epoch from the first run, one more from the resumed one, in the same metrics.jsonl.
    expect((readJsonLines(join(out, RUN_FILES.metrics)) as { epoch: number }[]).map((r) => r.epoch)).toEqual([0, 1]);
  });
});
