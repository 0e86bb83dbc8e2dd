import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DistilledLogits, type Normalization, initBackend, readSafetensors, tf, toFloat32, writeSafetensors } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { createModel } from '@deitjs/models';
import { createConvNet } from '@deitjs/teachers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIO } from '../test/io.js';
import { TINY_MNIST, makeRun, referenceMnist, topIndices } from '../test/run.js';

// One test digit per class keeps the cpu-backend ResNet teacher cheap.
const TEN_DIGITS = { ...TINY_MNIST, testPerClass: 1 };
import type { AnalysisReport } from '@deitjs/run';

const dir = mkdtempSync(join(tmpdir(), 'deit-eval-analyze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function analyze(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(['analyze', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

const STUDENT = 'deit_mini_distilled_patch8_32';
const STUDENT_NORM: Normalization = { mean: [0.3, 0.3, 0.3], std: [0.35, 0.35, 0.35] };
const TEACHER_NORM: Normalization = { mean: [0.1, 0.2, 0.3], std: [0.3, 0.4, 0.5] };

const argmaxRows = (a: ArrayLike<number>, k: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => topIndices(Array.prototype.slice.call(a, i * k, (i + 1) * k) as number[], 1)[0]!);
const percentEqual = (a: number[], b: number[]): number => (100 * a.filter((v, i) => v === b[i]).length) / a.length;

describeOnBackends('deit-eval analyze', (backend) => {
  it('matches cosines, head and teacher agreement computed independently, writes analysis.json, leaks no tensors', async () => {
    const teacherRun = makeRun(join(dir, `teacher-${backend}`), 'resnet_mnist', { kind: 'teacher', seed: 5, normalization: TEACHER_NORM, inputDependent: true, data: TEN_DIGITS });
    const run = makeRun(join(dir, `student-${backend}`), STUDENT, { seed: 9, normalization: STUDENT_NORM, inputDependent: true, teacherRun, data: TEN_DIGITS });
    const before = tf.memory().numTensors;
    const r = await analyze(['--backend', backend, '--run', run, '--batch-size', '4', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const report = JSON.parse(r.out) as AnalysisReport;
    expect(JSON.parse(readFileSync(join(run, 'analysis.json'), 'utf8'))).toEqual(report);
    expect(report).toMatchObject({ format: 'deitjs-analysis/1', model: STUDENT, run, count: 10, teacher: { name: 'resnet_mnist', run: teacherRun } });

    // Independent side: the digits normalised here, the model's intermediates, cosines and argmaxes in float64 JS.
    const ref = await referenceMnist(TEN_DIGITS, STUDENT_NORM);
    const model = createModel(STUDENT, { weights: join(run, 'model.safetensors') });
    const x = tf.tensor4d(ref.images, [ref.n, 32, 32, 3]);
    const inter = model.forwardIntermediates(x, { training: false });
    const names = ['pos_drop', 'blocks.0', 'blocks.1', 'blocks.2', 'blocks.3', 'norm'];
    expect(report.layers.map((l) => l.name)).toEqual(names);
    for (const [l, name] of names.entries()) {
      const t = inter.get(name)!;
      const [n, T, D] = t.shape;
      const v = t.dataSync();
      const cosines: number[] = [];
      for (let i = 0; i < n; i++) {
        let dot = 0;
        let aa = 0;
        let bb = 0;
        for (let d = 0; d < D; d++) {
          const a = v[i * T * D + d]!;
          const b = v[i * T * D + D + d]!;
          dot += a * b;
          aa += a * a;
          bb += b * b;
        }
        cosines.push(dot / Math.max(Math.sqrt(aa * bb), 1e-8));
      }
      const mean = cosines.reduce((s, c) => s + c, 0) / n;
      const std = Math.sqrt(cosines.reduce((s, c) => s + (c - mean) ** 2, 0) / n);
      console.log(`${backend} ${name}: cos(cls, dist) deit-eval ${report.layers[l]!.cosine.toFixed(6)} ± ${report.layers[l]!.std.toFixed(6)}, independent ${mean.toFixed(6)} ± ${std.toFixed(6)}`);
      expect(Math.abs(report.layers[l]!.cosine - mean)).toBeLessThan(1e-5);
      expect(Math.abs(report.layers[l]!.std - std)).toBeLessThan(1e-4);
    }
    tf.dispose([...inter.values()]);
    const both = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
    const cls = argmaxRows(both.cls.dataSync(), 10, ref.n);
    const dist = argmaxRows(both.dist.dataSync(), 10, ref.n);
    const meanLogits = tf.tidy(() => tf.div(tf.add(both.cls, both.dist), 2).dataSync());
    const out = argmaxRows(meanLogits, 10, ref.n);
    tf.dispose([x, both.cls, both.dist]);
    model.dispose();
    // The teacher sees the student's images mapped to its own normalisation: x·σs + μs = pixel, (pixel − μt)/σt.
    const tImages = Float32Array.from(ref.images, (v, k) => (v * STUDENT_NORM.std[k % 3]! + STUDENT_NORM.mean[k % 3]! - TEACHER_NORM.mean[k % 3]!) / TEACHER_NORM.std[k % 3]!);
    const net = createConvNet('resnet_mnist', { weights: join(teacherRun, 'model.safetensors') });
    const tx = tf.tensor4d(tImages, [ref.n, 32, 32, 3]);
    const tl = net.apply(tx, { training: false }) as tf.Tensor2D;
    const teach = argmaxRows(tl.dataSync(), 10, ref.n);
    tf.dispose([tx, tl]);
    net.dispose();
    const want = {
      headAgreement: percentEqual(cls, dist),
      top1: { output: percentEqual(out, ref.labels), cls: percentEqual(cls, ref.labels), dist: percentEqual(dist, ref.labels) },
      teacher: { agreement: { output: percentEqual(out, teach), cls: percentEqual(cls, teach), dist: percentEqual(dist, teach) }, top1: percentEqual(teach, ref.labels) },
    };
    console.log(`${backend} agreement: deit-eval`, JSON.stringify([report.headAgreement, report.top1, report.teacher]), 'independent', JSON.stringify(want));
    expect(report.headAgreement).toBeCloseTo(want.headAgreement, 9);
    expect(report.top1).toEqual(want.top1);
    expect(report.teacher!.agreement).toEqual(want.teacher.agreement);
    expect(report.teacher!.top1).toBeCloseTo(want.teacher.top1, 9);
    // The heads of this model disagree on some images and the teacher predicts more than one class, so the counts are informative.
    expect(want.headAgreement).toBeLessThan(100);
    expect(new Set(teach).size).toBeGreaterThan(1);
  });
});

describe('deit-eval analyze (wasm): invariants, text output and errors', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('identical cls and dist tokens and heads: cosine 1 at every layer, heads agree on every image', async () => {
    const run = makeRun(join(dir, 'twins'), STUDENT, { seed: 3 });
    const file = join(run, 'model.safetensors');
    const sd = readSafetensors(file);
    sd.set('dist_token', sd.get('cls_token')!);
    sd.set('head_dist.weight', sd.get('head.weight')!);
    sd.set('head_dist.bias', sd.get('head.bias')!);
    const pos = sd.get('pos_embed')!;
    const p = Float32Array.from(toFloat32(pos));
    const D = pos.shape[2]!;
    p.copyWithin(D, 0, D); // position 1 (dist) = position 0 (cls)
    sd.set('pos_embed', { ...pos, data: p });
    writeSafetensors(file, sd);
    const r = await analyze(['--backend', 'wasm', '--run', run, '--limit', '7']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(join(run, 'analysis.json'), 'utf8')) as AnalysisReport;
    expect(report.count).toBe(7);
    for (const l of report.layers) expect(l.cosine, l.name).toBeCloseTo(1, 5);
    expect(report.headAgreement).toBe(100);
    expect(report.teacher).toBeUndefined();
    expect(r.out).toMatch(/on mnist test \(seed 4, 3 per class\), 7 of 30 images: 7 images\n/);
    expect(r.out).toMatch(/\nlayer +cos\(cls, dist\) +std\npos_drop +1\.0000 +0\.0000\n/);
    expect(r.out).toMatch(/\nheads agree \(argmax cls = argmax dist\): 100\.00%\n/);
    expect(r.out).toMatch(/\nwrote .*twins\/analysis\.json\n$/);
  });

  it('fails with exit code 2 and one line naming the flag, folder or file at fault, writing nothing', async () => {
    const run = makeRun(join(dir, 'errors'), STUDENT);
    const plain = makeRun(join(dir, 'plain'), 'deit_mini_patch8_32');
    const corrupt = join(dir, 'corrupt');
    cpSync(run, corrupt, { recursive: true });
    writeFileSync(join(corrupt, 'model.safetensors'), 'not a checkpoint at all');
    const cases: Array<[string[], RegExp]> = [
      [['--run', run, '--limit', 'ten'], /^deit-eval: --limit: must be a positive integer, got "ten"$/],
      [['--run', run, '--limit', '0'], /^deit-eval: --limit: must be a positive integer, got "0"$/],
      [['--run', run, '--bogus'], /^deit-eval: Unknown option '--bogus'$/],
      [[], /^deit-eval: --run: is required \(see deit-eval analyze --help\)$/],
      [['--run', plain], /^deit-eval: --run: .*plain holds deit_mini_patch8_32, not a distilled DeiT/],
      [['--run', run, '--data', join(dir, 'no-such-data')], /^deit-eval: --data: .*no-such-data does not exist/],
      [['--run', run, '--teacher-run', join(dir, 'no-such-teacher')], /^deit-eval: .*no-such-teacher: no such run directory$/],
      [['--run', run, '--teacher', 'resnet_mnist'], /^deit-eval: --teacher-weights: is required with --teacher$/],
      [['--run', corrupt], /^deit-eval: .*corrupt\/model\.safetensors: /],
    ];
    for (const [args, message] of cases) {
      const r = await analyze(['--backend', 'wasm', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.err.trimEnd().split('\n').filter((l) => !l.startsWith('deit-eval: backend'));
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
    for (const d of [run, plain, corrupt]) expect(readdirSync(d).filter((f) => f.startsWith('analysis') || f.endsWith('.tmp')), d).toEqual([]);
  });
});
