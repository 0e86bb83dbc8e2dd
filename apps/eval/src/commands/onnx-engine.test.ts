import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, readSafetensors, toFloat32 } from '@deitjs/core';
import { OrtClassifier } from '@deitjs/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test/io.js';
import { makeRun } from '../test/run.js';
import type { AccuracyReport } from './accuracy.js';
import type { BenchReport } from './bench.js';

const fixtures = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));
const fx = (name: string) => join(fixtures, name);
const dir = mkdtempSync(join(tmpdir(), 'deit-eval-onnx-'));
// On-the-fly exports go to this test's own cache folder.
const env = { DEIT_ONNX_CACHE: join(dir, 'cache') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], e: Record<string, string> = env): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO(e);
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

const DEIT = 'deit_micro_distilled_patch4_32';
const IO = fx(`${DEIT}.io.safetensors`);

/** `predict --input IO --output FILE` on an engine; the written tensors. */
async function predictTensors(out: string, model: string[], extra: string[]): Promise<Map<string, Float32Array>> {
  const r = await cli(['predict', '--backend', 'cpu', ...model, '--input', IO, '--output', out, ...extra]);
  expect(r.code, r.err).toBe(0);
  return new Map([...readSafetensors(out)].map(([k, t]) => [k, toFloat32(t)]));
}

