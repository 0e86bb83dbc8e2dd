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
    // The worker thread needs only core's Rng, errors and constants. Bundling them from core's sources
    // (whose package marks them side-effect free) keeps TensorFlow.js out of every worker: faster start-up
    // and less memory per worker. The main thread still uses the shared @deitjs/core.
    entry: ['src/loader-worker.ts'],
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
