import { ConfigError, ShapeError, initBackend, tf } from '@deitjs/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { teacherOutputs } from './teacher-outputs.js';

describe('teacherOutputs', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  const batch = () => ({ images: tf.zeros([2, 1, 1, 3]) as tf.Tensor4D, targets: tf.tensor1d([0, 1], 'int32'), indices: Int32Array.from([7, 3]) });

  it('turns cached labels into one-hot rows and passes cached logits through', () => {
    const b = batch();
    const labels = teacherOutputs(b, 4, { teacherCache: (idx) => tf.tensor1d(Array.from(idx, (i) => i % 4), 'int32') })!;
    expect(labels.arraySync()).toEqual([
      [0, 0, 0, 1],
      [0, 0, 0, 1],
    ]);
    const logits = teacherOutputs(b, 4, { teacherCache: () => tf.tensor2d([[1, 2, 3, 4], [4, 3, 2, 1]]) })!;
    expect(logits.arraySync()[1]).toEqual([4, 3, 2, 1]);
    expect(teacherOutputs(b, 4, {})).toBeUndefined();
    for (const t of [labels, logits, b.images, b.targets]) t.dispose();
  });

  it('rejects wrong shapes and missing indices', () => {
    const b = batch();
    const before = tf.memory().numTensors;
    expect(() => teacherOutputs(b, 4, { teacherCache: () => tf.zeros([2, 5]) as tf.Tensor2D })).toThrow(ShapeError);
    expect(() => teacherOutputs(b, 4, { teacher: { name: 't', numClasses: 4, predict: () => tf.zeros([3, 4]) as tf.Tensor2D } })).toThrow(
      /teacher outputs: expected \[2, 4\], got \[3,4\]/,
    );
    expect(() => teacherOutputs({ ...b, indices: undefined }, 4, { teacherCache: () => tf.zeros([2, 4]) as tf.Tensor2D })).toThrow(ConfigError);
    expect(tf.memory().numTensors).toBe(before);
    b.images.dispose();
    b.targets.dispose();
  });
});
