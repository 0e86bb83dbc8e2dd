import { workerScript } from '@deitjs/core';

/**
 * The script a loader worker runs: `loader-worker.js` beside this module in the built package, or the TypeScript
 * entry bundled from the sources (tests, a source checkout; see core's `workerScript`).
 */
export function loaderWorkerScript(): Promise<URL> {
  return workerScript(new URL('./loader-worker.js', import.meta.url), new URL('./loader-worker.ts', import.meta.url), 'loader worker (or use numWorkers: 0)');
}
