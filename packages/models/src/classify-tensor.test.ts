import { type Classifier, ConfigError, type DistilledLogits, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyTensor } from './classify-tensor.js';
import { IMAGENET_CLASSES, IMAGENET_SYNSETS } from './imagenet-classes.js';

/** A classifier answering fixed logits per image (the images' first pixel picks the row), plain or distilled. */
function fixedClassifier(cls: number[][], dist?: number[][]): Classifier {
  const pick = (x: tf.Tensor4D, rows: number[][]) => tf.gather(tf.tensor2d(rows), tf.cast(tf.reshape(tf.slice(x, [0, 0, 0, 0], [-1, 1, 1, 1]), [-1]), 'int32')) as tf.Tensor2D;
  return {
    numClasses: cls[0]!.length,
    distilled: dist !== undefined,
    trainableVariables: () => new Map(),
    apply: (x, o) =>
      tf.tidy(() => {
        if (dist === undefined) return pick(x, cls);
        const both = { cls: pick(x, cls), dist: pick(x, dist) };
        return o.training || o.returnBoth ? (both as unknown as tf.Tensor2D) : tf.div(tf.add(both.cls, both.dist), 2);
      }) as tf.Tensor2D | DistilledLogits,
  };
}

const images = (rows: number[]) => tf.tidy(() => tf.concat(rows.map((r) => tf.fill([1, 2, 2, 3], r))) as tf.Tensor4D);
const softmax = (v: number[]) => {
  const e = v.map((x) => Math.exp(x - Math.max(...v)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

describe('classifyTensor', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('ranks softmax scores per image, ties to the lower index, with labels', () => {
    const logits = [
      [0, 2, 1, 2],
      [3, 0, 0, 0],
    ];
    const x = images([0, 1]);
    const before = tf.memory().numTensors;
    const out = classifyTensor(fixedClassifier(logits), x, { topK: 3, labels: ['a', 'b', 'c', 'd'] });
    expect(tf.memory().numTensors).toBe(before);
    const p0 = softmax(logits[0]!);
    expect(out[0]!.top.map((c) => [c.index, c.label])).toEqual([[1, 'b'], [3, 'd'], [2, 'c']]);
    expect(out[0]!.top[0]!.score).toBeCloseTo(p0[1]!, 6);
    expect(out[1]!.top[0]).toMatchObject({ index: 0, label: 'a' });
    expect(out[1]!.top[0]!.score).toBeCloseTo(softmax(logits[1]!)[0]!, 6);
    expect(out[0]!.heads).toBeUndefined();
    x.dispose();
  });

  it("gives a distilled model's mean answer and each head's own", () => {
    const cls = [[4, 0, 0]];
    const dist = [[0, 0, 6]];
    const x = images([0]);
    const [r] = classifyTensor(fixedClassifier(cls, dist), x, { topK: 3 });
    expect(r!.heads!.cls[0]!.index).toBe(0);
    expect(r!.heads!.dist[0]!.index).toBe(2);
    // mean logits [2, 0, 3]: class 2 first, then 0
    expect(r!.top.map((c) => c.index)).toEqual([2, 0, 1]);
    expect(r!.top[0]!.score).toBeCloseTo(softmax([2, 0, 3])[2]!, 6);
    const sum = (cs: { score: number }[]) => cs.reduce((a, c) => a + c.score, 0);
    for (const ranking of [r!.top, r!.heads!.cls, r!.heads!.dist]) expect(sum(ranking)).toBeCloseTo(1, 6);
    x.dispose();
  });

  it('refuses labels of another length and a bad topK', () => {
    const x = images([0]);
    expect(() => classifyTensor(fixedClassifier([[1, 2]]), x, { labels: ['a'] })).toThrow(ConfigError);
    expect(() => classifyTensor(fixedClassifier([[1, 2]]), x, { topK: 0 })).toThrow(/topK/);
    x.dispose();
  });
});

describe('IMAGENET_CLASSES', () => {
  it('holds the 1000 ImageNet-1k classes in index order (synsets sorted, as the ImageNet folders are)', () => {
    expect(IMAGENET_CLASSES).toHaveLength(1000);
    expect(IMAGENET_SYNSETS).toHaveLength(1000);
    expect(new Set(IMAGENET_SYNSETS).size).toBe(1000);
    expect([...IMAGENET_SYNSETS].sort()).toEqual(IMAGENET_SYNSETS);
    expect(IMAGENET_SYNSETS.every((s) => /^n\d{8}$/.test(s))).toBe(true);
    expect(IMAGENET_CLASSES[0]).toBe('tench, Tinca tinca');
    expect(IMAGENET_CLASSES[1]).toBe('goldfish, Carassius auratus');
    expect(IMAGENET_CLASSES[999]).toBe('toilet tissue, toilet paper, bathroom tissue');
    expect(IMAGENET_CLASSES.every((c) => c.length > 0 && !c.includes('\t'))).toBe(true);
  });
});
