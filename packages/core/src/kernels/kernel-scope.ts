import { DeitError } from '../errors.js';
import { tf } from '../tf.js';

/** What a wasm kernel built from other wasm kernels uses to run them and free its intermediates. */
export interface KernelScope {
  /** Runs the wasm kernel registered now under `name` (deitjs's own where it replaced tfjs's). */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: object): tf.TensorInfo;
  /** Marks an intermediate to be freed by {@link KernelScope.dispose}; returns it. */
  keep(t: tf.TensorInfo): tf.TensorInfo;
  /** Frees every kept intermediate (call in `finally`, so errors free them too). */
  dispose(): void;
}

/**
 * A {@link KernelScope} on `backend` (the wasm backend a kernel was called with). Kernels called from a kernel
 * bypass tfjs's engine, so nothing tracks their outputs: an intermediate not kept and disposed here would leak
 * wasm heap memory.
 */
export function kernelScope(backend: unknown): KernelScope {
  const be = backend as tf.KernelBackend;
  const owned: tf.TensorInfo[] = [];
  return {
    run: (name, inputs, attrs) => {
      const kernel = tf.getKernel(name, 'wasm');
      if (kernel === undefined) throw new DeitError('E_KERNEL', `the wasm backend has no ${name} kernel`);
      return kernel.kernelFunc({ inputs, backend: be, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    },
    keep: (t) => {
      owned.push(t);
      return t;
    },
    dispose: () => {
      for (const t of owned) be.disposeData(t.dataId);
      owned.length = 0;
    },
  };
}
