// The browser side of the test: @deitjs/models as an application imports it, the weights fetched over HTTP, the
// forward run on the backend the test asks for. The test calls `window.deitForward` through Playwright.
import { type DistilledLogits, initBackend, loadSafetensors, tf } from '@deitjs/core';
import { createModel } from '@deitjs/models';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { PageForward, PageResult } from '../src/page-api.js';

// The bundler emits the .wasm binaries as assets with hashed names; initBackend passes them to tfjs-backend-wasm.
// Its threads stay off (initBackend's default): the threaded build does not survive Vite's minifying build.
const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};

const forward: PageForward = async ({ backend, model: name, weightsUrl, images, shape }) => {
  const report = await initBackend(backend, { wasmPaths });
  const model = createModel(name, { weights: await loadSafetensors(weightsUrl) });
  try {
    const x = tf.tensor4d(images, shape);
    const mean = model.apply(x, { training: false }) as tf.Tensor;
    const both = model.apply(x, { training: false, returnBoth: true }) as DistilledLogits;
    const result: PageResult = {
      backend: report.backend,
      reason: report.attempts.find((a) => a.ok)?.reason ?? '',
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      logits: Array.from(await mean.data()),
      cls: Array.from(await both.cls.data()),
      dist: Array.from(await both.dist.data()),
    };
    tf.dispose([x, mean, both.cls, both.dist]);
    return result;
  } finally {
    model.dispose();
  }
};

(globalThis as unknown as { deitForward: PageForward }).deitForward = forward;
document.title = 'ready';
