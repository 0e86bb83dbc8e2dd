import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DistilledLogits, type Normalization, initBackend, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { createModel } from '@deitjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test/io.js';
import { TINY_MNIST, makeRun, referenceMnist, topIndices } from '../test/run.js';
import type { AccuracyReport } from './accuracy.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-eval-accuracy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function accuracy(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(['accuracy', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

/** Percent top-1 and top-5 hits of logits rows `[n, k]` against labels, computed on the host. */
function hits(logits: Float32Array | Float64Array, k: number, labels: number[]): { top1: number; top5: number } {
  let t1 = 0;
  let t5 = 0;
  labels.forEach((label, i) => {
    const top = topIndices(logits.subarray(i * k, (i + 1) * k), Math.min(5, k));
    if (top[0] === label) t1++;
    if (top.includes(label)) t5++;
  });
  return { top1: (100 * t1) / labels.length, top5: (100 * t5) / labels.length };
}

// Not ImageNet's statistics: the run's own normalisation must reach the transform.
const NORM: Normalization = { mean: [0.3, 0.3, 0.3], std: [0.35, 0.35, 0.35] };
const STUDENT = 'deit_mini_distilled_patch8_32';

describeOnBackends('deit-eval accuracy', (backend) => {
  it("gives each head's top-1/top-5 on the run's own MNIST test split, as computed independently", async () => {
    const run = makeRun(join(dir, `student-${backend}`), STUDENT, { seed: 7, normalization: NORM, inputDependent: true });
    const r = await accuracy(['--backend', backend, '--run', run, '--batch-size', '7', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as AccuracyReport;
    expect(report).toMatchObject({ model: STUDENT, run, split: 'test', count: 30, data: 'mnist test (seed 4, 3 per class)' });

    const ref = await referenceMnist(TINY_MNIST, NORM);
    const model = createModel(STUDENT, { weights: join(run, 'model.safetensors') });
    const x = tf.tensor4d(ref.images, [ref.n, 32, 32, 3]);
    const out = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
    const cls = out.cls.dataSync() as Float32Array;
    const dist = out.dist.dataSync() as Float32Array;
    const mean = Float64Array.from(cls, (v, i) => (v + dist[i]!) / 2);
    tf.dispose([x, out.cls, out.dist]);
    model.dispose();
    const want = { output: hits(mean, 10, ref.labels), cls: hits(cls, 10, ref.labels), dist: hits(dist, 10, ref.labels) };
    console.log(`${backend} accuracy on 30 digits (untrained): deit-eval`, JSON.stringify([report.output, report.cls, report.dist]), 'independent', JSON.stringify(want));
    for (const head of ['output', 'cls', 'dist'] as const) {
      expect(report[head]!.top1, head).toBeCloseTo(want[head].top1, 9);
      expect(report[head]!.top5, head).toBeCloseTo(want[head].top5, 9);
    }
    // The untrained model predicts several classes, so the counts are not a constant.
    const predicted = new Set(ref.labels.map((_, i) => topIndices(mean.subarray(i * 10, (i + 1) * 10), 1)[0]));
    expect(predicted.size).toBeGreaterThan(2);
  });
});

describe('deit-eval accuracy of a one-channel run', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('feeds the grey digits as one channel with the run\'s statistics, as computed independently', async () => {
    const mnistNorm: Normalization = { mean: [0.1307, 0.1307, 0.1307], std: [0.3081, 0.3081, 0.3081] };
    const run = makeRun(join(dir, 'grey'), STUDENT, { seed: 3, normalization: mnistNorm, inputDependent: true, inChans: 1 });
    const r = await accuracy(['--backend', 'wasm', '--run', run, '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as AccuracyReport;
    // The independent side: the data set's digits normalised on the host, three equal channels, the first one kept.
    const ref = await referenceMnist(TINY_MNIST, mnistNorm);
    const grey = Float32Array.from({ length: ref.n * 32 * 32 }, (_, i) => ref.images[3 * i]!);
    const model = createModel(STUDENT, { weights: join(run, 'model.safetensors'), inChans: 1 });
    const x = tf.tensor4d(grey, [ref.n, 32, 32, 1]);
    const out = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
    const cls = out.cls.dataSync() as Float32Array;
    const dist = out.dist.dataSync() as Float32Array;
    const mean = Float64Array.from(cls, (v, i) => (v + dist[i]!) / 2);
    tf.dispose([x, out.cls, out.dist]);
    model.dispose();
    expect(report.count).toBe(30);
    expect(report.output.top1).toBeCloseTo(hits(mean, 10, ref.labels).top1, 9);
    expect(report.cls!.top1).toBeCloseTo(hits(cls, 10, ref.labels).top1, 9);
    expect(report.dist!.top5).toBeCloseTo(hits(dist, 10, ref.labels).top5, 9);
  });
});

describe('deit-eval accuracy (wasm): models, text output and errors', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('evaluates --model/--weights of a plain DeiT (one head) on mnist with --seed, printing a table', async () => {
    const run = makeRun(join(dir, 'plain'), 'deit_mini_patch8_32', { seed: 2 });
    const r = await accuracy(['--backend', 'wasm', '--model', 'deit_mini_patch8_32', '--weights', join(run, 'model.safetensors'), '--data', 'mnist', '--seed', '4', '--split', 'train']);
    expect(r.code, r.err).toBe(0);
    // Without a run, deit-train's default MNIST split: 100 training digits per class.
    expect(r.out).toMatch(/^deit_mini_patch8_32 \(.*model\.safetensors\) on mnist train \(seed 4, 100 per class\): 1000 images, loss \d+\.\d{4}\n/);
    expect(r.out).toMatch(/\nhead +top-1 % +top-5 %\noutput +\d+\.\d\d +\d+\.\d\d\n$/);
  });

  it('reads an ImageFolder root (its val/ split, or class folders directly) and a CIFAR-10 binary folder', async () => {
    const sharp = (await import('sharp')).default;
    const root = join(dir, 'folder');
    for (const [cls, shade] of [['cat', 40], ['dog', 200]] as const) {
      mkdirSync(join(root, 'val', cls), { recursive: true });
      for (const k of [0, 1, 2]) {
        await sharp(Buffer.alloc(40 * 36 * 3, shade + 10 * k), { raw: { width: 40, height: 36, channels: 3 } }).png().toFile(join(root, 'val', cls, `${k}.png`));
      }
    }
    const weights = join(makeRun(join(dir, 'folder-model'), STUDENT), 'model.safetensors');
    const viaRoot = await accuracy(['--backend', 'wasm', '--model', STUDENT, '--weights', weights, '--data', root, '--json']);
    expect(viaRoot.code, viaRoot.err).toBe(0);
    expect(JSON.parse(viaRoot.out)).toMatchObject({ count: 6, data: `${join(root, 'val')} (ImageFolder)` });
    const viaVal = await accuracy(['--backend', 'wasm', '--model', STUDENT, '--weights', weights, '--data', join(root, 'val'), '--json']);
    expect(JSON.parse(viaVal.out)).toMatchObject({ count: 6 });
    // Same images, same model: the same accuracy either way.
    expect((JSON.parse(viaVal.out) as AccuracyReport).output).toEqual((JSON.parse(viaRoot.out) as AccuracyReport).output);
    const tooFew = await accuracy(['--backend', 'wasm', '--model', STUDENT, '--weights', weights, '--data', root, '--num-classes', '1']);
    expect(tooFew.code).toBe(2);
    expect(tooFew.err.trimEnd().split('\n').pop()).toMatch(/^deit-eval: --data: .*val \(ImageFolder\) has 2 classes, the model only 1$/);

    const cifar = join(dir, 'cifar');
    mkdirSync(cifar);
    const records = Buffer.alloc(4 * 3073);
    for (let r = 0; r < 4; r++) records[r * 3073] = r % 10;
    writeFileSync(join(cifar, 'test_batch.bin'), records);
    writeFileSync(join(cifar, 'data_batch_1.bin'), records.subarray(0, 3073));
    const c = await accuracy(['--backend', 'wasm', '--model', STUDENT, '--weights', weights, '--data', cifar, '--json']);
    expect(c.code, c.err).toBe(0);
    expect(JSON.parse(c.out)).toMatchObject({ count: 4, data: `${cifar} (cifar10 test)` });
  });

  it('evaluates a CNN teacher run (single head)', async () => {
    const run = makeRun(join(dir, 'teacher'), 'resnet_mnist', { kind: 'teacher' });
    const r = await accuracy(['--backend', 'wasm', '--run', run, '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as AccuracyReport;
    expect(report).toMatchObject({ model: 'resnet_mnist', count: 30 });
    expect(report.cls).toBeUndefined();
  });

  it('fails with exit code 2 and one line naming the flag, folder or file at fault', async () => {
    const run = makeRun(join(dir, 'errors'), STUDENT);
    const corrupt = join(dir, 'corrupt');
    cpSync(run, corrupt, { recursive: true });
    writeFileSync(join(corrupt, 'model.safetensors'), Buffer.from([0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 1, 2, 3]));
    const badJson = join(dir, 'bad-json');
    cpSync(run, badJson, { recursive: true });
    writeFileSync(join(badJson, 'run.json'), '{"format": "deitjs-run/1",');
    const cases: Array<[string[], RegExp]> = [
      [['--run', run, '--frob'], /^deit-eval: Unknown option '--frob'$/],
      [['--run', run, '--split', 'val'], /^deit-eval: --split: "val" is not one of test, train$/],
      [['--run', run, '--batch-size', '0'], /^deit-eval: --batch-size: must be a positive integer, got "0"$/],
      [['--run', run, '--model', STUDENT], /^deit-eval: --run: give either --run DIR or --model NAME --weights FILE, not both$/],
      [['--model', STUDENT, '--weights', join(run, 'model.safetensors')], /^deit-eval: --data: is required with --model/],
      [['--run', run, '--data', join(dir, 'no-such-folder')], /^deit-eval: --data: .*no-such-folder does not exist/],
      [['--run', join(dir, 'no-such-run')], /^deit-eval: .*no-such-run: no such run directory$/],
      [['--run', badJson], /^deit-eval: .*bad-json\/run\.json: is not valid JSON/],
      [['--run', corrupt], /^deit-eval: .*corrupt\/model\.safetensors: /],
    ];
    for (const [args, message] of cases) {
      const r = await accuracy(['--backend', 'wasm', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.err.trimEnd().split('\n').filter((l) => !l.startsWith('deit-eval: backend'));
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
  });
});
