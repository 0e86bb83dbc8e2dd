import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // replicaScript() finds replica.js beside the module through import.meta.url, in the CommonJS build too.
    shims: true,
  },
  {
    // The data-parallel worker thread's entry, loaded by URL (replicaScript), never imported.
    entry: ['src/replica.ts'],
    format: ['esm'],
    sourcemap: true,
  },
]);
