import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { wasmKernelsActive } from './register.js';

describe('wasm Identity and Cast kernels', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('are active on wasm', () => {
    expect(wasmKernelsActive()).toBe(true);
  });

  it('clone shares data: no new heap bytes, values survive disposing the source, and all data is freed at the end', () => {
    const base = tf.memory();
    const x = tf.tensor2d([1.5, -2, 3, 4], [2, 2]);
    const dataIds = tf.engine().backend.numDataIds();
    const y = tf.clone(x);
    const z = tf.cast(x, 'float32');
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3, 4]);
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual([1.5, -2, 3, 4]);
    z.dispose();
    expect(tf.memory().numTensors).toBe(base.numTensors);
    expect(tf.memory().numBytes).toBe(base.numBytes);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds - 1);
  });

  it('keeps real conversions (float32 → int32 truncates toward zero) on tfjs kernel', () => {
    const x = tf.tensor1d([1.7, -2.7, 0, 3]);
    const i = tf.cast(x, 'int32');
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.dataSync())).toEqual([1, -2, 0, 3]);
    tf.dispose([x, i]);
  });

  it('a variable assigned from a clone keeps its own value when the clone source changes hands', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    expect(Array.from(snapshot.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([v, snapshot]);
  });

  it('gradients that clone (identity of add) are unchanged', () => {
    const g = tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.add(a, b)))([tf.ones([2, 3]), tf.ones([2, 3])]).map((t) => Array.from(t.dataSync())));
    expect(g).toEqual([new Array(6).fill(1), new Array(6).fill(1)]);
  });
});
