import { BatchMatMul, Conv2DBackpropFilter, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { restoreWasmKernels, wasmKernelsActive } from './register.js';

/** dW of Σ conv2d(x, W) for a fixed 1×3×3×1 image and 2×2 filter, on the current backend. */
function filterGrad(): number[] {
  return tf.tidy(() => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const dw = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'valid')))(tf.zeros([2, 2, 1, 1]));
    return Array.from(dw.dataSync());
  });
}

// dW[i, j] = Σ over the 2×2 output positions of x[y + i, x + j]: the sums of the four 2×2 windows' corners.
const FILTER_GRAD = [1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9];

describe('the wasm kernel table', () => {
  it('initBackend("wasm") registers the conv gradients, restoreWasmKernels restores tfjs state, re-initialising registers them again', async () => {
    // This file runs in its own process: nothing has registered a kernel yet, so this is tfjs's own state.
    const stockFilter = tf.getKernel(Conv2DBackpropFilter, 'wasm');
    const stockInput = tf.getKernel(Conv2DBackpropInput, 'wasm');
    const stockMatMul = tf.getKernel(BatchMatMul, 'wasm');
    expect(stockFilter).toBeUndefined();
    expect(stockInput).toBeDefined();

    const report = await initBackend('wasm');
    expect(report.attempts[0]!.reason).toMatch(/Conv2DBackpropFilter, Conv2DBackpropInput/);
    expect(wasmKernelsActive()).toBe(true);
    expect(tf.getKernel(Conv2DBackpropFilter, 'wasm')).toBeDefined();
    expect(tf.getKernel(Conv2DBackpropInput, 'wasm')).not.toBe(stockInput);
    expect(filterGrad()).toEqual(FILTER_GRAD);

    restoreWasmKernels();
    expect(wasmKernelsActive()).toBe(false);
    expect(tf.getKernel(Conv2DBackpropFilter, 'wasm')).toBeUndefined();
    expect(tf.getKernel(Conv2DBackpropInput, 'wasm')).toBe(stockInput);
    expect(tf.getKernel(BatchMatMul, 'wasm')).toBe(stockMatMul);
    // tfjs's own wasm backend cannot train a conv: the failure users hit before the table held this kernel.
    expect(filterGrad).toThrow(/Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/);

    await initBackend('wasm');
    expect(wasmKernelsActive()).toBe(true);
    expect(tf.getKernel(Conv2DBackpropFilter, 'wasm')).toBeDefined();
    expect(filterGrad()).toEqual(FILTER_GRAD);
  });
});
