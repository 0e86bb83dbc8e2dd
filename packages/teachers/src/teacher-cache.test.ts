import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, ConfigError, Rng, type Teacher, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FixedViewDataset, TeacherOutputCache, buildTeacherCache, datasetFingerprint, loadOrBuildTeacherCache } from './teacher-cache.js';
import { type ConvNetTeacher, createTeacher } from './teacher.js';

const N = 11;

function makeDataset(id: string, seed = 1, length = N): FixedViewDataset & { pixels: Float32Array } {
  const pixels = new Rng(seed).uniformArray(length * 8 * 8 * 3, -1, 1);
  return {
    id,
    length,
    pixels,
    images: (idx) => {
      const out = new Float32Array(idx.length * 192);
      idx.forEach((s, r) => {
        out.set(pixels.subarray(s * 192, (s + 1) * 192), r * 192);
      });
      return tf.tensor4d(out, [idx.length, 8, 8, 3]);
    },
  };
}

/** Counts the images a teacher is asked to label. */
function counting(t: ConvNetTeacher): Teacher & { fingerprint(): string; seen: number } {
  const c = {
    name: t.name,
    numClasses: t.numClasses,
    seen: 0,
    predict: (x: tf.Tensor4D) => {
      c.seen += x.shape[0];
      return t.predict(x);
    },
    fingerprint: () => t.fingerprint(),
  };
  return c;
}

describe('teacher output cache', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('stores each sample’s top-k logits exactly as the teacher gives them', async () => {
    const teacher = createTeacher('resnet_mnist', { seed: 4 });
    const ds = makeDataset('synthetic');
    const before = tf.memory().numTensors;
    const cache = await buildTeacherCache(teacher, ds, { topK: 3, batchSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
    const all = Int32Array.from({ length: N }, (_, i) => i);
    const x = ds.images(all) as tf.Tensor4D;
    const full = teacher.predict(x);
    const rows = full.arraySync() as number[][];
    for (let s = 0; s < N; s++) {
      const order = rows[s]!.map((v, c) => [v, c] as const).sort((a, b) => b[0] - a[0]);
      for (let j = 0; j < 3; j++) {
        expect(cache.classes[s * 3 + j]).toBe(order[j]![1]);
        expect(cache.values[s * 3 + j]).toBeCloseTo(order[j]![0], 5);
      }
    }
    const pick = Int32Array.from([5, 0, 10]);
    const am = cache.argmax(pick);
    expect(Array.from(am.dataSync())).toEqual(Array.from(tf.argMax(tf.gather(full, pick), 1).dataSync()));
    const lg = cache.logits(pick).arraySync() as number[][];
    pick.forEach((s, r) => {
      const kept = new Set(Array.from(cache.classes.subarray(s * 3, s * 3 + 3)));
      lg[r]!.forEach((v, c) => {
        if (kept.has(c)) expect(v).toBeCloseTo(rows[s]![c]!, 5);
        else expect(v).toBe(-1e4);
      });
    });
    expect(() => cache.argmax(Int32Array.from([N]))).toThrow(/outside 0\.\.10/);
    tf.dispose([x, full, am]);
    teacher.dispose();
  });

  it('round-trips through a safetensors file bit for bit, written atomically', async () => {
    const teacher = createTeacher('resnet_mnist', { seed: 4 });
    const dir = mkdtempSync(join(tmpdir(), 'teacher-cache-'));
    const file = join(dir, 'cache.safetensors');
    const cache = await buildTeacherCache(teacher, makeDataset('synthetic'), { topK: 10 });
    cache.save(file);
    expect(readdirSync(dir)).toEqual(['cache.safetensors']);
    const back = TeacherOutputCache.load(file);
    expect(back.classes).toEqual(cache.classes);
    expect(back.values).toEqual(cache.values);
    expect([back.numSamples, back.numClasses, back.topK]).toEqual([N, 10, 10]);
    expect(back.teacherFingerprint).toBe(teacher.fingerprint());
    writeFileSync(join(dir, 'other.safetensors'), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from('{}      ')]));
    expect(() => TeacherOutputCache.load(join(dir, 'other.safetensors'))).toThrow(CheckpointError);
    teacher.dispose();
  });

  it('is reused across runs and rebuilt when the teacher or the dataset changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'teacher-cache-'));
    const file = join(dir, 'c.safetensors');
    const inner = createTeacher('resnet_mnist', { seed: 7 });
    const t = counting(inner);
    const ds = makeDataset('mnist-eval-view');

    const first = await loadOrBuildTeacherCache(file, t, ds, { topK: 2 });
    expect([first.reused, first.reason, t.seen]).toEqual([false, 'no cache file', N]);
    const second = await loadOrBuildTeacherCache(file, t, ds, { topK: 2 });
    expect([second.reused, t.seen]).toEqual([true, N]);
    expect(second.cache.values).toEqual(first.cache.values);

    // Another top-k → rebuild.
    expect((await loadOrBuildTeacherCache(file, t, ds, { topK: 3 })).reason).toBe('top-k or class count changed');
    expect(t.seen).toBe(2 * N);
    // Teacher weights change → rebuild.
    const w = inner.model.namedParams().get('fc.bias')!.variable;
    w.assign(tf.add(w, 0.5));
    expect((await loadOrBuildTeacherCache(file, t, ds, { topK: 3 })).reason).toBe('teacher changed');
    // Dataset id, length or sampled content change → rebuild.
    expect((await loadOrBuildTeacherCache(file, t, makeDataset('other-id'), { topK: 3 })).reason).toBe('dataset changed');
    const ds2 = makeDataset('other-id');
    ds2.pixels[0] += 0.25; // sample 0 is always hashed
    expect((await loadOrBuildTeacherCache(file, t, ds2, { topK: 3 })).reason).toBe('dataset changed');
    expect((await loadOrBuildTeacherCache(file, t, makeDataset('other-id', 1, N - 1), { topK: 3 })).reason).toBe('dataset changed');
    const reused = await loadOrBuildTeacherCache(file, t, makeDataset('other-id', 1, N - 1), { topK: 3 });
    expect(reused.reused).toBe(true);
    // A corrupt file is rebuilt, not trusted.
    writeFileSync(file, 'garbage');
    expect((await loadOrBuildTeacherCache(file, t, ds, { topK: 3 })).reason).toMatch(/^unreadable cache file/);
    inner.dispose();
  });

  it('fingerprints datasets by id, length and sampled pixels', async () => {
    const a = await datasetFingerprint(makeDataset('a'));
    expect(a).toBe(await datasetFingerprint(makeDataset('a')));
    expect(a).not.toBe(await datasetFingerprint(makeDataset('b')));
    expect(a).not.toBe(await datasetFingerprint(makeDataset('a', 2)));
  });

  it('rejects bad options and teachers it cannot fingerprint', async () => {
    const teacher = createTeacher('resnet_mnist', { seed: 1 });
    const ds = makeDataset('x');
    await expect(buildTeacherCache(teacher, ds, { topK: 11 })).rejects.toThrow(ConfigError);
    await expect(buildTeacherCache(teacher, ds, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    const plain: Teacher = { name: 'plain', numClasses: 10, predict: (x) => teacher.predict(x) };
    await expect(buildTeacherCache(plain, ds)).rejects.toThrow(/teacherFingerprint/);
    const ok = await buildTeacherCache(plain, ds, { teacherFingerprint: 'v1', topK: 1 });
    expect(ok.teacherFingerprint).toBe('v1');
    teacher.dispose();
  });
});
