import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Normalization, ShapeError, initBackend, relL2Error, tf } from '@deitjs/core';
import { ConvNetTeacher, RegNet, toTimmNames } from '@deitjs/teachers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrtTeacher } from './ort-teacher.js';
import { EXPORT_FORMAT, ortTeacherFile, ortTeacherFor } from './ort-teacher-cache.js';
import { fixtureImages, readFixture } from './test/fixtures.js';

const STUDENT: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

describe('ortTeacherFor: a ConvNetTeacher on ONNX Runtime, exported once per fingerprint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deitjs-ort-teachers-'));
  const ort: OrtTeacher[] = [];
  let teacher: ConvNetTeacher;
  beforeAll(async () => {
    await initBackend('cpu');
    const model = new RegNet({ depth: 5, w0: 8, wa: 10, wm: 2, groupSize: 8, seRatio: 0.25 }, { numClasses: 10 });
    model.loadStateDict(toTimmNames(readFixture('timm_regnety_tiny.safetensors')));
    teacher = new ConvNetTeacher(model, { name: 'regnety_tiny', inputNormalization: STUDENT });
  });
  afterAll(async () => {
    for (const t of ort) await t.dispose();
    teacher.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports on first use, reuses the file after; same logits as the tfjs teacher, input mapping included', async () => {
    const exported: string[] = [];
    const a = await ortTeacherFor(teacher, { cacheDir: join(dir, 'cache'), intraOpThreads: 1, onExport: (f) => exported.push(f) });
    ort.push(a);
    const file = ortTeacherFile(join(dir, 'cache'), teacher.fingerprint());
    expect(exported).toEqual([file]);
    expect(file.endsWith(`-${EXPORT_FORMAT}.onnx`)).toBe(true);
    const mtime = statSync(file).mtimeMs;
    const b = await ortTeacherFor(teacher, { cacheDir: join(dir, 'cache'), intraOpThreads: 1, onExport: (f) => exported.push(f) });
    ort.push(b);
    expect(exported).toHaveLength(1);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(readdirSync(join(dir, 'cache'))).toHaveLength(1);

    expect([a.name, a.numClasses]).toEqual(['regnety_tiny', 10]);
    const x = fixtureImages(readFixture('timm_regnety_tiny.io.safetensors'));
    const want = teacher.predict(x);
    const got = a.predict(x);
    expect(relL2Error(got.dataSync(), want.dataSync())).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, want, got]);
  });

  it('imgSize: a fixed-size export (own cache file), the same logits, other sizes refused', async () => {
    const x = fixtureImages(readFixture('timm_regnety_tiny.io.safetensors'));
    const size = x.shape[1];
    const fixed = await ortTeacherFor(teacher, { cacheDir: join(dir, 'cache3'), intraOpThreads: 1, imgSize: size });
    ort.push(fixed);
    expect(readdirSync(join(dir, 'cache3'))).toEqual([`teacher-${teacher.fingerprint().slice(0, 32)}-${size}px-${EXPORT_FORMAT}.onnx`]);
    expect(fixed.session.inputShape).toEqual([3, size, size]);
    const want = teacher.predict(x);
    const got = fixed.predict(x);
    expect(relL2Error(got.dataSync(), want.dataSync())).toBeLessThanOrEqual(1e-5);
    const bigger = tf.zeros([1, size + 8, size + 8, 3]) as tf.Tensor4D;
    expect(() => fixed.predict(bigger)).toThrow(ShapeError);
    tf.dispose([x, want, got, bigger]);
    await expect(ortTeacherFor(teacher, { cacheDir: join(dir, 'cache3'), imgSize: 0 })).rejects.toThrow(/imgSize/);
  });

  it('fingerprints: stable per weights, apart from the tfjs engine, changed by a weight change (and a new export)', async () => {
    const a = await ortTeacherFor(teacher, { cacheDir: join(dir, 'cache2'), intraOpThreads: 1 });
    ort.push(a);
    const before = a.fingerprint();
    const fingerprintBefore = teacher.fingerprint();
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(before).not.toBe(teacher.fingerprint());
    const w = teacher.model.namedParams().get('head.fc.bias')!.variable;
    const original = w.clone();
    w.assign(tf.tidy(() => tf.add(w, 1e-3)));
    const changed = await ortTeacherFor(teacher, { cacheDir: join(dir, 'cache2'), intraOpThreads: 1 });
    ort.push(changed);
    expect(changed.fingerprint()).not.toBe(before);
    expect(readdirSync(join(dir, 'cache2'))).toHaveLength(2);
    w.assign(original);
    original.dispose();
    expect(teacher.fingerprint()).toBe(fingerprintBefore);
  });

  it('an OrtTeacher made from a file hashes the file and the input mapping', async () => {
    const file = ortTeacherFile(join(dir, 'cache'), teacher.fingerprint());
    const { OrtTeacher } = await import('./ort-teacher.js');
    const plain = await OrtTeacher.create(file, { intraOpThreads: 1 });
    const mapped = await OrtTeacher.create(file, { intraOpThreads: 1, inputNormalization: STUDENT });
    ort.push(plain, mapped);
    expect(plain.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(mapped.fingerprint()).not.toBe(plain.fingerprint());
  });
});