describe('deit-eval with ONNX Runtime (export --format onnx, --engine onnx, --teacher-engine onnx)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  let tfjs: Map<string, Float32Array>;
  it('predict --engine onnx writes the tfjs engine logits (logits, logits_cls, logits_dist) within rel L2 1e-5', async () => {
    const named = ['--model', DEIT, '--weights', fx(`${DEIT}.safetensors`)];
    tfjs = await predictTensors(join(dir, 'tfjs.safetensors'), named, []);
    const ort = await predictTensors(join(dir, 'ort.safetensors'), named, ['--engine', 'onnx']);
    expect([...ort.keys()].sort()).toEqual(['logits', 'logits_cls', 'logits_dist']);
    for (const k of ort.keys()) expect(relL2(ort.get(k)!, tfjs.get(k)!), k).toBeLessThan(1e-5);
    // Against PyTorch's eval logits too (the fixture's own expectation).
    expect(relL2(ort.get('logits')!, toFloat32(readSafetensors(IO).get('logits')!))).toBeLessThan(1e-5);
    // The export was cached by the weights' hash: a second run exports nothing.
    const again = await cli(['predict', '--backend', 'cpu', ...named, '--input', IO, '--output', join(dir, 'ort2.safetensors'), '--engine', 'onnx']);
    expect(again.code, again.err).toBe(0);
    expect(again.err).not.toMatch(/exporting/);
    expect(again.err).toContain(env.DEIT_ONNX_CACHE);
  });

  it('export --format onnx writes a transformers.js folder that loads back with the tfjs logits; --weights takes the folder and the .onnx', async () => {
    const folder = join(dir, 'deit-folder');
    const r = await cli(['export', '--format', 'onnx', '--backend', 'cpu', '--model', DEIT, '--weights', fx(`${DEIT}.safetensors`), '--output', folder]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/transformers\.js folder/);
    expect(r.err).toMatch(/writing .*model\.onnx/);
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'deit', image_size: 32, patch_size: 4, hidden_size: 64, num_hidden_layers: 2 });
    expect(Object.keys(config.id2label)).toHaveLength(10);
    // The registry's preprocessing with deit's eval crop: shorter side ⌊32 / 0.875⌋ = 36, then a 32 px centre crop.
    const pre = JSON.parse(readFileSync(join(folder, 'preprocessor_config.json'), 'utf8'));
    expect(pre).toMatchObject({ size: { shortest_edge: 36 }, crop_size: { height: 32, width: 32 }, resample: 3, image_mean: [0.485, 0.456, 0.406] });

    const inputs = readSafetensors(IO).get('inputs')!;
    const ort = await OrtClassifier.create(folder, { intraOpThreads: 1 });
    try {
      const { logits, cls, dist } = await ort.predict(toFloat32(inputs), inputs.shape as [number, number, number, number]);
      expect(relL2(logits, tfjs.get('logits')!)).toBeLessThan(1e-5);
      expect(relL2(cls!, tfjs.get('logits_cls')!)).toBeLessThan(1e-5);
      expect(relL2(dist!, tfjs.get('logits_dist')!)).toBeLessThan(1e-5);
    } finally {
      await ort.dispose();
    }
    for (const weights of [folder, join(folder, 'onnx', 'model.onnx')]) {
      const out = await predictTensors(join(dir, 'w.safetensors'), ['--model', DEIT, '--weights', weights], ['--engine', 'onnx']);
      expect(relL2(out.get('logits')!, tfjs.get('logits')!)).toBeLessThan(1e-5);
    }
  });

  it("export --format onnx --run DIR names the classes from the run's data set and says what transformers.js cannot do", async () => {
    const run = makeRun(join(dir, 'run'), 'deit_micro_patch4_32');
    const folder = join(dir, 'run-folder');
    const r = await cli(['export', '--format', 'onnx', '--backend', 'cpu', '--run', run, '--output', folder, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ layout: 'transformers.js', labelSource: 'run', numClasses: 10 });
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
    expect(config.id2label).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), String(i)])));
    expect(config.architectures).toEqual(['DeiTForImageClassification']);
    // An MNIST run resizes only (crop 1) and its digits are grey and padded: said as a warning.
    expect(JSON.parse(readFileSync(join(folder, 'preprocessor_config.json'), 'utf8')).size).toEqual({ shortest_edge: 32 });
    expect(r.err).toMatch(/warning: the run's images are grey 28 px digits zero-padded 2 px/);
  });

  it('export --format onnx --output FILE.onnx writes a bare CNN export with the tfjs logits; a CNN folder is refused', async () => {
    const file = join(dir, 'resnet.onnx');
    const named = ['--model', 'resnet_basic_tiny', '--weights', fx('timm_resnet_basic_tiny.safetensors')];
    const r = await cli(['export', '--format', 'onnx', '--backend', 'cpu', ...named, '--output', file]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/ONNX file of resnet_basic_tiny/);
    const cnnIo = fx('timm_resnet_basic_tiny.io.safetensors');
    const tf = await cli(['predict', '--backend', 'cpu', ...named, '--input', cnnIo, '--output', join(dir, 'cnn-tf.safetensors')]);
    expect(tf.code, tf.err).toBe(0);
    const o = await cli(['predict', '--backend', 'cpu', '--model', 'resnet_basic_tiny', '--weights', file, '--engine', 'onnx', '--input', cnnIo, '--output', join(dir, 'cnn-ort.safetensors')]);
    expect(o.code, o.err).toBe(0);
    const a = toFloat32(readSafetensors(join(dir, 'cnn-ort.safetensors')).get('logits')!);
    const b = toFloat32(readSafetensors(join(dir, 'cnn-tf.safetensors')).get('logits')!);
    expect(relL2(a, b)).toBeLessThan(1e-5);

    const folder = await cli(['export', '--format', 'onnx', '--backend', 'cpu', ...named, '--output', join(dir, 'cnn-folder')]);
    expect(folder.code).toBe(2);
    expect(folder.err.trim().split('\n').at(-1)).toBe('deit-eval: --output: resnet_basic_tiny is a CNN: transformers.js folders are for DeiT models; give --output FILE.onnx');
    expect(existsSync(join(dir, 'cnn-folder'))).toBe(false);
  });

  it('accuracy --engine onnx gives the tfjs accuracy on a run', async () => {
    const run = makeRun(join(dir, 'acc-run'), DEIT, { inputDependent: true, seed: 3 });
    const reports: AccuracyReport[] = [];
    for (const engine of ['tfjs', 'onnx']) {
      const r = await cli(['accuracy', '--backend', 'cpu', '--run', run, '--engine', engine, '--json']);
      expect(r.code, r.err).toBe(0);
      reports.push(JSON.parse(r.out) as AccuracyReport);
    }
    const [t, o] = reports as [AccuracyReport, AccuracyReport];
    expect(o.engine).toBe('onnx');
    expect(o.count).toBe(30);
    expect({ output: o.output, cls: o.cls, dist: o.dist }).toEqual({ output: t.output, cls: t.cls, dist: t.dist });
    expect(o.loss).toBeCloseTo(t.loss, 4);
  });

  it('bench --engine onnx --teacher-engine onnx runs and reports both engines', async () => {
    const r = await cli(['bench', '--backend', 'cpu', '--model', DEIT, '--teacher', 'resnet_mnist', '--engine', 'onnx', '--teacher-engine', 'onnx', '--batch-size', '2', '--steps', '1', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as BenchReport;
    expect(report).toMatchObject({ engine: 'onnx', teacherEngine: 'onnx', teacher: 'resnet_mnist' });
    expect(report.train!.imagesPerSecond).toBeGreaterThan(0);
    expect(report.inference!.imagesPerSecond).toBeGreaterThan(0);
    expect(report.tensors.after).toBe(report.tensors.before);
    expect(r.err).toMatch(/exporting teacher resnet_mnist to ONNX once/);
  });

  it('names onnxruntime when it cannot be loaded (exit 2, one line)', async () => {
    const missing = { ...env, DEIT_ORT_PACKAGE: 'onnxruntime-node-not-installed' };
    const r = await cli(['predict', '--backend', 'cpu', '--model', DEIT, '--weights', fx(`${DEIT}.safetensors`), '--engine', 'onnx', '--input', IO, '--output', join(dir, 'never.safetensors')], missing);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^deit-eval: onnxruntime-node-not-installed is not installed: running models on ONNX Runtime needs it .* npm install onnxruntime-node-not-installed$/);
    expect(existsSync(join(dir, 'never.safetensors'))).toBe(false);
    const b = await cli(['bench', '--backend', 'cpu', '--model', DEIT, '--engine', 'onnx', '--batch-size', '2', '--steps', '1'], missing);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/onnxruntime-node-not-installed is not installed/);
  });
});
