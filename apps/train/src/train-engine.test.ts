import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, initBackend, readSafetensors, relL2Error, toFloat32 } from '@deitjs/core';
import { physicalCores } from '@deitjs/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainIO } from './io.js';
import { QUIET_IO, quickMnistOptions } from './test/options.js';
import { mainJobEngine } from './train-engine.js';
import { runTraining } from './train-run.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = quickMnistOptions({ model: 'deit_micro_distilled_patch4_32', trainPerClass: 3, testPerClass: 1, epochs: 2, dropPath: 0.1, smoothing: 0.1 });

function worstRel(a: string, b: string): number {
  const x = readSafetensors(join(dir, a, 'model.safetensors'));
  const y = readSafetensors(join(dir, b, 'model.safetensors'));
  let worst = 0;
  let at = '';
  for (const [name, t] of x) {
    const r = relL2Error(toFloat32(t), toFloat32(y.get(name)!));
    if (r > worst) [worst, at] = [r, name];
  }
  console.log(`${a} vs ${b}: worst ${worst.toExponential(2)} at ${at}`);
  return worst;
}

describe('deit-train --engine onnx (cpu)', () => {
  let spread = 0;
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('trains the student the tfjs engine trains (within the wasm-vs-cpu spread of 6 steps), and says so', async () => {
    let err = '';
    const io: TrainIO = { ...QUIET_IO, stderr: { write: (t: string) => (err += t) } };
    const ran = await runTraining({ ...base, engine: 'onnx', output: join(dir, 'onnx') }, io);
    expect(ran.epochs).toBe(2);
    expect(err).toMatch(/training step on ONNX Runtime \(onnx engine, label-smoothing loss/);
    // No --engine-threads: one ONNX Runtime thread per physical core, and the run says how many.
    expect(err).toContain(`, ${physicalCores()} intra-op thread${physicalCores() === 1 ? '' : 's'})`);
    await runTraining({ ...base, engine: 'tfjs', output: join(dir, 'tfjs') }, QUIET_IO);
    await initBackend('wasm');
    await runTraining({ ...base, engine: 'tfjs', output: join(dir, 'tfjs-wasm') }, QUIET_IO);
    await initBackend('cpu');
    // The tolerance: how far the tfjs engine on two backends drifts over the same steps (AdamW amplifies rounding
    // noise in gradients that are zero in exact arithmetic, e.g. the key bias's).
    spread = worstRel('tfjs-wasm', 'tfjs');
    expect(worstRel('onnx', 'tfjs')).toBeLessThanOrEqual(spread);
  });

  it('a run resumes on the other engine: tfjs epoch 1 + onnx epoch 2 ≈ tfjs epochs 1-2 (same spread)', async () => {
    await runTraining({ ...base, epochs: 1, engine: 'tfjs', output: join(dir, 'mixed') }, QUIET_IO);
    const resumed = await runTraining({ ...base, engine: 'onnx', resume: join(dir, 'mixed') }, QUIET_IO);
    expect(resumed.epochs).toBe(2);
    expect(worstRel('mixed', 'tfjs')).toBeLessThanOrEqual(spread);
  });

  it('refuses a CNN and --data-parallel with a ConfigError naming --engine', async () => {
    await expect(runTraining({ ...base, model: 'resnet_mnist', engine: 'onnx', output: join(dir, 'cnn') }, QUIET_IO)).rejects.toThrow(ConfigError);
    await expect(runTraining({ ...base, engine: 'onnx', dataParallel: 2, output: join(dir, 'dp') }, QUIET_IO)).rejects.toThrow(/--engine/);
  });
});

describe('the main job picks its engine', () => {
  it('onnx when onnxruntime-node loads, tfjs (and why) when it does not', async () => {
    let err = '';
    const io = (env: Record<string, string>): TrainIO => ({ ...QUIET_IO, env, stderr: { write: (t: string) => (err += t) } });
    expect(await mainJobEngine(io({}))).toBe('onnx');
    expect(err).toMatch(/onnxruntime-node is installed: the students train on ONNX Runtime \(--engine tfjs for TF.js\)/);
    err = '';
    expect(await mainJobEngine(io({ DEIT_ORT_PACKAGE: 'onnxruntime-node-not-installed' }))).toBe('tfjs');
    expect(err).toMatch(/train on TF.js \(onnxruntime-node-not-installed is not available/);
  });
});
