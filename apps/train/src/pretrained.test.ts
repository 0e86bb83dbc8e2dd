// deit-train with downloaded weights: --pretrained and a downloadable --teacher-weights, against a local Hub
// (127.0.0.1, HF_ENDPOINT) serving the reference fixtures; no other network.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, tf, writeSafetensors } from '@deitjs/core';
import { createModel } from '@deitjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, fakeCommit, startTestHub } from '../../../packages/models/src/test/hub-server.js';
import type { TrainIO } from './io.js';
import { main } from './main.js';
import { DEFAULT_OPTIONS } from './options.js';
import { loadPretrained } from './pretrained.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-pretrained-'));
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../fixtures/${name}`, import.meta.url)));
let hub: TestHub;

function capture(env: Record<string, string>): TrainIO & { err: () => string } {
  let err = '';
  return { stdout: { write: () => true }, stderr: { write: (t: string) => (err += t) }, env, err: () => err };
}

beforeAll(async () => {
  await initBackend('cpu');
  // A deit_tiny with random weights stands in for timm's deit_tiny_patch16_224.fb_in1k.
  const tiny = createModel('deit_tiny_patch16_224', { seed: 3 });
  writeSafetensors(join(dir, 'tiny.safetensors'), tiny.stateDict(), { format: 'pt' });
  tiny.dispose();
  const commit = fakeCommit('train');
  hub = await startTestHub({
    'timm/deit_tiny_patch16_224.fb_in1k': { commit, files: { 'model.safetensors': { body: readFileSync(join(dir, 'tiny.safetensors')), lfs: true } } },
    'test/resnet-tiny': { commit, files: { 'pytorch_model.bin': { body: fixture('timm_resnet_bottleneck_tiny.pth'), lfs: true } } },
  });
});
afterAll(async () => {
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ DEIT_BACKEND: 'cpu', HF_HOME: join(dir, 'hf'), HF_ENDPOINT: hub.endpoint });

describe('deit-train with downloaded weights', () => {
  it("--pretrained loads timm's weights of --model (new heads for 10 classes, said on stderr)", async () => {
    const io = capture(env());
    const model = createModel('deit_tiny_patch16_224', { numClasses: 10, seed: 0 });
    await loadPretrained(model, { ...DEFAULT_OPTIONS, model: 'deit_tiny_patch16_224', pretrained: true }, io);
    const served = createModel('deit_tiny_patch16_224', { weights: join(dir, 'tiny.safetensors') });
    const key = 'blocks.11.mlp.fc2.weight';
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(model.stateDict().get(key)!.data as Float32Array, served.stateDict().get(key)!.data as Float32Array))).dataSync()[0])).toBe(0);
    expect(io.err()).toMatch(/deit-train: downloading timm\/deit_tiny_patch16_224\.fb_in1k model\.safetensors: [\d.]+ \/ [\d.]+ MB \(100%\)/);
    expect(io.err()).toMatch(/the checkpoint classifies 1000 classes, the model 10; head re-initialised/);
    model.dispose();
    served.dispose();
    await expect(loadPretrained(createModel('deit_micro_patch4_32'), { ...DEFAULT_OPTIONS, model: 'deit_micro_patch4_32', pretrained: true, resume: 'x' }, io)).rejects.toThrow(/--pretrained: cannot be combined with --resume/);
  });

  it('trains with --teacher-weights hf-hub:… (the teacher downloaded into the cache), and --pretrained of a name without published weights exits 2', async () => {
    const tiny = ['--data', 'mnist', '--train-per-class', '2', '--test-per-class', '1', '--epochs', '1', '--batch-size', '8', '--input-size', '32'];
    const run = ['--model', 'deit_micro_distilled_patch4_32', '--distillation-type', 'hard', '--teacher', 'resnet_bottleneck_tiny', '--teacher-weights', 'hf-hub:test/resnet-tiny'];
    const io = capture(env());
    expect(await main([...tiny, ...run, '--output', join(dir, 'run1')], io), io.err()).toBe(0);
    expect(io.err()).toContain(`deit-train: downloaded hf-hub:test/resnet-tiny@main/pytorch_model.bin → ${join(dir, 'hf', 'hub', 'models--test--resnet-tiny')}`);
    const bad = capture(env());
    expect(await main([...tiny, '--model', 'deit_micro_patch4_32', '--pretrained', '--output', join(dir, 'run3')], bad)).toBe(2);
    expect(bad.err()).toMatch(/deit-train: --pretrained: deit_micro_patch4_32 has no published weights/);
  });
});
