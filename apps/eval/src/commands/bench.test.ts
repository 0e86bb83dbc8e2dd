import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { countParams, modelConfig } from '@deitjs/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test/io.js';
import { makeRun } from '../test/run.js';
import type { BenchReport } from './bench.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-eval-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bench(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(['bench', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

function expectWellFormed(r: BenchReport): void {
  for (const phase of [r.train, r.inference]) {
    if (phase === null) throw new Error('a phase was not measured');
    expect(phase.imagesPerSecond).toBeGreaterThan(0);
    expect(phase.msPerStep).toBeGreaterThan(0);
    // images/s and ms/step describe the same timed steps.
    expect(phase.imagesPerSecond * phase.msPerStep).toBeCloseTo(r.batchSize * 1000, 6);
    // The reported step is the median of the timed steps: one of them or between two of them.
    expect(phase.stepsMs).toHaveLength(r.steps);
    expect(phase.msPerStep).toBeGreaterThanOrEqual(Math.min(...phase.stepsMs));
    expect(phase.msPerStep).toBeLessThanOrEqual(Math.max(...phase.stepsMs));
  }
  expect(r.peakRssMiB).toBeGreaterThan(10);
  // Nothing outlives the command; one step leaves as many tensors as the one before it.
  expect(r.tensors.after).toBe(r.tensors.before);
  expect(r.tensors.growthPerStep).toBe(0);
}

