import { resolve } from 'node:path';
import { defineConfig } from 'tsup';

const coreSource = resolve(import.meta.dirname ?? __dirname, '..', 'core', 'src', 'index.ts');

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    shims: true,
  },
  {
    // The ONNX Runtime teacher's worker thread needs only the onnxruntime loader and core's error classes: bundling
    // those from core's sources (side-effect free) keeps TensorFlow.js out of the worker.
    entry: ['src/ort-worker.ts'],
    format: ['esm'],
    sourcemap: true,
    noExternal: ['@deitjs/core'],
    esbuildPlugins: [
      {
        name: 'core-from-source',
        setup(build) {
          build.onResolve({ filter: /^@deitjs\/core$/ }, () => ({ path: coreSource }));
        },
      },
    ],
  },
]);
