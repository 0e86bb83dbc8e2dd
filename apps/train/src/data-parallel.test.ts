import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, maxAbsDiff, readSafetensors, toFloat32 } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUIET_IO, quickMnistOptions } from './test/options.js';
import { runTraining } from './train-run.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-dp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deit-train --data-parallel (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('2 threads train a DeiT on MNIST to the same weights as 1 thread (no drop path, 6 updates)', async () => {
    const options = quickMnistOptions({
      model: 'deit_mini_distilled_patch8_32',
      trainPerClass: 3,
      testPerClass: 1,
      epochs: 2,
      lr: 1e-3,
      dropPath: 0,
      seed: 1,
    });
    const one = await runTraining({ ...options, output: join(dir, 'one') }, QUIET_IO);
    const two = await runTraining({ ...options, dataParallel: 2, output: join(dir, 'two') }, QUIET_IO);
    const a = readSafetensors(join(one.runDir, 'model.safetensors'));
    const b = readSafetensors(join(two.runDir, 'model.safetensors'));
    let worst = 0;
    for (const [name, t] of a) worst = Math.max(worst, maxAbsDiff(toFloat32(b.get(name)!), toFloat32(t)));
    console.log(`MNIST, deit_mini_distilled_patch8_32, 6 updates: 2 threads vs 1, max |Δw| ${worst.toExponential(2)}`);
    expect(a.size).toBe(b.size);
    // AdamW divides by √v, which magnifies float summation-order differences of small gradients a little per update.
    expect(worst).toBeLessThan(3e-5);
    expect(two.epochs).toBe(2);
  });
});
