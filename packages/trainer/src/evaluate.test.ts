import { type Batch, type BatchSource, type Classifier, type DistilledLogits, tf } from '@deitjs/core';
import { describeOnBackends } from '@deitjs/core/test';
import { expect, it } from 'vitest';
import { evaluate } from './evaluate.js';

// Each sample carries its own logits in its pixels: [cls(6) | dist(6)] as a [2, 2, 3] image.
const CLS = [
  [9, 1, 2, 3, 4, 5],
  [0, 1, 2, 3, 4, 9],
  [5, 4, 3, 2, 1, 0],
  [1, 2, 3, 4, 5, 6],
];
const DIST = [
  [0, 9, 1, 2, 3, 4],
  [0, 1, 2, 3, 4, 9],
  [5, 4, 3, 2, 1, 0],
  [0, 0, 9, 0, 0, 0],
];
const LABELS = [0, 5, 5, 2];
const TEACHER = [0, 5, 0, 0];

function fake(distilled: boolean): Classifier {
  return {
    numClasses: 6,
    distilled,
    trainableVariables: () => new Map(),
    apply(images, options): tf.Tensor2D | DistilledLogits {
      return tf.tidy(() => {
        const flat = tf.reshape(images, [images.shape[0], 12]);
        const cls = tf.slice(flat, [0, 0], [-1, 6]) as tf.Tensor2D;
        if (!distilled) return cls;
        const dist = tf.slice(flat, [0, 6], [-1, 6]) as tf.Tensor2D;
        return options.returnBoth ? { cls, dist } : (tf.div(tf.add(cls, dist), 2) as tf.Tensor2D);
      });
    },
  };
}

const source: BatchSource = {
  batchesPerEpoch: () => 2,
  async *epoch(): AsyncIterable<Batch> {
    for (const start of [0, 2]) {
      const rows = [start, start + 1];
      yield {
        images: tf.tensor4d(rows.flatMap((r) => [...CLS[r]!, ...DIST[r]!]), [2, 2, 2, 3]),
        targets: tf.tensor1d(rows.map((r) => LABELS[r]!), 'int32'),
        indices: Int32Array.from(rows),
      };
    }
  },
};

const teacherCache = (idx: Int32Array) =>
  tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from(idx, (i) => TEACHER[i]!), 'int32'), 6), 'float32') as tf.Tensor2D);

/** Mean CE of logits rows against labels, in float64. */
function ce(rows: number[][], labels: number[]): number {
  let s = 0;
  rows.forEach((r, i) => {
    const m = Math.max(...r);
    s += m + Math.log(r.reduce((a, x) => a + Math.exp(x - m), 0)) - r[labels[i]!]!;
  });
  return s / rows.length;
}

describeOnBackends('evaluate', (backend) => {
  it('counts top-1/top-5 per head and for the mean, teacher agreement, and CE of the mean (hand-tallied)', async () => {
    const before = tf.memory().numTensors;
    const m = await evaluate(fake(true), source, { teacherCache });
    expect(tf.memory().numTensors).toBe(before);
    expect(m.count).toBe(4);
    expect({ top1: m.top1, top5: m.top5 }).toEqual({ top1: 50, top5: 75 });
    expect(m.cls).toEqual({ top1: 50, top5: 75 });
    expect(m.dist).toEqual({ top1: 50, top5: 50 });
    expect(m.teacherAgreement).toEqual({ output: 50, cls: 75, dist: 50 });
    const mean = CLS.map((r, i) => r.map((x, j) => (x + DIST[i]![j]!) / 2));
    const want = ce(mean, LABELS);
    console.log(`[${backend}] eval CE ${m.loss} vs float64 ${want}: |err| ${Math.abs(m.loss - want).toExponential(2)}`);
    expect(Math.abs(m.loss - want)).toBeLessThan(1e-5);
  });

  it('a plain classifier gets no per-head metrics; soft targets count as their argmax', async () => {
    const soft: BatchSource = {
      batchesPerEpoch: () => 1,
      async *epoch() {
        for await (const b of source.epoch(0)) {
          const t = b.targets;
          yield { ...b, targets: tf.tidy(() => tf.cast(tf.oneHot(t as tf.Tensor1D, 6), 'float32') as tf.Tensor2D) };
          t.dispose();
        }
      },
    };
    const m = await evaluate(fake(false), soft);
    expect(m).toMatchObject({ count: 4, top1: 50, top5: 75 });
    expect(m.cls).toBeUndefined();
    expect(m.teacherAgreement).toBeUndefined();
    expect(Math.abs(m.loss - ce(CLS, LABELS))).toBeLessThan(1e-5);
  });
});