describeOnBackends('deit-eval bench', (backend) => {
  it('times hard distillation from a CNN teacher and inference, leaving no tensors behind', async () => {
    const student = 'deit_micro_distilled_patch4_32';
    const before = tf.memory().numTensors;
    const r = await bench(['--backend', backend, '--model', student, '--teacher', 'resnet_mnist', '--batch-size', '2', '--steps', '2', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const report = JSON.parse(r.out) as BenchReport;
    console.log(`${backend} bench ${student} + resnet_mnist, batch 2:`, JSON.stringify(report));
    expect(report).toMatchObject({ model: student, teacher: 'resnet_mnist', distillationType: 'hard', backend, batchSize: 2, imgSize: 32, numClasses: 10, steps: 2 });
    expect(report.parameters).toBe(countParams(modelConfig(student)));
    // While training: the model's variables plus AdamW's two moments per parameter are alive (and the teacher's weights).
    const numVars = 35;
    expect(report.tensors.training).toBeGreaterThanOrEqual(report.tensors.before + 3 * numVars);
    expectWellFormed(report);
  });
});

describe('deit-eval bench (wasm): options, text and errors', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('--data-parallel 2 trains on two threads (teacher in the replica) and leaves no tensors behind; bad values exit 2', async () => {
    const r = await bench(['--backend', 'wasm', '--model', 'deit_micro_distilled_patch4_32', '--teacher', 'resnet_mnist', '--batch-size', '4', '--steps', '1', '--data-parallel', '2', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as BenchReport;
    expect(report.dataParallel).toBe(2);
    expectWellFormed(report);
    const zero = await bench(['--model', 'deit_micro_patch4_32', '--data-parallel', '0']);
    expect(zero.code).toBe(2);
    expect(zero.err).toBe('deit-eval: --data-parallel: must be a positive integer, got "0"\n');
    const many = await bench(['--model', 'deit_micro_patch4_32', '--data-parallel', '65']);
    expect(many.err).toBe('deit-eval: --data-parallel: must be an integer from 1 (off) to 64, got 65\n');
    const big = await bench(['--model', 'deit_micro_patch4_32', '--batch-size', '2', '--data-parallel', '3']);
    expect(big.code).toBe(2);
    expect(big.err).toBe('deit-eval: --data-parallel: 3 threads need a batch of at least 3 images, got --batch-size 2\n');
  });

  it('measures only the phases asked for', async () => {
    const r = await bench(['--backend', 'wasm', '--model', 'deit_micro_patch4_32', '--batch-size', '2', '--steps', '1', '--phases', 'inference', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as BenchReport;
    expect(report.train).toBeNull();
    expect(report.inference!.imagesPerSecond).toBeGreaterThan(0);
    expect(report.tensors.after).toBe(report.tensors.before);
    const bad = await bench(['--model', 'deit_micro_patch4_32', '--phases', 'train,warmup']);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('deit-eval: --phases: unknown phase "warmup" (train, inference)\n');
  });

  it('soft distillation, a plain model without teacher, --img-size and --num-classes; text output', async () => {
    const soft = await bench(['--backend', 'wasm', '--model', 'deit_micro_distilled_patch4_32', '--teacher', 'resnet_mnist', '--distillation-type', 'soft', '--batch-size', '2', '--steps', '1', '--json']);
    expect(soft.code, soft.err).toBe(0);
    expectWellFormed(JSON.parse(soft.out) as BenchReport);
    const r = await bench(['--backend', 'wasm', '--model', 'deit_micro_patch4_32', '--batch-size', '3', '--steps', '1', '--img-size', '16', '--num-classes', '4']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^deit_micro_patch4_32 on wasm: batch 3, 16 px, 4 classes, [\d,]+ parameters, 1 timed steps\n/);
    expect(r.out).toMatch(/\ntrain \(fwd \+ bwd \+ AdamW\) +\d+\.\d +\d+\.\d\ninference \(eval forward\) +\d+\.\d +\d+\.\d\n/);
    expect(r.out).toMatch(/\npeak RSS \d+ MiB; tensors: (\d+) before, \d+ while training \(growth per step 0\), \1 after\n$/);
  });

  it('loads --weights (a run checkpoint) and fails with exit code 2 and one line on bad input', async () => {
    const run = makeRun(join(dir, 'run'), 'deit_micro_distilled_patch4_32');
    const ok = await bench(['--backend', 'wasm', '--model', 'deit_micro_distilled_patch4_32', '--weights', join(run, 'model.safetensors'), '--batch-size', '1', '--steps', '1', '--json']);
    expect(ok.code, ok.err).toBe(0);
    // --run DIR: the run's model, weights, classes and input size (its preprocessing's).
    const fromRun = await bench(['--backend', 'wasm', '--run', run, '--batch-size', '1', '--steps', '1', '--json']);
    expect(fromRun.code, fromRun.err).toBe(0);
    expect(JSON.parse(fromRun.out)).toMatchObject({ model: 'deit_micro_distilled_patch4_32', imgSize: 32, numClasses: 10 });
    const cnnRun = makeRun(join(dir, 'cnn-run'), 'resnet_mnist', { kind: 'teacher' });
    const corrupt = join(dir, 'corrupt.safetensors');
    writeFileSync(corrupt, Buffer.alloc(20, 7));
    const m = 'deit_micro_distilled_patch4_32';
    const cases: Array<[string[], RegExp]> = [
      [['--model', m, '--steps', '0'], /^deit-eval: --steps: must be a positive integer, got "0"$/],
      [['--model', m, '--distillation-type', 'medium'], /^deit-eval: --distillation-type: "medium" is not one of hard, soft, none$/],
      [['--model', m, '--distillation-type', 'hard'], /^deit-eval: --distillation-type: hard distillation needs --teacher$/],
      [['--model', m, '--teacher', 'resnet_mnist', '--distillation-type', 'none'], /^deit-eval: --teacher: is only used with --distillation-type hard or soft$/],
      [['--model', 'deit_micro_patch4_32', '--teacher', 'resnet_mnist'], /^deit-eval: --distillation-type: deit_micro_patch4_32 has no distillation head/],
      [['--model', 'deit_giant'], /^deit-eval: --model: unknown model "deit_giant"/],
      [['--model', m, '--teacher', 'alexnet'], /^deit-eval: --teacher: unknown model "alexnet"/],
      [['--model', 'resnet_mnist'], /^deit-eval: --model: resnet_mnist is a CNN; bench times DeiTs/],
      [['--model', m, '--teacher', 'deit_micro_patch4_32'], /^deit-eval: --teacher: deit_micro_patch4_32 is a DeiT; the teacher is a CNN/],
      [['--run', cnnRun], /^deit-eval: --run: resnet_mnist is a CNN; bench times DeiTs/],
      [['--run', run, '--model', m], /^deit-eval: --run: give either --run DIR or --model NAME \[--weights FILE\], not both$/],
      [['--run', join(dir, 'no-run')], /^deit-eval: .*no-run: no such run directory$/],
      [['--model', m, '--frob'], /^deit-eval: Unknown option '--frob'$/],
      [['--model', m, '--weights', join(dir, 'missing.safetensors')], /^deit-eval: .*missing\.safetensors: /],
      [['--model', m, '--weights', corrupt], /^deit-eval: .*corrupt\.safetensors: /],
      [[], /^deit-eval: --model: is required \(see deit-eval bench --help\)$/],
    ];
    const before = tf.memory().numTensors;
    for (const [args, message] of cases) {
      const r = await bench(['--backend', 'wasm', '--steps', '1', '--batch-size', '1', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.err.trimEnd().split('\n').filter((l) => !l.startsWith('deit-eval: backend'));
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
