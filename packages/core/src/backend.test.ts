import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { initBackend, parseBackendChoice, type WasmBinaryName } from './backend.js';
import { tf } from './tf.js';

describe('initBackend', () => {
  it('auto selects wasm here and says why the native backends were skipped', async () => {
    const report = await initBackend('auto');
    // These machines cannot install tfjs-node(-gpu) (its install script downloads libtensorflow).
    expect(report.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.attempts.map((a) => a.candidate)).toEqual([
      'tensorflow (@tensorflow/tfjs-node-gpu)',
      'tensorflow (@tensorflow/tfjs-node)',
      'wasm',
    ]);
    expect(report.attempts[0]!.reason).toMatch(/tfjs-node-gpu is not installed/);
    expect(report.attempts[1]!.reason).toMatch(/tfjs-node is not installed/);
    expect(report.attempts[2]!.ok).toBe(true);
  });

  it("describes Node's wasm as one tfjs thread, with why, and refuses an incomplete wasmPaths map naming the option", async () => {
    const report = await initBackend('wasm', { threads: true });
    expect(report.attempts[0]!.reason).toMatch(/^WebAssembly( with SIMD)?, tfjs's kernels on 1 thread \(tfjs-backend-wasm has no threaded build in Node\); deitjs kernels/);
    expect(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(false);
    const partial = { 'tfjs-backend-wasm.wasm': '/a.wasm' } as unknown as Record<WasmBinaryName, string>;
    await expect(initBackend('wasm', { wasmPaths: partial })).rejects.toThrow(/wasmPaths: .*tfjs-backend-wasm-simd\.wasm/);
    await expect(initBackend('wasm', { wasmPaths: partial })).rejects.toBeInstanceOf(ConfigError);
    // Options of the wasm backend do not concern cpu.
    expect((await initBackend('cpu', { wasmPaths: partial })).backend).toBe('cpu');
  });

  it('honours an explicit cpu choice', async () => {
    const report = await initBackend('cpu');
    expect(report.backend).toBe('cpu');
    expect(report.attempts).toHaveLength(1);
  });

  it('reports an unavailable explicit tensorflow backend as a ConfigError', async () => {
    await expect(initBackend('tensorflow')).rejects.toBeInstanceOf(ConfigError);
  });

  it('rejects unknown names, naming the option', () => {
    expect(() => parseBackendChoice('gpu', 'DEIT_BACKEND')).toThrow(/DEIT_BACKEND: unknown backend "gpu"/);
  });

  it('computes gradients on wasm (gradients are registered)', async () => {
    await initBackend('wasm');
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(tf.tensor1d([1, 2, 3]));
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
  });
});
