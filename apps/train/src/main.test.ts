import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, readSafetensorsHeader, tf } from '@deitjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainIO } from './io.js';
import { runMainJob } from './main-job.js';
import { SEED_FILES, runMainJobSeeds } from './main-job-seeds.js';
import { formatMainJobTable, seedAccuracies } from './main-job-table.js';
import { seedStatistics } from './seed-stats.js';
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

  it('trains a teacher convnet on one-channel MNIST and writes a complete run directory', async () => {
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
    expect(info).toMatchObject({ format: 'deitjs-run/1', kind: 'teacher', model: 'resnet_mnist', numClasses: 10, imgSize: 32, inChans: 1, distilled: false });
    // The run's eval preprocessing: 28 px grey digits zero-padded to 32, no resize, one channel with MNIST's statistics.
    const mnist = { mean: [0.1307, 0.1307, 0.1307], std: [0.3081, 0.3081, 0.3081] };
    expect(info.normalization).toEqual(mnist);
    expect(info.preprocessing).toEqual({ transform: { kind: 'plain', size: 32, normalization: mnist, channels: 1 }, interpolation: 'bicubic', input: { colour: 'grey', size: 28, pad: 2 } });
    // timm names and PyTorch layouts in the weights: a 3×3 stem conv OIHW over one input channel.
    expect(readSafetensorsHeader(join(out, 'model.safetensors')).entries.find((t) => t.name === 'conv1.weight')?.shape).toEqual([16, 1, 3, 3]);
    const epochs = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(epochs).toHaveLength(1);
    expect(epochs[0].eval.count).toBe(20);
  });

  it('keeps three channels with --in-chans 3 (grey copied), and refuses 2', async () => {
    const io = capture();
    const out = join(dir, 'rgb');
    expect(await main([...tiny, '--model', 'deit_micro_patch4_32', '--in-chans', '3', '--aa', 'none', '--reprob', '0', '--mixup', '0', '--cutmix', '0', '--output', out], io)).toBe(0);
    const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(info.inChans).toBeUndefined();
    expect(info.preprocessing.transform.channels).toBeUndefined();
    expect(readSafetensorsHeader(join(out, 'model.safetensors')).entries.find((t) => t.name === 'patch_embed.proj.weight')?.shape).toEqual([64, 3, 4, 4]);
    const two = capture();
    expect(await main([...tiny, '--model', 'deit_micro_patch4_32', '--in-chans', '2', '--output', join(dir, 'two')], two)).toBe(2);
    expect(two.err()).toMatch(/--in-chans: must be 1 \(grey\) or 3 \(RGB\), got 2/);
  });

  it('distills a one-channel DeiT from a one-channel teacher run (hard distillation, strong DeiT augmentation with mixup)', async () => {
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
    expect(info).toMatchObject({ kind: 'student', distilled: true, inChans: 1, teacherRun: join(dir, 'teacher') });
    expect(readSafetensorsHeader(join(out, 'model.safetensors')).entries.find((t) => t.name === 'patch_embed.proj.weight')?.shape).toEqual([64, 1, 4, 4]);
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

  it('runs the four stages of the main job (soft, hard and no distillation from the same start) and tabulates them', async () => {
    const io = capture();
    const stages = await runMainJob({ seed: 1, output: join(dir, 'job'), epochScale: 0.01, numWorkers: 0, trainPerClass: 4, testPerClass: 2 }, io);
    expect(stages.map((s) => s.stage)).toEqual(['teacher', 'soft student', 'hard student', 'baseline (no distillation)']);
    expect(stages.map((s) => s.run.epochs)).toEqual([1, 1, 1, 1]);
    expect(stages[1]!.run.info.teacherRun).toBe(join(dir, 'job', 'teacher'));
    expect(stages[2]!.run.info.teacherRun).toBe(join(dir, 'job', 'teacher'));
    expect(stages[3]!.run.info.teacherRun).toBeUndefined();
    // One input channel: 214,996 parameters with three, less 64 · 2 · 8 · 8 patch-embedding weights.
    expect(stages[1]!.run.numParams).toBe(206_804);
    // The token analysis ran in this process for the three students: analysis.json written, report.html plotting it.
    for (const s of stages.slice(1)) {
      expect(s.cosine?.map((c) => c.name)).toEqual(['pos_drop', 'blocks.0', 'blocks.1', 'blocks.2', 'blocks.3', 'norm']);
      const analysis = JSON.parse(readFileSync(join(s.run.runDir, 'analysis.json'), 'utf8'));
      expect(analysis.layers.map((l: { cosine: number }) => l.cosine)).toEqual(s.cosine!.map((c) => c.cosine));
      expect(readFileSync(join(s.run.runDir, 'report.html'), 'utf8')).toContain('Cosine similarity of the cls and dist tokens');
    }
    // The distilled students are compared with the teacher run they recorded; the twin has none.
    expect(JSON.parse(readFileSync(join(stages[1]!.run.runDir, 'analysis.json'), 'utf8')).teacher.run).toBe(join(dir, 'job', 'teacher'));
    expect(JSON.parse(readFileSync(join(stages[3]!.run.runDir, 'analysis.json'), 'utf8')).teacher).toBeUndefined();
    // Every report shows the job's runs side by side (job.json), with each student's Δ against the twin.
    const report = readFileSync(join(stages[2]!.run.runDir, 'report.html'), 'utf8');
    expect(report).toContain("The job's runs side by side (seed 1)");
    expect(report).toContain('<th>hard student (this run)</th>');
    const twin = stages[3]!.run.lastEval!.top1;
    const table = formatMainJobTable(stages, 1);
    const delta = stages[1]!.run.lastEval!.top1 - twin;
    expect(table).toContain(`soft student − twin: ${delta >= 0 ? '+' : ''}${delta.toFixed(1)} points`);
    expect(table).toMatch(/cos\(cls, dist\) of the soft student: pos_drop -?[\d.]+ → blocks\.0/);
    expect(seedAccuracies(1, stages)).toEqual({ seed: 1, teacher: stages[0]!.run.lastEval!.top1, soft: stages[1]!.run.lastEval!.top1, hard: stages[2]!.run.lastEval!.top1, baseline: twin });
  });

  it('--seeds runs the job once per seed and keeps each seed\'s accuracies and the statistics so far on disk', async () => {
    const io = capture();
    const out = join(dir, 'seeds');
    const stats = await runMainJobSeeds({ epochScale: 0.01, numWorkers: 0, trainPerClass: 4, testPerClass: 1, cliPath: null }, [2, 0], out, io);
    const lines = readFileSync(join(out, SEED_FILES.perSeed), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seed)).toEqual([2, 0]);
    // Each seed in its own folder with the four run directories and job.json.
    for (const seed of [2, 0]) for (const d of ['teacher', 'student-soft', 'student-hard', 'student-baseline', 'job.json']) expect(existsSync(join(out, `seed-${seed}`, d))).toBe(true);
    const accuracies = lines.map(({ seconds: _, ...acc }) => acc);
    expect(stats).toEqual(seedStatistics(accuracies));
    expect(JSON.parse(readFileSync(join(out, SEED_FILES.statistics), 'utf8'))).toEqual(JSON.parse(JSON.stringify(stats)));
    expect(io.out()).toMatch(/^seed 2:\nstage +model/m);
  });
});
