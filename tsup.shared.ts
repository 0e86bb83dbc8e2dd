// Shared tsup settings: every package's main entry is built the same way, and the packages that start worker threads
// build each worker's entry beside it (loaded by URL at run time, never imported).
import { resolve } from 'node:path';
import type { Options } from 'tsup';

// tsup runs in the package's folder (and bundles this file into each package's config, so no import.meta here).
const coreSource = resolve(process.cwd(), '..', 'core', 'src', 'index.ts');

/** A package's main entry: ESM + CommonJS + declarations; `shims` lets the CommonJS build find files beside it. */
export function mainEntry(): Options {
  return { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, sourcemap: true, shims: true };
}

/**
 * A package's browser entry (`src/browser.ts` → `dist/browser.js`, ESM + declarations): what the package's
 * `exports` give every environment but Node (see ARCHITECTURE.md, "Node and browser"). It must import no Node
 * built-in; `scripts/check-browser-bundles.mjs` bundles it for the browser to prove that.
 */
export function browserEntry(): Options {
  return { entry: { browser: 'src/browser.ts' }, format: ['esm'], dts: true, sourcemap: true, platform: 'browser' };
}

/**
 * A worker thread's entry (ESM only). With `coreFromSource`, what the worker takes from `@deitjs/core` is bundled
 * from core's side-effect-free sources, which keeps TensorFlow.js (and its start-up time and memory) out of the worker.
 */
export function workerEntry(file: string, options: { coreFromSource?: boolean } = {}): Options {
  if (!options.coreFromSource) return { entry: [file], format: ['esm'], sourcemap: true };
  return {
    entry: [file],
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
  };
}
