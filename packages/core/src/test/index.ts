// Test helpers shared by every deitjs package, published as `@deitjs/core/test` (the only module that imports
// vitest). The main entry never imports this file.
import { beforeAll, describe } from 'vitest';
// `../index.js`, not `../backend.js`: the build maps this import to the published `@deitjs/core`, so the helper
// shares the main entry's backend and kernel registry instead of bundling a second copy (see tsup.config.ts).
import { initBackend } from '../index.js';

/** The backends every backend-dependent test runs on, in order (tfjs-core's `ALL_ENVS`, for deitjs). */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

/** One of {@link TEST_BACKENDS}. */
export type TestBackend = (typeof TEST_BACKENDS)[number];

/**
 * Declares `describe(\`${name} (${backend})\`)` once per backend of {@link TEST_BACKENDS}, with that backend
 * initialised by `initBackend` before the suite's own hooks and tests run.
 */
export function describeOnBackends(name: string, suite: (backend: TestBackend) => void): void {
  for (const backend of TEST_BACKENDS) {
    describe(`${name} (${backend})`, () => {
      beforeAll(async () => {
        await initBackend(backend);
      });
      suite(backend);
    });
  }
}
