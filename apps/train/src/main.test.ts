import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, readSafetensorsHeader, tf } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainIO } from './io.js';
import { formatMainJobTable, runMainJob } from './main-job.js';
import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'deit-train-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): TrainIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { DEIT_BACKEND: 'wasm' },
    out: () => out,
    err: () => err,
  };
}

// A few digits per class and one epoch: these tests check the composition, not accuracy (the trainer's own tests
// and the main job's measured run cover learning).
const tiny = ['--data', 'mnist', '--train-per-class', '4', '--test-per-class', '2', '--epochs', '1', '--batch-size', '8', '--input-size', '32'];

describe('deit-train', () => {
  beforeAll(async () => {
    // runMainJob (called directly below) expects the app to have chosen a backend, as main() does.
    await initBackend('wasm');
  });

  it('trains a teacher convnet and writes a complete run directory', async () => {
    const io = capture();
    const out = join(dir, 'teacher');
    const code = await main([...tiny, '--model', 'resnet_mnist', '--aa', 'none', '--reprob', '0', '--mixup', '0', '--cutmix', '0', '--shift', '2', '--output', out], io);
    expect(io.err()).toContain('backend: wasm');
    expect(code).toBe(0);
    expect(io.out()).toMatch(/^done: resnet_mnist, 1 epochs in \d+ s/);
    // One epoch with the default 5 warmup epochs never reaches the peak learning rate: a warning says so.
    expect(io.err()).toMatch(/^warning: warmupEpochs 5 covers all 1 epoch\(s\) of the run/m);
    for (const f of ['run.json', 'model.safetensors', 'metrics.jsonl', 'checkpoint-last.safetensors', 'report.html']) expect(existsSync(join(out, f))).toBe(true);
    const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(info).toMatchObject({ format: 'deitjs-run/1', kind: 'teacher', model: 'resnet_mnist', numClasses: 10, imgSize: 32, distilled: false });
    // The run's eval preprocessing: 28 px grey digits zero-padded to 32, no resize, the registry's ImageNet statistics.
    const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    expect(info.normalization).toEqual(imagenet);
    expect(info.preprocessing).toEqual({ transform: { kind: 'plain', size: 32, normalization: imagenet }, interpolation: 'bicubic', input: { colour: 'grey', size: 28, pad: 2 } });
    // timm names and PyTorch layouts in the weights: a 3×3 stem conv OIHW.
    expect(readSafetensorsHeader(join(out, 'model.safetensors')).entries.find((t) => t.name === 'conv1.weight')?.shape).toEqual([16, 3, 3, 3]);
    const epochs = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(epochs).toHaveLength(1);
    expect(epochs[0].eval.count).toBe(20);
  });

  it('distills a DeiT from a teacher run (hard distillation, strong DeiT augmentation with mixup)', async () => {
    const io = capture();
    const out = join(dir, 'student');
    const before = tf.memory().numTensors;
    const code = await main(
      [...tiny, '--model', 'deit_micro_distilled_patch4_32', '--distillation-type', 'hard', '--teacher-run', join(dir, 'teacher'), '--warmup-epochs', '0', '--output', out],
      io,
    );
    expect(io.err()).not.toContain('internal error');
    expect(io.err()).not.toContain('warning: warmupEpochs');
    expect(code).toBe(0);
    expect(io.out()).toMatch(/top-1 [\d.]+ % \(cls [\d.]+ %, dist [\d.]+ %\)/);
    const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(info).toMatchObject({ kind: 'student', distilled: true, teacherRun: join(dir, 'teacher') });
    const epoch = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim());
    expect(Object.keys(epoch.trainLossParts).sort()).toEqual(['base', 'distill']);
    expect(epoch.eval.teacherAgreement.output).toBeGreaterThanOrEqual(0);
    // Models, teacher and optimizer state are all freed when the run returns.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives one-line errors with exit code 2 for a bad flag, a missing data folder and a corrupt checkpoint', async () => {
    const bad = capture();
    expect(await main(['--epochs', 'many'], bad)).toBe(2);
    expect(bad.err()).toBe('deit-train: --epochs: expected a number, got "many"\n');

    const missing = capture();
    expect(await main([...tiny, '--data', join(dir, 'nope')], missing)).toBe(2);
    expect(missing.err().split('\n').filter(Boolean).at(-1)).toMatch(/^deit-train: --data: .*nope does not exist/);

    const corrupt = join(dir, 'corrupt.safetensors');
    writeFileSync(corrupt, Buffer.from([1, 2, 3]));
    const broken = capture();
    const code = await main(
      [...tiny, '--model', 'deit_micro_distilled_patch4_32', '--distillation-type', 'hard', '--teacher', 'resnet_mnist', '--teacher-weights', corrupt, '--output', join(dir, 'x')],
      broken,
    );
    expect(code).toBe(2);
    const last = broken.err().split('\n').filter(Boolean).at(-1)!;
    expect(last).toMatch(/^deit-train: .*corrupt\.safetensors/);

    const noTeacher = capture();
    expect(await main([...tiny, '--model', 'deit_micro_distilled_patch4_32', '--distillation-type', 'soft'], noTeacher)).toBe(2);
    expect(noTeacher.err()).toMatch(/--teacher-weights: distillation "soft" needs a trained teacher/);
  });

  it('runs the three stages of the main job and tabulates them', async () => {
    const io = capture();
    const stages = await runMainJob({ seed: 1, output: join(dir, 'job'), epochScale: 0.01, distillationType: 'hard', numWorkers: 0, trainPerClass: 4, testPerClass: 2 }, io);
    expect(stages.map((s) => s.stage)).toEqual(['teacher', 'distilled student', 'baseline (no distillation)']);
    expect(stages.map((s) => s.run.epochs)).toEqual([1, 1, 1]);
    expect(stages[1]!.run.info.teacherRun).toBe(join(dir, 'job', 'teacher'));
    expect(stages[2]!.run.info.teacherRun).toBeUndefined();
    expect(stages[1]!.run.numParams).toBe(214_996);
    // The token analysis ran in this process for both students: analysis.json written, report.html plotting it.
    for (const s of stages.slice(1)) {
      expect(s.cosine?.map((c) => c.name)).toEqual(['pos_drop', 'blocks.0', 'blocks.1', 'blocks.2', 'blocks.3', 'norm']);
      const analysis = JSON.parse(readFileSync(join(s.run.runDir, 'analysis.json'), 'utf8'));
      expect(analysis.layers.map((l: { cosine: number }) => l.cosine)).toEqual(s.cosine!.map((c) => c.cosine));
      expect(readFileSync(join(s.run.runDir, 'report.html'), 'utf8')).toContain('Cosine similarity of the cls and dist tokens');
    }
    // The distilled student is compared with the teacher run it recorded; the baseline has none.
    expect(JSON.parse(readFileSync(join(stages[1]!.run.runDir, 'analysis.json'), 'utf8')).teacher.run).toBe(join(dir, 'job', 'teacher'));
    expect(JSON.parse(readFileSync(join(stages[2]!.run.runDir, 'analysis.json'), 'utf8')).teacher).toBeUndefined();
    expect(formatMainJobTable(stages, 1)).toMatch(/cos\(cls, dist\) of the distilled student: pos_drop -?[\d.]+ → blocks\.0/);
  });
});
